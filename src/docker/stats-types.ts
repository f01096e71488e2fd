/**
 * The JSON of `GET /containers/{id}/stats?stream=false` as the engine sends it, Linux and Windows
 * in one shape (moby `api/types/container/stats.go`, `StatsResponse`). Every field is optional on
 * purpose: engines omit `omitempty` fields that are zero, cgroup v2 drops several v1 fields, a
 * Windows engine sends none of the Linux ones, Hyper-V containers leave the kernel/user CPU times
 * at 0, and a container that is not running yields an all-zero body with `read` at the zero time.
 * Numbers are what `JSON.parse` makes of Docker's uint64s (exact up to 2^53).
 */

/** One line of `blkio_stats.*_recursive`. On cgroup v2 `op` is lower case ("read"/"write"). */
export interface DockerBlkioEntry {
  major?: number;
  minor?: number;
  op?: string;
  value?: number;
}

/** Linux only; on cgroup v2 only `io_service_bytes_recursive` is filled, the others are null. */
export interface DockerBlkioStats {
  io_service_bytes_recursive?: DockerBlkioEntry[] | null;
  io_serviced_recursive?: DockerBlkioEntry[] | null;
  io_queue_recursive?: DockerBlkioEntry[] | null;
  io_service_time_recursive?: DockerBlkioEntry[] | null;
  io_wait_time_recursive?: DockerBlkioEntry[] | null;
  io_merged_recursive?: DockerBlkioEntry[] | null;
  io_time_recursive?: DockerBlkioEntry[] | null;
  sectors_recursive?: DockerBlkioEntry[] | null;
}

export interface DockerCpuUsage {
  /** Linux: nanoseconds. Windows: 100 ns units (HCS `TotalRuntime100ns`). */
  total_usage?: number;
  /** Linux cgroup v1 only, nanoseconds per CPU. */
  percpu_usage?: number[] | null;
  /** Linux: ns; Windows: 100 ns units, 0 for Hyper-V containers ("not populated"). */
  usage_in_kernelmode?: number;
  /** Linux: ns; Windows: 100 ns units, 0 for Hyper-V containers ("not populated"). */
  usage_in_usermode?: number;
}

export interface DockerThrottlingData {
  periods?: number;
  throttled_periods?: number;
  /** Nanoseconds. */
  throttled_time?: number;
}

export interface DockerCpuStats {
  cpu_usage?: DockerCpuUsage;
  /** Linux only: host CPU time in ns. */
  system_cpu_usage?: number;
  /** Linux only. */
  online_cpus?: number;
  /** Linux only. */
  throttling_data?: DockerThrottlingData;
}

/**
 * `memory.stat` of the container's cgroup, passed through by the engine. The keys differ by cgroup
 * version; the ones wincri reads are listed, any other key may appear.
 */
export interface DockerMemoryStatKeys {
  // cgroup v1 (hierarchical totals carry the `total_` prefix)
  cache?: number;
  rss?: number;
  rss_huge?: number;
  mapped_file?: number;
  swap?: number;
  total_cache?: number;
  total_rss?: number;
  total_inactive_file?: number;
  total_active_file?: number;
  total_pgfault?: number;
  total_pgmajfault?: number;
  total_mapped_file?: number;
  hierarchical_memory_limit?: number;
  // cgroup v2
  anon?: number;
  file?: number;
  file_mapped?: number;
  kernel_stack?: number;
  slab?: number;
  // both
  active_anon?: number;
  inactive_anon?: number;
  active_file?: number;
  inactive_file?: number;
  pgfault?: number;
  pgmajfault?: number;
}

export type DockerMemoryStat = DockerMemoryStatKeys & Record<string, number | undefined>;

export interface DockerMemoryStats {
  // Linux
  /** Bytes; cgroup v1 `memory.usage_in_bytes`, v2 `memory.current`. */
  usage?: number;
  /** cgroup v1 only. */
  max_usage?: number;
  stats?: DockerMemoryStat;
  /** cgroup v1 only. */
  failcnt?: number;
  /** The cgroup limit, or the host's memory when the container has none. */
  limit?: number;
  // Windows (omitted when 0)
  commitbytes?: number;
  commitpeakbytes?: number;
  privateworkingset?: number;
}

export interface DockerNetworkStats {
  rx_bytes?: number;
  rx_packets?: number;
  /** Always 0 on Windows: HNS does not count errors. */
  rx_errors?: number;
  rx_dropped?: number;
  tx_bytes?: number;
  tx_packets?: number;
  /** Always 0 on Windows: HNS does not count errors. */
  tx_errors?: number;
  tx_dropped?: number;
  /** Windows only: the HNS endpoint id (also the key of `networks`). */
  endpoint_id?: string;
  /** Windows only. */
  instance_id?: string;
}

export interface DockerPidsStats {
  current?: number;
  /** 0 or absent: no limit. */
  limit?: number;
}

/** Windows only; omitted fields are 0. */
export interface DockerStorageStats {
  read_count_normalized?: number;
  read_size_bytes?: number;
  write_count_normalized?: number;
  write_size_bytes?: number;
}

export interface DockerStatsJson {
  id?: string;
  name?: string;
  /** "linux" or "windows"; sent since API 1.52 only. */
  os_type?: string;
  /** RFC 3339 with nanoseconds; "0001-01-01T00:00:00Z" when the container is not running. */
  read?: string;
  /** The previous sample's time; the zero time with `one-shot=true` or on a stream's first message. */
  preread?: string;
  /** Linux only. */
  pids_stats?: DockerPidsStats;
  /** Linux only. */
  blkio_stats?: DockerBlkioStats;
  /** Windows: the host's logical processor count (GetSystemInfo), NOT a process count. */
  num_procs?: number;
  /** Windows only. */
  storage_stats?: DockerStorageStats;
  cpu_stats?: DockerCpuStats;
  precpu_stats?: DockerCpuStats;
  memory_stats?: DockerMemoryStats;
  /** Linux: keyed by interface name (eth0). Windows: keyed by HNS endpoint id. Absent without networking. */
  networks?: Record<string, DockerNetworkStats>;
  /**
   * Not Docker's: what only wincri's own cgroup reader (src/stats/cgroup-files.ts) fills, values the
   * engine's stats call does not carry. Absent when the engine answered.
   */
  wincri_cgroup?: CgroupExtras;
}

/** Linux values read from the container's cgroup and /proc beyond Docker's stats JSON; each may be absent. */
export interface CgroupExtras {
  /** Bytes of kernel memory (v1 memory.kmem.usage_in_bytes, v2 memory.stat `kernel`). */
  kernel_usage?: number;
  /** OOM kills in the cgroup (v1 memory.oom_control, v2 memory.events `oom_kill`). */
  oom_kills?: number;
  /** Open file descriptors and sockets over the container's processes. */
  file_descriptors?: number;
  sockets?: number;
  /** cpu.cfs_period_us (v1) or the period of cpu.max (v2), microseconds. */
  cpu_period_us?: number;
  /** cpu.shares (v1), or cpu.weight converted to shares as cAdvisor does (v2). */
  cpu_shares?: number;
  /**
   * memory.memsw.limit_in_bytes (v1: memory plus swap, a huge number when unlimited, reported as is
   * like cAdvisor) or memory.swap.max (v2; absent when "max"). Decimal text: it passes 2^53.
   */
  swap_limit_bytes?: string;
}
