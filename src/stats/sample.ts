/**
 * The domain form of one stats reading of one container, what the Linux and Windows mappers make of
 * Docker's JSON and what the collector keeps. Quantities that the CRI carries as uint64 are bigints
 * (nanosecond timestamps and CPU times pass 2^53). A value the engine did not give is `undefined`,
 * never a 0 that would pass for a measurement.
 */

export type StatsPlatform = 'linux' | 'windows';

/** A cumulative CPU reading: what a rate is computed from. */
export interface CpuPoint {
  timestampNs: bigint;
  usageCoreNanoSeconds: bigint;
}

export interface CpuSample {
  /** Cumulative CPU time over all cores since the container started. */
  usageCoreNanoSeconds?: bigint;
  userNanoSeconds?: bigint;
  systemNanoSeconds?: bigint;
  /** CFS bandwidth: periods elapsed, periods throttled, time throttled (Linux). */
  cfsPeriods?: bigint;
  cfsThrottledPeriods?: bigint;
  cfsThrottledNanoSeconds?: bigint;
}

export interface MemorySample {
  /** Linux: usage − inactive file cache (cAdvisor). Windows: private working set. */
  workingSetBytes?: bigint;
  /** Linux: cgroup usage (includes page cache). Windows: commit bytes. */
  usageBytes?: bigint;
  rssBytes?: bigint;
  cacheBytes?: bigint;
  /** Cumulative minor + major page faults (Linux `pgfault`). */
  pageFaults?: bigint;
  majorPageFaults?: bigint;
  /** The container's memory limit, when it has one. */
  limitBytes?: bigint;
  /** limit − working set, floored at 0, when a limit is known (the generic CRI definition). */
  availableBytes?: bigint;
  /** Windows only. */
  commitBytes?: bigint;
  /** Windows only. */
  commitPeakBytes?: bigint;
  /** Linux: times the limit was hit (v1 only), the peak usage, mapped files, swap, kernel memory. */
  failcnt?: bigint;
  maxUsageBytes?: bigint;
  mappedFileBytes?: bigint;
  swapBytes?: bigint;
  kernelBytes?: bigint;
  /** Linux: OOM kills in the container's cgroup. */
  oomKills?: bigint;
}

/** What the container was given, as its cgroup holds it (Linux); each may be unknown. */
export interface SpecSample {
  cpuPeriodMicroseconds?: bigint;
  cpuShares?: bigint;
  /** v1: memory plus swap, a huge number when unlimited (as the kernel and cAdvisor report it). */
  swapLimitBytes?: bigint;
}

/** Threads and open files of the container's processes (Linux). */
export interface TaskSample {
  /** Tasks in the pids cgroup (every thread counts). */
  threads?: bigint;
  /** The pids limit; 0 when unlimited (cAdvisor's convention). */
  threadsMax?: bigint;
  fileDescriptors?: bigint;
  sockets?: bigint;
}

export interface NetworkInterfaceSample {
  /** Linux: interface name (eth0). Windows: HNS endpoint id. */
  name: string;
  rxBytes?: bigint;
  rxPackets?: bigint;
  rxErrors?: bigint;
  rxDropped?: bigint;
  txBytes?: bigint;
  txPackets?: bigint;
  txErrors?: bigint;
  txDropped?: bigint;
}

/** Block IO of one device (Linux `major:minor`), or the container's storage as a whole on Windows (""). */
export interface DiskSample {
  device: string;
  readBytes?: bigint;
  writeBytes?: bigint;
  reads?: bigint;
  writes?: bigint;
}

/** The filesystem under a writable layer (statfs), for cAdvisor's container_fs_* metrics. */
export interface LayerFilesystem {
  /** `major:minor`, as the block IO metrics name devices. */
  device: string;
  capacityBytes: bigint;
  inodesTotal: bigint;
  inodesFree: bigint;
}

export interface WritableLayerSample {
  usedBytes: bigint;
  inodesUsed?: bigint;
}

export interface StatsSample {
  platform: StatsPlatform;
  /** When the engine took the reading (Docker's `read`), in Unix nanoseconds. */
  timestampNs: bigint;
  cpu: CpuSample;
  memory: MemorySample;
  /** Sorted by name. Empty when the container has no network of its own. */
  network: NetworkInterfaceSample[];
  disk: DiskSample[];
  /** Linux: pids in the cgroup. Windows: only when a process count was asked for separately. */
  processCount?: number;
  tasks?: TaskSample;
  spec?: SpecSample;
  writableLayer?: WritableLayerSample;
  /**
   * The engine's own previous CPU reading (`precpu_stats` at `preread`), when it sent a real one:
   * lets a rate exist from the first sample.
   */
  previousCpu?: CpuPoint;
}

/** Code-unit order, so lists of interfaces and devices come out the same on every platform. */
export const compareNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
