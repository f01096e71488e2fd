import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { CniClient } from '../../../src/network/cni/cni.js';
import { CniConfigWatcher } from '../../../src/network/cni/watcher.js';
import { CniPodNetwork, type CniTarget } from '../../../src/network/cni-pod-network.js';
import { NetnsHolder } from '../../../src/network/netns.js';
import type { PodNetworkInfo } from '../../../src/network/cni/capabilities.js';
import {
  conflist,
  pluginRig,
  recordedCalls,
  writePlugin,
  type PluginRig,
} from '../../support/cni-plugins.js';

const pod: PodNetworkInfo = {
  namespace: 'default',
  name: 'web',
  uid: '7f1c',
  sandboxId: 'a'.repeat(64),
  portMappings: [{ protocol: 'udp', containerPort: 53, hostPort: 5353, hostIP: '' }],
  dns: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] },
  annotations: {},
};

const WINDOWS: CniTarget = { kind: 'sandbox-container' };

/** Without a netns holder: the Windows shape, where the sandbox container is the namespace. */
describe('CniPodNetwork, Windows (HNS plugins) contract', () => {
  let rig: PluginRig;
  let network: CniPodNetwork;
  const log = pino({ level: 'silent' });

  beforeEach(async () => {
    rig = await pluginRig();
    await writePlugin(rig, 'win-bridge', {
      addResult: `printf '%s' '{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.244.1.7/24"}],"dns":{}}'`,
    });
    await writeFile(
      join(rig.confDir, '10-flannel.conflist'),
      conflist(
        'flannel.4096',
        [
          {
            type: 'win-bridge',
            capabilities: { portMappings: true, dns: true },
            policies: [{ name: 'EndpointPolicy' }],
          },
        ],
        '0.3.1',
      ),
    );
    const client = new CniClient({
      binDirs: [rig.binDir],
      cacheDir: rig.cacheDir,
      timeoutMs: 5000,
      windows: false,
    });
    const watcher = new CniConfigWatcher(client, { confDir: rig.confDir }, log);
    await watcher.start();
    watcher.stop();
    network = new CniPodNetwork(client, watcher, new NetnsHolder(join(rig.root, 'netns')), log);
  });

  it('calls ADD with the sandbox id, CNI_NETNS=none and the K8S_ args, and DEL the same way', async () => {
    expect(await network.attach({ id: pod.sandboxId, target: WINDOWS, pod })).toEqual(['10.244.1.7']);
    expect(network.podIps(pod.sandboxId)).toEqual(['10.244.1.7']);
    await network.detach(pod.sandboxId, 'sandbox-container');
    await network.detach(pod.sandboxId, 'sandbox-container'); // idempotent: nothing cached any more, no call
    const calls = await recordedCalls(rig);
    expect(calls.map((c) => c.command)).toEqual(['ADD', 'DEL']);
    for (const call of calls) {
      expect(call.env).toEqual({
        CNI_COMMAND: call.command,
        CNI_CONTAINERID: pod.sandboxId,
        CNI_NETNS: 'none',
        CNI_IFNAME: 'eth0',
        CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=${pod.sandboxId};K8S_POD_UID=7f1c`,
        CNI_PATH: rig.binDir,
      });
      expect(call.stdin).toMatchObject({
        type: 'win-bridge',
        name: 'flannel.4096',
        cniVersion: '0.3.1',
        policies: [{ name: 'EndpointPolicy' }],
        runtimeConfig: {
          portMappings: [{ hostPort: 5353, containerPort: 53, protocol: 'udp' }],
          dns: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] },
        },
      });
    }
    // 0.3.1 is before cached results on DEL (0.4.0): no prevResult, as libcni.
    expect(calls[1]!.stdin.prevResult).toBeUndefined();
    expect(network.podIps(pod.sandboxId)).toEqual([]);
  });

  it('recovers: IPs of live sandboxes from the cache, DEL of the gone ones', async () => {
    await network.attach({ id: pod.sandboxId, target: WINDOWS, pod });
    await network.attach({
      id: 'b'.repeat(64),
      target: WINDOWS,
      pod: { ...pod, sandboxId: 'b'.repeat(64), name: 'gone' },
    });
    const client = new CniClient({ binDirs: [rig.binDir], cacheDir: rig.cacheDir, timeoutMs: 5000 });
    const watcher = new CniConfigWatcher(client, { confDir: rig.confDir }, log);
    await watcher.start();
    watcher.stop();
    const restarted = new CniPodNetwork(client, watcher, new NetnsHolder(join(rig.root, 'netns')), log);
    await restarted.recover(new Set([pod.sandboxId]), 'sandbox-container');
    expect(restarted.podIps(pod.sandboxId)).toEqual(['10.244.1.7']);
    const dels = (await recordedCalls(rig)).filter((c) => c.command === 'DEL');
    expect(
      dels.map((c) => [
        c.env.CNI_CONTAINERID,
        c.env.CNI_NETNS,
        c.env.CNI_ARGS?.includes('K8S_POD_NAME=gone'),
      ]),
    ).toEqual([['b'.repeat(64), 'none', true]]);
  });

  it('keeps an attachment whose ADD and undoing DEL both failed, and DELs it at the pod stop', async () => {
    // ADD fails; the DEL that undoes it fails once, then works.
    await writePlugin(rig, 'win-bridge', {
      body: `[ "$CNI_COMMAND" = ADD ] && exit 3
[ "$CNI_COMMAND" = DEL ] && [ ! -e ${rig.root}/del-once ] && { touch ${rig.root}/del-once; exit 4; }`,
    });
    await expect(network.attach({ id: pod.sandboxId, target: WINDOWS, pod })).rejects.toThrow(
      /the DEL that undoes it failed too/,
    );
    await network.detach(pod.sandboxId, 'sandbox-container');
    await network.detach(pod.sandboxId, 'sandbox-container'); // done: no further call
    expect((await recordedCalls(rig)).map((c) => c.command)).toEqual(['ADD', 'DEL', 'DEL']);
  });

  it('records a begun attachment before any plugin runs, and forgets it when the sandbox never starts', async () => {
    const pending = network.begin({ id: pod.sandboxId, kind: 'sandbox-container', pod });
    await pending.recording;
    // A restart now (a kill while the engine starts the sandbox) finds the record and DELs it.
    expect((await network['client'].cache.list()).map((e) => [e.containerId, e.result])).toEqual([
      [pod.sandboxId, undefined],
    ]);
    await network.abandon(pending);
    expect(await network['client'].cache.list()).toEqual([]);
    await network.detach(pod.sandboxId, 'sandbox-container'); // nothing attached: no DEL
    expect(await recordedCalls(rig)).toEqual([]);
  });

  it('attaches from a begun attachment, after which abandoning it leaves the attachment alone', async () => {
    const pending = network.begin({ id: pod.sandboxId, kind: 'sandbox-container', pod });
    expect(await network.complete(pending, WINDOWS)).toEqual(['10.244.1.7']);
    await network.abandon(pending);
    const [entry] = await network['client'].cache.list();
    expect(entry?.result).toMatchObject({ ips: [{ address: '10.244.1.7/24' }] });
    await network.detach(pod.sandboxId, 'sandbox-container');
    expect((await recordedCalls(rig)).map((c) => c.command)).toEqual(['ADD', 'DEL']);
  });

  it('refuses to attach while no network is configured, naming the directory', async () => {
    const client = new CniClient({ binDirs: [rig.binDir], cacheDir: rig.cacheDir, timeoutMs: 5000 });
    const empty = new CniConfigWatcher(client, { confDir: join(rig.root, 'none') }, log);
    await empty.start();
    empty.stop();
    await expect(
      new CniPodNetwork(client, empty, new NetnsHolder(join(rig.root, 'netns')), log).attach({
        id: 'x',
        target: WINDOWS,
        pod,
      }),
    ).rejects.toMatchObject({
      kind: 'Unavailable',
      message: expect.stringContaining(`no valid CNI network config in ${join(rig.root, 'none')}`),
    });
  });
});
