import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ResultCache, type CachedAttachment } from '../../../../src/network/cni/cache.js';
import { pluginRig, type PluginRig } from '../../../support/cni-plugins.js';

const entry: CachedAttachment = {
  networkName: 'net',
  containerId: 'c1',
  ifName: 'eth0',
  config: '{"cniVersion":"1.0.0","name":"net","plugins":[{"type":"bridge"}]}',
  netns: '/run/netns/x',
  cniArgs: [['K8S_POD_NAME', 'p']],
  capabilityArgs: { portMappings: [] },
  result: { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] },
};

describe('CNI result cache', () => {
  let rig: PluginRig;
  let cache: ResultCache;
  beforeEach(async () => {
    rig = await pluginRig();
    cache = new ResultCache(rig.cacheDir);
  });

  it('writes libcni cniCacheV1 files that read back the same, and lists them', async () => {
    await cache.write(entry);
    const pending: CachedAttachment = { ...entry, containerId: 'c2' };
    delete (pending as { result?: unknown }).result;
    await cache.write(pending);
    const file = join(rig.cacheDir, 'results', 'net-c1-eth0');
    const raw = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    expect(raw).toEqual({
      kind: 'cniCacheV1',
      containerId: 'c1',
      config: Buffer.from(entry.config).toString('base64'),
      ifName: 'eth0',
      networkName: 'net',
      netns: '/run/netns/x',
      cniArgs: [['K8S_POD_NAME', 'p']],
      capabilityArgs: { portMappings: [] },
      result: entry.result,
    });
    expect(await cache.read(entry)).toEqual(entry);
    expect((await cache.list()).map((e) => [e.containerId, e.result !== undefined]).sort()).toEqual([
      ['c1', true],
      ['c2', false],
    ]);
    expect((await cache.find('c2', 'eth0'))?.containerId).toBe('c2');
    // No temporary files are left beside them.
    expect((await readdir(join(rig.cacheDir, 'results'))).sort()).toEqual(['net-c1-eth0', 'net-c2-eth0']);
  });

  it('ignores what is not a cache entry, and removing twice is fine', async () => {
    await mkdir(join(rig.cacheDir, 'results'), { recursive: true });
    await writeFile(join(rig.cacheDir, 'results', 'junk'), 'not json');
    await writeFile(join(rig.cacheDir, 'results', 'other'), JSON.stringify({ kind: 'somethingElse' }));
    expect(await cache.list()).toEqual([]);
    await cache.write(entry);
    await cache.remove(entry);
    await cache.remove(entry);
    expect(await cache.read(entry)).toBeUndefined();
  });

  it('has nothing when the directory does not exist yet', async () => {
    expect(await new ResultCache(join(rig.root, 'none')).list()).toEqual([]);
  });
});
