/**
 * Engine API versions ("1.41", "1.56"): what wincri decides by them. The engine is spoken to
 * unversioned, so a request means what the engine's own API version says it means; these are the
 * versions where a meaning wincri relies on changed.
 */

/** The oldest Engine API wincri speaks: Docker 20.10 (Debian's docker.io) answers 1.41. */
export const MIN_API_VERSION = '1.41';

/**
 * Since 1.44 (Docker 25) a `ReadOnly` bind is recursively read-only unless
 * `BindOptions.ReadOnlyNonRecursive` says otherwise, and `ReadOnlyForceRecursive` exists.
 */
export const READ_ONLY_BIND_OPTIONS_API = '1.44';

/**
 * Since 1.48 (Docker 28.0) a mount of `Type: "image"` mounts another image's filesystem read-only,
 * with `ImageOptions.Subpath` for a directory inside it (both in the same release). Older engines
 * refuse the type.
 */
export const IMAGE_MOUNT_API = '1.48';

/** Whether `version` is `minimum` or newer; an unreadable version is older than any. */
export function apiAtLeast(version: string, minimum: string): boolean {
  const parse = (v: string) => /^(\d+)\.(\d+)$/.exec(v.trim());
  const have = parse(version);
  const need = parse(minimum);
  if (!have || !need) return false;
  const [haveMajor, haveMinor] = [Number(have[1]), Number(have[2])];
  const [needMajor, needMinor] = [Number(need[1]), Number(need[2])];
  return haveMajor > needMajor || (haveMajor === needMajor && haveMinor >= needMinor);
}

/**
 * Whether the engine can make a bind recursively read-only: a Linux engine with API 1.44+ on a
 * kernel with mount_setattr (5.12+, which runc needs for it). Docker checks the same before it
 * creates such a container; wincri checks first so that Status tells the kubelet the truth.
 */
export function canRecursiveReadOnly(info: {
  osType: string;
  apiVersion: string;
  kernelVersion: string;
}): boolean {
  if (info.osType !== 'linux' || !apiAtLeast(info.apiVersion, READ_ONLY_BIND_OPTIONS_API)) return false;
  const kernel = /^(\d+)\.(\d+)/.exec(info.kernelVersion);
  return kernel !== null && apiAtLeast(`${kernel[1]}.${kernel[2]}`, '5.12');
}
