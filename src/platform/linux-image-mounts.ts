/**
 * CRI image volumes (`Mount.image`, KEP-4639) as Docker mounts of `Type: "image"`. Pure.
 *
 * The kubelet pulls the volume's image, then asks for a read-only mount of it (optionally of one
 * directory, `image_sub_path`). Docker mounts images this way since API 1.48; the engine makes a
 * read-only layer of the image at create and removes it with the container. Older engines refuse
 * the mount type, so wincri refuses first, before anything is made, saying what the engine lacks.
 */
import { apiAtLeast, IMAGE_MOUNT_API } from '../docker/api-version.js';
import { invalidArgument, unimplemented } from '../errors.js';
import type { Mount__Output } from '../generated/runtime/v1/Mount.js';
import type { MountSpec } from '../docker/types.js';

/** What the image-mount mapping must know of the engine (HostFacts carries it). */
export interface ImageMountEngine {
  /** The engine's API version ("1.41", "1.56"); undefined = not known. */
  apiVersion?: string | undefined;
}

/** Whether a CRI mount asks for an image volume rather than a bind. */
export const isImageVolume = (m: Mount__Output): boolean => (m.image?.image ?? '') !== '';

/**
 * One image volume as a Docker mount. The CRI's rules come first (they hold on any engine), then
 * whether this engine can mount images at all. Source is the image as the kubelet named it; the
 * handler resolves it to the engine's image id before the create.
 */
export function imageMount(m: Mount__Output, field: string, engine: ImageMountEngine): MountSpec {
  const image = m.image?.image ?? '';
  if (m.host_path !== '') {
    throw invalidArgument(
      `${field}: host_path ${JSON.stringify(m.host_path)} and image ${JSON.stringify(image)} are both set; a mount is a host path or an image volume, not both`,
    );
  }
  if (!m.readonly) {
    throw invalidArgument(
      `${field}.readonly must be true for the image volume ${JSON.stringify(image)}: image volumes are read-only`,
    );
  }
  if (m.propagation !== 'PROPAGATION_PRIVATE') {
    throw invalidArgument(
      `${field}.propagation ${m.propagation}: an image volume is mounted with private propagation (the engine offers no other); send PROPAGATION_PRIVATE`,
    );
  }
  const subPath = m.image_sub_path === '' ? undefined : checkSubPath(m.image_sub_path, field);
  checkImageMountEngine(engine, field, image);
  const spec: MountSpec = { Type: 'image', Source: image, Target: m.container_path, ReadOnly: true };
  if (subPath !== undefined) spec.ImageOptions = { Subpath: subPath };
  return spec;
}

/** image_sub_path must stay inside the image: relative, without `..` (the engine says the same). */
function checkSubPath(subPath: string, field: string): string {
  const at = `${field}.image_sub_path ${JSON.stringify(subPath)}`;
  if (subPath.startsWith('/')) throw invalidArgument(`${at} must be relative to the image's root`);
  if (subPath.split('/').includes('..')) throw invalidArgument(`${at} must not contain '..'`);
  if (subPath.includes('\0')) throw invalidArgument(`${at} must not contain a NUL byte`);
  return subPath;
}

/** UNIMPLEMENTED on an engine without image mounts, naming the API it speaks and the one it lacks. */
function checkImageMountEngine(engine: ImageMountEngine, field: string, image: string): void {
  if (engine.apiVersion !== undefined && apiAtLeast(engine.apiVersion, IMAGE_MOUNT_API)) return;
  const speaks =
    engine.apiVersion === undefined
      ? 'the Docker engine has not said which API it speaks'
      : `the Docker engine speaks API ${engine.apiVersion}`;
  throw unimplemented(
    `${field}.image: the image volume ${JSON.stringify(image)} needs mounts of type "image", which Docker offers from API ${IMAGE_MOUNT_API} (Docker 28.0); ${speaks}. Upgrade the engine or drop the image volume`,
  );
}
