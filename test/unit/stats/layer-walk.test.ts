import { lstatSync, rmSync, symlinkSync } from 'node:fs';
import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** Run around each lstat of the walk: they let a test change the tree mid-walk. */
type Hook = ((path: string) => void) | undefined;
const hooks = vi.hoisted(() => ({ beforeLstat: undefined as Hook, afterLstat: undefined as Hook }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    lstatSync: (...args: Parameters<typeof real.lstatSync>) => {
      hooks.beforeLstat?.(String(args[0]));
      const stat = real.lstatSync(...args);
      hooks.afterLstat?.(String(args[0]));
      return stat;
    },
  };
});
const { LayerNotHere, walkLayer } = await import('../../../src/stats/layer-walk.js');

const never = new AbortController().signal;
let root: string;
let outside: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'wincri-layer-'));
  outside = await mkdtemp(join(tmpdir(), 'wincri-outside-'));
  await writeFile(join(outside, 'big'), Buffer.alloc(1_000_000));
});
afterEach(async () => {
  hooks.beforeLstat = undefined;
  hooks.afterLstat = undefined;
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe.runIf(process.platform === 'linux')('walkLayer', () => {
  it('counts bytes as Docker does (files once per inode, symlinks their own size, no directories) and every inode as cAdvisor does', async () => {
    await writeFile(join(root, 'a'), Buffer.alloc(100));
    await link(join(root, 'a'), join(root, 'a-again'));
    await mkdir(join(root, 'dir'));
    await writeFile(join(root, 'dir', 'c'), Buffer.alloc(10));
    await link(join(root, 'a'), join(root, 'dir', 'a-third'));
    await symlink(outside, join(root, 'dir', 'out')); // not followed: its target holds 1 MB
    await writeFile(join(root, 'empty'), '');
    await mkdir(join(root, 'dir', 'deeper', 'deepest'), { recursive: true });

    const usage = await walkLayer(root, never);
    // root, a (3 names), dir, c, out, empty, deeper, deepest
    expect(usage.inodes).toBe(8n);
    expect(usage.bytes).toBe(100n + 10n + BigInt(outside.length));
  });

  it('counts allocated blocks, as containerd sizes a snapshot: every inode once, directories and the root included', async () => {
    await writeFile(join(root, 'a'), Buffer.alloc(100));
    await link(join(root, 'a'), join(root, 'a-again'));
    await mkdir(join(root, 'dir'));
    await writeFile(join(root, 'dir', 'big'), Buffer.alloc(70_000));
    const blocks = (path: string) => lstatSync(path, { bigint: true }).blocks * 512n;
    const expected = [root, join(root, 'a'), join(root, 'dir'), join(root, 'dir', 'big')]
      .map(blocks)
      .reduce((sum, b) => sum + b, 0n);
    const usage = await walkLayer(root, never, 'allocated');
    expect(usage).toEqual({ bytes: expected, inodes: 4n });
    expect(usage.bytes).toBeGreaterThanOrEqual(70_000n);
  });

  it('an empty layer is its root directory: one inode, no bytes', async () => {
    expect(await walkLayer(root, never)).toEqual({ bytes: 0n, inodes: 1n });
  });

  it('skips files and directories that vanish mid-walk', async () => {
    await writeFile(join(root, 'stays'), Buffer.alloc(7));
    await writeFile(join(root, 'goes'), Buffer.alloc(1000));
    await mkdir(join(root, 'dir-goes'));
    await writeFile(join(root, 'dir-goes', 'inside'), Buffer.alloc(1000));
    // Listed, then gone before its lstat.
    hooks.beforeLstat = (path) => {
      if (path.endsWith('/goes')) rmSync(join(root, 'goes'));
    };
    // Listed and lstat'ed (so counted), then gone before the walk enters it.
    hooks.afterLstat = (path) => {
      if (path.endsWith('/dir-goes')) rmSync(join(root, 'dir-goes'), { recursive: true });
    };
    expect(await walkLayer(root, never)).toEqual({ bytes: 7n, inodes: 3n });
  });

  it('does not follow a directory swapped for a symlink between lstat and entering it', async () => {
    await mkdir(join(root, 'sub'));
    hooks.afterLstat = (path) => {
      if (!path.endsWith('/sub') || !path.startsWith('/proc/self/fd/')) return;
      rmSync(join(root, 'sub'), { recursive: true });
      symlinkSync(outside, join(root, 'sub'));
    };
    // root and sub as lstat saw it; nothing of the 1 MB outside.
    expect(await walkLayer(root, never)).toEqual({ bytes: 0n, inodes: 2n });
  });

  it('a root that is not here (remote engine) or not a directory is LayerNotHere', async () => {
    await expect(walkLayer(join(root, 'missing'), never)).rejects.toBeInstanceOf(LayerNotHere);
    await writeFile(join(root, 'file'), 'x');
    await expect(walkLayer(join(root, 'file'), never)).rejects.toBeInstanceOf(LayerNotHere);
    await symlink(outside, join(root, 'link'));
    await expect(walkLayer(join(root, 'link'), never)).rejects.toBeInstanceOf(LayerNotHere);
  });

  it('yields to the event loop while walking a large layer', async () => {
    await Promise.all(Array.from({ length: 3000 }, (_, i) => writeFile(join(root, `f${i}`), 'x')));
    let turns = 0;
    let walking = true;
    const spin = () => {
      turns++;
      if (walking) setImmediate(spin);
    };
    setImmediate(spin);
    const usage = await walkLayer(root, never);
    walking = false;
    expect(usage).toEqual({ bytes: 3000n, inodes: 3001n });
    expect(turns).toBeGreaterThan(1);
  });

  it('stops when aborted', async () => {
    await writeFile(join(root, 'a'), 'x');
    await expect(walkLayer(root, AbortSignal.abort())).rejects.toThrow(/abort/i);
  });
});
