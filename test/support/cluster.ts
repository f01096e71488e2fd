import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The one-node cluster of scripts/rig/cluster.sh (etcd, apiserver, controller-manager, scheduler,
 * a kubelet over wincri, or over containerd's own CRI to check the tests themselves): start, stop,
 * restart its parts, and drive it with kubectl.
 */
export interface Cluster {
  version: string;
  /** `own` or `rig`: wincri on a Docker engine; `containerd`: containerd's CRI, no wincri. */
  engine: 'own' | 'rig' | 'containerd';
  /** The Docker engine under wincri; empty on containerd. */
  dockerHost: string;
  /** The kubelet's CRI endpoint. */
  runtimeEndpoint: string;
  crictl: string;
  kubectl: string;
  kubeconfig: string;
  node: string;
  nodeIP: string;
  podLogsDir: string;
  cgroupRoot: string;
  logs: string;
}

const SCRIPT = join(import.meta.dirname, '../../scripts/rig/cluster.sh');
const CLUSTER_JSON = '/run/wincri-cluster/cluster.json';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; never throws for a non-zero exit (tests assert on it). */
export function run(
  binary: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(
      binary,
      args,
      {
        timeout: opts.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, ...opts.env },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Settings of `cluster.sh` for one call (see the script's header). */
export interface ClusterSettings {
  version?: string;
  featureGates?: string;
  /** A file of KubeletConfiguration lines appended to the kubelet's config ('' for none). */
  kubeletExtra?: string;
}

function settingsEnv(s: ClusterSettings): Record<string, string> {
  const env: Record<string, string> = {};
  if (s.version !== undefined) env['WINCRI_CLUSTER_VERSION'] = s.version;
  if (s.featureGates !== undefined) env['WINCRI_CLUSTER_FEATURE_GATES'] = s.featureGates;
  if (s.kubeletExtra !== undefined) env['WINCRI_CLUSTER_KUBELET_EXTRA'] = s.kubeletExtra;
  return env;
}

async function script(args: string[], settings: ClusterSettings, timeoutMs: number): Promise<void> {
  const r = await run('bash', [SCRIPT, ...args], { env: settingsEnv(settings), timeoutMs });
  if (r.code !== 0)
    throw new Error(`cluster.sh ${args.join(' ')} failed (${r.code}):\n${r.stderr.slice(-4000)}`);
}

/** `cluster.sh up`; the first run of a version builds it (up to many minutes on a cold cache). */
export async function clusterUp(settings: ClusterSettings): Promise<Cluster> {
  await script(['up'], settings, 60 * 60_000);
  return JSON.parse(readFileSync(CLUSTER_JSON, 'utf8')) as Cluster;
}

export async function clusterDown(): Promise<void> {
  await script(['down'], {}, 180_000);
}

export async function clusterRestart(
  part: 'kubelet' | 'wincri' | 'apiserver',
  settings: ClusterSettings = {},
): Promise<void> {
  await script(['restart', part], settings, 180_000);
}

export function kubectl(
  c: Cluster,
  args: string[],
  input?: string,
  timeoutMs?: number,
): Promise<CommandResult> {
  return run(c.kubectl, ['--kubeconfig', c.kubeconfig, ...args], {
    ...(input !== undefined ? { input } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
}

/** kubectl that must succeed; returns its stdout. */
export async function kubectlOk(c: Cluster, args: string[], input?: string): Promise<string> {
  const r = await kubectl(c, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

export async function apply(c: Cluster, ...objects: object[]): Promise<void> {
  await kubectlOk(
    c,
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  );
}

export async function getJson<T = Record<string, unknown>>(c: Cluster, args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk(c, ['get', ...args, '-o', 'json'])) as T;
}

/** A long-running kubectl (logs -f, port-forward, attach) whose output is collected as it comes. */
export interface Streaming {
  child: ChildProcess;
  output(): string;
  /** Resolves with the output once `pattern` appears in it. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): void;
}

export function kubectlStream(c: Cluster, args: string[], binary?: string, binaryArgs?: string[]): Streaming {
  const child = spawn(binary ?? c.kubectl, binaryArgs ?? ['--kubeconfig', c.kubeconfig, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const collect = (chunk: Buffer): void => {
    out += chunk.toString('utf8');
    for (const w of waiters) w();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return {
    child,
    output: () => out,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(out)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(out);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${String(pattern)} in ${timeoutMs} ms; output so far:\n${out}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    stop: () => {
      child.kill('SIGTERM');
    },
  };
}

/** Polls `probe` until it returns a value other than undefined. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 120_000,
  intervalMs = 1000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** docker against the cluster's engine. */
export function engine(c: Cluster, args: string[]): Promise<CommandResult> {
  if (!c.dockerHost) throw new Error(`the node runs ${c.engine}'s CRI: there is no Docker engine`);
  return run('/usr/bin/docker', ['-H', c.dockerHost, ...args]);
}

/** crictl SUBCOMMAND ARGS... against the node's runtime, its JSON answer parsed. */
export async function criJson<T>(c: Cluster, [subcommand = '', ...args]: string[]): Promise<T> {
  const endpoints = ['--runtime-endpoint', c.runtimeEndpoint, '--image-endpoint', c.runtimeEndpoint];
  // Flags before the ids: crictl stops reading flags at its first positional argument.
  const r = await run(c.crictl, [...endpoints, subcommand, '-o', 'json', ...args], {
    env: { CRI_CONFIG_FILE: '/dev/null' },
  });
  if (r.code !== 0) throw new Error(`crictl ${subcommand} ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface RuntimeContainer {
  id: string;
  name: string;
  /** `running` (a ready sandbox counts as running) or what else the runtime says. */
  state: string;
}

/**
 * The sandboxes and containers of one pod. On wincri they are read from the Docker engine itself
 * (what is really there, whatever wincri believes; its Docker names carry the pod uid); on
 * containerd through its CRI.
 */
export async function podContainers(c: Cluster, uid: string): Promise<RuntimeContainer[]> {
  return c.dockerHost ? engineContainers(c, uid) : criContainers(c, uid);
}

async function engineContainers(c: Cluster, uid: string): Promise<RuntimeContainer[]> {
  const r = await engine(c, [
    'ps',
    '-a',
    '--no-trunc',
    '--filter',
    `name=_${uid}_`,
    '--format',
    '{{.ID}}\t{{.Names}}\t{{.State}}',
  ]);
  if (r.code !== 0) throw new Error(`docker ps: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [id = '', name = '', state = ''] = l.split('\t');
      return { id, name, state };
    });
}

async function criContainers(c: Cluster, uid: string): Promise<RuntimeContainer[]> {
  const label = ['--label', `io.kubernetes.pod.uid=${uid}`];
  const pods = await criJson<{ items: { id: string; metadata: { name: string }; state: string }[] }>(c, [
    'pods',
    ...label,
  ]);
  const ctrs = await criJson<{ containers: { id: string; metadata: { name: string }; state: string }[] }>(c, [
    'ps',
    '-a',
    ...label,
  ]);
  const state = (s: string) => (s === 'SANDBOX_READY' || s === 'CONTAINER_RUNNING' ? 'running' : s);
  return [...pods.items, ...ctrs.containers].map((x) => ({
    id: x.id,
    name: x.metadata.name,
    state: state(x.state),
  }));
}

/** What the runtime applied to a container: limits, cgroup parent, oom_score_adj. */
export interface AppliedLimits {
  memory: number;
  cpuQuota: number;
  cpuPeriod: number;
  cpuShares: number;
  cgroupParent: string;
  oomScoreAdj: number;
}

/** On wincri from the Docker engine's HostConfig; on containerd from the OCI spec it ran. */
export async function appliedLimits(c: Cluster, id: string): Promise<AppliedLimits> {
  if (c.dockerHost) {
    const r = await engine(c, ['inspect', id]);
    if (r.code !== 0) throw new Error(`docker inspect ${id}: ${r.stderr}`);
    const hc = (JSON.parse(r.stdout) as { HostConfig: Record<string, number | string> }[])[0]!.HostConfig;
    return {
      memory: Number(hc['Memory']),
      cpuQuota: Number(hc['CpuQuota']),
      cpuPeriod: Number(hc['CpuPeriod']),
      cpuShares: Number(hc['CpuShares']),
      cgroupParent: String(hc['CgroupParent']),
      oomScoreAdj: Number(hc['OomScoreAdj']),
    };
  }
  const spec = (
    await criJson<{
      info: {
        runtimeSpec: {
          process: { oomScoreAdj?: number };
          linux: {
            cgroupsPath: string;
            resources: {
              memory?: { limit?: number };
              cpu?: { quota?: number; period?: number; shares?: number };
            };
          };
        };
      };
    }>(c, ['inspect', id])
  ).info.runtimeSpec;
  const r = spec.linux.resources;
  return {
    memory: r.memory?.limit ?? 0,
    cpuQuota: r.cpu?.quota ?? 0,
    cpuPeriod: r.cpu?.period ?? 0,
    cpuShares: r.cpu?.shares ?? 0,
    // cgroupfs paths end with the container's own directory.
    cgroupParent: spec.linux.cgroupsPath.slice(0, spec.linux.cgroupsPath.lastIndexOf('/')),
    oomScoreAdj: spec.process.oomScoreAdj ?? 0,
  };
}
