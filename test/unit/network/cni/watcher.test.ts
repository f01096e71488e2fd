import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { CniClient } from '../../../../src/network/cni/cni.js';
import { CniConfigWatcher, type NetworkState } from '../../../../src/network/cni/watcher.js';
import {
  conflist,
  pluginRig,
  recordedCalls,
  writePlugin,
  type PluginRig,
} from '../../../support/cni-plugins.js';

describe('CNI config watcher', () => {
  let rig: PluginRig;
  let watcher: CniConfigWatcher;
  beforeEach(async () => {
    rig = await pluginRig();
    const client = new CniClient({ binDirs: [rig.binDir], cacheDir: rig.cacheDir, timeoutMs: 5000 });
    watcher = new CniConfigWatcher(client, { confDir: rig.confDir, pollMs: 50 }, pino({ level: 'silent' }));
    return () => watcher.stop();
  });

  const until = async (pred: (s: NetworkState) => boolean) => {
    for (let i = 0; i < 100 && !pred(watcher.current()); i++) await new Promise((r) => setTimeout(r, 20));
    return watcher.current();
  };

  it('is not ready with an empty dir, naming it, and picks up a config written later', async () => {
    await watcher.start();
    expect(watcher.current()).toEqual({
      ready: false,
      reason: 'NetworkPluginNotReady',
      message: `no valid CNI network config in ${rig.confDir}`,
    });
    await writePlugin(rig, 'main');
    await writeFile(join(rig.confDir, '10-a.conflist'), conflist('a', [{ type: 'main' }]));
    const ready = await until((s) => s.ready);
    expect(ready).toMatchObject({ ready: true, network: { name: 'a' } });

    // A change is seen too: a new first file wins.
    await writeFile(join(rig.confDir, '05-b.conflist'), conflist('b', [{ type: 'main' }]));
    expect(await until((s) => s.ready && s.network.name === 'b')).toMatchObject({ network: { name: 'b' } });

    await rm(join(rig.confDir, '05-b.conflist'));
    await rm(join(rig.confDir, '10-a.conflist'));
    expect(await until((s) => !s.ready)).toMatchObject({ ready: false });
  });

  it('says why every file was refused, and becomes ready when a missing plugin is installed', async () => {
    await writeFile(join(rig.confDir, '10-a.conflist'), conflist('a', [{ type: 'later' }]));
    await writeFile(join(rig.confDir, '20-b.conf'), '{');
    await watcher.start();
    const state = watcher.current();
    expect(state.ready).toBe(false);
    expect(!state.ready && state.message).toMatch(
      new RegExp(
        `no valid CNI network config in ${rig.confDir}; refused: .*10-a\\.conflist: plugin later not found in .*; .*20-b\\.conf: not valid JSON`,
      ),
    );
    await writePlugin(rig, 'later');
    expect(await until((s) => s.ready)).toMatchObject({ ready: true, network: { name: 'a' } });
  });

  it('asks a 1.1.0 network STATUS and is not ready while a plugin says so', async () => {
    await writePlugin(rig, 'main', {
      body: `[ "$CNI_COMMAND" = STATUS ] && [ ! -e ${rig.root}/up ] && { echo '{"code":50,"msg":"no uplink yet"}'; exit 1; }`,
    });
    await writeFile(join(rig.confDir, '10-a.conflist'), conflist('a', [{ type: 'main' }], '1.1.0'));
    await watcher.start();
    expect(watcher.current()).toMatchObject({
      ready: false,
      message: expect.stringMatching(/is not ready: .*no uplink yet/),
    });
    await writeFile(join(rig.root, 'up'), '');
    expect(await until((s) => s.ready)).toMatchObject({ ready: true });
    expect((await recordedCalls(rig)).every((c) => c.command === 'STATUS')).toBe(true);
  });
});
