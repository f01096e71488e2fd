import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ResultCache } from '../../../../src/network/cni/cache.js';
import { CniClient, type AttachmentRequest } from '../../../../src/network/cni/cni.js';
import { parseConfList, type NetworkConfigList } from '../../../../src/network/cni/config.js';
import {
  conflist,
  pluginRig,
  recordedCalls,
  writePlugin,
  type PluginRig,
} from '../../../support/cni-plugins.js';

const att: AttachmentRequest = {
  containerId: 'sandbox1',
  netns: '/run/netns/test',
  ifName: 'eth0',
  args: [
    ['IgnoreUnknown', '1'],
    ['K8S_POD_NAMESPACE', 'ns'],
    ['K8S_POD_NAME', 'pod'],
    ['K8S_POD_INFRA_CONTAINER_ID', 'sandbox1'],
    ['K8S_POD_UID', 'u1'],
  ],
  capabilityArgs: {
    portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'udp' }],
    dns: { servers: ['1.1.1.1'] },
  },
};

describe('CniClient', () => {
  let rig: PluginRig;
  let client: CniClient;
  let network: NetworkConfigList;

  const useNetwork = async (plugins: Record<string, unknown>[], version = '1.0.0') => {
    const file = join(rig.confDir, '10-test.conflist');
    await writeFile(file, conflist('testnet', plugins, version));
    network = parseConfList(await readFile(file, 'utf8'), file);
  };

  beforeEach(async () => {
    rig = await pluginRig();
    client = new CniClient({
      binDirs: [join(rig.root, 'empty'), rig.binDir],
      cacheDir: rig.cacheDir,
      timeoutMs: 5000,
    });
    await writePlugin(rig, 'main');
    await writePlugin(rig, 'chained');
    await useNetwork([
      { type: 'main', ipam: { type: 'host-local' } },
      { type: 'chained', capabilities: { portMappings: true } },
    ]);
  });

  it('runs ADD in order with the CNI_* environment, the injected name/version and prevResult', async () => {
    const result = await client.add(network, att);
    expect(result.ips).toEqual([
      { address: '10.77.0.5/24', interface: 0 },
      { address: 'fd00::5/64', interface: 0 },
    ]);
    const calls = await recordedCalls(rig);
    expect(calls.map((c) => `${c.plugin} ${c.command}`)).toEqual(['main ADD', 'chained ADD']);
    expect(calls[0]!.env).toEqual({
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'sandbox1',
      CNI_NETNS: '/run/netns/test',
      CNI_IFNAME: 'eth0',
      CNI_ARGS:
        'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod;K8S_POD_INFRA_CONTAINER_ID=sandbox1;K8S_POD_UID=u1',
      CNI_PATH: `${join(rig.root, 'empty')}:${rig.binDir}`,
    });
    // The first plugin asked for no capability: no runtimeConfig, no prevResult.
    expect(calls[0]!.stdin).toEqual({
      type: 'main',
      ipam: { type: 'host-local' },
      name: 'testnet',
      cniVersion: '1.0.0',
    });
    // The second gets the first's result and only the capability it asked for.
    expect(calls[1]!.stdin).toEqual({
      type: 'chained',
      capabilities: { portMappings: true },
      name: 'testnet',
      cniVersion: '1.0.0',
      prevResult: result,
      runtimeConfig: { portMappings: att.capabilityArgs.portMappings },
    });
  });

  it('caches the result in libcni format, where a new client (a restart) finds it for DEL', async () => {
    const result = await client.add(network, att);
    const file = join(rig.cacheDir, 'results', 'testnet-sandbox1-eth0');
    const onDisk = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    expect(onDisk).toMatchObject({
      kind: 'cniCacheV1',
      containerId: 'sandbox1',
      ifName: 'eth0',
      networkName: 'testnet',
      result,
    });
    expect(JSON.parse(Buffer.from(onDisk.config as string, 'base64').toString()).plugins[0].type).toBe(
      'main',
    );

    const restarted = new CniClient(client.options);
    await restarted.del(
      undefined,
      { containerId: 'sandbox1', ifName: 'eth0' },
      { netns: '', args: [], capabilityArgs: {} },
    );
    const dels = (await recordedCalls(rig)).filter((c) => c.command === 'DEL');
    // Reverse order, each with the cached result and the args cached at ADD.
    expect(dels.map((c) => c.plugin)).toEqual(['chained', 'main']);
    for (const d of dels) {
      expect(d.stdin.prevResult).toEqual(result);
      expect(d.env.CNI_ARGS).toContain('K8S_POD_UID=u1');
      expect(d.env.CNI_NETNS).toBe('');
    }
    expect(dels[0]!.stdin.runtimeConfig).toEqual({ portMappings: att.capabilityArgs.portMappings });
    expect(await readdir(join(rig.cacheDir, 'results'))).toEqual([]);
  });

  /** ADD with `netns`, then DEL with none given: the CNI_NETNS each DEL got. */
  const netnsOfDel = async (netns: string) => {
    await client.add(network, { ...att, netns });
    await client.del(
      undefined,
      { containerId: 'sandbox1', ifName: 'eth0' },
      { netns: '', args: [], capabilityArgs: {} },
    );
    return (await recordedCalls(rig)).filter((c) => c.command === 'DEL').map((c) => c.env.CNI_NETNS);
  };

  it('DEL from the cache hands the plugins the netns recorded at ADD while it is still a namespace', async () => {
    // A namespace file, as a held one is (nsfs, on another device than its directory).
    const netns = `/proc/${process.pid}/ns/net`;
    expect(await netnsOfDel(netns)).toEqual([netns, netns]);
  });

  it('DEL does not hand over a recorded netns path that is only an empty file (killed before its mount)', async () => {
    const netns = join(rig.root, 'netns-never-mounted');
    await writeFile(netns, '');
    expect(await netnsOfDel(netns)).toEqual(['', '']);
  });

  it('runs the plugins only once what the caller prepares is ready, and keeps no entry when it fails', async () => {
    let prepared = false;
    await writePlugin(rig, 'main', { body: `[ -e ${rig.root}/prepared ] || exit 9` });
    const ready = new Promise<void>((resolve) =>
      setTimeout(() => {
        prepared = true;
        void writeFile(join(rig.root, 'prepared'), '').then(resolve);
      }, 50),
    );
    await client.add(network, att, undefined, ready);
    expect(prepared).toBe(true);
    await expect(
      client.add(
        network,
        { ...att, containerId: 'sandbox2' },
        undefined,
        Promise.reject(new Error('no mount')),
      ),
    ).rejects.toThrow('no mount');
    expect(await readdir(join(rig.cacheDir, 'results'))).toEqual(['testnet-sandbox1-eth0']);
    expect((await recordedCalls(rig)).filter((c) => c.env.CNI_CONTAINERID === 'sandbox2')).toEqual([]);
  });

  it('DEL without a cache entry still runs every plugin (frees what an unrecorded ADD took)', async () => {
    await client.del(
      network,
      { containerId: 'gone', ifName: 'eth0' },
      { netns: '', args: att.args, capabilityArgs: {} },
    );
    const dels = await recordedCalls(rig);
    expect(dels.map((c) => `${c.plugin} ${c.command}`)).toEqual(['chained DEL', 'main DEL']);
    expect(dels[0]!.stdin.prevResult).toBeUndefined();
  });

  it('does not pass prevResult on DEL to a 0.3.x network, as libcni', async () => {
    await useNetwork([{ type: 'main' }], '0.3.1');
    await client.add(network, att);
    await client.del(network, att, att);
    const del = (await recordedCalls(rig)).find((c) => c.command === 'DEL')!;
    expect(del.stdin.prevResult).toBeUndefined();
  });

  it('turns a plugin error object into a clear error naming plugin, network and file, and rolls ADD back', async () => {
    await writePlugin(rig, 'chained', {
      body: `[ "$CNI_COMMAND" = ADD ] && { echo '{"cniVersion":"1.0.0","code":7,"msg":"bad subnet","details":"10.0.0.0/33"}'; exit 1; }`,
    });
    const err = await client.add(network, att).catch((e: unknown) => e as { kind: string; message: string });
    expect(err.kind).toBe('Internal');
    expect(err.message).toBe(
      `CNI plugin "chained" (network "testnet" in ${network.file}) failed ADD for sandbox1: bad subnet (10.0.0.0/33) [CNI code 7: invalid network config]`,
    );
    // The undo: DEL in reverse over both plugins, and no cache entry left.
    const calls = (await recordedCalls(rig)).map((c) => `${c.plugin} ${c.command}`);
    expect(calls).toEqual(['main ADD', 'chained ADD', 'chained DEL', 'main DEL']);
    expect(await new ResultCache(rig.cacheDir).list()).toEqual([]);
  });

  it.each([
    [
      'echo "no such bridge" >&2; exit 3',
      /failed ADD for sandbox1: failed \(exit status 3\): no such bridge \[CNI code 999\]/,
    ],
    ['echo "garbage"; exit 1', /its error output is not a CNI error object: garbage/],
    ['exit 2', /failed with no error message \(exit status 2\)/],
    [`echo '{"code":11,"msg":"busy"}'; exit 1`, /busy \[CNI code 11: try again later\]/],
  ])('reports a plugin that fails with `%s`', async (body, message) => {
    await writePlugin(rig, 'main', { body: `[ "$CNI_COMMAND" = ADD ] && { ${body}; }` });
    await expect(client.add(network, att)).rejects.toThrow(message);
  });

  it('says which plugin is not installed and where it looked', async () => {
    await useNetwork([{ type: 'nothere' }]);
    await expect(client.add(network, att)).rejects.toMatchObject({
      kind: 'FailedPrecondition',
      message: expect.stringMatching(/CNI plugin "nothere" .* is not installed: looked in .*empty, .*bin/),
    });
    expect(await client.missingPlugins(network)).toMatch(/plugin nothere not found in/);
    expect(
      await client.missingPlugins(parseConfList(conflist('x', [{ type: 'main' }]), 'f')),
    ).toBeUndefined();
  });

  it('kills a plugin that hangs, with what it started, after the timeout', async () => {
    const marker = join(rig.root, 'child.pid');
    await writePlugin(rig, 'main', {
      body: `[ "$CNI_COMMAND" = ADD ] && { sleep 30 & echo $! > ${marker}; wait; }`,
    });
    const quick = new CniClient({ ...client.options, timeoutMs: 300 });
    const started = Date.now();
    const err = await quick.add(network, att).catch((e: unknown) => e as { kind: string; message: string });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err.kind).toBe('DeadlineExceeded');
    expect(err.message).toMatch(
      /CNI plugin "main" .* ADD: .* did not finish ADD within 300 ms and was killed/,
    );
    const child = Number(await readFile(marker, 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    // The plugin's own child is gone too (or a zombie waiting for its new parent to reap it).
    const state = await readFile(`/proc/${child}/stat`, 'utf8').then(
      (s) => s.split(') ')[1]![0],
      () => 'gone',
    );
    expect(['gone', 'Z']).toContain(state);
  });

  it('kills the plugin when the caller gives up', async () => {
    await writePlugin(rig, 'main', { body: `[ "$CNI_COMMAND" = ADD ] && sleep 30` });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);
    await expect(client.add(network, att, abort.signal)).rejects.toMatchObject({ kind: 'Cancelled' });
  });

  it('records the attachment before ADD runs, so a crash mid-ADD leaves it for recovery', async () => {
    await writePlugin(rig, 'main', {
      body: `[ "$CNI_COMMAND" = ADD ] && ls ${rig.cacheDir}/results > ${rig.root}/seen`,
    });
    await client.add(network, att);
    expect((await readFile(join(rig.root, 'seen'), 'utf8')).trim()).toBe('testnet-sandbox1-eth0');
  });

  it('runs CHECK in order with the cached result, from 0.4.0 and unless disabled', async () => {
    await expect(client.check(network, att)).rejects.toThrow(/no cached ADD result/);
    const result = await client.add(network, att);
    await client.check(network, att);
    const checks = (await recordedCalls(rig)).filter((c) => c.command === 'CHECK');
    expect(checks.map((c) => c.plugin)).toEqual(['main', 'chained']);
    expect(checks[1]!.stdin.prevResult).toEqual(result);
    await client.check({ ...network, disableCheck: true }, att);
    await client.check({ ...network, cniVersion: '0.3.1' }, att);
    expect((await recordedCalls(rig)).filter((c) => c.command === 'CHECK')).toHaveLength(2);
  });

  it('asks STATUS only of a 1.1.0 network, and reports a plugin that is not ready', async () => {
    await client.status(network);
    expect(await recordedCalls(rig)).toEqual([]);
    await useNetwork([{ type: 'main' }], '1.1.0');
    await client.status(network);
    const [call] = await recordedCalls(rig);
    expect(call).toMatchObject({ command: 'STATUS', env: { CNI_CONTAINERID: '', CNI_NETNS: '' } });
    expect(call!.stdin).toEqual({ type: 'main', name: 'testnet', cniVersion: '1.1.0' });
    await writePlugin(rig, 'main', { body: `echo '{"code":50,"msg":"no uplink"}'; exit 1` });
    await expect(client.status(network)).rejects.toMatchObject({
      kind: 'Unavailable',
      message: expect.stringMatching(/no uplink/),
    });
  });

  it('GC DELs cached attachments not in the valid list, then sends GC with the valid ones (1.1.0)', async () => {
    await useNetwork([{ type: 'main' }], '1.1.0');
    await client.add(network, att);
    await client.add(network, { ...att, containerId: 'sandbox2' });
    const errors = await client.gc(network, [{ containerId: 'sandbox2', ifName: 'eth0' }]);
    expect(errors).toEqual([]);
    const calls = (await recordedCalls(rig)).slice(2);
    expect(calls.map((c) => `${c.command} ${c.env.CNI_CONTAINERID}`)).toEqual(['DEL sandbox1', 'GC ']);
    expect(calls[1]!.stdin['cni.dev/valid-attachments']).toEqual([
      { containerID: 'sandbox2', ifname: 'eth0' },
    ]);
    expect((await new ResultCache(rig.cacheDir).list()).map((e) => e.containerId)).toEqual(['sandbox2']);
  });

  it('retries a plugin binary that is still being written (text file busy)', async () => {
    // Hold the binary open for writing while it is executed: exec fails with ETXTBSY.
    const { open } = await import('node:fs/promises');
    const handle = await open(join(rig.binDir, 'main'), 'r+');
    const busy = new CniClient(client.options, async (path, call, options) => {
      const { execPlugin } = await import('../../../../src/network/cni/invoke.js');
      return execPlugin(path, call, { ...options, busyRetryDelayMs: 50 });
    });
    setTimeout(() => void handle.close(), 120);
    await busy.add(network, att);
    expect((await recordedCalls(rig)).length).toBe(2);
  });
});
