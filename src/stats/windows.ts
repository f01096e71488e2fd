/**
 * Docker's Windows stats JSON → a domain StatsSample. Pure.
 *
 * What the engine sends (moby `daemon/stats_windows.go`, from HCS statistics):
 * - CPU in 100 ns units: `total_usage × 100` is nanoseconds, as hcsshim `task_hcs.go` and
 *   cri-dockerd `core/stats_windows.go` convert it. Kernel and user times are "not populated for
 *   Hyper-V containers" (moby `api/types/container/stats.go`): both 0 means unknown, not idle.
 * - Memory: `privateworkingset` is the working set (containerd `sandbox_stats_windows.go`
 *   convertToCRIStats), `commitbytes` is commit memory and the generic `usage_bytes`
 *   (containerd 7a46fe7e6 "Correct Commit Memory Aggregation for Windows Containers").
 *   All three are `omitempty`. No limit and no page faults are sent.
 * - Network keyed by HNS endpoint id; `rx_errors`/`tx_errors` are always 0 (HNS has no such
 *   counters), so they are left unknown.
 * - `num_procs` is the host's processor count, not a process count: the count comes from
 *   `GET /containers/{id}/top` when the caller asks for it (`processCount` option).
 */

import type { DockerStatsJson } from '../docker/stats-types.js';
import {
  headroom,
  networkSamples,
  parseDockerTime,
  previousCpuPoint,
  toBigInt,
  toBigIntNonZero,
} from './docker-values.js';
import type { CpuSample, DiskSample, MemorySample, StatsSample } from './sample.js';

/** Windows counts CPU time in 100 ns ticks. */
export const WINDOWS_CPU_UNIT_NS = 100n;

export interface WindowsSampleOptions {
  /** The limit the container was created with (0n: none): Windows stats carry no limit. */
  memoryLimitBytes?: bigint;
  /** Rows of `/top`, when the caller fetched them. */
  processCount?: number;
}

/** Undefined when the body holds no reading (the container is not running). */
export function windowsStatsToSample(
  json: DockerStatsJson,
  options: WindowsSampleOptions = {},
): StatsSample | undefined {
  const timestampNs = parseDockerTime(json.read);
  if (timestampNs === undefined) return undefined;
  const sample: StatsSample = {
    platform: 'windows',
    timestampNs,
    cpu: windowsCpu(json),
    memory: windowsMemory(json, options),
    network: networkSamples(json.networks, { withErrors: false }),
    disk: windowsDisk(json),
  };
  if (options.processCount !== undefined) sample.processCount = options.processCount;
  const previousCpu = previousCpuPoint(
    json.preread,
    json.precpu_stats?.cpu_usage?.total_usage,
    WINDOWS_CPU_UNIT_NS,
  );
  if (previousCpu) sample.previousCpu = previousCpu;
  return sample;
}

function windowsCpu(json: DockerStatsJson): CpuSample {
  const usage = json.cpu_stats?.cpu_usage;
  const total = toBigInt(usage?.total_usage);
  const kernel = toBigIntNonZero(usage?.usage_in_kernelmode);
  const user = toBigIntNonZero(usage?.usage_in_usermode);
  // Hyper-V: both unfilled. Process isolation: one of them may truly be 0 while the other is not.
  const split = kernel !== undefined || user !== undefined;
  return {
    usageCoreNanoSeconds: total === undefined ? undefined : total * WINDOWS_CPU_UNIT_NS,
    userNanoSeconds: split ? (user ?? 0n) * WINDOWS_CPU_UNIT_NS : undefined,
    systemNanoSeconds: split ? (kernel ?? 0n) * WINDOWS_CPU_UNIT_NS : undefined,
  };
}

function windowsMemory(json: DockerStatsJson, options: WindowsSampleOptions): MemorySample {
  const mem = json.memory_stats;
  const workingSetBytes = toBigIntNonZero(mem?.privateworkingset);
  const commitBytes = toBigIntNonZero(mem?.commitbytes);
  const limitBytes =
    options.memoryLimitBytes !== undefined && options.memoryLimitBytes > 0n
      ? options.memoryLimitBytes
      : undefined;
  return {
    workingSetBytes,
    usageBytes: commitBytes,
    commitBytes,
    commitPeakBytes: toBigIntNonZero(mem?.commitpeakbytes),
    limitBytes,
    availableBytes: headroom(limitBytes, workingSetBytes),
  };
}

/** The container's storage as one device "" (Windows reports no per-device split). */
function windowsDisk(json: DockerStatsJson): DiskSample[] {
  const s = json.storage_stats;
  if (!s) return [];
  const disk: DiskSample = {
    device: '',
    readBytes: toBigInt(s.read_size_bytes),
    writeBytes: toBigInt(s.write_size_bytes),
    reads: toBigInt(s.read_count_normalized),
    writes: toBigInt(s.write_count_normalized),
  };
  const any = [disk.readBytes, disk.writeBytes, disk.reads, disk.writes].some((v) => v !== undefined);
  return any ? [disk] : [];
}
