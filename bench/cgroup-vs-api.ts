/**
 * Where should the collector read a local Linux container's numbers: its cgroup files, or Docker's
 * one-shot stats API? For 10 and 100 running busybox `sleep` containers (no wincri involved), rounds
 * of both ways interleaved, same concurrency as the collector (DEFAULT_CONCURRENCY); per round: wall
 * time, this process's CPU, and the CPU of dockerd, containerd and the containers' shims (the stats
 * path is dockerd → containerd → shim → cgroup files). An idle window as long as the API rounds
 * gives the engine's background CPU. docs/stats-sources.md has the figures and the decision.
 *   npm run build && npx tsc -p bench/tsconfig.json &&
 *   flock /tmp/wincri-bench.lock node dist/bench-build/bench/cgroup-vs-api.js [rounds=10]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { DEFAULT_CONCURRENCY } from '../src/stats/collector.js';
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
  id: string;
  /** The shim serving the container: its init's parent. */
  shim: number;
  /** Directory per cgroup v1 controller ("" for v2's unified tree), from /proc/<pid>/cgroup. */
  cgroups: Map<string, string>;
  pid: number;
}

function cgroupDirs(pid: number): Map<string, string> {
  const dirs = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const [, controllers = '', path = ''] = line.split(':');
    for (const c of controllers.split(','))
      dirs.set(c, c === '' ? `/sys/fs/cgroup${path}` : `/sys/fs/cgroup/${c}${path}`);
  }
  return dirs;
}

/** `key value` lines (memory.stat, cpu.stat, cpuacct.stat) → numbers by key. */
function keyed(text: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of text.split('\n')) {
    const [key, value] = line.split(' ');
    if (key && value !== undefined && /^\d+$/.test(value)) out.set(key, BigInt(value));
  }
  return out;
}

/** The container's netns counters as /proc/<pid>/net/dev shows them: bytes, packets, errs, drop. */
function netDev(text: string): Map<string, bigint[]> {
  const out = new Map<string, bigint[]>();
  for (const line of text.split('\n').slice(2)) {
    const [name, rest] = line.split(':');
    if (!name || rest === undefined || name.trim() === 'lo') continue;
    const v = rest.trim().split(/\s+/).map(BigInt);
    out.set(
      name.trim(),
      [v[0], v[1], v[2], v[3], v[8], v[9], v[10], v[11]].map((x) => x ?? 0n),
    );
  }
  return out;
}

type Reader = (path: string) => Promise<string>;
const readAsync: Reader = (path) => readFile(path, 'utf8');
/** Blocking reads, one container at a time, yielding between containers: no libuv pool round trips. */
const readSync: Reader = async (path) => readFileSync(path, 'utf8');

/** What the collector takes from Docker's JSON, read from the files Docker itself reads (v1 or v2). */
async function readCgroup(
  b: Bench,
  read: Reader,
): Promise<{ cpuNs: bigint; memUsage: bigint; pids: bigint }> {
  const unified = b.cgroups.get('');
  const v1 = (c: string, file: string) => read(`${b.cgroups.get(c)}/${file}`);
  if (b.cgroups.has('cpuacct')) {
    const [usage, , mem, memStat, pids, , , net] = await Promise.all([
      v1('cpuacct', 'cpuacct.usage'),
      v1('cpuacct', 'cpuacct.stat').then(keyed),
      v1('memory', 'memory.usage_in_bytes'),
      v1('memory', 'memory.stat').then(keyed),
      v1('pids', 'pids.current'),
      v1('blkio', 'blkio.throttle.io_service_bytes_recursive'),
      v1('blkio', 'blkio.throttle.io_serviced_recursive'),
      read(`/proc/${b.pid}/net/dev`).then(netDev),
    ]);
    if (!memStat.has('total_inactive_file') || net.size === 0) throw new Error('unexpected cgroup v1 files');
    return { cpuNs: BigInt(usage.trim()), memUsage: BigInt(mem.trim()), pids: BigInt(pids.trim()) };
  }
  const [cpu, mem, , pids, , net] = await Promise.all([
    read(`${unified}/cpu.stat`).then(keyed),
    read(`${unified}/memory.current`),
    read(`${unified}/memory.stat`).then(keyed),
    read(`${unified}/pids.current`),
    read(`${unified}/io.stat`),
    read(`/proc/${b.pid}/net/dev`).then(netDev),
  ]);
  if (net.size === 0) throw new Error('no network counters');
  return {
    cpuNs: (cpu.get('usage_usec') ?? 0n) * 1000n,
    memUsage: BigInt(mem.trim()),
    pids: BigInt(pids.trim()),
  };
}

async function viaApi(b: Bench): Promise<{ cpuNs: bigint; memUsage: bigint; pids: bigint }> {
  const json = (await docker
    .getContainer(b.id)
    .stats({ stream: false, 'one-shot': true } as { stream: false })) as unknown as {
    cpu_stats: { cpu_usage: { total_usage: number } };
    memory_stats: { usage: number };
    pids_stats: { current: number };
  };
  return {
    cpuNs: BigInt(json.cpu_stats.cpu_usage.total_usage),
    memUsage: BigInt(json.memory_stats.usage),
    pids: BigInt(json.pids_stats.current),
  };
}

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
    benches.push({ id: c.id, pid, shim, cgroups: cgroupDirs(pid) });
  });
}

try {
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const others = (await docker.listContainers()).length;
  console.log(`# cgroup files vs Docker one-shot stats; ${machine()}`);
  console.log(
    `dockerd pid ${DOCKERD}, containerd pid ${CONTAINERD || '?'}, concurrency ${DEFAULT_CONCURRENCY}, ` +
      `${others} containers of other sessions running, cgroup ${existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : 'v1'}, load ${load()}\n`,
  );
  console.log(HEADER);
  for (const step of STEPS) {
    await growTo(step);
    progress(`${benches.length} containers running`);
    await new Promise((r) => setTimeout(r, 2_000));
    const sample = benches[0] as Bench;
    const asText = (v: object) =>
      JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x));
    progress(`one container, files: ${asText(await readCgroup(sample, readAsync))}`);
    progress(`one container, API:   ${asText(await viaApi(sample))}`);
    const cgroupRound = () => pool(benches, DEFAULT_CONCURRENCY, (b) => readCgroup(b, readAsync));
    const syncRound = async () => {
      for (const b of benches) {
        await readCgroup(b, readSync);
        await new Promise((r) => setImmediate(r));
      }
    };
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
    console.log(line(step, 'cgroup files (async fs, same concurrency)', ROUNDS, mean(byFiles)));
    console.log(line(step, 'cgroup files (sync reads, one container per tick)', ROUNDS, mean(bySync)));
    console.log(line(step, 'Docker one-shot stats', ROUNDS, apiMean));
    console.log(line(step, 'idle (as long as one API round)', 1, idle));
    progress(`step ${step} measured, load ${load()}`);
  }
  console.log(`\nload after: ${load()}`);
} finally {
  await cleanup(docker);
  progress('cleaned up');
}
