import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { containerStats, listContainerStats } from '../../../../src/cri/runtime/container-stats.js';
import { listPodSandboxMetrics } from '../../../../src/cri/runtime/pod-sandbox-metrics.js';
import { listPodSandboxStats } from '../../../../src/cri/runtime/pod-sandbox-stats.js';
import type { StatsDeps } from '../../../../src/cri/runtime/stats-views.js';
import { linuxStatsToSample } from '../../../../src/stats/linux.js';
import type { StatsReads } from '../../../../src/stats/replies.js';
import type { StatsSample } from '../../../../src/stats/sample.js';
import { RuntimeStore } from '../../../../src/store/runtime-store.js';
import { fixture } from '../../../support/stats-fixtures.js';
import { FakeEngine, fakeContainer, fakeSandbox } from '../../../support/fake-engine.js';

const signal = new AbortController().signal;
const log = pino({ level: 'silent' });

/** A collector's read side whose samples the test swaps, as new readings arrive. */
class Samples implements StatsReads {
  readonly byId = new Map<string, StatsSample>();
  latest = (id: string) => this.byId.get(id);
  rate = () => undefined;
  monotonic = (id: string) => this.byId.get(id);
}

/** A fresh sample object with the same shape as the engine's, `bytes` of memory in use. */
function reading(bytes: number): StatsSample {
  const json = fixture('linux-cgroupv1');
  return linuxStatsToSample({ ...json, memory_stats: { ...json.memory_stats, usage: bytes } })!;
}

async function onePod(): Promise<{
  deps: StatsDeps;
  samples: Samples;
  docker: FakeEngine;
  pod: string;
  app: string;
}> {
  const docker = new FakeEngine();
  const store = new RuntimeStore(docker, log);
  const pod = await fakeSandbox(docker, 'web');
  const app = await fakeContainer(docker, pod, 'app');
  await docker.startContainerImpl(app, signal);
  await store.resync(signal);
  const samples = new Samples();
  return { deps: { store, stats: samples, platform: () => 'linux' }, samples, docker, pod, app };
}

describe('stats handlers keep items between polls only while nothing they read changed', () => {
  it('a container: the same item for the same record and sample; a new one for a new sample', async () => {
    const { deps, samples, app } = await onePod();
    samples.byId.set(app, reading(1000));
    const first = (await listContainerStats(deps, { filter: null })).stats?.[0];
    expect((await listContainerStats(deps, { filter: null })).stats?.[0]).toBe(first);
    expect((await containerStats(deps, { container_id: app })).stats).toBe(first);
    samples.byId.set(app, reading(2000));
    const second = (await listContainerStats(deps, { filter: null })).stats?.[0];
    expect(second).not.toBe(first);
    expect(second?.memory?.usage_bytes?.value).toBe('2000');
  });

  it('a container without a sample is answered "now", never kept', async () => {
    const { deps } = await onePod();
    const first = (await listContainerStats(deps, { filter: null })).stats?.[0];
    const second = (await listContainerStats(deps, { filter: null })).stats?.[0];
    expect(second).not.toBe(first);
    expect(Object.isFrozen(first)).toBe(false);
  });

  it('a pod: rebuilt when a member gets a new sample or its container changes', async () => {
    const { deps, samples, docker, pod, app } = await onePod();
    samples.byId.set(pod, reading(100));
    samples.byId.set(app, reading(1000));
    const first = (await listPodSandboxStats(deps, { filter: null })).stats?.[0];
    expect(first?.linux?.memory?.usage_bytes?.value).toBe('1100');
    expect((await listPodSandboxStats(deps, { filter: null })).stats?.[0]).toBe(first);
    samples.byId.set(app, reading(3000));
    const second = (await listPodSandboxStats(deps, { filter: null })).stats?.[0];
    expect(second?.linux?.memory?.usage_bytes?.value).toBe('3100');
    await docker.stopContainerImpl(app, 0, signal);
    await deps.store.refresh(app, signal);
    const third = (await listPodSandboxStats(deps, { filter: null })).stats?.[0];
    expect(third?.linux?.memory?.usage_bytes?.value).toBe('100');
    expect(third?.linux?.containers).toEqual([]);
  });

  it('pod metrics: rebuilt when a monotonic sample changes', async () => {
    const { deps, samples, pod, app } = await onePod();
    samples.byId.set(pod, reading(100));
    samples.byId.set(app, reading(1000));
    const first = (await listPodSandboxMetrics(deps)).pod_metrics?.[0];
    expect((await listPodSandboxMetrics(deps)).pod_metrics?.[0]).toBe(first);
    samples.byId.set(app, reading(1000));
    expect((await listPodSandboxMetrics(deps)).pod_metrics?.[0]).not.toBe(first);
  });
});

describe('stats handlers ask the collector to refresh what they answer for, first', () => {
  it('container stats: the running containers selected; pod stats: the sandbox and its running containers', async () => {
    const { deps, samples, pod, app } = await onePod();
    const asked: string[][] = [];
    const refreshing: StatsReads = {
      ...samples,
      latest: samples.latest,
      rate: samples.rate,
      monotonic: samples.monotonic,
      // The new reading lands during the refresh: the answer must carry it.
      refresh: async (ids) => {
        asked.push([...ids]);
        samples.byId.set(app, reading(4242));
      },
    };
    const withRefresh = { ...deps, stats: refreshing };
    const list = await listContainerStats(withRefresh, { filter: null });
    expect(asked).toEqual([[app]]);
    expect(list.stats?.[0]?.memory?.usage_bytes?.value).toBe('4242');
    await containerStats(withRefresh, { container_id: app });
    await listPodSandboxStats(withRefresh, { filter: null });
    expect(asked.slice(1)).toEqual([[app], [pod, app]]);
  });
});
