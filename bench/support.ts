/**
 * Shared pieces of the end-to-end benchmarks (bench/README.md): the rig, a wincri process, a direct
 * Docker handle for the same-run baseline, and the summary statistics every bench prints.
 */
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { criClient, type CriClient } from '../test/support/cri-client.js';
import { loadRig } from '../test/support/rig.js';
import { startWincri, type WincriProcess } from '../test/support/wincri-process.js';

export interface RigFacts {
  dockerHost: string;
  docker: string;
  crictl: string;
  mirrors: string[];
  sandboxImage: string;
}

/** The rig's facts, on the engine WINCRI_E2E_ENGINE names (docker20 by default), as the e2e tests choose it. */
export function rigFacts(): RigFacts {
  const facts = JSON.parse(readFileSync('/run/wincri-rig/rig.json', 'utf8')) as RigFacts;
  return { ...facts, dockerHost: loadRig().dockerHost };
}

export const BUSYBOX = 'registry.k8s.io/e2e-test-images/busybox:1.29-2';
export const PAUSE = 'registry.k8s.io/pause:3.10';
/** Every name a bench makes carries this, so cleanup finds exactly its own objects. */
export const RUN_ID = `bench${process.pid}`;

export function dockerOf(host: string): Docker {
  if (!host.startsWith('unix://')) throw new Error(`bench needs a unix docker host, got ${host}`);
  return new Docker({ socketPath: host.slice('unix://'.length) });
}

export async function startShim(
  rig: RigFacts,
  extra: string[] = [],
  nodeFlags: string[] = [],
): Promise<{ wincri: WincriProcess; cri: CriClient }> {
  // The production default log level: debug would log every polled read and skew the figures.
  const wincri = await startWincri({
    dockerHost: rig.dockerHost,
    mirrors: rig.mirrors,
    extra: ['--log-level', 'info', ...extra],
    nodeFlags,
  });
  const cri = criClient(wincri.endpoint);
  await cri.call('image', 'PullImage', { image: { image: BUSYBOX } });
  return { wincri, cri };
}

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p99: number;
  min: number;
  max: number;
}

/** Nearest-rank percentiles over the samples (ms). */
export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const rank = (p: number) =>
    s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
  return {
    n: s.length,
    mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length),
    p50: rank(50),
    p99: rank(99),
    min: s[0] ?? NaN,
    max: s[s.length - 1] ?? NaN,
  };
}

export const f = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

export function row(name: string, s: Summary, unit = 'ms'): string {
  return `| ${name} | ${s.n} | ${f(s.mean)} | ${f(s.p50)} | ${f(s.p99)} | ${f(s.min)} | ${f(s.max)} | ${unit} |`;
}
export const HEADER = '| what | n | mean | p50 | p99 | min | max | unit |\n|---|---|---|---|---|---|---|---|';

export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

/** Stops and removes, through CRI, every pod whose name carries RUN_ID. */
export async function removeRunPods(cri: CriClient): Promise<void> {
  const pods = await cri.call<{ items: { id: string; metadata: { name: string } }[] }>(
    'runtime',
    'ListPodSandbox',
    {},
  );
  for (const p of pods.items.filter((p) => p.metadata.name.includes(RUN_ID))) {
    await cri.call('runtime', 'StopPodSandbox', { pod_sandbox_id: p.id }).catch(() => undefined);
    await cri.call('runtime', 'RemovePodSandbox', { pod_sandbox_id: p.id }).catch(() => undefined);
  }
}

/** Removes every pod (through CRI) and every engine container whose name carries RUN_ID. */
export async function cleanup(docker: Docker, cri?: CriClient): Promise<void> {
  if (cri) await removeRunPods(cri);
  const left = await docker.listContainers({ all: true });
  for (const c of left.filter((c) => c.Names.some((n) => n.includes(RUN_ID)))) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
}

export function machine(): string {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? '?';
  const cores = readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length ?? 0;
  return `${cores} cores (${cpu}), node ${process.version}, ${new Date().toISOString()}`;
}

/** Pod and container configs as the kubelet would send them (Linux, no extras). */
export function podConfig(name: string, logDir: string): object {
  return {
    metadata: { name: `${name}-${RUN_ID}`, namespace: 'bench', uid: `${name}-uid-${RUN_ID}`, attempt: 0 },
    log_directory: `${logDir}/${name}`,
    linux: {},
  };
}
export function ctrConfig(name: string, command: string[] = ['sleep', '3600']): object {
  return { metadata: { name }, image: { image: BUSYBOX }, command, log_path: `${name}/0.log`, linux: {} };
}

/** Runs fn over items with at most n in flight. */
export async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

/** A bench pod: its sandbox and its one app container (busybox `sleep 3600`). */
export interface BenchPod {
  pod: string;
  ctr: string;
}

/** Adds bench pods to `made` (4 made at a time, as a kubelet starting a node's pods would) until it holds `count`. */
export async function growPods(
  cri: CriClient,
  logDir: string,
  made: BenchPod[],
  count: number,
): Promise<void> {
  const next = Array.from({ length: count - made.length }, (_, k) => made.length + k);
  await pool(next, 4, async (i) => {
    const sandbox_config = podConfig(`list${i}`, logDir);
    const pod = await cri.call<{ pod_sandbox_id: string }>('runtime', 'RunPodSandbox', {
      config: sandbox_config,
    });
    const ctr = await cri.call<{ container_id: string }>('runtime', 'CreateContainer', {
      pod_sandbox_id: pod.pod_sandbox_id,
      config: ctrConfig('app'),
      sandbox_config,
    });
    await cri.call('runtime', 'StartContainer', { container_id: ctr.container_id });
    made.push({ pod: pod.pod_sandbox_id, ctr: ctr.container_id });
  });
}

/** Stops and removes the pods in `made` through CRI, then anything left with RUN_ID in its name. */
export async function removePods(docker: Docker, cri: CriClient, made: BenchPod[]): Promise<void> {
  await pool([...made], 4, async (m) => {
    await cri.call('runtime', 'StopPodSandbox', { pod_sandbox_id: m.pod }).catch(() => undefined);
    await cri.call('runtime', 'RemovePodSandbox', { pod_sandbox_id: m.pod }).catch(() => undefined);
  });
  await cleanup(docker, cri);
}

/** A bench pod's sandbox straight on the Docker API: the pause container, created and started. */
export async function directSandbox(docker: Docker, name: string): Promise<Docker.Container> {
  const c = await docker.createContainer({
    name: `k8s_POD_${name}-${RUN_ID}`,
    Image: PAUSE,
    HostConfig: { NetworkMode: 'bridge', IpcMode: 'shareable' },
  });
  await c.start();
  return c;
}

/** A bench pod's app container straight on the Docker API, in the sandbox's namespaces (not started). */
export function directApp(docker: Docker, name: string, pauseId: string): Promise<Docker.Container> {
  return docker.createContainer({
    name: `k8s_app_${name}-${RUN_ID}`,
    Image: BUSYBOX,
    Cmd: ['sleep', '3600'],
    HostConfig: { NetworkMode: `container:${pauseId}`, IpcMode: `container:${pauseId}` },
  });
}
