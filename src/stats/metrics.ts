/**
 * `ListMetricDescriptors` and `ListPodSandboxMetrics` in CRI form. With the kubelet gate
 * `PodAndContainerStatsFromCRI` on, `/metrics/cadvisor` is served from these two RPCs alone
 * (kubernetes `pkg/kubelet/server/server.go` registers `collectors.NewCRIMetricsCollector`
 * instead of cAdvisor's collector): the kubelet reads the descriptors once at start, then turns
 * each Metric into a Prometheus sample with the descriptor's label keys, rejecting any whose label
 * values do not match the keys one for one ("inconsistent label cardinality", cri-o PR #9784).
 *
 * Names and meanings are cAdvisor's (`metrics/prometheus.go`), so dashboards keep working. Label
 * keys follow CRI-O and containerd after cri-o PRs #10173/#10175 (kubernetes issue #140778):
 * `id, image, namespace, pod, container`, then the metric's own keys (`cpu`, `interface`, `device`,
 * `failure_type`, `scope`). Pod-level metrics (network) carry the sandbox id, image "" and
 * container "POD".
 *
 * Values are uint64 in the CRI, so "seconds" counters are whole seconds (CRI-O and containerd both
 * divide nanoseconds by 1e9). Counters come from monotonic samples (counters.ts), so a drop in
 * Docker's numbers never makes an exported counter go down. Each Metric carries the time of the
 * sample it comes from: the values are cached, not gathered live (api.proto `Metric.timestamp`).
 */

import type { Metric } from '../generated/runtime/v1/Metric.js';
import type { MetricDescriptor } from '../generated/runtime/v1/MetricDescriptor.js';
import type { PodSandboxMetrics } from '../generated/runtime/v1/PodSandboxMetrics.js';
import type { LayerFilesystem, NetworkInterfaceSample, StatsSample } from './sample.js';

export const BASE_LABEL_KEYS = ['id', 'image', 'namespace', 'pod', 'container'] as const;

/** The container label value of pod-level metrics, as cAdvisor labelled the pause container. */
export const POD_CONTAINER_LABEL = 'POD';

type MetricType = 'COUNTER' | 'GAUGE';

interface Definition {
  name: string;
  help: string;
  type: MetricType;
  extraKeys: readonly string[];
}

const def = (
  name: string,
  type: MetricType,
  help: string,
  extraKeys: readonly string[] = [],
): Definition => ({
  name,
  type,
  help,
  extraKeys,
});

const NETWORK_KEYS = ['interface'] as const;
const DISK_KEYS = ['device'] as const;
const BLKIO_KEYS = ['device', 'major', 'minor', 'operation'] as const;

/** Every metric wincri can emit. The list is fixed: the kubelet reads it once, at its start. */
export const METRICS = {
  lastSeen: def(
    'container_last_seen',
    'GAUGE',
    'Last time the container was seen by the runtime, in seconds since the epoch.',
  ),
  startTime: def(
    'container_start_time_seconds',
    'GAUGE',
    'Start time of the container, in seconds since the epoch.',
  ),
  cpuUsage: def('container_cpu_usage_seconds_total', 'COUNTER', 'Cumulative CPU time used, in seconds.', [
    'cpu',
  ]),
  cpuUser: def(
    'container_cpu_user_seconds_total',
    'COUNTER',
    'Cumulative user-mode CPU time used, in seconds.',
  ),
  cpuSystem: def(
    'container_cpu_system_seconds_total',
    'COUNTER',
    'Cumulative kernel-mode CPU time used, in seconds.',
  ),
  memoryUsage: def(
    'container_memory_usage_bytes',
    'GAUGE',
    'Memory in use in bytes, page cache included (Windows: commit).',
  ),
  memoryWorkingSet: def('container_memory_working_set_bytes', 'GAUGE', 'Working set in bytes.'),
  memoryRss: def('container_memory_rss', 'GAUGE', 'Anonymous and swap cache memory in bytes.'),
  memoryCache: def('container_memory_cache', 'GAUGE', 'Page cache memory in bytes.'),
  memoryFailures: def('container_memory_failures_total', 'COUNTER', 'Cumulative count of page faults.', [
    'failure_type',
    'scope',
  ]),
  memoryLimit: def('container_spec_memory_limit_bytes', 'GAUGE', 'Memory limit of the container in bytes.'),
  memoryFailcnt: def(
    'container_memory_failcnt',
    'COUNTER',
    'Number of times memory usage hit the cgroup v1 limit (not counted on cgroup v2).',
  ),
  memoryMaxUsage: def('container_memory_max_usage_bytes', 'GAUGE', 'Maximum memory usage recorded in bytes.'),
  memoryMappedFile: def('container_memory_mapped_file', 'GAUGE', 'Memory-mapped files in bytes.'),
  memorySwap: def('container_memory_swap', 'GAUGE', 'Swap usage in bytes.'),
  memoryKernel: def(
    'container_memory_kernel_usage',
    'GAUGE',
    'Kernel memory charged to the container in bytes.',
  ),
  oomEvents: def('container_oom_events_total', 'COUNTER', 'Count of out-of-memory kills in the container.'),
  cfsPeriods: def('container_cpu_cfs_periods_total', 'COUNTER', 'Number of elapsed CFS enforcement periods.'),
  cfsThrottledPeriods: def(
    'container_cpu_cfs_throttled_periods_total',
    'COUNTER',
    'Number of CFS periods in which the container was throttled.',
  ),
  cfsThrottledSeconds: def(
    'container_cpu_cfs_throttled_seconds_total',
    'COUNTER',
    'Total time the container was throttled, in seconds.',
  ),
  specCpuPeriod: def('container_spec_cpu_period', 'GAUGE', 'CFS period of the container, in microseconds.'),
  specCpuShares: def('container_spec_cpu_shares', 'GAUGE', 'CPU shares of the container.'),
  specSwapLimit: def(
    'container_spec_memory_swap_limit_bytes',
    'GAUGE',
    'Memory plus swap limit of the container in bytes (cgroup v1), swap limit (v2).',
  ),
  processes: def('container_processes', 'GAUGE', 'Number of processes running in the container.'),
  threads: def('container_threads', 'GAUGE', 'Number of threads running in the container.'),
  threadsMax: def('container_threads_max', 'GAUGE', 'Maximum number of threads allowed; 0 means no limit.'),
  fileDescriptors: def('container_file_descriptors', 'GAUGE', 'Number of open file descriptors.'),
  sockets: def('container_sockets', 'GAUGE', 'Number of open sockets.'),
  fsUsage: def(
    'container_fs_usage_bytes',
    'GAUGE',
    "Bytes used by the container's writable layer on this filesystem.",
    DISK_KEYS,
  ),
  fsLimit: def(
    'container_fs_limit_bytes',
    'GAUGE',
    "Size in bytes of the filesystem holding the container's writable layer.",
    DISK_KEYS,
  ),
  fsInodesTotal: def('container_fs_inodes_total', 'GAUGE', 'Inodes of that filesystem.', DISK_KEYS),
  fsInodesFree: def('container_fs_inodes_free', 'GAUGE', 'Free inodes of that filesystem.', DISK_KEYS),
  blkioDeviceUsage: def(
    'container_blkio_device_usage_total',
    'COUNTER',
    'Block IO bytes per device.',
    BLKIO_KEYS,
  ),
  fsReadsBytes: def(
    'container_fs_reads_bytes_total',
    'COUNTER',
    'Cumulative count of bytes read.',
    DISK_KEYS,
  ),
  fsWritesBytes: def(
    'container_fs_writes_bytes_total',
    'COUNTER',
    'Cumulative count of bytes written.',
    DISK_KEYS,
  ),
  fsReads: def('container_fs_reads_total', 'COUNTER', 'Cumulative count of reads completed.', DISK_KEYS),
  fsWrites: def('container_fs_writes_total', 'COUNTER', 'Cumulative count of writes completed.', DISK_KEYS),
  rxBytes: def(
    'container_network_receive_bytes_total',
    'COUNTER',
    'Cumulative count of bytes received.',
    NETWORK_KEYS,
  ),
  rxPackets: def(
    'container_network_receive_packets_total',
    'COUNTER',
    'Cumulative count of packets received.',
    NETWORK_KEYS,
  ),
  rxDropped: def(
    'container_network_receive_packets_dropped_total',
    'COUNTER',
    'Cumulative count of packets dropped while receiving.',
    NETWORK_KEYS,
  ),
  rxErrors: def(
    'container_network_receive_errors_total',
    'COUNTER',
    'Cumulative count of receive errors.',
    NETWORK_KEYS,
  ),
  txBytes: def(
    'container_network_transmit_bytes_total',
    'COUNTER',
    'Cumulative count of bytes sent.',
    NETWORK_KEYS,
  ),
  txPackets: def(
    'container_network_transmit_packets_total',
    'COUNTER',
    'Cumulative count of packets sent.',
    NETWORK_KEYS,
  ),
  txDropped: def(
    'container_network_transmit_packets_dropped_total',
    'COUNTER',
    'Cumulative count of packets dropped while sending.',
    NETWORK_KEYS,
  ),
  txErrors: def(
    'container_network_transmit_errors_total',
    'COUNTER',
    'Cumulative count of send errors.',
    NETWORK_KEYS,
  ),
} as const satisfies Record<string, Definition>;

export function listMetricDescriptors(): MetricDescriptor[] {
  return Object.values(METRICS).map((d) => ({
    name: d.name,
    help: d.help,
    label_keys: [...BASE_LABEL_KEYS, ...d.extraKeys],
  }));
}

/** One container's part: identity from the store, counters from the collector's monotonic sample. */
export interface ContainerMetricsInput {
  id: string;
  /** The image as the kubelet asked for it. */
  image: string;
  /** CRI container name (metadata.name). */
  name: string;
  startedAtNs?: bigint;
  /** Monotonic sample (collector `monotonic(id)`); no metrics but identity when undefined. */
  sample: StatsSample | undefined;
  /** The writable layer's use and, when it was walked on this host, its filesystem. */
  writableLayer?: { usedBytes: bigint; filesystem?: LayerFilesystem };
}

export interface PodMetricsInput {
  podSandboxId: string;
  podName: string;
  namespace: string;
  /** The sandbox container's monotonic sample: its network is the pod's. */
  sandboxSample: StatsSample | undefined;
  containers: ContainerMetricsInput[];
}

const NS_PER_SECOND = 1_000_000_000n;
const seconds = (ns: bigint | undefined) => (ns === undefined ? undefined : ns / NS_PER_SECOND);

/** Collects Metrics for one label set; values that are unknown emit nothing. */
class MetricList {
  readonly metrics: Metric[] = [];

  constructor(
    private readonly base: readonly string[],
    private readonly timestampNs: bigint,
  ) {}

  add(d: Definition, value: bigint | number | undefined, extra: readonly string[] = []): void {
    if (value === undefined) return;
    if (extra.length !== d.extraKeys.length)
      throw new Error(`metric ${d.name}: ${extra.length} extra label values for ${d.extraKeys.length} keys`);
    this.metrics.push({
      name: d.name,
      timestamp: this.timestampNs.toString(),
      metric_type: d.type,
      label_values: [...this.base, ...extra],
      value: { value: value.toString() },
    });
  }
}

function containerMetrics(c: ContainerMetricsInput, podName: string, namespace: string): Metric[] {
  const s = c.sample;
  if (!s) return [];
  const m = new MetricList([c.id, c.image, namespace, podName, c.name], s.timestampNs);
  m.add(METRICS.lastSeen, seconds(s.timestampNs));
  m.add(METRICS.startTime, seconds(c.startedAtNs));
  m.add(METRICS.cpuUsage, seconds(s.cpu.usageCoreNanoSeconds), ['total']);
  m.add(METRICS.cpuUser, seconds(s.cpu.userNanoSeconds));
  m.add(METRICS.cpuSystem, seconds(s.cpu.systemNanoSeconds));
  const mem = s.memory;
  m.add(METRICS.memoryUsage, mem.usageBytes);
  m.add(METRICS.memoryWorkingSet, mem.workingSetBytes);
  m.add(METRICS.memoryRss, mem.rssBytes);
  m.add(METRICS.memoryCache, mem.cacheBytes);
  // cAdvisor reports each fault count twice, for the container and for its hierarchy.
  for (const scope of ['container', 'hierarchy']) {
    m.add(METRICS.memoryFailures, mem.pageFaults, ['pgfault', scope]);
    m.add(METRICS.memoryFailures, mem.majorPageFaults, ['pgmajfault', scope]);
  }
  m.add(METRICS.memoryLimit, mem.limitBytes);
  m.add(METRICS.memoryFailcnt, mem.failcnt);
  m.add(METRICS.memoryMaxUsage, mem.maxUsageBytes);
  m.add(METRICS.memoryMappedFile, mem.mappedFileBytes);
  m.add(METRICS.memorySwap, mem.swapBytes);
  m.add(METRICS.memoryKernel, mem.kernelBytes);
  m.add(METRICS.oomEvents, mem.oomKills);
  m.add(METRICS.cfsPeriods, s.cpu.cfsPeriods);
  m.add(METRICS.cfsThrottledPeriods, s.cpu.cfsThrottledPeriods);
  m.add(METRICS.cfsThrottledSeconds, seconds(s.cpu.cfsThrottledNanoSeconds));
  m.add(METRICS.specCpuPeriod, s.spec?.cpuPeriodMicroseconds);
  m.add(METRICS.specCpuShares, s.spec?.cpuShares);
  m.add(METRICS.specSwapLimit, s.spec?.swapLimitBytes);
  m.add(METRICS.processes, s.processCount);
  m.add(METRICS.threads, s.tasks?.threads);
  m.add(METRICS.threadsMax, s.tasks?.threadsMax);
  m.add(METRICS.fileDescriptors, s.tasks?.fileDescriptors);
  m.add(METRICS.sockets, s.tasks?.sockets);
  for (const d of s.disk) {
    m.add(METRICS.fsReadsBytes, d.readBytes, [d.device]);
    m.add(METRICS.fsWritesBytes, d.writeBytes, [d.device]);
    m.add(METRICS.fsReads, d.reads, [d.device]);
    m.add(METRICS.fsWrites, d.writes, [d.device]);
    const [major = '', minor = ''] = d.device.split(':');
    m.add(METRICS.blkioDeviceUsage, d.readBytes, [d.device, major, minor, 'Read']);
    m.add(METRICS.blkioDeviceUsage, d.writeBytes, [d.device, major, minor, 'Write']);
  }
  const fs = c.writableLayer?.filesystem;
  if (fs) {
    m.add(METRICS.fsUsage, c.writableLayer?.usedBytes, [fs.device]);
    m.add(METRICS.fsLimit, fs.capacityBytes, [fs.device]);
    m.add(METRICS.fsInodesTotal, fs.inodesTotal, [fs.device]);
    m.add(METRICS.fsInodesFree, fs.inodesFree, [fs.device]);
  }
  return m.metrics;
}

function networkMetrics(m: MetricList, interfaces: NetworkInterfaceSample[]): void {
  for (const i of interfaces) {
    const k = [i.name];
    m.add(METRICS.rxBytes, i.rxBytes, k);
    m.add(METRICS.rxPackets, i.rxPackets, k);
    m.add(METRICS.rxDropped, i.rxDropped, k);
    m.add(METRICS.rxErrors, i.rxErrors, k);
    m.add(METRICS.txBytes, i.txBytes, k);
    m.add(METRICS.txPackets, i.txPackets, k);
    m.add(METRICS.txDropped, i.txDropped, k);
    m.add(METRICS.txErrors, i.txErrors, k);
  }
}

export function toCriPodSandboxMetrics(input: PodMetricsInput): PodSandboxMetrics {
  const podLevel: Metric[] = [];
  const sandbox = input.sandboxSample;
  if (sandbox) {
    const m = new MetricList(
      [input.podSandboxId, '', input.namespace, input.podName, POD_CONTAINER_LABEL],
      sandbox.timestampNs,
    );
    networkMetrics(m, sandbox.network);
    podLevel.push(...m.metrics);
  }
  return {
    pod_sandbox_id: input.podSandboxId,
    metrics: podLevel,
    container_metrics: input.containers.map((c) => ({
      container_id: c.id,
      metrics: containerMetrics(c, input.podName, input.namespace),
    })),
  };
}
