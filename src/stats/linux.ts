/**
 * Docker's Linux stats JSON (cgroup v1 or v2) → a domain StatsSample. Pure.
 *
 * Working set follows cAdvisor, which the kubelet's eviction and `kubectl top` are built on
 * (cadvisor `container/libcontainer/handler.go` setMemoryStats; CRI-O
 * `internal/lib/statsserver/memory_metrics_linux.go`): usage minus the inactive file cache
 * (`total_inactive_file` on v1, `inactive_file` on v2), floored at 0, and plain usage when the key
 * is missing. RSS is `total_rss` on v1 and `anon` on v2; page faults are `pgfault`/`pgmajfault`.
 */

import type { DockerBlkioEntry, DockerMemoryStat, DockerStatsJson } from '../docker/stats-types.js';
import {
  headroom,
  minusFloored,
  networkSamples,
  parseDockerTime,
  previousCpuPoint,
  toBigInt,
  toBigIntNonZero,
} from './docker-values.js';
import { compareNames, type DiskSample, type MemorySample, type StatsSample } from './sample.js';

export type CgroupVersion = 'v1' | 'v2';

export interface LinuxSampleOptions {
  /**
   * The limit the container was created with (0n: none). Preferred over Docker's `limit`, which
   * is the host's memory for a container without one.
   */
  memoryLimitBytes?: bigint;
}

/** Which cgroup version wrote `memory_stats.stats`, told by keys only one of them has. */
export function cgroupVersionOf(stat: DockerMemoryStat | undefined): CgroupVersion | undefined {
  if (!stat) return undefined;
  if (
    'total_inactive_file' in stat ||
    'total_rss' in stat ||
    'hierarchical_memory_limit' in stat ||
    'cache' in stat
  )
    return 'v1';
  if ('anon' in stat || 'file' in stat) return 'v2';
  return undefined;
}

/** Undefined when the body holds no reading (the container is not running). */
export function linuxStatsToSample(
  json: DockerStatsJson,
  options: LinuxSampleOptions = {},
): StatsSample | undefined {
  const timestampNs = parseDockerTime(json.read);
  if (timestampNs === undefined) return undefined;
  const usage = json.cpu_stats?.cpu_usage;
  const throttling = json.cpu_stats?.throttling_data;
  const extras = json.wincri_cgroup;
  const sample: StatsSample = {
    platform: 'linux',
    timestampNs,
    cpu: {
      usageCoreNanoSeconds: toBigInt(usage?.total_usage),
      userNanoSeconds: toBigInt(usage?.usage_in_usermode),
      systemNanoSeconds: toBigInt(usage?.usage_in_kernelmode),
      cfsPeriods: toBigInt(throttling?.periods),
      cfsThrottledPeriods: toBigInt(throttling?.throttled_periods),
      cfsThrottledNanoSeconds: toBigInt(throttling?.throttled_time),
    },
    memory: linuxMemory(json, options),
    network: networkSamples(json.networks, { withErrors: true }),
    disk: linuxDisk(json),
    processCount: json.pids_stats?.current,
    tasks: {
      threads: toBigInt(json.pids_stats?.current),
      // Docker omits a zero limit; cAdvisor reports "no limit" as 0.
      threadsMax: json.pids_stats ? (toBigInt(json.pids_stats.limit) ?? 0n) : undefined,
      fileDescriptors: toBigInt(extras?.file_descriptors),
      sockets: toBigInt(extras?.sockets),
    },
    spec: {
      cpuPeriodMicroseconds: toBigInt(extras?.cpu_period_us),
      cpuShares: toBigInt(extras?.cpu_shares),
      swapLimitBytes: extras?.swap_limit_bytes === undefined ? undefined : BigInt(extras.swap_limit_bytes),
    },
  };
  const previousCpu = previousCpuPoint(json.preread, json.precpu_stats?.cpu_usage?.total_usage, 1n);
  if (previousCpu) sample.previousCpu = previousCpu;
  return sample;
}

function linuxMemory(json: DockerStatsJson, options: LinuxSampleOptions): MemorySample {
  const mem = json.memory_stats;
  const stat = mem?.stats;
  const version = cgroupVersionOf(stat);
  const pick = (...keys: string[]): bigint | undefined => {
    for (const key of keys) {
      const v = toBigInt(stat?.[key]);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const usageBytes = toBigIntNonZero(mem?.usage);
  const inactiveFile = version === 'v1' ? pick('total_inactive_file') : pick('inactive_file');
  const workingSetBytes = minusFloored(usageBytes, inactiveFile);
  const limitBytes =
    options.memoryLimitBytes !== undefined
      ? options.memoryLimitBytes > 0n
        ? options.memoryLimitBytes
        : undefined
      : toBigIntNonZero(mem?.limit);
  return {
    workingSetBytes,
    usageBytes,
    rssBytes: version === 'v2' ? pick('anon') : pick('total_rss', 'rss'),
    cacheBytes: version === 'v2' ? pick('file') : pick('total_cache', 'cache'),
    pageFaults: pick('pgfault', 'total_pgfault'),
    majorPageFaults: pick('pgmajfault', 'total_pgmajfault'),
    limitBytes,
    availableBytes: headroom(limitBytes, workingSetBytes),
    failcnt: version === 'v2' ? undefined : toBigInt(mem?.failcnt),
    maxUsageBytes: toBigInt(mem?.max_usage),
    mappedFileBytes: version === 'v2' ? pick('file_mapped') : pick('total_mapped_file', 'mapped_file'),
    swapBytes: version === 'v2' ? undefined : pick('total_swap', 'swap'),
    kernelBytes: toBigInt(json.wincri_cgroup?.kernel_usage),
    oomKills: toBigInt(json.wincri_cgroup?.oom_kills),
  };
}

/** Per device: bytes from `io_service_bytes_recursive`, operations from `io_serviced_recursive` (v1 only). */
function linuxDisk(json: DockerStatsJson): DiskSample[] {
  const devices = new Map<string, DiskSample>();
  const add = (
    entries: DockerBlkioEntry[] | null | undefined,
    readKey: 'readBytes' | 'reads',
    writeKey: 'writeBytes' | 'writes',
  ) => {
    for (const e of entries ?? []) {
      const value = toBigInt(e.value);
      if (e.major === undefined || e.minor === undefined || value === undefined) continue;
      const op = e.op?.toLowerCase();
      const key = op === 'read' ? readKey : op === 'write' ? writeKey : undefined;
      if (!key) continue;
      const device = `${e.major}:${e.minor}`;
      const d = devices.get(device) ?? { device };
      d[key] = (d[key] ?? 0n) + value;
      devices.set(device, d);
    }
  };
  add(json.blkio_stats?.io_service_bytes_recursive, 'readBytes', 'writeBytes');
  add(json.blkio_stats?.io_serviced_recursive, 'reads', 'writes');
  return [...devices.values()].sort((a, b) => compareNames(a.device, b.device));
}
