import { get } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, CrictlPods } from '../support/crictl-pods.js';
import { engineGet, loadRig, type Rig } from '../support/rig.js';
import { startWincri, type WincriProcess } from '../support/wincri-process.js';

/**
 * The CRI monitoring endpoints through crictl on the rig's dockerd: real numbers from real
 * containers (a CPU spinner, a memory holder, an idle one), sampled every second here.
 */
let rig: Rig;
let wincri: WincriProcess;
let pods: CrictlPods;
let configDir: string;
const ids: Record<string, string> = {};
let podId = '';

interface CrictlStats {
  attributes: { id: string };
  cpu: { timestamp: string; usageNanoCores?: { value: string } };
  memory: { timestamp: string; workingSetBytes?: { value: string } };
}

async function statsOf(id: string): Promise<CrictlStats> {
  const out = await pods.run('stats', '-o', 'json', '--id', id);
  expect(out.code, out.stderr).toBe(0);
  const parsed = JSON.parse(out.stdout) as { stats: CrictlStats[] };
  const found = parsed.stats.find((s) => s.attributes.id === id);
  if (!found) throw new Error(`no stats for ${id}: ${out.stdout}`);
  return found;
}

const value = (v: { value: string } | undefined) => Number(v?.value ?? Number.NaN);

interface WritableLayer {
  usedBytes: number;
  inodesUsed?: number;
  mountpoint: string;
}

/**
 * The engine's storage driver: `overlay2` (Docker's classic store; inspect names the upper dir),
 * `overlayfs` (Docker 29's containerd image store; wincri finds the snapshot through the container's
 * mounts) or `vfs` (a fallback with nothing to walk).
 */
function storageDriver(): string {
  // Read while the tests are collected (it.runIf), before beforeAll has loaded `rig`.
  return engineGet<{ Driver: string }>(loadRig().dockerHost, '/info').Driver;
}
const walkable = () => ['overlay2', 'overlayfs'].includes(storageDriver());

/** The filesystem wincri names for a writable layer: the data root, or containerd's snapshotter root. */
function layerFilesystem(): string | RegExp {
  if (storageDriver() === 'overlayfs') return /\/io\.containerd\.snapshotter\.v1\.overlayfs$/;
  return engineGet<{ DockerRootDir: string }>(rig.dockerHost, '/info').DockerRootDir;
}

/** SizeRw as the engine reports it for one container (a listing with sizes). */
async function engineSizeRw(id: string): Promise<number> {
  const path = `/containers/json?size=1&filters=${encodeURIComponent(JSON.stringify({ id: [id] }))}`;
  const body = await new Promise<string>((resolve, reject) =>
    get({ socketPath: rig.dockerHost.replace('unix://', ''), path }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve(text)).on('error', reject);
    }).on('error', reject),
  );
  return (JSON.parse(body) as { SizeRw: number }[])[0]?.SizeRw ?? Number.NaN;
}

/** Polls the container's writable layer until `done` holds (or 20 s pass); the last reading. */
async function writableLayerUntil(
  id: string,
  done: (layer: WritableLayer) => boolean,
): Promise<WritableLayer> {
  let layer: WritableLayer = { usedBytes: 0, mountpoint: '' };
  for (let i = 0; i < 40 && !done(layer); i++) {
    await new Promise((r) => setTimeout(r, 500));
    const out = await pods.run('stats', '-o', 'json', '--id', id);
    const stats = JSON.parse(out.stdout) as {
      stats: {
        writableLayer?: {
          usedBytes?: { value: string };
          inodesUsed?: { value: string };
          fsId?: { mountpoint: string };
        };
      }[];
    };
    const reading = stats.stats[0]?.writableLayer;
    layer = {
      usedBytes: Number(reading?.usedBytes?.value ?? 0),
      mountpoint: reading?.fsId?.mountpoint ?? '',
      ...(reading?.inodesUsed ? { inodesUsed: Number(reading.inodesUsed.value) } : {}),
    };
  }
  return layer;
}

/** Waits until the collector has a rate for the container (two samples). */
async function settledStats(id: string): Promise<CrictlStats> {
  for (let i = 0; i < 40; i++) {
    const s = await statsOf(id);
    if (s.cpu.usageNanoCores !== undefined && s.memory.workingSetBytes !== undefined) return s;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no settled stats for ${id}`);
}

beforeAll(async () => {
  rig = loadRig();
  configDir = await mkdtemp(join(tmpdir(), 'wincri-stats-e2e-'));
  const configFile = join(configDir, 'wincri.json');
  await writeFile(configFile, JSON.stringify({ statsIntervalMs: 1000 }));
  wincri = await startWincri({
    dockerHost: rig.dockerHost,
    mirrors: rig.mirrors,
    extra: ['--config', configFile],
  });
  pods = new CrictlPods(rig.crictl, () => wincri.endpoint);
  expect((await pods.run('pull', BUSYBOX)).code).toBe(0);
  const pod = await pods.pod('stats');
  podId = pod.id;
  ids['spin'] = await pods.container(pod, 'spin', ['sh', '-c', 'while :; do :; done']);
  ids['idle'] = await pods.container(pod, 'idle', ['sleep', '3600']);
  ids['memory'] = await pods.container(pod, 'memory', ['sleep', '3600']);
});
afterAll(async () => {
  await pods?.cleanup();
  await wincri?.stop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

describe('crictl stats', () => {
  it('a container spinning one CPU uses about one core; an idle one about none', async () => {
    await settledStats(ids['idle']!);
    await new Promise((r) => setTimeout(r, 2500));
    const spin = await settledStats(ids['spin']!);
    const idle = await settledStats(ids['idle']!);
    expect(value(spin.cpu.usageNanoCores)).toBeGreaterThan(0.8e9);
    expect(value(spin.cpu.usageNanoCores)).toBeLessThan(1.2e9);
    expect(value(idle.cpu.usageNanoCores)).toBeLessThan(0.02e9);
    expect(BigInt(spin.cpu.timestamp)).toBeGreaterThan(0n);
  });

  it('the rig engine is local: running containers are read from their cgroup files, not asked of the engine', async () => {
    await settledStats(ids['idle']!);
    const fallbacks = wincri
      .logs()
      .split('\n')
      .filter((line) => line.includes('asking the engine'));
    for (const id of Object.values(ids)) expect(fallbacks.filter((line) => line.includes(id))).toEqual([]);
    expect(wincri.logs()).not.toContain('stats call failed');
  });

  it('after allocating 64 MiB the working set grows by about that much', async () => {
    const before = value((await settledStats(ids['memory']!)).memory.workingSetBytes);
    // Hold 64 MiB in a process that then sleeps: a 64 MiB string in awk.
    const exec = pods.run(
      'exec',
      '-s',
      '--timeout',
      '60',
      ids['memory']!,
      'sh',
      '-c',
      'awk \'BEGIN { s = sprintf("%67108864s", ""); system("sleep 8") }\'',
    );
    let grown = 0;
    for (let i = 0; i < 20 && grown < 60 * 2 ** 20; i++) {
      await new Promise((r) => setTimeout(r, 500));
      grown = value((await statsOf(ids['memory']!)).memory.workingSetBytes) - before;
    }
    await exec;
    expect(grown).toBeGreaterThan(56 * 2 ** 20);
    expect(grown).toBeLessThan(160 * 2 ** 20);
  });

  it('statsp sums the pod; metricdescs and metricsp speak cAdvisor', async () => {
    const statsp = await pods.run('statsp', '-o', 'json', '--id', podId);
    expect(statsp.code, statsp.stderr).toBe(0);
    const pod = (
      JSON.parse(statsp.stdout) as {
        stats: {
          attributes: { id: string };
          linux: { cpu: { usageNanoCores: { value: string } }; containers: unknown[] };
        }[];
      }
    ).stats[0];
    expect(pod?.attributes.id).toBe(podId);
    expect(pod?.linux.containers).toHaveLength(3);
    expect(value(pod?.linux.cpu.usageNanoCores)).toBeGreaterThan(0.8e9);

    const descs = await pods.run('metricdescs');
    expect(descs.code, descs.stderr).toBe(0);
    expect(descs.stdout).toContain('container_cpu_usage_seconds_total');
    expect(descs.stdout).toContain('container_memory_working_set_bytes');

    const metrics = await pods.run('metricsp');
    expect(metrics.code, metrics.stderr).toBe(0);
    expect(metrics.stdout).toContain(podId);
    expect(metrics.stdout).toContain('container_memory_working_set_bytes');
  });

  it("a container's writable layer is measured (a 10 MiB file shows up within a few intervals)", async () => {
    const wrote = await pods.run(
      'exec',
      '-s',
      ids['idle']!,
      'dd',
      'if=/dev/zero',
      'of=/ten-mib',
      'bs=1048576',
      'count=10',
    );
    expect(wrote.code, wrote.stderr).toBe(0);
    const layer = await writableLayerUntil(ids['idle']!, (l) => l.usedBytes >= 10 * 2 ** 20);
    expect(layer.usedBytes).toBeGreaterThanOrEqual(10 * 2 ** 20);
    const filesystem = layerFilesystem();
    if (typeof filesystem === 'string') expect(layer.mountpoint).toBe(filesystem);
    else expect(layer.mountpoint).toMatch(filesystem);
  });

  // Only the overlay family has an upper dir to walk (the rig may run on vfs).
  it.runIf(walkable())(
    'the rig engine is local: wincri walks the layer, so inodes are counted (a new directory of 100 files: 101 more) and bytes are what Docker says',
    async () => {
      const before = await writableLayerUntil(ids['idle']!, (l) => l.inodesUsed !== undefined);
      expect(before.inodesUsed).toBeGreaterThan(0);
      const made = await pods.run(
        'exec',
        '-s',
        ids['idle']!,
        'sh',
        '-c',
        'mkdir /hundred && cd /hundred && for i in $(seq 100); do echo $i > f$i; done',
      );
      expect(made.code, made.stderr).toBe(0);
      // 100 files and their directory.
      const after = await writableLayerUntil(
        ids['idle']!,
        (l) => (l.inodesUsed ?? 0) >= (before.inodesUsed ?? 0) + 101,
      );
      expect(after.inodesUsed).toBeGreaterThanOrEqual((before.inodesUsed ?? 0) + 101);
      expect(after.inodesUsed).toBeLessThan((before.inodesUsed ?? 0) + 120);
      // Docker's own measure of the same layer (`ps --size`, nothing written since): the same bytes
      // (apparent sizes on overlay2, allocated blocks as containerd counts a snapshot).
      const sizeRw = await engineSizeRw(ids['idle']!);
      expect(sizeRw).toBeGreaterThan(10 * 2 ** 20);
      const final = await writableLayerUntil(ids['idle']!, (l) => l.usedBytes === sizeRw);
      expect(final.usedBytes).toBe(sizeRw);
    },
  );

  it.runIf(!walkable())(
    'on a driver without an upper dir the engine sizes the layer: bytes, and inodes left unset rather than 0',
    async () => {
      const layer = await writableLayerUntil(ids['idle']!, (l) => l.usedBytes > 0);
      expect(layer.usedBytes).toBeGreaterThan(0);
      expect(layer.inodesUsed).toBeUndefined();
    },
  );

  it('unknown ids are NOT_FOUND', async () => {
    const out = await pods.run('stats', '--id', 'no-such-container-id', '-o', 'json');
    // ListContainerStats filters (an empty list); ContainerStats by id is NOT_FOUND over gRPC.
    expect(JSON.parse(out.stdout)).toEqual({ stats: [] });
    const { criClient } = await import('../support/cri-client.js');
    const client = criClient(wincri.endpoint);
    try {
      const err = (await client
        .call('runtime', 'ContainerStats', { container_id: 'nope' })
        .catch((e: unknown) => e)) as { code: number };
      expect(err.code).toBe(5);
      const podErr = (await client
        .call('runtime', 'PodSandboxStats', { pod_sandbox_id: 'nope' })
        .catch((e: unknown) => e)) as { code: number };
      expect(podErr.code).toBe(5);
    } finally {
      client.close();
    }
  });
});
