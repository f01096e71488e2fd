import { describe, expect, expectTypeOf, it } from 'vitest';
import type { DockerClient } from '../../../src/docker/client.js';
import { StatsCollector } from '../../../src/stats/collector.js';
import type { StatsSource } from '../../../src/stats/collector-options.js';
import { linuxStatsToSample } from '../../../src/stats/linux.js';
import {
  containerStatsReply,
  podSandboxMetricsReply,
  podSandboxStatsReply,
  type ContainerView,
  type PodView,
  type StatsReads,
} from '../../../src/stats/replies.js';
import type { StatsSample } from '../../../src/stats/sample.js';
import { windowsStatsToSample } from '../../../src/stats/windows.js';
import { fixture } from '../../support/stats-fixtures.js';

const NOW = 1_800_000_000_000_000_000n;

/** The collector's read side over fixed data. */
function reads(
  samples: Record<string, StatsSample | undefined>,
  rates: Record<string, bigint> = {},
): StatsReads {
  return {
    latest: (id) => samples[id],
    rate: (id) => rates[id],
    monotonic: (id) => samples[id],
  };
}

const view = (id: string, running: boolean, name = id): ContainerView => ({
  identity: { id, metadata: { name, attempt: 0 }, labels: {}, annotations: {} },
  running,
  image: `img/${name}`,
});

const pod = (platform: 'linux' | 'windows'): PodView => ({
  identity: {
    id: 'pod',
    metadata: { name: 'web-0', uid: 'u', namespace: 'ns', attempt: 0 },
    labels: {},
    annotations: {},
  },
  platform,
  sandboxContainerId: 'pause',
});

describe('replies', () => {
  const pause = linuxStatsToSample(fixture('linux-cgroupv2'));
  const app = linuxStatsToSample(fixture('linux-cgroupv1'));

  it('containerStatsReply: the collector’s sample and rate, or the fallback time before the first sample', () => {
    const r = reads({ app }, { app: 7n });
    expect(containerStatsReply(r, view('app', true), NOW).cpu).toEqual({
      timestamp: '1795639300265091749',
      usage_core_nano_seconds: { value: '21798297539' },
      usage_nano_cores: { value: '7' },
    });
    const fresh = containerStatsReply(r, view('new', true), NOW);
    expect(fresh.cpu?.timestamp).toBe(NOW.toString());
    expect(fresh.memory?.timestamp).toBe(NOW.toString());
    expect(fresh.attributes?.id).toBe('new');
  });

  it('podSandboxStatsReply: sandbox + running containers; exited ones neither counted nor listed', () => {
    const exited = linuxStatsToSample(fixture('linux-cgroupv1-oneshot'));
    const r = reads({ pause, app, exited }, { pause: 1n, app: 2n, exited: 100n });
    const s = podSandboxStatsReply(r, pod('linux'), [view('app', true), view('exited', false)], NOW);
    expect(s.linux?.containers?.map((c) => c.attributes?.id)).toEqual(['app']);
    expect(s.linux?.cpu?.usage_nano_cores).toEqual({ value: '3' });
    expect(s.linux?.network?.default_interface?.name).toBe('eth0');
    expect(s.windows).toBeNull();
  });

  it('podSandboxStatsReply: a Windows pod gets the windows part', () => {
    const r = reads({
      pause: windowsStatsToSample(fixture('windows-hyperv')),
      app: windowsStatsToSample(fixture('windows-process')),
    });
    const s = podSandboxStatsReply(r, pod('windows'), [view('app', true)], NOW);
    expect(s.linux).toBeNull();
    expect(s.windows?.containers).toHaveLength(1);
    expect(s.windows?.cpu?.usage_core_nano_seconds).toEqual({ value: String(5200000000n + 3512345600n) });
  });

  it('podSandboxMetricsReply: pod network labels from the pod, containers by name and image', () => {
    const m = podSandboxMetricsReply(reads({ pause, app }), pod('linux'), [
      { ...view('app', true, 'nginx'), startedAtNs: 5_000_000_000n },
      view('done', false),
    ]);
    expect(m.pod_sandbox_id).toBe('pod');
    expect(m.container_metrics?.map((c) => c.container_id)).toEqual(['app']);
    const start = m.container_metrics?.[0]?.metrics?.find((x) => x.name === 'container_start_time_seconds');
    expect(start?.label_values).toEqual(['app', 'img/nginx', 'ns', 'web-0', 'nginx']);
    expect(start?.value).toEqual({ value: '5' });
    expect(m.metrics?.[0]?.label_values?.slice(0, 5)).toEqual(['pod', '', 'ns', 'web-0', 'POD']);
  });

  it('the real pieces fit: the collector is a StatsReads, the Docker client a StatsSource', () => {
    expectTypeOf<StatsCollector>().toMatchTypeOf<StatsReads>();
    expectTypeOf<DockerClient>().toMatchTypeOf<StatsSource>();
    const collector = new StatsCollector({
      source: { containerStats: () => Promise.reject(new Error('unused')) },
      logger: { debug: () => undefined, warn: () => undefined },
    });
    expect(containerStatsReply(collector, view('x', true), NOW).cpu?.timestamp).toBe(NOW.toString());
  });
});
