/**
 * One walk of a container's writable layer as it lies on this host (overlay2's upper dir), giving
 * both numbers ContainerStats.writable_layer carries:
 *
 * - bytes as Docker's SizeRw counts them for overlay2 (moby `pkg/directory.Size` over the diff dir):
 *   the apparent size (st_size) of every entry that is not a directory, each inode once however many
 *   hard links name it; a symlink counts its own size (the target path), never the target. So the
 *   figure matches what `docker ps --size` shows for the same container.
 * - inodes as cAdvisor counts them for the kubelet (`fs.GetDirUsage`): every entry, directories and
 *   the layer's root included, each hard-linked inode once. Overlay whiteouts (the 0:0 character
 *   devices that record deletions) are entries on disk, so they count as inodes and add no bytes.
 * - or, for a containerd snapshot (Docker's containerd image store), bytes as containerd's snapshot
 *   usage counts them, which is what that engine reports as SizeRw (continuity `fs.DiskUsage`): the
 *   blocks allocated (st_blocks x 512) to every inode once, directories and the root included.
 *
 * The tree belongs to the container: wincri (root) must not be led out of it. Directories are opened
 * with O_NOFOLLOW and checked against what lstat saw, and every name is resolved from the open
 * directory (`/proc/self/fd/N/name`), so a directory swapped for a symlink mid-walk is skipped, not
 * followed; an entry on another device (something mounted inside) is neither counted nor entered.
 * Files that vanish mid-walk are skipped (the container keeps writing). Deeper than MAX_DEPTH levels
 * nothing is entered: each level holds one descriptor open.
 *
 * The calls are synchronous, in slices of at most SLICE_MS, each slice in its own turn of the event
 * loop (src/stats/turns.ts): through fs.promises each lstat costs 60-90 µs of CPU (a libuv pool
 * round trip and a promise) against ~15 µs synchronously, and this walk runs over every container
 * every minute (docs/stats-sources.md has the figures). A slice can overrun by one call; on a cold
 * inode cache that is one metadata read from disk.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, opendirSync, type BigIntStats } from 'node:fs';
import { statsTurns } from './turns.js';

export interface LayerUsage {
  bytes: bigint;
  inodes: bigint;
}

/** How bytes are counted: apparent sizes of non-directories (overlay2) or allocated blocks (containerd). */
export type ByteCount = 'apparent' | 'allocated';

/** The layer's directory cannot be read here (a remote engine, another host's path): ask the engine. */
export class LayerNotHere extends Error {
  override readonly name = 'LayerNotHere';
}

export const MAX_DEPTH = 128;
/**
 * The longest a walk holds the event loop before yielding (plus one call): a list RPC that arrives
 * during a slice waits for it, and the kubelet's lists answer in ~0.5 ms.
 */
export const SLICE_MS = 1;

interface Walk {
  dev: bigint;
  bytes: bigint;
  inodes: number;
  /** Inodes with more than one link already counted. */
  linked: Set<bigint>;
  count: ByteCount;
  signal: AbortSignal;
  sliceStart: number;
}

export async function walkLayer(
  root: string,
  signal: AbortSignal,
  count: ByteCount = 'apparent',
): Promise<LayerUsage> {
  // Names resolved through /proc/self/fd are Linux's; elsewhere the engine is asked.
  if (process.platform !== 'linux') throw new LayerNotHere(`${root}: not a Linux host`);
  await statsTurns.next();
  signal.throwIfAborted();
  let fd: number;
  let seen: BigIntStats;
  try {
    seen = lstatSync(root, { bigint: true });
    fd = openDirectory(root, seen);
  } catch (err) {
    throw new LayerNotHere(`${root}: ${(err as Error).message}`, { cause: err });
  }
  const walk: Walk = {
    dev: seen.dev,
    bytes: count === 'allocated' ? seen.blocks * 512n : 0n,
    inodes: 1,
    linked: new Set(),
    count,
    signal,
    sliceStart: performance.now(),
  };
  try {
    await walkDirectory(walk, fd, 1);
  } finally {
    closeSync(fd);
  }
  return { bytes: walk.bytes, inodes: BigInt(walk.inodes) };
}

/** Yields to the event loop when the current slice is used up; stops when aborted. */
async function pace(walk: Walk): Promise<void> {
  if (performance.now() - walk.sliceStart >= SLICE_MS) {
    await statsTurns.next();
    walk.sliceStart = performance.now();
  }
  walk.signal.throwIfAborted();
}

/** Counts the entries of one open directory, then enters its subdirectories one by one. */
async function walkDirectory(walk: Walk, fd: number, depth: number): Promise<void> {
  const here = `/proc/self/fd/${fd}`;
  const subdirectories: { name: string; stat: BigIntStats }[] = [];
  const dir = opendirSync(here, { bufferSize: 128 });
  try {
    for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
      await pace(walk);
      const stat = orSkip(() => lstatSync(`${here}/${entry.name}`, { bigint: true }));
      if (stat === undefined || stat.dev !== walk.dev) continue;
      if (stat.nlink > 1n && !stat.isDirectory()) {
        if (walk.linked.has(stat.ino)) continue;
        walk.linked.add(stat.ino);
      }
      walk.inodes++;
      if (walk.count === 'allocated') walk.bytes += stat.blocks * 512n;
      else if (!stat.isDirectory()) walk.bytes += stat.size;
      if (stat.isDirectory()) subdirectories.push({ name: entry.name, stat });
    }
  } finally {
    dir.closeSync();
  }
  if (depth >= MAX_DEPTH) return;
  for (const sub of subdirectories) {
    await pace(walk);
    const child = orSkip(() => openDirectory(`${here}/${sub.name}`, sub.stat));
    if (child === undefined) continue;
    try {
      await walkDirectory(walk, child, depth + 1);
    } finally {
      closeSync(child);
    }
  }
}

/** Opens a directory without following a symlink, and only if it is still the one lstat saw. */
function openDirectory(path: string, seen: BigIntStats): number {
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    const stat = fstatSync(fd, { bigint: true });
    if (stat.ino === seen.ino && stat.dev === seen.dev) return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  closeSync(fd);
  throw Object.assign(new Error(`${path} was replaced while being walked`), { code: 'ENOENT' });
}

/**
 * Gone or replaced between listing and reading: the container is changing its layer. ENOENT and
 * ENOTDIR (a directory swapped for a file), ELOOP (swapped for a symlink, refused by O_NOFOLLOW).
 */
function orSkip<T>(call: () => T): T | undefined {
  try {
    return call();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
    throw err;
  }
}
