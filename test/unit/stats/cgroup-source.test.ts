import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DockerStatsJson } from '../../../src/docker/stats-types.js';
import type { CgroupTarget } from '../../../src/stats/cgroup-files.js';
import { CgroupFirstSource } from '../../../src/stats/cgroup-source.js';

const ID = 'ab'.repeat(32);
const never = new AbortController().signal;
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'wincri-cgsource-'));
  const dir = join(root, 'cgroup', `system.slice/docker-${ID}.scope`);
  await mkdir(dir, { recursive: true });
  await mkdir(join(root, 'proc', '5'), { recursive: true });
  await writeFile(join(root, 'proc', '5', 'cgroup'), `0::/system.slice/docker-${ID}.scope\n`);
  for (const [file, text] of Object.entries({
    'cpu.stat': 'usage_usec 1\n',
    'memory.current': '4096\n',
    'memory.stat': 'anon 4096\n',
    'pids.current': '1\n',
    'io.stat': '',
  }))
    await writeFile(join(dir, file), text);
});
afterEach(() => rm(root, { recursive: true, force: true }));

function setup(target: CgroupTarget | undefined, platform: NodeJS.Platform = 'linux') {
  const asked: string[] = [];
  const source = new CgroupFirstSource({
    engine: {
      containerStats: async (id) => {
        asked.push(id);
        return { read: '2026-01-01T00:00:00Z' } as DockerStatsJson;
      },
      containerProcessCount: async () => 4,
    },
    targetOf: () => target,
    log: { debug: () => undefined },
    roots: { proc: join(root, 'proc'), cgroup: join(root, 'cgroup') },
    platform,
  });
  return { source, asked };
}

describe('CgroupFirstSource', () => {
  it("reads a local container's cgroup files and leaves the engine alone", async () => {
    const { source, asked } = setup({ id: ID, pid: 5, ownNetwork: false });
    const json = await source.containerStats(ID, never);
    expect(json.memory_stats?.usage).toBe(4096);
    expect(asked).toEqual([]);
  });

  it('asks the engine when the files cannot be read, the pid is unknown or 0, or the host is not Linux', async () => {
    for (const [target, platform] of [
      [{ id: ID, pid: 6, ownNetwork: false }, 'linux'],
      [{ id: 'cd'.repeat(32), pid: 5, ownNetwork: false }, 'linux'],
      [{ id: ID, pid: 0, ownNetwork: false }, 'linux'],
      [undefined, 'linux'],
      [{ id: ID, pid: 5, ownNetwork: false }, 'win32'],
    ] as const) {
      const { source, asked } = setup(target, platform);
      expect((await source.containerStats(ID, never)).read).toBe('2026-01-01T00:00:00Z');
      expect(asked).toEqual([ID]);
    }
  });

  it("reads one container's files per turn of the event loop, however many are asked at once", async () => {
    const { source } = setup({ id: ID, pid: 5, ownNetwork: false });
    let read = 0;
    const all = Array.from({ length: 3 }, () => source.containerStats(ID, never).then(() => read++));
    await new Promise((resolve) => setImmediate(resolve));
    expect(read).toBe(1);
    await Promise.all(all);
    expect(read).toBe(3);
  });

  it("passes the engine's process count through", async () => {
    const { source } = setup(undefined);
    expect(await source.containerProcessCount?.(ID, never)).toBe(4);
  });
});
