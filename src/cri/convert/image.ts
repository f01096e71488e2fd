import type { ImageDetails, ImageSummary } from '../../docker/client.js';
import type { Image } from '../../generated/runtime/v1/Image.js';

/**
 * The image's configured user as the CRI reports it: a numeric user is `uid`, a name is
 * `username`; a group after ":" is not part of either (critest "image status ... Uid|Username").
 */
export function imageUser(user: string): Pick<Image, 'uid' | 'username'> {
  const name = user.split(':')[0] ?? '';
  if (/^\d+$/.test(name)) return { uid: { value: name }, username: '' };
  return { uid: null, username: name };
}

/** An engine image as a CRI Image; `id` is the engine's image id, the one id wincri ever reports. */
export function toCriImage(
  image: ImageSummary & Partial<Pick<ImageDetails, 'user'>>,
  pinned: boolean,
): Image {
  return {
    id: image.id,
    repo_tags: image.repoTags,
    repo_digests: image.repoDigests,
    size: String(image.sizeBytes),
    ...imageUser(image.user ?? ''),
    spec: { image: image.id, annotations: {} },
    pinned,
  };
}
