/**
 * Where should the collector read a local Linux container's numbers: its cgroup files, or Docker's
 * one-shot stats API? For 10 and 100 running busybox `sleep` containers (no wincri process), rounds
 * interleaved of: wincri's cgroup reader as shipped (sync reads, one container per event-loop turn),
 * the same reader fed by fs.promises reads, and one-shot stats calls, the last two at the
 * collector's concurrency (DEFAULT_CONCURRENCY); per round: wall
 * time, this process's CPU, and the CPU of dockerd, containerd and the containers' shims (the stats
 * path is dockerd → containerd → shim → cgroup files). An idle window as long as the API rounds
 * gives the engine's background CPU. docs/stats-sources.md has the figures and the decision.
 *   npm run build && npx tsc -p bench/tsconfig.json &&
 *   flock /tmp/wincri-bench.lock node dist/bench-build/bench/cgroup-vs-api.js [rounds=10]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { DockerStatsJson } from '../src/docker/stats-types.js';
import { HOST_ROOTS, readCgroupStats, type CgroupTarget } from '../src/stats/cgroup-files.js';
import { DEFAULT_CONCURRENCY } from '../src/stats/collector-options.js';
import { BUSYBOX, RUN_ID, cleanup, dockerOf, f, machine, rigFacts } from './support.js';

const ROUNDS = Number(process.argv[2] ?? 10);
const STEPS = [10, 100];
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const rig = rigFacts();
const docker = dockerOf(rig.dockerHost);
const pidOf = (file: string) => Number(readFileSync(file, 'utf8').trim());
const DOCKERD = pidOf('/run/wincri-rig/docker.pid');
const CONTAINERD = existsSync('/run/wincri-rig/containerd.pid') ? pidOf('/run/wincri-rig/containerd.pid') : 0;
const progress = (s: string) => process.stderr.write(`[${new Date().toISOString()}] ${s}\n`);

/** utime + stime of a process in seconds (fields 14 and 15 of /proc/<pid>/stat); 0 when it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

interface Bench {
  /** What wincri's reader needs: id, init pid, own network namespace. */
  target: CgroupTarget;
  /** The shim serving the container: its init's parent. */
  shim: number;
  /** Every file the reader opens for this container, recorded once by a first read. */
  files: string[];
}

/**
 * The way wincri ships (src/stats/cgroup-source.ts): the reader's synchronous reads, one container
 * per turn of the event loop.
 */
async function readSyncRound(benches: Bench[]): Promise<void> {
  for (const b of benches) {
    await new Promise((r) => setImmediate(r));
    readCgroupStats(b.target);
  }
}

/** The same reader and parsing, its files fetched first through fs.promises (libuv's pool). */
async function readAsync(b: Bench): Promise<DockerStatsJson> {
  const texts = new Map(await Promise.all(b.files.map(async (p) => [p, await readFile(p, 'utf8')] as const)));
  return readCgroupStats(b.target, HOST_ROOTS, (path) => texts.get(path) ?? '');
}

function viaApi(b: Bench): Promise<DockerStatsJson> {
  return docker
    .getContainer(b.target.id)
    .stats({ stream: false, 'one-shot': true } as { stream: false }) as unknown as Promise<DockerStatsJson>;
}

/** The numbers both ways must agree on. */
const essentials = (json: DockerStatsJson) => ({
  cpuNs: json.cpu_stats?.cpu_usage?.total_usage,
  memoryUsage: json.memory_stats?.usage,
  inactiveFile: json.memory_stats?.stats?.total_inactive_file ?? json.memory_stats?.stats?.inactive_file,
  pids: json.pids_stats?.current,
  eth0RxBytes: json.networks?.['eth0']?.rx_bytes,
});

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

interface Cost {
  wallMs: number;
  benchCpuMs: number;
  dockerdCpuMs: number;
  containerdCpuMs: number;
  shimsCpuMs: number;
}

/** Runs `round` and charges it the CPU every process on the stats path spent meanwhile. */
async function measure(benches: Bench[], round: () => Promise<unknown>): Promise<Cost> {
  const shims = () => benches.reduce((sum, b) => sum + cpuSeconds(b.shim), 0);
  const before = { d: cpuSeconds(DOCKERD), c: cpuSeconds(CONTAINERD), s: shims(), me: process.cpuUsage() };
  const t0 = performance.now();
  await round();
  const wallMs = performance.now() - t0;
  const me = process.cpuUsage(before.me);
  return {
    wallMs,
    benchCpuMs: (me.user + me.system) / 1000,
    dockerdCpuMs: (cpuSeconds(DOCKERD) - before.d) * 1000,
    containerdCpuMs: (cpuSeconds(CONTAINERD) - before.c) * 1000,
    shimsCpuMs: (shims() - before.s) * 1000,
  };
}

function mean(costs: Cost[]): Cost {
  const avg = (k: keyof Cost) => costs.reduce((s, c) => s + c[k], 0) / Math.max(1, costs.length);
  return {
    wallMs: avg('wallMs'),
    benchCpuMs: avg('benchCpuMs'),
    dockerdCpuMs: avg('dockerdCpuMs'),
    containerdCpuMs: avg('containerdCpuMs'),
    shimsCpuMs: avg('shimsCpuMs'),
  };
}

const HEADER =
  '| containers | source | rounds | wall ms/round | bench CPU ms/round | dockerd CPU ms/round | containerd CPU ms/round | shims CPU ms/round |\n|---|---|---|---|---|---|---|---|';
const line = (n: number, what: string, rounds: number, c: Cost) =>
  `| ${n} | ${what} | ${rounds} | ${f(c.wallMs, 1)} | ${f(c.benchCpuMs, 1)} | ${f(c.dockerdCpuMs, 1)} | ${f(c.containerdCpuMs, 1)} | ${f(c.shimsCpuMs, 1)} |`;

const benches: Bench[] = [];
async function growTo(count: number): Promise<void> {
  const next = Array.from({ length: count - benches.length }, (_, k) => benches.length + k);
  await pool(next, 4, async (i) => {
    const c = await docker.createContainer({
      name: `cgstats-${RUN_ID}-${i}`,
      Image: BUSYBOX,
      Cmd: ['sleep', '3600'],
      HostConfig: { NetworkMode: 'bridge' },
    });
    await c.start();
    const pid = (await c.inspect()).State.Pid;
    const shim = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
    const target = { id: c.id, pid, ownNetwork: true };
    const files: string[] = [];
    readCgroupStats(target, HOST_ROOTS, (path) => (files.push(path), readFileSync(path, 'utf8')));
    benches.push({ target, shim, files });
  });
}

try {
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const others = (await docker.listContainers()).length;
  console.log(`# cgroup files vs Docker one-shot stats; ${machine()}`);
  console.log(
    `dockerd pid ${DOCKERD}, containerd pid ${CONTAINERD || '?'}, concurrency ${DEFAULT_CONCURRENCY}, ` +
      `${others} other containers running, cgroup ${existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : 'v1'}, load ${load()}\n`,
  );
  console.log(HEADER);
  for (const step of STEPS) {
    await growTo(step);
    progress(`${benches.length} containers running`);
    await new Promise((r) => setTimeout(r, 2_000));
    const sample = benches[0] as Bench;
    progress(`one container, files: ${JSON.stringify(essentials(readCgroupStats(sample.target)))}`);
    progress(`one container, API:   ${JSON.stringify(essentials(await viaApi(sample)))}`);
    const cgroupRound = () => pool(benches, DEFAULT_CONCURRENCY, readAsync);
    const syncRound = () => readSyncRound(benches);
    const apiRound = () => pool(benches, DEFAULT_CONCURRENCY, viaApi);
    await cgroupRound(); // warm every path
    await syncRound();
    await apiRound();
    const byFiles: Cost[] = [];
    const bySync: Cost[] = [];
    const byApi: Cost[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      byFiles.push(await measure(benches, cgroupRound));
      bySync.push(await measure(benches, syncRound));
      byApi.push(await measure(benches, apiRound));
    }
    const apiMean = mean(byApi);
    // The engine's own background over a window as long as one API round: what is not the stats.
    const idle = await measure(benches, () => new Promise((r) => setTimeout(r, apiMean.wallMs)));
    console.log(line(step, 'cgroup files, reader fed by async fs', ROUNDS, mean(byFiles)));
    console.log(line(step, 'cgroup files, sync reads (as shipped)', ROUNDS, mean(bySync)));
    console.log(line(step, 'Docker one-shot stats', ROUNDS, apiMean));
    console.log(line(step, 'idle (as long as one API round)', 1, idle));
    progress(`step ${step} measured, load ${load()}`);
  }
  console.log(`\nload after: ${load()}`);
} finally {
  await cleanup(docker);
  progress('cleaned up');
}
