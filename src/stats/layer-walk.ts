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
 *
 * The tree belongs to the container: wincri (root) must not be led out of it. Directories are opened
 * with O_NOFOLLOW and checked against what lstat saw, and every name is resolved from the open
 * directory (`/proc/self/fd/N/name`), so a directory swapped for a symlink mid-walk is skipped, not
 * followed; an entry on another device (something mounted inside) is neither counted nor entered.
 * Files that vanish mid-walk are skipped (the container keeps writing). Deeper than MAX_DEPTH levels
 * nothing is entered: each level holds one descriptor open.
 *
 * Node's fs calls run on libuv's pool, one at a time per walk, so a large layer takes longer but never
 * holds the event loop or the pool.
 */
import { constants } from 'node:fs';
import { lstat, open, opendir, type FileHandle } from 'node:fs/promises';

export interface LayerUsage {
  bytes: bigint;
  inodes: bigint;
}

/** The layer's directory cannot be read here (a remote engine, another host's path): ask the engine. */
export class LayerNotHere extends Error {
  override readonly name = 'LayerNotHere';
}

export const MAX_DEPTH = 128;

interface Walk {
  dev: bigint;
  bytes: bigint;
  inodes: number;
  /** Inodes with more than one link already counted. */
  linked: Set<bigint>;
  signal: AbortSignal;
}

export async function walkLayer(root: string, signal: AbortSignal): Promise<LayerUsage> {
  // Names resolved through /proc/self/fd are Linux's; elsewhere the engine is asked.
  if (process.platform !== 'linux') throw new LayerNotHere(`${root}: not a Linux host`);
  let handle: FileHandle;
  let dev: bigint;
  try {
    const seen = await lstat(root, { bigint: true });
    handle = await openDirectory(root, seen.ino, seen.dev);
    dev = seen.dev;
  } catch (err) {
    throw new LayerNotHere(`${root}: ${(err as Error).message}`, { cause: err });
  }
  const walk: Walk = { dev, bytes: 0n, inodes: 1, linked: new Set(), signal };
  try {
    await walkDirectory(walk, handle, 1);
  } finally {
    await handle.close();
  }
  return { bytes: walk.bytes, inodes: BigInt(walk.inodes) };
}

/** Counts the entries of one open directory, then enters its subdirectories one by one. */
async function walkDirectory(walk: Walk, handle: FileHandle, depth: number): Promise<void> {
  const here = `/proc/self/fd/${handle.fd}`;
  const subdirectories: { name: string; ino: bigint }[] = [];
  for await (const entry of await opendir(here)) {
    walk.signal.throwIfAborted();
    const stat = await lstat(`${here}/${entry.name}`, { bigint: true }).catch(skipVanished);
    if (stat === undefined || stat.dev !== walk.dev) continue;
    if (stat.nlink > 1n && !stat.isDirectory()) {
      if (walk.linked.has(stat.ino)) continue;
      walk.linked.add(stat.ino);
    }
    walk.inodes++;
    if (stat.isDirectory()) subdirectories.push({ name: entry.name, ino: stat.ino });
    else walk.bytes += stat.size;
  }
  if (depth >= MAX_DEPTH) return;
  for (const sub of subdirectories) {
    const child = await openDirectory(`${here}/${sub.name}`, sub.ino, walk.dev).catch(skipVanished);
    if (child === undefined) continue;
    try {
      await walkDirectory(walk, child, depth + 1);
    } finally {
      await child.close();
    }
  }
}

/** Opens a directory without following a symlink, and only if it is still the one lstat saw. */
async function openDirectory(path: string, ino: bigint, dev: bigint): Promise<FileHandle> {
  const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  const stat = await handle.stat({ bigint: true }).catch(async (err: unknown) => {
    await handle.close();
    throw err;
  });
  if (stat.ino === ino && stat.dev === dev) return handle;
  await handle.close();
  throw Object.assign(new Error(`${path} was replaced while being walked`), { code: 'ENOENT' });
}

/**
 * Gone or replaced between listing and reading: the container is changing its layer. ENOENT and
 * ENOTDIR (a directory swapped for a file), ELOOP (swapped for a symlink, refused by O_NOFOLLOW).
 */
function skipVanished(err: unknown): undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
  throw err;
}
