/**
 * A node's steady state under a real kubelet: N running pods (default 30 and 100), then a quiet
 * window in which nothing is created or removed. For each point it reads, over the window:
 * the CPU share and RSS of wincri, of the engine (dockerd and its containerd) and of the kubelet,
 * and the kubelet's own PLEG relist latency (`kubelet_pleg_relist_duration_seconds`, the delta of
 * its histogram over the window: mean and the bucket bound holding the 99th percentile).
 *
 * Needs a running cluster (`bash scripts/rig/cluster.sh up`; facts in /run/wincri-cluster/cluster.json).
 * Run after `npm run build`:
 *   npx tsc -p bench/tsconfig.json && node dist/bench-build/bench/node-steady.js [30,100] [windowSeconds=60]
 * The pods are one Deployment, `steady`, in the `default` namespace, deleted at the end.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { type Cluster, apply, eventually, kubectl, kubectlOk } from '../test/support/cluster.js';
import { BUSYBOX, f, machine } from './support.js';

const POINTS = (process.argv[2] ?? '30,100').split(',').map(Number);
const WINDOW_S = Number(process.argv[3] ?? 60);
const CLUSTER_RUN = '/run/wincri-cluster';
const CLK_TCK = 100; // USER_HZ on Linux
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (s: string) => process.stderr.write(`[${new Date().toISOString()}] ${s}\n`);

const pidFile = (name: string): number => Number(readFileSync(`${CLUSTER_RUN}/${name}.pid`, 'utf8').trim());

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
const commOf = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();

/** Every process: pid and command line. */
function processes(): { pid: number; comm: string; cmd: string }[] {
  const found: { pid: number; comm: string; cmd: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      found.push({
        pid,
        comm: commOf(pid),
        cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '),
      });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * The runtime's own processes besides wincri: under wincri the cluster's dockerd (found by its
 * socket) and the containerd it drives (found by the socket dockerd names); on the containerd
 * engine, that containerd (instance `cluster` of containerd-cri.sh). The per-pod shims are the
 * same on both and left out.
 */
function runtimePids(c: Cluster): Record<string, number> {
  const all = processes();
  const pick = (comm: string, needle: string) =>
    all.find((p) => p.comm === comm && needle !== '' && p.cmd.includes(needle))?.pid;
  const pids: Record<string, number | undefined> = {};
  if (c.engine === 'containerd') {
    pids['containerd'] = pick('containerd', 'containerd-cri-cluster');
  } else {
    const socket = c.dockerHost.replace(/^unix:\/\//, '');
    const dockerd = all.find((p) => p.comm === 'dockerd' && p.cmd.includes(socket));
    pids['dockerd'] = dockerd?.pid;
    // dockerd --containerd <dir>/run/containerd/containerd.sock; containerd --config <dir>/state/...
    const ctrdSocket = /--containerd (\S+)/.exec(dockerd?.cmd ?? '')?.[1] ?? '';
    const engineDir = ctrdSocket.replace(/\/run\/containerd\/containerd\.sock$/, '');
    pids['containerd'] = engineDir !== ctrdSocket ? pick('containerd', engineDir) : undefined;
  }
  return Object.fromEntries(Object.entries(pids).filter((e): e is [string, number] => e[1] !== undefined));
}

interface Histogram {
  sum: number;
  count: number;
  buckets: [number, number][];
}
async function relistHistogram(c: Cluster): Promise<Histogram> {
  const text = await kubectlOk(c, ['get', '--raw', `/api/v1/nodes/${c.node}/proxy/metrics`]);
  const name = 'kubelet_pleg_relist_duration_seconds';
  const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);
  const buckets: [number, number][] = [];
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))) {
    buckets.push([m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])]);
  }
  return {
    sum: num(new RegExp(`^${name}_sum (\\S+)$`, 'm')),
    count: num(new RegExp(`^${name}_count (\\S+)$`, 'm')),
    buckets,
  };
}
function relistDelta(a: Histogram, b: Histogram): { mean: number; p99Bound: number; n: number } {
  const n = b.count - a.count;
  const target = n * 0.99;
  // Cumulative buckets: the first upper bound whose count grew by 99 % of the relists.
  const bound =
    b.buckets.find(([, total], i) => total - (a.buckets[i]?.[1] ?? 0) >= target)?.[0] ?? Number.NaN;
  return { mean: (b.sum - a.sum) / n, p99Bound: bound, n };
}

async function scale(c: Cluster, replicas: number): Promise<void> {
  await apply(c, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'steady', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'steady' } },
      template: {
        metadata: { labels: { app: 'steady' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '36000'] }],
        },
      },
    },
  });
  await eventually(
    `${replicas} pods ready`,
    async () => {
      const ready = await kubectlOk(c, [
        'get',
        'deployment',
        'steady',
        '-n',
        'default',
        '-o',
        'jsonpath={.status.readyReplicas}',
      ]);
      return Number(ready) === replicas ? true : undefined;
    },
    20 * 60_000,
    2000,
  );
}

async function measure(c: Cluster, pods: number): Promise<string> {
  const pids = {
    ...(c.engine === 'containerd' ? {} : { wincri: pidFile('wincri') }),
    ...runtimePids(c),
    kubelet: pidFile('kubelet'),
  };
  const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuTicks(p)]));
  const h0 = await relistHistogram(c);
  const t0 = Date.now();
  await sleep(WINDOW_S * 1000);
  const seconds = (Date.now() - t0) / 1000;
  const h1 = await relistHistogram(c);
  const relist = relistDelta(h0, h1);
  const rows = Object.entries(pids).map(([name, pid]) => {
    const share = ((cpuTicks(pid) - before[name]!) / CLK_TCK / seconds) * 100;
    return `| ${pods} | ${name} | ${f(share, 1)} % | ${f(rssMiB(pid), 1)} MiB |`;
  });
  rows.push(
    `| ${pods} | kubelet PLEG relist | mean ${f(relist.mean * 1000, 1)} ms, p99 ≤ ${f(relist.p99Bound * 1000, 0)} ms | ${relist.n} relists |`,
  );
  return rows.join('\n');
}

async function main(): Promise<void> {
  const c = JSON.parse(readFileSync(`${CLUSTER_RUN}/cluster.json`, 'utf8')) as Cluster;
  const out = [
    `node steady state, Kubernetes ${c.version}, runtime ${c.engine === 'containerd' ? `containerd's CRI (${c.runtimeEndpoint})` : `wincri on ${c.dockerHost}`}, window ${WINDOW_S} s`,
    machine(),
    '| pods | process | CPU (of one core) | RSS |',
    '|---|---|---|---|',
  ];
  try {
    for (const pods of POINTS) {
      progress(`scaling to ${pods} pods`);
      await scale(c, pods);
      progress('settling 30 s');
      await sleep(30_000);
      progress(`measuring ${WINDOW_S} s`);
      out.push(await measure(c, pods));
    }
  } finally {
    progress('deleting the deployment');
    await kubectl(c, ['delete', 'deployment', 'steady', '-n', 'default', '--wait=true', '--timeout=600s']);
  }
  console.log(out.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
