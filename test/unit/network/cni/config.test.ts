import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  configFiles,
  loadDefaultNetwork,
  loadNetworkFile,
  parseConfList,
} from '../../../../src/network/cni/config.js';
import { conflist, pluginRig, type PluginRig } from '../../../support/cni-plugins.js';

describe('CNI config loader', () => {
  let rig: PluginRig;
  beforeEach(async () => {
    rig = await pluginRig();
  });

  it('takes the first valid file in lexical order, .conf, .conflist and .json alike', async () => {
    await writeFile(join(rig.confDir, '20-b.conflist'), conflist('b', [{ type: 'bridge' }]));
    await writeFile(
      join(rig.confDir, '10-a.conf'),
      JSON.stringify({ cniVersion: '0.4.0', name: 'a', type: 'ptp' }),
    );
    await writeFile(join(rig.confDir, '05-ignored.txt'), 'not a config');
    await mkdir(join(rig.confDir, '00-dir.conf'));
    expect((await configFiles(rig.confDir)).map((f) => f.slice(rig.confDir.length + 1))).toEqual([
      '10-a.conf',
      '20-b.conflist',
    ]);
    const { network, skipped } = await loadDefaultNetwork(rig.confDir);
    expect(skipped).toEqual([]);
    // A single .conf becomes a list of one, as libcni's ConfListFromConf makes it.
    expect(network).toMatchObject({ name: 'a', cniVersion: '0.4.0', file: join(rig.confDir, '10-a.conf') });
    expect(network!.plugins.map((p) => p.type)).toEqual(['ptp']);
  });

  it('skips invalid files, saying why, and uses the next valid one', async () => {
    await writeFile(join(rig.confDir, '01-broken.conflist'), '{"name": ');
    await writeFile(
      join(rig.confDir, '02-noname.conflist'),
      JSON.stringify({ cniVersion: '1.0.0', plugins: [{ type: 'x' }] }),
    );
    await writeFile(
      join(rig.confDir, '03-good.conflist'),
      conflist('good', [{ type: 'bridge' }, { type: 'portmap' }]),
    );
    const { network, skipped } = await loadDefaultNetwork(rig.confDir);
    expect(network?.name).toBe('good');
    expect(skipped.map((s) => s.message)).toEqual([
      expect.stringMatching(/01-broken\.conflist: not valid JSON/),
      expect.stringMatching(/02-noname\.conflist: missing "name"/),
    ]);
  });

  it('lets a check refuse a network (a plugin not installed) and moves on', async () => {
    await writeFile(join(rig.confDir, '10-a.conflist'), conflist('a', [{ type: 'missing' }]));
    await writeFile(join(rig.confDir, '20-b.conflist'), conflist('b', [{ type: 'bridge' }]));
    const { network, skipped } = await loadDefaultNetwork(rig.confDir, async (n) =>
      n.plugins.some((p) => p.type === 'missing') ? 'plugin missing not found' : undefined,
    );
    expect(network?.name).toBe('b');
    expect(skipped[0]?.message).toMatch(/10-a\.conflist: plugin missing not found/);
  });

  it('has no network in a missing or empty directory', async () => {
    expect(await loadDefaultNetwork(join(rig.root, 'nope'))).toEqual({ skipped: [] });
    expect(await loadDefaultNetwork(rig.confDir)).toEqual({ skipped: [] });
  });

  it.each([
    ['{"cniVersion":"1.0.0","name":"n","plugins":[]}', /"plugins" is empty/],
    ['{"cniVersion":"1.0.0","name":"n","plugins":{}}', /"plugins" must be a list/],
    ['{"cniVersion":"1.0.0","name":"n","plugins":[{"name":"x"}]}', /plugin 0\): missing "type"/],
    ['{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"../evil"}]}', /must be a file name/],
    ['{"name":"n","plugins":[{"type":"x"}]}', /missing "cniVersion"/],
    ['{"cniVersion":"2.0.0","name":"n","plugins":[{"type":"x"}]}', /cniVersion 2\.0\.0 is not supported/],
    ['{"cniVersion":"one","name":"n","plugins":[{"type":"x"}]}', /not a version like/],
    ['{"cniVersion":"1.0.0","name":"a/b","plugins":[{"type":"x"}]}', /path separator/],
    [
      '{"cniVersion":"1.0.0","name":"n","disableCheck":"maybe","plugins":[{"type":"x"}]}',
      /"disableCheck" must be true or false/,
    ],
    ['[1]', /expected a JSON object/],
  ])('refuses %s', (text, message) => {
    expect(() => parseConfList(text, 'f.conflist')).toThrow(message);
  });

  it('reads cniVersions (1.1) as the highest version it speaks, and the disable switches', () => {
    const list = parseConfList(
      JSON.stringify({
        cniVersions: ['0.4.0', '1.1.0', '9.0.0'],
        name: 'n',
        disableCheck: 'true',
        disableGC: true,
        plugins: [{ type: 'x', capabilities: { portMappings: true, dns: false } }],
      }),
      'f.conflist',
    );
    expect(list).toMatchObject({ cniVersion: '1.1.0', disableCheck: true, disableGC: true });
    expect([...list.plugins[0]!.capabilities]).toEqual(['portMappings']);
  });

  it('loads the plugins of a list without "plugins" from <dir>/<name>/*.conf (1.1)', async () => {
    await writeFile(join(rig.confDir, '10-n.conflist'), JSON.stringify({ cniVersion: '1.1.0', name: 'n' }));
    await mkdir(join(rig.confDir, 'n'));
    await writeFile(join(rig.confDir, 'n', '2-b.conf'), JSON.stringify({ type: 'portmap' }));
    await writeFile(join(rig.confDir, 'n', '1-a.conf'), JSON.stringify({ type: 'bridge' }));
    const list = await loadNetworkFile(join(rig.confDir, '10-n.conflist'));
    expect(list.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
  });
});
