/**
 * Pod lifecycle through wincri's gRPC against the same sequence straight on the Docker API, A/B
 * interleaved in one run (bench/README.md). Run after `npm run build`:
 *   npx tsc -p bench/tsconfig.json && node dist/bench-build/bench/lifecycle.js [N]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HEADER,
  PAUSE,
  cleanup,
  ctrConfig,
  directApp,
  directSandbox,
  dockerOf,
  f,
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
const STEPS = [
  'RunPodSandbox',
  'CreateContainer',
  'StartContainer',
  'StopPodSandbox',
  'RemovePodSandbox',
] as const;
type Step = (typeof STEPS)[number];

const rig = rigFacts();
const docker = dockerOf(rig.dockerHost);
const dir = await mkdtemp(join(tmpdir(), 'wincri-bench-lifecycle-'));
const { wincri, cri } = await startShim(rig);
await docker.getImage(PAUSE).inspect(); // the baseline needs it present, as wincri does

const shim: Record<Step | 'total', number[]> = {
  RunPodSandbox: [],
  CreateContainer: [],
  StartContainer: [],
  StopPodSandbox: [],
  RemovePodSandbox: [],
  total: [],
};
const direct: Record<Step | 'total', number[]> = {
  RunPodSandbox: [],
  CreateContainer: [],
  StartContainer: [],
  StopPodSandbox: [],
  RemovePodSandbox: [],
  total: [],
};

async function viaShim(i: number, keep: boolean): Promise<void> {
  const sandbox_config = podConfig(`life${i}`, dir);
  const t: Partial<Record<Step, number>> = {};
  const [pod, a] = await timed(() =>
    cri.call<{ pod_sandbox_id: string }>('runtime', 'RunPodSandbox', { config: sandbox_config }),
  );
  t.RunPodSandbox = a;
  const [ctr, b] = await timed(() =>
    cri.call<{ container_id: string }>('runtime', 'CreateContainer', {
      pod_sandbox_id: pod.pod_sandbox_id,
      config: ctrConfig('app'),
      sandbox_config,
    }),
  );
  t.CreateContainer = b;
  t.StartContainer = (
    await timed(() => cri.call('runtime', 'StartContainer', { container_id: ctr.container_id }))
  )[1];
  t.StopPodSandbox = (
    await timed(() => cri.call('runtime', 'StopPodSandbox', { pod_sandbox_id: pod.pod_sandbox_id }))
  )[1];
  t.RemovePodSandbox = (
    await timed(() => cri.call('runtime', 'RemovePodSandbox', { pod_sandbox_id: pod.pod_sandbox_id }))
  )[1];
  if (keep) record(shim, t);
}

async function viaDocker(i: number, keep: boolean): Promise<void> {
  const t: Partial<Record<Step, number>> = {};
  const [pause, a] = await timed(() => directSandbox(docker, `direct${i}`));
  t.RunPodSandbox = a;
  const [app, b] = await timed(() => directApp(docker, `direct${i}`, pause.id));
  t.CreateContainer = b;
  t.StartContainer = (await timed(() => app.start()))[1];
  // wincri's StopPodSandbox on Linux: members and sandbox at once (t=0).
  t.StopPodSandbox = (await timed(() => Promise.all([app.stop({ t: 0 }), pause.stop({ t: 0 })])))[1];
  t.RemovePodSandbox = (
    await timed(async () => {
      await app.remove();
      await pause.remove();
    })
  )[1];
  if (keep) record(direct, t);
}

function record(into: Record<Step | 'total', number[]>, t: Partial<Record<Step, number>>): void {
  let total = 0;
  for (const s of STEPS) {
    into[s].push(t[s] ?? NaN);
    total += t[s] ?? NaN;
  }
  into.total.push(total);
}

try {
  for (let i = 0; i < WARMUP; i++) {
    await viaShim(1000 + i, false);
    await viaDocker(1000 + i, false);
  }
  for (let i = 0; i < N; i++) {
    // A/B/B/A so neither side always goes first after the other.
    if (i % 2 === 0) {
      await viaShim(i, true);
      await viaDocker(i, true);
    } else {
      await viaDocker(i, true);
      await viaShim(i, true);
    }
  }
  console.log(`# pod lifecycle, N=${N} each, interleaved; ${machine()}\n`);
  console.log(HEADER);
  for (const s of [...STEPS, 'total'] as const) {
    console.log(row(`wincri ${s}`, summarize(shim[s])));
    console.log(row(`docker ${s}`, summarize(direct[s])));
  }
  console.log('\n| step | ratio of means | ratio of p50 |\n|---|---|---|');
  for (const s of [...STEPS, 'total'] as const) {
    const a = summarize(shim[s]);
    const b = summarize(direct[s]);
    console.log(`| ${s} | ${f(a.mean / b.mean)}x | ${f(a.p50 / b.p50)}x |`);
  }
  // wincri's own view of each RPC (pino debug line `{rpc?, ms, msg: "ok"}`): client-seen − server-seen = gRPC + client.
  const server = new Map<string, number[]>();
  for (const line of wincri.logs().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const j = JSON.parse(line) as Record<string, unknown>;
      const rpc = String(j['rpc'] ?? j['method'] ?? '');
      if (j['msg'] === 'ok' && typeof j['ms'] === 'number' && (STEPS as readonly string[]).includes(rpc)) {
        server.set(rpc, [...(server.get(rpc) ?? []), j['ms']]);
      }
    } catch {
      /* not JSON */
    }
  }
  console.log('\nwincri-side handler time (from its debug log, all calls incl. warm-up):\n');
  console.log(HEADER);
  for (const [rpc, ms] of server) console.log(row(`handler ${rpc}`, summarize(ms)));
} finally {
  await cleanup(docker, cri);
  cri.close();
  await wincri.stop();
  await rm(dir, { recursive: true, force: true });
}
