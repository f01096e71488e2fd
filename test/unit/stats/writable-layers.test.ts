import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { LayerNotHere, type ByteCount, type LayerUsage } from '../../../src/stats/layer-walk.js';
import type { UpperDir } from '../../../src/stats/upper-dir.js';
import { filesystemOf, WritableLayers, type LayerLocation } from '../../../src/stats/writable-layers.js';

const silent = { warn: () => undefined, debug: () => undefined };

function setup(options: {
  containers: LayerLocation[];
  sizes?: () => Promise<Map<string, number>>;
  walk?: (dir: string, count: ByteCount) => Promise<LayerUsage>;
  warnings?: string[];
  upperDirOf?: (pid: number) => UpperDir | undefined;
}) {
  const listed: string[][] = [];
  const layers = new WritableLayers({
    source: {
      containerSizes: async (ids) => {
        listed.push(ids);
        return options.sizes ? options.sizes() : new Map(ids.map((id) => [id, 100]));
      },
    },
    containers: () => options.containers,
    intervalMs: 60_000,
    log: options.warnings ? { ...silent, warn: (_obj, msg) => options.warnings?.push(msg) } : silent,
    walk: async (dir, _signal, count) =>
      options.walk ? options.walk(dir, count) : { bytes: 4096n, inodes: 12n },
    upperDirOf: options.upperDirOf ?? (() => undefined),
  });
  return { layers, listed };
}

describe('WritableLayers', () => {
  it('walks the layers it can see (bytes and inodes) and lists only the others (bytes, inodes unset)', async () => {
    const { layers, listed } = setup({
      containers: [{ id: 'local', upperDir: '/var/lib/docker/overlay2/x/diff' }, { id: 'remote' }],
    });
    await layers.refresh();
    expect(layers.get('local')).toMatchObject({ usedBytes: 4096n, inodesUsed: 12n });
    expect(layers.get('remote')?.usedBytes).toBe(100n);
    expect(layers.get('remote')).not.toHaveProperty('inodesUsed');
    expect(layers.get('local')?.timestampNs).toBeGreaterThan(0n);
    expect(listed).toEqual([['remote']]);
  });

  it('measures a container that just started at once, and a round that began before keeps it', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { layers } = setup({
      containers: [{ id: 'old', upperDir: '/old' }],
      walk: async (dir) => {
        if (dir === '/old') await held;
        return { bytes: 1n, inodes: 1n };
      },
    });
    const round = layers.refresh();
    await layers.measure({ id: 'new', upperDir: '/new' });
    expect(layers.get('new')?.usedBytes).toBe(1n);
    await layers.measure({ id: 'engine-only' });
    expect(layers.get('engine-only')).toBeUndefined();
    release();
    await round;
    expect(layers.get('new')?.usedBytes).toBe(1n);
    expect(layers.get('old')?.usedBytes).toBe(1n);
  });

  it('asks the engine for nothing when every layer was walked', async () => {
    const { layers, listed } = setup({ containers: [{ id: 'a', upperDir: '/a' }] });
    await layers.refresh();
    expect(listed).toEqual([]);
  });

  it('a layer whose directory is not on this host is asked of the engine', async () => {
    const { layers, listed } = setup({
      containers: [{ id: 'a', upperDir: '/elsewhere' }],
      walk: () => Promise.reject(new LayerNotHere('/elsewhere: ENOENT')),
    });
    await layers.refresh();
    expect(listed).toEqual([['a']]);
    expect(layers.get('a')?.usedBytes).toBe(100n);
  });

  it('replaces the readings whole: a container gone from the store is dropped', async () => {
    const containers: LayerLocation[] = [{ id: 'a', upperDir: '/a' }, { id: 'b' }];
    const { layers } = setup({ containers });
    await layers.refresh();
    containers.splice(0, 2, { id: 'b' });
    await layers.refresh();
    expect(layers.get('a')).toBeUndefined();
    expect(layers.get('b')?.usedBytes).toBe(100n);
  });

  it('keeps the last reading when a walk or the engine fails, and says so', async () => {
    const warnings: string[] = [];
    let fail = false;
    const { layers } = setup({
      containers: [{ id: 'walked', upperDir: '/w' }, { id: 'listed' }],
      walk: async () => (fail ? Promise.reject(new Error('EACCES')) : { bytes: 1n, inodes: 1n }),
      sizes: async () => (fail ? Promise.reject(new Error('engine away')) : new Map([['listed', 7]])),
      warnings,
    });
    await layers.refresh();
    fail = true;
    await layers.refresh();
    expect(layers.get('walked')?.usedBytes).toBe(1n);
    expect(layers.get('listed')?.usedBytes).toBe(7n);
    expect(warnings).toHaveLength(2);
  });

  it('walks at most two layers at a time, and joins a round still running', async () => {
    let inFlight = 0;
    let most = 0;
    const { layers } = setup({
      containers: Array.from({ length: 6 }, (_, i) => ({ id: `c${i}`, upperDir: `/c${i}` })),
      walk: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return { bytes: 1n, inodes: 1n };
      },
    });
    const first = layers.refresh();
    expect(layers.refresh()).toBe(first);
    await first;
    expect(most).toBe(2);
    expect(layers.get('c5')).toBeDefined();
  });

  it('finds a containerd snapshot through the running process, names its filesystem, and keeps it once stopped', async () => {
    const snapshot = {
      upperDir: '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/42/fs',
      mountpoint: '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs',
      count: 'allocated' as const,
    };
    const asked: number[] = [];
    const walkedDirs: string[] = [];
    const containers: LayerLocation[] = [{ id: 'c8d', pid: 4242 }];
    const { layers, listed } = setup({
      containers,
      upperDirOf: (pid) => (asked.push(pid), pid === 4242 ? snapshot : undefined),
      walk: async (dir, count) => (walkedDirs.push(`${count} ${dir}`), { bytes: 10n, inodes: 3n }),
    });
    await layers.refresh();
    expect(layers.get('c8d')).toMatchObject({
      usedBytes: 10n,
      inodesUsed: 3n,
      mountpoint: snapshot.mountpoint,
    });
    // Stopped: no pid any more, and the same snapshot is walked again without asking.
    containers.splice(0, 1, { id: 'c8d' });
    await layers.refresh();
    expect(walkedDirs).toEqual([`allocated ${snapshot.upperDir}`, `allocated ${snapshot.upperDir}`]);
    expect(asked).toEqual([4242]);
    expect(listed).toEqual([]);
  });

  it("knows the snapshotter's root from the first snapshot found (a round or a start), and keeps it", async () => {
    const root = '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs';
    const snapshot = { upperDir: `${root}/snapshots/7/fs`, mountpoint: root, count: 'allocated' as const };
    const containers: LayerLocation[] = [];
    const { layers } = setup({ containers, upperDirOf: (pid) => (pid === 7 ? snapshot : undefined) });
    await layers.refresh();
    expect(layers.snapshotterRoot()).toBeUndefined();
    await layers.measure({ id: 'new', pid: 7 });
    expect(layers.snapshotterRoot()).toBe(root);
    // Stopped before the next round: the snapshot found at its start is still walked.
    containers.push({ id: 'new' });
    await layers.refresh();
    expect(layers.get('new')).toMatchObject({ mountpoint: root });
    containers.splice(0);
    await layers.refresh();
    expect(layers.snapshotterRoot()).toBe(root);
  });

  it('knows no snapshotter root on overlay2', async () => {
    const { layers } = setup({ containers: [{ id: 'o2', upperDir: '/var/lib/docker/overlay2/x/diff' }] });
    await layers.refresh();
    await layers.measure({ id: 'o2b', upperDir: '/var/lib/docker/overlay2/y/diff' });
    expect(layers.snapshotterRoot()).toBeUndefined();
  });

  it('an overlay2 upper dir from inspect keeps the data root as its filesystem (no mountpoint of its own)', async () => {
    const { layers } = setup({
      containers: [{ id: 'o2', upperDir: '/var/lib/docker/overlay2/x/diff', pid: 7 }],
    });
    await layers.refresh();
    expect(layers.get('o2')).not.toHaveProperty('mountpoint');
  });

  it('a running container whose layer cannot be found is measured by the engine (bytes only), said once', async () => {
    const warnings: string[] = [];
    const { layers, listed } = setup({
      containers: [
        { id: 'a', pid: 1 },
        { id: 'b', pid: 2 },
      ],
      warnings,
    });
    await layers.refresh();
    await layers.refresh();
    expect(listed).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ]);
    expect(layers.get('a')).not.toHaveProperty('inodesUsed');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/bytes from the engine, without inodes/);
  });
});

describe('filesystemOf', () => {
  it('names the filesystem under a directory by major:minor, with its size and inodes', async () => {
    const fs = await filesystemOf(tmpdir());
    expect(fs.device).toMatch(/^\d+:\d+$/);
    expect(fs.capacityBytes).toBeGreaterThan(0n);
    expect(fs.inodesFree).toBeLessThanOrEqual(fs.inodesTotal);
  });
});
