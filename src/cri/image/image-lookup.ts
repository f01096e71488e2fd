import type { DockerClient, ImageDetails } from '../../docker/client.js';
import { invalidArgument } from '../../errors.js';
import { throughMirror, type MirrorTable } from './mirrors.js';
import { formatReference, isImageId, parseReference } from './reference.js';

/**
 * Finds the engine's image for a CRI ImageSpec.image: an image id, a tag, or a digest. A digest
 * pulled through a mirror is known to the engine only under the mirror's name (a digest cannot
 * be re-tagged), so that name is tried second.
 */
export async function findImage(
  docker: DockerClient,
  mirrors: MirrorTable,
  image: string,
  signal: AbortSignal,
): Promise<ImageDetails | undefined> {
  if (image === '') throw invalidArgument('the image spec has no image name or id: set image.image');
  if (isImageId(image))
    return docker.inspectImage(image.startsWith('sha256:') ? image : `sha256:${image}`, signal);
  const ref = parseReference(image);
  const found = await docker.inspectImage(formatReference(ref), signal);
  if (found !== undefined || ref.digest === undefined) return found;
  const mirrored = throughMirror(ref, mirrors);
  return mirrored ? docker.inspectImage(formatReference(mirrored), signal) : undefined;
}
