import type { DockerClient } from '../../docker/client.js';
import { hasKind } from '../../errors.js';
import type { RemoveImageRequest__Output } from '../../generated/runtime/v1/RemoveImageRequest.js';
import type { RemoveImageResponse } from '../../generated/runtime/v1/RemoveImageResponse.js';
import type { CallContext } from '../context.js';
import type { ImageDeps } from './deps.js';
import { findImage } from './image-lookup.js';

/**
 * RemoveImage removes the image the reference resolves to, under every name it has (as
 * containerd does), whether named by id, tag or digest.
 * CRI contract: idempotent, removing a missing image succeeds.
 */
export async function removeImage(
  deps: ImageDeps,
  req: RemoveImageRequest__Output,
  ctx: CallContext,
): Promise<RemoveImageResponse> {
  const image = await findImage(deps.docker, deps.mirrors, req.image?.image ?? '', ctx.signal);
  if (image === undefined) return {};
  try {
    // Untag name by name: deleting by id alone fails while several names point at the image.
    for (const name of [...image.repoTags, ...image.repoDigests]) {
      await ignoreMissing(deps.docker, name, ctx.signal);
    }
    await ignoreMissing(deps.docker, image.id, ctx.signal);
  } finally {
    deps.lookups.forget();
  }
  deps.usersById.delete(image.id);
  return {};
}

async function ignoreMissing(docker: DockerClient, reference: string, signal: AbortSignal): Promise<void> {
  try {
    await docker.removeImage(reference, { force: false }, signal);
  } catch (err) {
    // A concurrent RemoveImage may have taken this name first: every way the engine says so is a
    // NotFound (src/docker/errors.ts), and the outcome is the one asked for. Anything else (a
    // 409 for a name another removal is untagging) is checked against the engine: gone is gone.
    if (hasKind(err, 'NotFound')) return;
    if ((await docker.inspectImage(reference, signal)) === undefined) return;
    throw err;
  }
}
