import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../../src/config/config.js';
import { status } from '../../../../src/cri/runtime/status.js';
import { runtimeConfig } from '../../../../src/cri/runtime/runtime-config.js';
import { CriError } from '../../../../src/errors.js';
import { EngineState } from '../../../../src/store/engine-state.js';
import { FakeDocker } from '../../../support/fake-docker.js';
import { enginePlatform } from '../../../../src/platform/index.js';
import { startCniPodNetwork } from '../../../../src/network/cni-pod-network.js';
import { conflist, pluginRig, writePlugin } from '../../../support/cni-plugins.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const log = pino({ level: 'silent' });
const ctx = { rpc: 'Status', signal: new AbortController().signal, log };

function setup() {
  const docker = new FakeDocker();
  const engine = new EngineState(docker, log, 60_000);
  const deps = {
    config: resolveConfig('linux'),
    docker,
    engine,
    platform: enginePlatform(() => engine.lastInfo, { hyperVAvailable: false }),
    version: '0.1.0',
    runtimeHandlerNames: ['', 'runc'],
    runtimeSettings: { podCidr: '' },
  };
  return { docker, engine, deps };
}

describe('Status follows the engine', () => {
  it('is ready when the engine answers, and lists the runtime handlers', async () => {
    const { deps } = setup();
    const res = await status(deps, { verbose: false }, ctx);
    expect(res.status?.conditions?.every((c) => c.status)).toBe(true);
    expect(res.runtime_handlers?.map((h) => h.name)).toEqual(['', 'runc']);
  });

  it('offers recursive read-only mounts on each handler exactly where the engine can make them (API 1.44+, Linux 5.12+)', async () => {
    const { docker, engine, deps } = setup();
    const features = async () =>
      (await status(deps, { verbose: false }, ctx)).runtime_handlers?.map(
        (h) => h.features?.recursive_read_only_mounts,
      );
    docker.info_ = { ...docker.info_, apiVersion: '1.56', kernelVersion: '6.18.0' };
    await engine.refresh();
    expect(await features()).toEqual([true, true]);
    docker.info_ = { ...docker.info_, apiVersion: '1.41' };
    await engine.refresh();
    expect(await features()).toEqual([false, false]);
    docker.info_ = { ...docker.info_, apiVersion: '1.56', kernelVersion: '5.10.0' };
    await engine.refresh();
    expect(await features()).toEqual([false, false]);
  });

  it('is not ready, with reason and message, when the engine does not answer; ready again when it comes back', async () => {
    const { docker, engine, deps } = setup();
    docker.failNext = new CriError('Unavailable', 'the Docker engine at fake://docker does not answer');
    await engine.refresh();
    const down = await status(deps, { verbose: true }, ctx);
    expect(down.status?.conditions).toEqual([
      {
        type: 'RuntimeReady',
        status: false,
        reason: 'DockerEngineUnreachable',
        message: 'the Docker engine at fake://docker does not answer',
      },
      expect.objectContaining({ type: 'NetworkReady', status: false, reason: 'DockerEngineNotReady' }),
    ]);
    for (const value of Object.values(down.info ?? {})) expect(JSON.parse(value)).toBeTypeOf('object');
    await engine.refresh();
    expect((await status(deps, { verbose: false }, ctx)).status?.conditions?.[0]?.status).toBe(true);
  });

  it('in CNI mode follows the config dir: NetworkPluginNotReady naming it, then the network in crictl info', async () => {
    const { deps } = setup();
    const rig = await pluginRig();
    await writePlugin(rig, 'bridge');
    const { network, stop } = await startCniPodNetwork(
      {
        confDir: rig.confDir,
        binDirs: [rig.binDir],
        cacheDir: rig.cacheDir,
        pluginTimeoutMs: 5000,
        netnsDir: rig.root,
      },
      log,
    );
    try {
      const cniDeps = { ...deps, network };
      const before = await status(cniDeps, { verbose: true }, ctx);
      expect(before.status?.conditions?.[1]).toEqual({
        type: 'NetworkReady',
        status: false,
        reason: 'NetworkPluginNotReady',
        message: `no valid CNI network config in ${rig.confDir}`,
      });
      expect(JSON.parse(before.info!['config']!)).toMatchObject({ networkMode: 'cni', cniNetwork: null });
      await writeFile(join(rig.confDir, '10-pods.conflist'), conflist('pods', [{ type: 'bridge' }]));
      await network.refresh();
      const after = await status(cniDeps, { verbose: true }, ctx);
      expect(after.status?.conditions?.[1]).toMatchObject({ type: 'NetworkReady', status: true });
      expect(JSON.parse(after.info!['config']!)).toMatchObject({
        networkMode: 'cni',
        cniNetwork: { name: 'pods', file: join(rig.confDir, '10-pods.conflist'), plugins: ['bridge'] },
      });
    } finally {
      stop();
    }
  });

  it('refuses an engine older than API 1.41 with a message that says so', async () => {
    const { docker, engine, deps } = setup();
    docker.info_ = { ...docker.info_, apiVersion: '1.40' };
    await engine.refresh();
    const res = await status(deps, { verbose: false }, ctx);
    expect(res.status?.conditions?.[0]).toMatchObject({ status: false, reason: 'DockerEngineTooOld' });
    expect(res.status?.conditions?.[0]?.message).toMatch(/API 1.40.*1.41 or newer/);
  });
});

describe('RuntimeConfig', () => {
  it.each([
    ['cgroupfs', 'CGROUPFS'],
    ['systemd', 'SYSTEMD'],
  ] as const)('%s engine -> %s', async (driver, expected) => {
    const { docker, deps } = setup();
    docker.info_ = { ...docker.info_, cgroupDriver: driver };
    expect(await runtimeConfig(deps, {}, ctx)).toEqual({ linux: { cgroup_driver: expected } });
  });

  it('has no linux part on a Windows engine', async () => {
    const { docker, deps } = setup();
    docker.info_ = { ...docker.info_, osType: 'windows', cgroupDriver: '' };
    expect(await runtimeConfig(deps, {}, ctx)).toEqual({ linux: null });
  });

  it('is UNAVAILABLE (kubelet retries) while the engine was never reached', async () => {
    const { docker, deps } = setup();
    docker.failNext = new CriError('Unavailable', 'down');
    await expect(runtimeConfig(deps, {}, ctx)).rejects.toMatchObject({ kind: 'Unavailable' });
  });
});
