import type { ImageSummary } from '../../docker/client.js';
import type { ListImagesRequest__Output } from '../../generated/runtime/v1/ListImagesRequest.js';
import type { ListImagesResponse } from '../../generated/runtime/v1/ListImagesResponse.js';
import type { CallContext } from '../context.js';
import { toCriImage } from '../convert/image.js';
import type { ImageDeps } from './deps.js';
import { findImage } from './image-lookup.js';

/** ListImages: every image the engine holds, or the one matching filter.image. */
export async function listImages(
  deps: ImageDeps,
  req: ListImagesRequest__Output,
  ctx: CallContext,
): Promise<ListImagesResponse> {
  const wanted = req.filter?.image?.image;
  const all = await deps.docker.listImages(ctx.signal);
  let images = all;
  if (wanted) {
    const match = await findImage(deps.docker, deps.mirrors, wanted, ctx.signal);
    images = match ? all.filter((image) => image.id === match.id) : [];
  }
  const gone = await learnUsers(deps, images, ctx.signal);
  forgetRemoved(deps, all);
  return {
    images: images
      .filter((image) => !gone.has(image.id))
      .map((image) =>
        toCriImage({ ...image, user: deps.usersById.get(image.id) ?? '' }, isPinned(deps, image)),
      ),
  };
}

export const isPinned = (deps: ImageDeps, image: ImageSummary) =>
  image.repoTags.some((tag) => deps.pinnedNames.has(tag));

/**
 * The list endpoint carries no image config: inspect each image once, the first time it is seen.
 * Returns the ids of images removed between the list and their inspect (a concurrent RemoveImage):
 * they are no longer there to list.
 */
async function learnUsers(
  deps: ImageDeps,
  images: ImageSummary[],
  signal: AbortSignal,
): Promise<Set<string>> {
  const gone = new Set<string>();
  const unknown = images.filter((image) => !deps.usersById.has(image.id));
  for (const image of unknown) {
    const details = await deps.docker.inspectImage(image.id, signal);
    if (details) deps.usersById.set(image.id, details.user);
    else gone.add(image.id);
  }
  return gone;
}

function forgetRemoved(deps: ImageDeps, all: ImageSummary[]): void {
  const present = new Set(all.map((image) => image.id));
  for (const id of deps.usersById.keys()) if (!present.has(id)) deps.usersById.delete(id);
}
