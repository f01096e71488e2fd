import { describe, expect, it } from 'vitest';
import type { Metric } from '../../../src/generated/runtime/v1/Metric.js';
import { MonotonicCounters, monotonicSample } from '../../../src/stats/counters.js';
import { linuxStatsToSample } from '../../../src/stats/linux.js';
import {
  BASE_LABEL_KEYS,
  listMetricDescriptors,
  toCriPodSandboxMetrics,
  type PodMetricsInput,
} from '../../../src/stats/metrics.js';
import type { StatsSample } from '../../../src/stats/sample.js';
import { windowsStatsToSample } from '../../../src/stats/windows.js';
import { fixture } from '../../support/stats-fixtures.js';

const S = 1_000_000_000n;

const descriptors = new Map(listMetricDescriptors().map((d) => [d.name, d]));

function podInput(
  appSample: StatsSample | undefined,
  sandboxSample: StatsSample | undefined,
): PodMetricsInput {
  return {
    podSandboxId: 'pod-1',
    podName: 'web-0',
    namespace: 'default',
    sandboxSample,
    containers: [
      {
        id: 'ctr-1',
        image: 'registry.k8s.io/nginx:1.27',
        name: 'nginx',
        startedAtNs: 1700000000n * S,
        sample: appSample,
      },
    ],
  };
}

function all(input: PodMetricsInput): Metric[] {
  const m = toCriPodSandboxMetrics(input);
  return [...(m.metrics ?? []), ...(m.container_metrics ?? []).flatMap((c) => c.metrics ?? [])];
}

const find = (metrics: Metric[], name: string, ...extra: string[]) =>
  metrics.find(
    (m) =>
      m.name === name && (m.label_values ?? []).slice(BASE_LABEL_KEYS.length).join('/') === extra.join('/'),
  );

describe('listMetricDescriptors', () => {
  it('has the cAdvisor names the kubelet serves on /metrics/cadvisor, with the base label keys first', () => {
    for (const name of [
      'container_cpu_usage_seconds_total',
      'container_memory_working_set_bytes',
      'container_memory_usage_bytes',
      'container_network_receive_bytes_total',
      'container_network_transmit_bytes_total',
      'container_processes',
      'container_last_seen',
    ]) {
      expect(descriptors.get(name)?.label_keys?.slice(0, 5)).toEqual([
        'id',
        'image',
        'namespace',
        'pod',
        'container',
      ]);
    }
    expect(descriptors.get('container_cpu_usage_seconds_total')?.label_keys).toEqual([
      ...BASE_LABEL_KEYS,
      'cpu',
    ]);
    expect(descriptors.get('container_network_receive_bytes_total')?.label_keys).toEqual([
      ...BASE_LABEL_KEYS,
      'interface',
    ]);
    expect(descriptors.get('container_memory_failures_total')?.label_keys).toEqual([
      ...BASE_LABEL_KEYS,
      'failure_type',
      'scope',
    ]);
  });

  it('offers every metric critest v1.37 asks for, but those it lists as not yet offered by any runtime', () => {
    // critest v1.37 (pkg/validate/pod.go): the names a kubelet serves with cAdvisor, less its
    // "unimplemented" list (hugetlb, pressure, cpu quota, memory reservation, ulimits).
    const wanted = `blkio_device_usage_total cpu_cfs_periods_total cpu_cfs_throttled_periods_total
      cpu_cfs_throttled_seconds_total cpu_system_seconds_total cpu_usage_seconds_total
      cpu_user_seconds_total file_descriptors fs_inodes_free fs_inodes_total fs_limit_bytes
      fs_reads_bytes_total fs_reads_total fs_usage_bytes fs_writes_bytes_total fs_writes_total
      last_seen memory_cache memory_failcnt memory_failures_total memory_kernel_usage
      memory_mapped_file memory_max_usage_bytes memory_rss memory_swap memory_usage_bytes
      memory_working_set_bytes network_receive_bytes_total network_receive_errors_total
      network_receive_packets_dropped_total network_receive_packets_total
      network_transmit_bytes_total network_transmit_errors_total
      network_transmit_packets_dropped_total network_transmit_packets_total oom_events_total
      processes sockets spec_cpu_period spec_cpu_shares spec_memory_limit_bytes
      spec_memory_swap_limit_bytes start_time_seconds threads threads_max`
      .split(/\s+/)
      .map((n) => `container_${n}`);
    expect(wanted.filter((n) => !descriptors.has(n))).toEqual([]);
    expect(descriptors.get('container_fs_usage_bytes')?.label_keys).toEqual([...BASE_LABEL_KEYS, 'device']);
    expect(descriptors.get('container_blkio_device_usage_total')?.label_keys).toEqual([
      ...BASE_LABEL_KEYS,
      'device',
      'major',
      'minor',
      'operation',
    ]);
  });

  it('names are unique and every descriptor has help', () => {
    const list = listMetricDescriptors();
    expect(new Set(list.map((d) => d.name)).size).toBe(list.length);
    for (const d of list) expect(d.help).not.toBe('');
  });
});

describe('toCriPodSandboxMetrics', () => {
  const app = linuxStatsToSample(fixture('linux-cgroupv1'));
  const pause = linuxStatsToSample(fixture('linux-cgroupv2'));

  it.each([
    { name: 'Linux', app, pause },
    {
      name: 'Windows',
      app: windowsStatsToSample(fixture('windows-process')),
      pause: windowsStatsToSample(fixture('windows-hyperv')),
    },
  ])(
    '$name: every metric has as many label values as its descriptor has keys (the kubelet drops the rest)',
    ({ app: a, pause: p }) => {
      const metrics = all(podInput(a, p));
      expect(metrics.length).toBeGreaterThan(10);
      for (const m of metrics) {
        const d = descriptors.get(m.name ?? '');
        expect(d, m.name).toBeDefined();
        expect(m.label_values?.length, m.name).toBe(d?.label_keys?.length);
      }
    },
  );

  it('container metrics: cAdvisor meanings, whole seconds, sample time', () => {
    const metrics = all(podInput(app, pause));
    expect(find(metrics, 'container_cpu_usage_seconds_total', 'total')).toEqual({
      name: 'container_cpu_usage_seconds_total',
      timestamp: '1795639300265091749',
      metric_type: 'COUNTER',
      label_values: ['ctr-1', 'registry.k8s.io/nginx:1.27', 'default', 'web-0', 'nginx', 'total'],
      value: { value: '21' },
    });
    expect(find(metrics, 'container_memory_working_set_bytes')?.value).toEqual({ value: '18018304' });
    expect(find(metrics, 'container_memory_working_set_bytes')?.metric_type).toBe('GAUGE');
    expect(find(metrics, 'container_memory_failures_total', 'pgfault', 'container')?.value).toEqual({
      value: '2698',
    });
    expect(find(metrics, 'container_memory_failures_total', 'pgmajfault', 'hierarchy')?.value).toEqual({
      value: '1',
    });
    expect(find(metrics, 'container_processes')?.value).toEqual({ value: '2' });
    expect(find(metrics, 'container_start_time_seconds')?.value).toEqual({ value: '1700000000' });
    expect(find(metrics, 'container_last_seen')?.value).toEqual({ value: '1795639300' });
  });

  it("the writable layer's filesystem, block IO per operation, threads and throttling", () => {
    const input = podInput(pause, undefined);
    input.containers[0]!.writableLayer = {
      usedBytes: 4096n,
      filesystem: { device: '8:1', capacityBytes: 10n ** 10n, inodesTotal: 1000n, inodesFree: 900n },
    };
    const metrics = all(input);
    expect(find(metrics, 'container_fs_usage_bytes', '8:1')?.value).toEqual({ value: '4096' });
    expect(find(metrics, 'container_fs_limit_bytes', '8:1')?.value).toEqual({ value: '10000000000' });
    expect(find(metrics, 'container_fs_inodes_free', '8:1')?.value).toEqual({ value: '900' });
    expect(find(metrics, 'container_blkio_device_usage_total', '8:0', '8', '0', 'Read')?.value).toEqual({
      value: '4096000',
    });
    expect(find(metrics, 'container_threads_max')?.value).toEqual({ value: '4915' });
    expect(find(metrics, 'container_cpu_cfs_throttled_periods_total')?.value).toEqual({ value: '3' });
    // 41 ms throttled: whole seconds, like the other seconds counters.
    expect(find(metrics, 'container_cpu_cfs_throttled_seconds_total')?.value).toEqual({ value: '0' });
  });

  it('pod metrics: the sandbox network, container "POD", image ""', () => {
    const m = toCriPodSandboxMetrics(podInput(app, pause));
    expect(m.pod_sandbox_id).toBe('pod-1');
    const rx = (m.metrics ?? []).find((x) => x.name === 'container_network_receive_bytes_total');
    expect(rx?.label_values).toEqual(['pod-1', '', 'default', 'web-0', 'POD', 'eth0']);
    expect(rx?.value).toEqual({ value: '734003' });
    // Network is a pod thing: never repeated on the containers.
    const containerNames = (m.container_metrics ?? []).flatMap((c) => (c.metrics ?? []).map((x) => x.name));
    expect(containerNames.some((n) => n?.startsWith('container_network_'))).toBe(false);
  });

  it('unknown values emit no metric (Windows has no page faults, no errors, no rss)', () => {
    const metrics = all(
      podInput(
        windowsStatsToSample(fixture('windows-hyperv')),
        windowsStatsToSample(fixture('windows-process')),
      ),
    );
    expect(find(metrics, 'container_memory_failures_total', 'pgfault', 'container')).toBeUndefined();
    expect(find(metrics, 'container_memory_rss')).toBeUndefined();
    expect(metrics.find((m) => m.name === 'container_network_receive_errors_total')).toBeUndefined();
    expect(find(metrics, 'container_cpu_user_seconds_total')).toBeUndefined();
    expect(find(metrics, 'container_memory_working_set_bytes')?.value).toEqual({ value: '67108864' });
  });

  it('a container not sampled yet has an entry without metrics', () => {
    const m = toCriPodSandboxMetrics(podInput(undefined, undefined));
    expect(m.metrics).toEqual([]);
    expect(m.container_metrics).toEqual([{ container_id: 'ctr-1', metrics: [] }]);
  });

  it('counters stay monotonic across a counter reset in Docker’s numbers', () => {
    const counters = new MonotonicCounters();
    const reading = (t: bigint, cpuNs: bigint, rx: bigint): StatsSample => ({
      platform: 'linux',
      timestampNs: t * S,
      cpu: { usageCoreNanoSeconds: cpuNs },
      memory: { workingSetBytes: 10n },
      network: [{ name: 'eth0', rxBytes: rx }],
      disk: [],
    });
    // The container's processes restart in place at t=3: Docker's numbers fall back.
    const raw = [
      reading(1n, 5n * S, 1000n),
      reading(2n, 9n * S, 3000n),
      reading(3n, 1n * S, 10n),
      reading(4n, 4n * S, 500n),
    ];
    const series = raw.map((r) => {
      const mono = monotonicSample(counters, r);
      const metrics = all(podInput(mono, mono));
      return {
        cpu: find(metrics, 'container_cpu_usage_seconds_total', 'total')?.value?.value,
        rx: find(metrics, 'container_network_receive_bytes_total', 'eth0')?.value?.value,
        ws: find(metrics, 'container_memory_working_set_bytes')?.value?.value,
      };
    });
    expect(series).toEqual([
      { cpu: '5', rx: '1000', ws: '10' },
      { cpu: '9', rx: '3000', ws: '10' },
      { cpu: '10', rx: '3010', ws: '10' },
      { cpu: '13', rx: '3500', ws: '10' },
    ]);
    const asNumbers = series.map((s) => [Number(s.cpu), Number(s.rx)]);
    for (let i = 1; i < asNumbers.length; i++) {
      expect(asNumbers[i]?.[0]).toBeGreaterThanOrEqual(asNumbers[i - 1]?.[0] ?? 0);
      expect(asNumbers[i]?.[1]).toBeGreaterThanOrEqual(asNumbers[i - 1]?.[1] ?? 0);
    }
  });
});
