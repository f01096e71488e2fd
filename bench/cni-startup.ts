/**
 * Pod startup in CNI mode (Debian's bridge + host-local + portmap + bandwidth + loopback, the rig's
 * network from scripts/rig/cni.sh) against engine mode (Docker's bridge), A/B interleaved in one
 * run: two wincri processes on the same engine. Beside them, in the same loop, the two parts of the
 * difference that are not wincri's: the plugins' ADD and DEL alone (the same network, a namespace
 * made with `ip netns add`, each plugin's exec timed), and what Docker's own bridge costs a pause
 * container's create + start (NetworkMode bridge against none, on the Docker API). Run after
 * `npm run build`:
 *   npx tsc -p bench/tsconfig.json && node dist/bench-build/bench/cni-startup.js [N]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CniClient } from '../src/network/cni/cni.js';
import { loadDefaultNetwork } from '../src/network/cni/config.js';
import { execPlugin } from '../src/network/cni/invoke.js';
import type { CriClient } from '../test/support/cri-client.js';
import { cniModeFlags } from '../test/support/wincri-process.js';
import {
  HEADER,
  PAUSE,
  RUN_ID,
  cleanup,
  ctrConfig,
  dockerOf,
  machine,
  podConfig,
  rigFacts,
  row,
  startShim,
  summarize,
  timed,
} from './support.js';

const N = Number(process.argv[2] ?? 15);
const WARMUP = 2;
const CONF_DIR = '/var/lib/wincri-rig/cni/net.d';
const BIN_DIR = '/usr/lib/cni';
const run = promisify(execFile);
const rig = rigFacts();
const docker = dockerOf(rig.dockerHost);
const dir = await mkdtemp(join(tmpdir(), 'wincri-bench-cni-'));
const engineMode = await startShim(rig);
const cniMode = await startShim(
  rig,
  cniModeFlags({ confDir: CONF_DIR, binDirs: [BIN_DIR], cacheDir: join(dir, 'cni-cache') }),
);

type Samples = { run: number[]; startup: number[]; whole: number[] };
const results: Record<'engine' | 'cni', Samples> = {
  engine: { run: [], startup: [], whole: [] },
  cni: { run: [], startup: [], whole: [] },
};

/** RunPodSandbox, then a container created and started in it (startup), then stopped and removed (whole). */
async function pod(cri: CriClient, name: string, into: Samples | undefined): Promise<void> {
  const sandbox_config = podConfig(name, dir);
  const t0 = performance.now();
  const [created, run] = await timed(() =>
    cri.call<{ pod_sandbox_id: string }>('runtime', 'RunPodSandbox', { config: sandbox_config }),
  );
  const ctr = await cri.call<{ container_id: string }>('runtime', 'CreateContainer', {
    pod_sandbox_id: created.pod_sandbox_id,
    config: ctrConfig('app'),
    sandbox_config,
  });
  await cri.call('runtime', 'StartContainer', { container_id: ctr.container_id });
  const startup = performance.now() - t0;
  await cri.call('runtime', 'StopPodSandbox', { pod_sandbox_id: created.pod_sandbox_id });
  await cri.call('runtime', 'RemovePodSandbox', { pod_sandbox_id: created.pod_sandbox_id });
  const whole = performance.now() - t0;
  if (into) {
    into.run.push(run);
    into.startup.push(startup);
    into.whole.push(whole);
  }
}

/** Exec time of each plugin call, by `<verb> <plugin>`, for the iterations kept. */
const pluginTimes = new Map<string, number[]>();
let timing = false;
const plugins = new CniClient(
  { binDirs: [BIN_DIR], cacheDir: join(dir, 'plugins-cache'), timeoutMs: 60_000 },
  async (path, call, options) => {
    const [outcome, ms] = await timed(() => execPlugin(path, call, options));
    const key = `${call.command} ${path.slice(path.lastIndexOf('/') + 1)}`;
    if (timing) pluginTimes.set(key, [...(pluginTimes.get(key) ?? []), ms]);
    return outcome;
  },
);
const network = (await loadDefaultNetwork(CONF_DIR)).network;
if (!network) throw new Error(`no CNI network in ${CONF_DIR}: run scripts/rig/cni.sh`);
const chain: Record<'add' | 'del', number[]> = { add: [], del: [] };

/** The network's ADD then DEL on a namespace of its own, with no container and no wincri. */
async function pluginsAlone(i: number, keep: boolean): Promise<void> {
  const ns = `${RUN_ID}-${i}`;
  await run('ip', ['netns', 'add', ns]);
  timing = keep;
  try {
    const att = { containerId: ns, netns: `/run/netns/${ns}`, ifName: 'eth0', args: [], capabilityArgs: {} };
    const [, add] = await timed(() => plugins.add(network!, att));
    const [, del] = await timed(() =>
      plugins.del(network, { networkName: network!.name, containerId: ns, ifName: 'eth0' }, att),
    );
    if (keep) {
      chain.add.push(add);
      chain.del.push(del);
    }
  } finally {
    timing = false;
    await run('ip', ['netns', 'del', ns]);
  }
}

/** A pause container's create + start on the Docker API, with Docker's bridge or no network. */
const pauseStart: Record<'bridge' | 'none', number[]> = { bridge: [], none: [] };
async function dockerPause(i: number, mode: 'bridge' | 'none', keep: boolean): Promise<void> {
  const [c, ms] = await timed(async () => {
    const created = await docker.createContainer({
      name: `k8s_POD_${mode}${i}-${RUN_ID}`,
      Image: PAUSE,
      HostConfig: { NetworkMode: mode, IpcMode: 'shareable' },
    });
    await created.start();
    return created;
  });
  if (keep) pauseStart[mode].push(ms);
  await c.remove({ force: true });
}

try {
  await docker.getImage(PAUSE).inspect(); // the baseline needs it present, as wincri does
  for (let i = 0; i < WARMUP + N; i++) {
    const keep = i >= WARMUP;
    await pod(engineMode.cri, `eng${i}`, keep ? results.engine : undefined);
    await pod(cniMode.cri, `cni${i}`, keep ? results.cni : undefined);
    await pluginsAlone(i, keep);
    await dockerPause(i, 'bridge', keep);
    await dockerPause(i, 'none', keep);
  }
  console.log(`pod startup, CNI mode vs engine mode, N=${N}: ${machine()}\n`);
  console.log(HEADER);
  for (const mode of ['engine', 'cni'] as const) {
    console.log(row(`${mode}: RunPodSandbox`, summarize(results[mode].run)));
    console.log(row(`${mode}: RunPodSandbox + Create + Start`, summarize(results[mode].startup)));
    console.log(row(`${mode}: whole pod`, summarize(results[mode].whole)));
  }
  const ratio = (k: keyof Samples) =>
    `${(summarize(results.cni[k]).mean / summarize(results.engine[k]).mean).toFixed(2)}x mean, ` +
    `${(summarize(results.cni[k]).p50 / summarize(results.engine[k]).p50).toFixed(2)}x p50`;
  console.log(row('plugins alone: ADD (the chain)', summarize(chain.add)));
  console.log(row('plugins alone: DEL (the chain)', summarize(chain.del)));
  for (const [key, samples] of pluginTimes) console.log(row(`plugins alone: ${key}`, summarize(samples)));
  console.log(row('docker: pause create + start, bridge', summarize(pauseStart.bridge)));
  console.log(row('docker: pause create + start, none', summarize(pauseStart.none)));
  console.log(
    `\nCNI / engine: RunPodSandbox ${ratio('run')}; startup ${ratio('startup')}; whole pod ${ratio('whole')}`,
  );
  // What the ratio would be if wincri added nothing but the plugins' ADD, and saved what Docker's
  // bridge costs: engine startup - Docker's bridge + the chain's ADD, over engine startup.
  const mean = (xs: number[]) => summarize(xs).mean;
  const bridgeCost = mean(pauseStart.bridge) - mean(pauseStart.none);
  const engine = mean(results.engine.startup);
  const own = mean(results.cni.startup) - engine - (mean(chain.add) - bridgeCost);
  console.log(
    `Docker's bridge costs ${bridgeCost.toFixed(1)} ms a pause; the chain's ADD ${mean(chain.add).toFixed(1)} ms; ` +
      `startup ratio with the plugins alone ${((engine - bridgeCost + mean(chain.add)) / engine).toFixed(2)}x; ` +
      `the rest of CNI mode's startup (wincri's own, and noise) ${own.toFixed(1)} ms`,
  );
} finally {
  await cleanup(docker, engineMode.cri);
  await cleanup(docker, cniMode.cri);
  engineMode.cri.close();
  cniMode.cri.close();
  await engineMode.wincri.stop();
  await cniMode.wincri.stop();
  await rm(dir, { recursive: true, force: true });
}
