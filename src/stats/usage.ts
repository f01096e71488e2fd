/**
 * CPU rate math: `usage_nano_cores` from two cumulative readings, as the kubelet computes it when a
 * runtime leaves it unset (`pkg/kubelet/stats/cri_stats_provider.go` getAndUpdateContainerUsageNanoCores)
 * and containerd's `getUsageNanoCores` does: Δusage_core_nano_seconds / Δt_ns × 1e9.
 *
 * No rate exists (undefined, never 0, never a wrapped huge number) when there is no earlier
 * reading, when time did not move forward (the same reading twice, or a clock step back), or when
 * the counter went down (a reset: the container's processes were restarted under the same id).
 * Integer bigint math: exact, truncated to whole nano-cores.
 */

import type { CpuPoint, StatsSample } from './sample.js';

const NS_PER_SECOND = 1_000_000_000n;

export function usageNanoCores(
  previous: CpuPoint | undefined,
  current: CpuPoint | undefined,
): bigint | undefined {
  if (!previous || !current) return undefined;
  const dt = current.timestampNs - previous.timestampNs;
  if (dt <= 0n) return undefined;
  const dcpu = current.usageCoreNanoSeconds - previous.usageCoreNanoSeconds;
  if (dcpu < 0n) return undefined;
  return (dcpu * NS_PER_SECOND) / dt;
}

/** The CPU point of a sample, when it has a cumulative CPU reading. */
export function cpuPointOf(sample: StatsSample | undefined): CpuPoint | undefined {
  const usage = sample?.cpu.usageCoreNanoSeconds;
  if (!sample || usage === undefined) return undefined;
  return { timestampNs: sample.timestampNs, usageCoreNanoSeconds: usage };
}

/**
 * The rate over the two newest readings we hold; with only one, over the engine's own previous
 * reading (`precpu_stats`) when it sent one.
 */
export function sampleRate(
  previous: StatsSample | undefined,
  latest: StatsSample | undefined,
): bigint | undefined {
  const current = cpuPointOf(latest);
  return usageNanoCores(cpuPointOf(previous) ?? latest?.previousCpu, current);
}
