import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineState } from '../../../src/store/engine-state.js';
import { FilesystemUsageCache } from '../../../src/store/filesystem-usage.js';
import { FakeDocker } from '../../support/fake-docker.js';

const dir = mkdtempSync(join(tmpdir(), 'wincri-fs-usage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const snapshotterRoot = join(dir, 'io.containerd.snapshotter.v1.overlayfs');
const signal = new AbortController().signal;

/** A cache over a fake engine: overlay2 by default, the containerd image store with `snapshotter`. */
function setup(options: { snapshotter?: string; root?: () => string | undefined } = {}) {
  const docker = new FakeDocker();
  docker.info_ = { ...docker.info_, dockerRootDir: dir };
  if (options.snapshotter !== undefined)
    docker.info_ = { ...docker.info_, storageDriver: options.snapshotter, snapshotter: options.snapshotter };
  const said: { obj: object; msg: string }[] = [];
  const log = { info: (obj: object, msg: string) => said.push({ obj, msg }) };
  const engine = new EngineState(docker, pino({ level: 'silent' }), 60_000);
  const cache = new FilesystemUsageCache(docker, engine, {
    ...(options.root ? { snapshotterRoot: options.root } : {}),
    log,
    maxAgeMs: 0,
  });
  return { docker, cache, said };
}

describe('FilesystemUsageCache: where the layers live', () => {
  it("names the engine's data root on a graph driver (overlay2), and counts inodes there", async () => {
    const { cache, said } = setup({ root: () => snapshotterRoot });
    const usage = await cache.get(signal);
    expect(usage).toMatchObject({ mountpoint: dir, imageBytes: 100, containerBytes: 10 });
    expect(usage.inodesUsed).toBeGreaterThan(0);
    expect(said).toEqual([]);
  });

  it("names containerd's snapshotter root on the containerd image store once a snapshot showed it", async () => {
    const { cache, said } = setup({ snapshotter: 'overlayfs', root: () => tmpdir() });
    const usage = await cache.get(signal);
    expect(usage.mountpoint).toBe(tmpdir());
    expect(usage.inodesUsed).toBeGreaterThan(0);
    expect(said).toHaveLength(1);
    expect(said[0]?.msg).toMatch(/snapshotter's root/);
  });

  it('keeps the data root until a snapshot shows the root, saying each answer once', async () => {
    const shown: { root?: string } = {};
    const { cache, said } = setup({ snapshotter: 'overlayfs', root: () => shown.root });
    expect((await cache.get(signal)).mountpoint).toBe(dir);
    expect((await cache.get(signal)).mountpoint).toBe(dir);
    shown.root = snapshotterRoot;
    expect((await cache.get(signal)).mountpoint).toBe(snapshotterRoot);
    // What a writable layer without a mountpoint of its own is given (ContainerStats).
    expect(cache.mountpoint()).toBe(snapshotterRoot);
    expect(said.map((s) => s.obj)).toEqual([
      { mountpoint: dir, snapshotter: 'overlayfs' },
      { mountpoint: snapshotterRoot, snapshotter: 'overlayfs' },
    ]);
    expect(said[0]?.msg).toMatch(/data root for now/);
  });

  it('leaves inodes unset when the directory is not on this host', async () => {
    const { cache } = setup({ snapshotter: 'overlayfs', root: () => join(dir, 'nowhere') });
    const usage = await cache.get(signal);
    expect(usage.mountpoint).toBe(join(dir, 'nowhere'));
    expect(usage).not.toHaveProperty('inodesUsed');
  });

  it('serves one reading for maxAgeMs', async () => {
    const docker = new FakeDocker();
    const engine = new EngineState(docker, pino({ level: 'silent' }), 60_000);
    const cache = new FilesystemUsageCache(docker, engine, { maxAgeMs: 60_000 });
    await cache.get(signal);
    await cache.get(signal);
    expect(docker.calls.filter((c) => c === 'diskUsage')).toHaveLength(1);
  });
});
