import { execFile as execFileCb, execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crictl } from '../support/crictl.js';
import { BUSYBOX, CrictlPods } from '../support/crictl-pods.js';
import { loadRig, type Rig } from '../support/rig.js';
import { cniModeFlags, startWincri, type WincriProcess } from '../support/wincri-process.js';

const execFile = promisify(execFileCb);

/**
 * CNI mode against Debian's real plugins (bridge + host-local + portmap + bandwidth + loopback,
 * the rig's `10-wincri-rig.conflist` on bridge wincricni0, 10.213.77.0/24). Traffic is checked from
 * the host and from inside pod network namespaces (nsenter on the namespace wincri holds), with
 * socat for UDP since the test image's busybox has no UDP tool.
 */
const SUBNET = /^10\.213\.77\.\d+$/;
const HOST_STORE = '/var/lib/cni/networks/wincri-rig';

let rig: Rig;
let wincri: WincriProcess;
let dir: string;
let confDir: string;
let pods: CrictlPods;
/** The rig's network config (scripts/rig/cni.sh). */
let RIG_CONF: string;
const run = (...args: string[]) => crictl(rig.crictl, wincri.endpoint, args);

async function status(): Promise<{
  conditions: { type: string; status: boolean; reason: string; message: string }[];
}> {
  const out = await run('info');
  expect(out.code, out.stderr).toBe(0);
  return (JSON.parse(out.stdout) as { status: never }).status;
}
const networkCondition = async () => (await status()).conditions.find((c) => c.type === 'NetworkReady')!;

async function podIp(id: string): Promise<{ ip: string; additional: string[] }> {
  const out = await run('inspectp', id);
  expect(out.code, out.stderr).toBe(0);
  const network = (
    JSON.parse(out.stdout) as { status: { network: { ip: string; additionalIps: { ip: string }[] } } }
  ).status.network;
  return { ip: network.ip, additional: (network.additionalIps ?? []).map((a) => a.ip) };
}

const netnsOf = (podId: string) => join(wincri.rootDir, 'netns', podId);
/** A command inside a pod's network namespace, from the host. */
const inPod = (podId: string, cmd: string[], timeout = 10_000) =>
  execFile('nsenter', [`--net=${netnsOf(podId)}`, ...cmd], { timeout, encoding: 'utf8' });

/**
 * What the plugins leave on the host for the rig's network (this file is its only user, under the
 * e2e lock): veths on its bridge, IPs reserved in host-local's store, iptables rules naming it.
 */
function hostLeftovers(): { veths: number; ips: string[]; rules: string[] } {
  const ips = execFileSync('sh', ['-c', `ls ${HOST_STORE} 2>/dev/null || true`], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
  const rules = execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('wincri-rig') && !line.startsWith('#'));
  const veths = execFileSync('sh', ['-c', 'ip -o link show master wincricni0 2>/dev/null | wc -l'], {
    encoding: 'utf8',
  });
  return { veths: Number(veths.trim()), ips, rules };
}

beforeAll(async () => {
  rig = loadRig();
  RIG_CONF = join(rig.cniConfDir, '10-wincri-rig.conflist');
  dir = await mkdtemp(join(tmpdir(), 'wincri-cni-e2e-'));
  confDir = join(dir, 'net.d');
  await execFile('mkdir', ['-p', confDir, join(dir, 'bin'), join(dir, 'wincri')]);
  // A plugin that fails ADD on purpose, for the broken-chain test (searched after Debian's).
  await writeFile(
    join(dir, 'bin', 'broken'),
    `#!/bin/sh\ncat >/dev/null\n[ "$CNI_COMMAND" = ADD ] && { echo '{"cniVersion":"1.0.0","code":7,"msg":"broken on purpose"}'; exit 1; }\nexit 0\n`,
    { mode: 0o755 },
  );
  // A plugin whose ADD takes 4 s, chained after bridge: the window for a kill in the middle of ADD.
  await writeFile(
    join(dir, 'bin', 'slow'),
    `#!/bin/sh\nstdin=$(cat)\n[ "$CNI_COMMAND" = ADD ] && { touch ${join(dir, 'slow-started')}; sleep 4; printf '%s' "$stdin" | sed 's/.*"prevResult":\\(.*\\)}$/\\1/'; }\nexit 0\n`,
    { mode: 0o755 },
  );
  wincri = await startCni();
  pods = new CrictlPods(rig.crictl, () => wincri.endpoint);
  const pulled = await run('pull', BUSYBOX);
  expect(pulled.code, pulled.stderr).toBe(0);
});

afterAll(async () => {
  await pods?.cleanup();
  await wincri?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('CNI mode', () => {
  it('is NetworkPluginNotReady with an empty config dir, then ready within seconds of a config', async () => {
    const before = await networkCondition();
    expect(before).toMatchObject({ status: false, reason: 'NetworkPluginNotReady' });
    expect(before.message).toContain(confDir);
    const refused = await pods.run('runp', await podConfig('early'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/not ready.*no valid CNI network config/);

    await copyFile(RIG_CONF, join(confDir, '10-wincri-rig.conflist'));
    const started = Date.now();
    let ready = await networkCondition();
    while (!ready.status && Date.now() - started < 10_000) {
      await new Promise((r) => setTimeout(r, 200));
      ready = await networkCondition();
    }
    expect(ready.status).toBe(true);
    const info = JSON.parse((await run('info')).stdout) as {
      config: { networkMode: string; cniNetwork: { name: string } };
    };
    expect(info.config.networkMode).toBe('cni');
    expect(info.config.cniNetwork.name).toBe('wincri-rig');
  });

  let a: { id: string; config: string };
  let b: { id: string; config: string };

  it('gives pods IPs from the plugin range; two pods reach each other; localhost within a pod', async () => {
    a = await pods.pod('a', {
      port_mappings: [
        { protocol: 0, container_port: 8080, host_port: 18480 },
        { protocol: 1, container_port: 8081, host_port: 18481 },
      ],
      annotations: { 'kubernetes.io/ingress-bandwidth': '1M', 'kubernetes.io/egress-bandwidth': '2M' },
    });
    b = await pods.pod('b');
    const ipA = (await podIp(a.id)).ip;
    const ipB = (await podIp(b.id)).ip;
    expect(ipA).toMatch(SUBNET);
    expect(ipB).toMatch(SUBNET);
    expect(ipA).not.toBe(ipB);

    // A web server in pod a; its sidecar fetches it over localhost; pod b over the pod IP.
    await pods.container(a, 'web', [
      'sh',
      '-c',
      'echo hello-from-a > /tmp/index.html; httpd -f -p 8080 -h /tmp',
    ]);
    const sidecar = await pods.container(a, 'sidecar', ['sleep', '3600']);
    const client = await pods.container(b, 'client', ['sleep', '3600']);
    await waitFor(async () =>
      (await run('exec', sidecar, 'wget', '-qO-', 'http://127.0.0.1:8080/')).stdout.includes('hello-from-a'),
    );
    const across = await run('exec', client, 'wget', '-qO-', `http://${ipA}:8080/`);
    expect(across.stdout, across.stderr).toContain('hello-from-a');
  });

  it('forwards TCP and UDP host ports from the host, and UDP between two pods', async () => {
    // TCP: the httpd of pod a on host port 18480.
    const hostIp = execFileSync('sh', ['-c', "ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1"], {
      encoding: 'utf8',
    }).trim();
    // curl: installed by the rig (wget may not be on a fresh machine).
    const tcp = await execFile('curl', ['-s', '--max-time', '10', `http://${hostIp}:18480/`], {
      encoding: 'utf8',
    });
    expect(tcp.stdout).toContain('hello-from-a');

    // UDP: an echo server in pod a's namespace on 8081, reached through host port 18481.
    const echo = execFileCb('nsenter', [
      `--net=${netnsOf(a.id)}`,
      'socat',
      'UDP-LISTEN:8081,fork',
      'EXEC:cat',
    ]);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const viaHost = await execFile('sh', ['-c', `echo udp-via-host | socat -t 2 - UDP:${hostIp}:18481`], {
        timeout: 10_000,
        encoding: 'utf8',
      });
      expect(viaHost.stdout.trim()).toBe('udp-via-host');
      const ipA = (await podIp(a.id)).ip;
      const podToPod = await inPod(b.id, ['sh', '-c', `echo udp-pod-to-pod | socat -t 2 - UDP:${ipA}:8081`]);
      expect(podToPod.stdout.trim()).toBe('udp-pod-to-pod');
    } finally {
      echo.kill();
    }
  });

  it('shapes bandwidth from the pod annotations (tc on the host end of the pod veth)', async () => {
    // The bandwidth plugin shapes on the host side: a tbf on the host veth for ingress, and an ifb
    // device fed from the veth's ingress for egress. The pod's veth peer is found by its ifindex.
    // The host end of the pod's veth, as the bridge plugin reported it in the cached ADD result.
    const hostVeth = async (podId: string) => {
      const cached = JSON.parse(
        await readFile(join(dir, 'cni-cache', 'results', `wincri-rig-${podId}-eth0`), 'utf8'),
      ) as { result: { interfaces: { name: string; sandbox?: string }[] } };
      return cached.result.interfaces.find((i) => i.name.startsWith('veth') && !i.sandbox)!.name;
    };
    const vethA = await hostVeth(a.id);
    const qdiscs = execFileSync('tc', ['qdisc', 'show', 'dev', vethA], { encoding: 'utf8' });
    expect(qdiscs).toMatch(/qdisc tbf .*rate 1Mbit/);
    expect(qdiscs).toMatch(/qdisc ingress/);
    const ifbs = execFileSync('sh', ['-c', 'tc qdisc show | grep -E "tbf.*rate 2Mbit" || true'], {
      encoding: 'utf8',
    });
    expect(ifbs).toMatch(/rate 2Mbit/);
    const plain = execFileSync('tc', ['qdisc', 'show', 'dev', await hostVeth(b.id)], { encoding: 'utf8' });
    expect(plain).not.toMatch(/tbf/);
  });

  it('removes pods leaving no veth, no reserved IP and no iptables rule', async () => {
    const ids = [a.id, b.id];
    expect(hostLeftovers().ips.length).toBe(2);
    for (const id of ids) {
      const stopped = await run('stopp', id);
      expect(stopped.code, stopped.stderr).toBe(0);
      const removed = await run('rmp', id);
      expect(removed.code, removed.stderr).toBe(0);
    }
    expect(hostLeftovers()).toEqual({ veths: 0, ips: [], rules: [] });
    expect(await readdir(join(wincri.rootDir, 'netns')).catch(() => [])).toEqual([]);
  });

  it('a broken plugin gives a clear error and leaves nothing behind', async () => {
    // A chain whose second plugin fails: the bridge's ADD must be undone.
    const conf = JSON.parse(execFileSync('cat', [RIG_CONF], { encoding: 'utf8' })) as { plugins: object[] };
    conf.plugins.splice(1, 0, { type: 'broken' });
    await writeFile(join(confDir, '05-broken.conflist'), JSON.stringify(conf));
    // 05 sorts before the rig's 10: the watcher switches to it.
    await waitFor(async () => {
      const info = JSON.parse((await run('info')).stdout) as { config: { cniNetwork?: { file: string } } };
      return info.config.cniNetwork?.file?.endsWith('05-broken.conflist') ?? false;
    });
    const out = await pods.run('runp', await podConfig('broken'));
    expect(out.code).not.toBe(0);
    // crictl prints the gRPC message quoted, with its quotes escaped.
    const message = out.stderr.replaceAll('\\"', '"');
    expect(message).toContain(
      `CNI plugin "broken" (network "wincri-rig" in ${join(confDir, '05-broken.conflist')}) failed ADD`,
    );
    expect(out.stderr).toContain('broken on purpose');
    const engine = execFileSync(
      '/usr/bin/docker',
      ['-H', rig.dockerHost, 'ps', '-a', '--format', '{{.Names}}'],
      { encoding: 'utf8' },
    );
    expect(engine).not.toContain(`broken-${pods.runId}`);
    expect(hostLeftovers()).toEqual({ veths: 0, ips: [], rules: [] });
    expect(await readdir(join(dir, 'cni-cache', 'results')).catch(() => [])).toEqual([]);
    await rm(join(confDir, '05-broken.conflist'));
  });

  it('after a kill -9 in the middle of ADD and a restart, nothing is left', async () => {
    const conf = JSON.parse(execFileSync('cat', [RIG_CONF], { encoding: 'utf8' })) as { plugins: object[] };
    conf.plugins.splice(1, 0, { type: 'slow' });
    await writeFile(join(confDir, '05-slow.conflist'), JSON.stringify(conf));
    await waitFor(async () => {
      const info = JSON.parse((await run('info')).stdout) as { config: { cniNetwork?: { file: string } } };
      return info.config.cniNetwork?.file?.endsWith('05-slow.conflist') ?? false;
    });
    const runp = pods.run('runp', await podConfig('killed'));
    // bridge has run (a veth, an IP) once the slow plugin starts.
    await waitFor(async () => (await readdir(dir)).includes('slow-started'));
    expect(hostLeftovers().ips.length).toBe(1);
    wincri.process.kill('SIGKILL');
    await wincri.stop();
    await runp;
    await rm(join(confDir, '05-slow.conflist'));
    wincri = await startCni();
    await waitFor(async () => (await networkCondition()).status);
    expect(hostLeftovers()).toEqual({ veths: 0, ips: [], rules: [] });
    const engine = execFileSync(
      '/usr/bin/docker',
      ['-H', rig.dockerHost, 'ps', '-a', '--format', '{{.Names}}'],
      {
        encoding: 'utf8',
      },
    );
    expect(engine).not.toContain(`killed-${pods.runId}`);
    expect(await readdir(join(dir, 'cni-cache', 'results')).catch(() => [])).toEqual([]);
    expect(await readdir(join(wincri.rootDir, 'netns')).catch(() => [])).toEqual([]);
  });

  it('50 pod create/remove cycles leave no veth, no reserved IP, no iptables rule', async () => {
    for (let i = 0; i < 50; i++) {
      const pod = await pods.pod(`cycle${i}`, {
        port_mappings: [{ protocol: 1, container_port: 53, host_port: 18553 }],
      });
      expect((await podIp(pod.id)).ip).toMatch(SUBNET);
      const removed = await run('rmp', '-f', pod.id);
      expect(removed.code, removed.stderr).toBe(0);
    }
    expect(hostLeftovers()).toEqual({ veths: 0, ips: [], rules: [] });
    expect(await readdir(join(wincri.rootDir, 'netns')).catch(() => [])).toEqual([]);
  }, 300_000);
});

/** wincri in CNI mode on this file's dirs; its root dir is kept across restarts (held namespaces live there). */
function startCni(): Promise<WincriProcess> {
  return startWincri({
    dockerHost: rig.dockerHost,
    mirrors: rig.mirrors,
    dir: join(dir, 'wincri'),
    extra: cniModeFlags({
      confDir,
      binDirs: ['/usr/lib/cni', join(dir, 'bin')],
      cacheDir: join(dir, 'cni-cache'),
    }),
  });
}

async function podConfig(name: string): Promise<string> {
  const path = join(dir, `pod-${name}.json`);
  await writeFile(
    path,
    JSON.stringify({
      metadata: {
        name: `${name}-${pods.runId}`,
        namespace: 'e2e',
        uid: `${name}-uid-${pods.runId}`,
        attempt: 0,
      },
      linux: {},
    }),
  );
  return path;
}

async function waitFor(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 250));
  }
}
