/**
 * Where a container's writable layer lies when the engine does not say. Docker's classic overlay2
 * store names it in inspect (GraphDriver.Data.UpperDir); the containerd image store (Docker 29's
 * default) does not: the layer is a containerd snapshot, and inspect only names the snapshotter.
 * The kernel knows, though: the container's root filesystem is an overlay mount whose options name
 * its upper directory, and /proc/<pid>/mountinfo of any process in the container shows it.
 *
 * So the upper dir is found while the container runs and kept: a snapshot keeps its directory for
 * the container's whole life (a restart mounts the same one), so a stopped container is still
 * measured where it was found.
 */
import { readFileSync } from 'node:fs';
import type { ByteCount } from './layer-walk.js';

export interface UpperDir {
  upperDir: string;
  /**
   * The directory the kubelet should take as the layer's filesystem (ContainerStats' fs_id): the
   * snapshotter's root for a containerd snapshot (`<root>/snapshots/<n>/fs`), else the upper dir.
   */
  mountpoint: string;
  /** containerd sizes its snapshots by allocated blocks; Docker's overlay2 by apparent sizes. */
  count: ByteCount;
}

/** The options of the overlay mounted at `/` in one mountinfo text, or undefined when `/` is not an overlay. */
export function rootOverlayUpperDir(mountinfo: string): UpperDir | undefined {
  let found: string | undefined;
  for (const line of mountinfo.split('\n')) {
    // id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions
    const [left = '', right = ''] = line.split(' - ');
    const mountpoint = left.split(' ')[4];
    const [fstype, , superOptions = ''] = right.split(' ');
    // The last mount on / wins: a later line over the same point hides the earlier one.
    if (mountpoint !== '/') continue;
    found = fstype === 'overlay' ? optionValue(superOptions, 'upperdir') : undefined;
  }
  if (found === undefined || !found.startsWith('/')) return undefined;
  const snapshot = /^(.*)\/snapshots\/[^/]+\/fs$/.exec(found);
  return snapshot?.[1]
    ? { upperDir: found, mountpoint: snapshot[1], count: 'allocated' }
    : { upperDir: found, mountpoint: found, count: 'apparent' };
}

/**
 * One option's value from a mountinfo option list. The kernel escapes space, tab, newline and
 * backslash as octal (`\040`); overlayfs escapes a comma inside a path with a backslash.
 */
function optionValue(options: string, name: string): string | undefined {
  for (const option of options.split(/(?<!\\),/)) {
    if (!option.startsWith(`${name}=`)) continue;
    return option
      .slice(name.length + 1)
      .replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8)))
      .replace(/\\,/g, ',');
  }
  return undefined;
}

/** The upper dir of a running container's root filesystem, read through one of its processes. */
export function upperDirOfProcess(pid: number): UpperDir | undefined {
  if (process.platform !== 'linux' || !Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    return rootOverlayUpperDir(readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
  } catch {
    // The process is gone (the container stopped) or not ours to read.
    return undefined;
  }
}
