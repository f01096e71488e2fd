/**
 * What a stats reply costs once the collector holds the data: the kubelet polls these RPCs, so they
 * must stay cheap at node scale. Run: `npx vitest bench --run --config bench/stats-vitest.config.ts`.
 */
import { readFileSync } from 'node:fs';
import { bench, describe } from 'vitest';
import type { DockerStatsJson } from '../src/docker/stats-types.js';
import { MonotonicCounters, monotonicSample } from '../src/stats/counters.js';
import { linuxStatsToSample } from '../src/stats/linux.js';
import {
  containerStatsReply,
  podSandboxMetricsReply,
  podSandboxStatsReply,
  type ContainerView,
  type PodView,
  type StatsReads,
} from '../src/stats/replies.js';
import type { StatsSample } from '../src/stats/sample.js';
import { windowsStatsToSample } from '../src/stats/windows.js';

const load = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../test/fixtures/stats/${name}.json`, import.meta.url), 'utf8'),
  ) as DockerStatsJson;

const linuxJson = load('linux-cgroupv1');
const windowsJson = load('windows-process');
const sample = linuxStatsToSample(linuxJson) as StatsSample;

const PODS = 100;
const PER_POD = 5;
const NOW = 1_800_000_000_000_000_000n;

const samples = new Map<string, StatsSample>();
const pods: { pod: PodView; containers: ContainerView[] }[] = [];
for (let p = 0; p < PODS; p++) {
  samples.set(`pause-${p}`, sample);
  const containers: ContainerView[] = [];
  for (let c = 0; c < PER_POD; c++) {
    const id = `c-${p}-${c}`;
    samples.set(id, sample);
    containers.push({
      identity: { id, metadata: { name: `app${c}`, attempt: 0 }, labels: { app: 'x' }, annotations: {} },
      running: true,
      image: 'registry.k8s.io/nginx:1.27',
    });
  }
  pods.push({
    pod: {
      identity: {
        id: `pod-${p}`,
        metadata: { name: `web-${p}`, uid: `u${p}`, namespace: 'default', attempt: 0 },
        labels: {},
        annotations: {},
      },
      platform: 'linux',
      sandboxContainerId: `pause-${p}`,
    },
    containers,
  });
}
const reads: StatsReads = {
  latest: (id) => samples.get(id),
  rate: () => 123_456_789n,
  monotonic: (id) => samples.get(id),
};

describe(`replies for ${PODS} pods × ${PER_POD} containers`, () => {
  bench('ListContainerStats', () => {
    for (const { containers } of pods) for (const c of containers) containerStatsReply(reads, c, NOW);
  });
  bench('ListPodSandboxStats', () => {
    for (const { pod, containers } of pods) podSandboxStatsReply(reads, pod, containers, NOW);
  });
  bench('ListPodSandboxMetrics', () => {
    for (const { pod, containers } of pods) podSandboxMetricsReply(reads, pod, containers);
  });
});

describe('one sample ingested (collector side, per container per interval)', () => {
  const counters = new MonotonicCounters();
  bench('Linux JSON → sample → monotonic', () => {
    monotonicSample(counters, linuxStatsToSample(linuxJson) as StatsSample);
  });
  bench('Windows JSON → sample', () => {
    windowsStatsToSample(windowsJson);
  });
});
