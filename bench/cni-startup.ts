/**
 * Pod startup in CNI mode (Debian's bridge + host-local + portmap + bandwidth + loopback, the rig's
 * network from scripts/rig/cni.sh) against engine mode (Docker's bridge), A/B interleaved in one
 * run: two wincri processes on the same engine. Run after `npm run build`:
 *   npx tsc -p bench/tsconfig.json && node dist/bench-build/bench/cni-startup.js [N]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CriClient } from '../test/support/cri-client.js';
import {
  HEADER,
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
const rig = rigFacts();
const docker = dockerOf(rig.dockerHost);
const dir = await mkdtemp(join(tmpdir(), 'wincri-bench-cni-'));
const engineMode = await startShim(rig);
const cniMode = await startShim(rig, [
  '--network-plugin',
  'cni',
  '--cni-conf-dir',
  '/var/lib/wincri-rig/cni/net.d',
  '--cni-bin-dir',
  '/usr/lib/cni',
  '--cni-cache-dir',
  join(dir, 'cni-cache'),
]);

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

try {
  for (let i = 0; i < WARMUP + N; i++) {
    const keep = i >= WARMUP;
    await pod(engineMode.cri, `eng${i}`, keep ? results.engine : undefined);
    await pod(cniMode.cri, `cni${i}`, keep ? results.cni : undefined);
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
  console.log(
    `\nCNI / engine: RunPodSandbox ${ratio('run')}; startup ${ratio('startup')}; whole pod ${ratio('whole')}`,
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
