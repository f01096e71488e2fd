import type { DockerClient, ImageDetails } from '../../docker/client.js';
import { invalidArgument } from '../../errors.js';
import type { ImageLookups } from '../../store/image-lookups.js';
import { throughMirror, type MirrorTable } from './mirrors.js';
import { formatReference, isImageId, parseReference } from './reference.js';

/**
 * Finds the engine's image for a CRI ImageSpec.image: an image id, a tag, or a digest. A digest
 * pulled through a mirror is known to the engine only under the mirror's name (a digest cannot
 * be re-tagged), so that name is tried second. With `lookups`, a name seen before is answered from
 * memory while the engine's image events say nothing changed (src/store/image-lookups.ts).
 */
export async function findImage(
  docker: DockerClient,
  mirrors: MirrorTable,
  image: string,
  signal: AbortSignal,
  lookups?: ImageLookups,
): Promise<ImageDetails | undefined> {
  if (image === '') throw invalidArgument('the image spec has no image name or id: set image.image');
  const inspect = (reference: string) =>
    lookups ? lookups.inspect(docker, reference, signal) : docker.inspectImage(reference, signal);
  if (isImageId(image)) return inspect(image.startsWith('sha256:') ? image : `sha256:${image}`);
  const ref = parseReference(image);
  const found = await inspect(formatReference(ref));
  if (found !== undefined || ref.digest === undefined) return found;
  const mirrored = throughMirror(ref, mirrors);
  return mirrored ? inspect(formatReference(mirrored)) : undefined;
}
