/**
 * List/status latency at 100 pods and stats latency at 10/50/100 running containers through
 * wincri's gRPC, each beside a Docker baseline taken in the same run; then the stats collector's
 * CPU share and wincri's RSS growth (bench/README.md). Run after `npm run build`:
 *   npx tsc -p bench/tsconfig.json && node dist/bench-build/bench/lists.js [cpuWindowSeconds=60]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import {
  HEADER,
  type BenchPod,
  dockerOf,
  f,
  growPods,
  machine,
  pool,
  removePods,
  rigFacts,
  row,
  startShim,
  summarize,
  timed,
} from './support.js';
import { ShimInspector } from './heap.js';
import { buildKubeletClient, kubeletClientTimes } from './kubelet-client.js';

const CPU_WINDOW_S = Number(process.argv[2] ?? 60);
const CALLS = 1000;
/**
 * The kubelet client's list calls: ~10 s of back-to-back calls, so that every collector round,
 * GC and engine poll of a steady node lands in the sample at its real rate.
 */
const KUBELET_CALLS = 20_000;
const STEPS = [10, 50, 100];
const POOL = 4;

const rig = rigFacts();
const kubeletClient = buildKubeletClient();
const docker = dockerOf(rig.dockerHost);
const dir = await mkdtemp(join(tmpdir(), 'wincri-bench-lists-'));
// The inspector lets the bench read wincri's memory after a full GC (bench/heap.ts says why).
const { wincri, cri } = await startShim(rig, [], ['--inspect=127.0.0.1:0']);
const inspector = await ShimInspector.attach(wincri);
const pid = wincri.process.pid!;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const out: string[] = [];
const say = (s: string) => (console.log(s), out.push(s));

function cpuTicks(): number {
  // /proc/<pid>/stat: fields after the ")" — utime is the 12th, stime the 13th from there.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}
function rssKiB(): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]);
}
const progress = (s: string) => process.stderr.write(`[${new Date().toISOString()}] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pods made so far. */
const made: BenchPod[] = [];
const growTo = (count: number) => growPods(cri, dir, made, count);

async function times(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) ms.push((await timed(fn))[1]);
  return ms;
}

/** The object a *Status RPC asks about, cycled over the bench's pods. */
interface Target {
  field: 'pod_sandbox_id' | 'container_id';
  ids: string[];
}

/**
 * One RPC timed three ways: by the kubelet's own client (Go, bench/kubelet-client.ts), decoded by
 * this Node client (proto-loader, int64 as strings), and as reply bytes (wincri's answer and the
 * transport, without this client's decoding). Each row also gives wincri's CPU per call over
 * those calls.
 */
async function rpcRows(
  name: string,
  n: number,
  rpc: string,
  target?: Target,
  kubeletN = n,
): Promise<string[]> {
  let k = 0;
  const request = () => (target ? { [target.field]: target.ids[k++ % target.ids.length] } : {});
  // Untimed calls first: the kubelet polls for as long as the node runs, so the steady state is
  // what counts, not V8 compiling a handler's path on its first calls.
  const warmup = Math.ceil(n / 5);
  await times(warmup, () => cri.callRaw('runtime', rpc, request()));
  const ways: [string, () => Promise<number[]>][] = [
    ['decoded', () => times(n, () => cri.call('runtime', rpc, request()))],
    ['reply bytes', () => times(n, () => cri.callRaw('runtime', rpc, request()))],
  ];
  if (kubeletClient) {
    const go = () => kubeletClientTimes(kubeletClient, wincri.endpoint, rpc, kubeletN, warmup, target?.ids);
    ways.unshift(['kubelet client, Go', go]);
  }
  const rows: string[] = [];
  for (const [how, timeCalls] of ways) {
    const t0 = cpuTicks();
    const ms = await timeCalls();
    // The Go client's untimed warm-up calls land in its CPU window too.
    const calls = how.startsWith('kubelet') ? kubeletN + warmup : n;
    const cpuMs = (((cpuTicks() - t0) / CLK_TCK) * 1000) / calls;
    rows.push(row(`${name} (${how}; wincri CPU ${f(cpuMs)} ms/call)`, summarize(ms)));
  }
  return rows;
}

/** The naive stats path: one one-shot engine stats call per container, at most 4 at a time. */
async function naiveStats(d: Docker, ids: string[]): Promise<void> {
  await pool(ids, POOL, (id) =>
    d.getContainer(id).stats({ stream: false, 'one-shot': true } as { stream: false }),
  );
}

try {
  const engineBefore = (await docker.listContainers({ all: true })).length;
  say(`# lists and stats; ${machine()}`);
  say(`engine already held ${engineBefore} other containers (wincri sees and tracks them too)\n`);
  await sleep(12_000); // one collector interval, then settle
  const rss0 = rssKiB();
  const held0 = await inspector.heldMemory();

  say('## stats RPCs vs naive per-container engine calls (same run)\n');
  say(HEADER);
  for (const step of STEPS) {
    await growTo(step);
    progress(`${made.length} pods running`);
    await sleep(3_000); // new containers get their first sample at track time
    const ids = made.map((m) => m.ctr);
    const podIds = made.flatMap((m) => [m.pod, m.ctr]);
    const lcs = await rpcRows(`ListContainerStats @${step}`, 500, 'ListContainerStats');
    const lps = await rpcRows(`ListPodSandboxStats @${step}`, 500, 'ListPodSandboxStats');
    // Docker 20.10 answers a one-shot stats call on its 1 s collection tick, so the naive way costs
    // about ceil(calls / 4) seconds a request: few repetitions keep the run short.
    const naiveN = step <= 10 ? 3 : step <= 50 ? 2 : 1;
    const nc = await times(naiveN, () => naiveStats(docker, ids));
    const np = step <= 10 ? await times(2, () => naiveStats(docker, podIds)) : [];
    for (const r of lcs) say(r);
    say(row(`naive container stats @${step} (${step} calls)`, summarize(nc)));
    for (const r of lps) say(r);
    if (np.length) say(row(`naive pod stats @${step} (${step * 2} calls)`, summarize(np)));
    // How old the collector's data is when read: now − cpu.timestamp of each bench container.
    const reply = await cri.call<{ stats: { attributes: { id: string }; cpu?: { timestamp: string } }[] }>(
      'runtime',
      'ListContainerStats',
      { filter: {} },
    );
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const mine = new Set(ids);
    const ages = reply.stats
      .filter((s) => mine.has(s.attributes.id) && s.cpu?.timestamp && s.cpu.timestamp !== '0')
      .map((s) => Number(nowNs - BigInt(s.cpu!.timestamp)) / 1e6);
    say(row(`  age of sample @${step} (${ages.length}/${step} have one)`, summarize(ages)));
    progress(`step ${step} measured`);
  }

  const engineNow = (await docker.listContainers({ all: true })).length;
  say(
    `\n## list/status at ${made.length} bench pods (${engineNow} engine containers in all), ${CALLS} calls each (kubelet client: ${KUBELET_CALLS})\n`,
  );
  say(HEADER);
  const baseline = () => times(CALLS, () => docker.listContainers({ all: true }));
  say(row('docker GET /containers/json?all=1 (baseline)', summarize(await baseline())));
  for (const r of await rpcRows('ListPodSandbox', CALLS, 'ListPodSandbox', undefined, KUBELET_CALLS)) say(r);
  for (const r of await rpcRows('ListContainers', CALLS, 'ListContainers', undefined, KUBELET_CALLS)) say(r);
  const pods: Target = { field: 'pod_sandbox_id', ids: made.map((m) => m.pod) };
  for (const r of await rpcRows('PodSandboxStatus', CALLS, 'PodSandboxStatus', pods, KUBELET_CALLS)) say(r);
  const ctrs: Target = { field: 'container_id', ids: made.map((m) => m.ctr) };
  for (const r of await rpcRows('ContainerStatus', CALLS, 'ContainerStatus', ctrs, KUBELET_CALLS)) say(r);
  say(row('docker GET /containers/json?all=1 (again)', summarize(await baseline())));
  progress('lists measured');

  say(
    `\n## collector cost at ${made.length} bench containers (+ pause), idle shim, ${CPU_WINDOW_S} s window\n`,
  );
  const t0 = cpuTicks();
  const w0 = performance.now();
  await sleep(CPU_WINDOW_S * 1000);
  const cpu = (cpuTicks() - t0) / CLK_TCK;
  const wall = (performance.now() - w0) / 1000;
  const rss1 = rssKiB();
  const held1 = await inspector.heldMemory();
  say(
    `- wincri CPU: ${f(cpu)} s over ${f(wall, 1)} s = ${f((100 * cpu) / wall)} % of one core (CLK_TCK ${CLK_TCK})`,
  );
  say(
    `- wincri VmRSS: ${f(rss0 / 1024, 1)} MiB at 0 bench containers → ${f(rss1 / 1024, 1)} MiB at ${made.length} (+${f((rss1 - rss0) / 1024, 1)} MiB), as found`,
  );
  say(
    `- after a full GC: VmRSS ${f(held0.rssMiB, 1)} → ${f(held1.rssMiB, 1)} MiB (+${f(held1.rssMiB - held0.rssMiB, 1)}), ` +
      `JS heap used ${f(held0.heapUsedMiB, 1)} → ${f(held1.heapUsedMiB, 1)} MiB (+${f(held1.heapUsedMiB - held0.heapUsedMiB, 1)}), ` +
      `external ${f(held0.externalMiB, 1)} → ${f(held1.externalMiB, 1)} MiB`,
  );
} finally {
  const [, ms] = await timed(async () => {
    await removePods(docker, cri, made);
  });
  console.log(`(cleanup ${f(ms / 1000, 1)} s)`);
  cri.close();
  inspector.close();
  await wincri.stop();
  await rm(dir, { recursive: true, force: true });
}
