import type { ImageStatusRequest__Output } from '../../generated/runtime/v1/ImageStatusRequest.js';
import type { ImageStatusResponse } from '../../generated/runtime/v1/ImageStatusResponse.js';
import type { CallContext } from '../context.js';
import { toCriImage } from '../convert/image.js';
import type { ImageDeps } from './deps.js';
import { findImage } from './image-lookup.js';
import { isPinned } from './list-images.js';

/** ImageStatus: a missing image is not an error, the CRI answers with `image` unset. */
export async function imageStatus(
  deps: ImageDeps,
  req: ImageStatusRequest__Output,
  ctx: CallContext,
): Promise<ImageStatusResponse> {
  const image = await findImage(deps.docker, deps.mirrors, req.image?.image ?? '', ctx.signal);
  if (image === undefined) return { image: null, info: {} };
  deps.usersById.set(image.id, image.user);
  const info: Record<string, string> = {};
  if (req.verbose) {
    // crictl inspecti prints each value; values beginning with "{" must be JSON objects.
    info['info'] = JSON.stringify({
      id: image.id,
      os: image.os,
      osVersion: image.osVersion,
      architecture: image.architecture,
      created: image.createdAt,
      user: image.user,
      env: image.env,
      entrypoint: image.entrypoint,
      cmd: image.cmd,
      workingDir: image.workingDir,
      labels: image.labels,
    });
  }
  return { image: toCriImage(image, isPinned(deps, image)), info };
}
