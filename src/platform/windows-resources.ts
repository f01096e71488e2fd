/**
 * CRI `WindowsContainerResources` -> Docker `HostConfig` resources, for a Windows engine.
 *
 * CPU: one control only. Process-isolated job objects take either a weight or a hard cap, never
 * both, and Docker enforces it (moby daemon/daemon_windows.go `verifyContainerResources`):
 * CpuCount beats CpuShares beats CpuPercent (the losers are zeroed with a warning), and NanoCpus
 * together with CpuShares or CpuPercent is a hard error. Under Hyper-V, Docker turns NanoCpus into
 * the VM's CPU count, overwriting CpuCount. So wincri sends exactly one, by the precedence
 * cpu_count > cpu_shares > cpu_maximum, which is Docker's order with NanoCpus in CpuPercent's
 * place and agrees with the kubelet ("CPUCount first, then CPUMaximum"). The kubelet itself only
 * ever sends cpu_maximum.
 *
 * cpu_maximum is the kubelet's "percent of the whole host times 100": the kubelet computes
 * `clamp(10 * limitMilliCPU / ProcessorCount, 1, 10000)` (pkg/kubelet/kuberuntime/
 * kuberuntime_container_windows.go, calculateCPUMaximum). wincri sends
 * `NanoCpus = cpu_maximum * NCPU * 1e5`, and Docker turns it back with
 * `Maximum = NanoCpus / NCPU / 1e5` (moby daemon/oci_windows.go, setResourcesInSpec), which is
 * cpu_maximum exactly as long as both sides count the same CPUs: use the engine's NCPU.
 */
import { invalidArgument } from '../errors.js';
import type { Resources } from '../docker/types.js';
import type { WindowsContainerResources__Output } from '../generated/runtime/v1/WindowsContainerResources.js';
import type { HostFacts } from './host-facts.js';

/** The CRI's cpu_maximum range: percent of the host's CPUs times 100. */
export const CPU_MAXIMUM_LIMIT = 10_000;
/** Docker on Windows: CpuShares range (moby `windowsMaxCPUShares`). */
export const WINDOWS_MAX_CPU_SHARES = 10_000;

/** An int64 field (a decimal string from proto-loader) as a non-negative safe integer. */
export function nonNegativeInt64(value: string | undefined, field: string): number {
  const text = value ?? '0';
  if (!/^-?\d+$/.test(text)) throw invalidArgument(`${field}: ${JSON.stringify(text)} is not an integer`);
  const n = Number(text);
  if (n < 0) throw invalidArgument(`${field}: ${text} is negative`);
  if (!Number.isSafeInteger(n))
    throw invalidArgument(`${field}: ${text} is larger than wincri can pass to Docker (2^53 - 1)`);
  return n;
}

export type CpuControl = 'cpu_count' | 'cpu_shares' | 'cpu_maximum';

export interface CpuChoice {
  /** The control sent to Docker, if any. */
  control?: CpuControl;
  /** Controls the request set but that lose to `control`. */
  dropped: CpuControl[];
}

interface CpuValues {
  cpuCount: number;
  cpuShares: number;
  cpuMaximum: number;
}

function cpuValues(r: WindowsContainerResources__Output): CpuValues {
  const cpuShares = nonNegativeInt64(r.cpu_shares, 'windows.resources.cpu_shares');
  if (cpuShares > WINDOWS_MAX_CPU_SHARES) {
    throw invalidArgument(
      `windows.resources.cpu_shares: ${cpuShares} is out of Docker's Windows range 0 to ${WINDOWS_MAX_CPU_SHARES}`,
    );
  }
  const cpuMaximum = nonNegativeInt64(r.cpu_maximum, 'windows.resources.cpu_maximum');
  if (cpuMaximum > CPU_MAXIMUM_LIMIT) {
    throw invalidArgument(
      `windows.resources.cpu_maximum: ${cpuMaximum} is out of range 1 to ${CPU_MAXIMUM_LIMIT} (percent of the host's CPUs times 100)`,
    );
  }
  return { cpuCount: nonNegativeInt64(r.cpu_count, 'windows.resources.cpu_count'), cpuShares, cpuMaximum };
}

function chooseCpu(v: CpuValues): CpuChoice {
  const set: CpuControl[] = [];
  if (v.cpuCount > 0) set.push('cpu_count');
  if (v.cpuShares > 0) set.push('cpu_shares');
  if (v.cpuMaximum > 0) set.push('cpu_maximum');
  const [control, ...dropped] = set;
  return control === undefined ? { dropped } : { control, dropped };
}

/** Which CPU control `r` ends up as, and which it sets but lose (for a log line). */
export function windowsCpuChoice(r: WindowsContainerResources__Output | null | undefined): CpuChoice {
  return r ? chooseCpu(cpuValues(r)) : { dropped: [] };
}

/**
 * The Docker resources for `r`. Throws INVALID_ARGUMENT for values Docker would refuse, and for
 * `affinity_cpus`: Docker on Windows rejects CpusetCpus and has no other way to pin CPUs.
 */
export function windowsResources(
  r: WindowsContainerResources__Output | null | undefined,
  facts: HostFacts,
): Resources {
  if (!r) return {};
  if (r.affinity_cpus.length > 0) {
    throw invalidArgument(
      'windows.resources.affinity_cpus cannot be applied: Docker on Windows has no CPU affinity (it rejects CpusetCpus). ' +
        "Turn off the kubelet's WindowsCPUAndMemoryAffinity feature gate or its CPU manager policy on this node",
    );
  }
  const values = cpuValues(r);
  const out: Resources = {};
  switch (chooseCpu(values).control) {
    case 'cpu_count':
      out.CpuCount = values.cpuCount;
      break;
    case 'cpu_shares':
      out.CpuShares = values.cpuShares;
      break;
    case 'cpu_maximum':
      out.NanoCpus = nanoCpusFromCpuMaximum(values.cpuMaximum, facts.ncpu);
      break;
    case undefined:
      break;
  }
  const memory = nonNegativeInt64(r.memory_limit_in_bytes, 'windows.resources.memory_limit_in_bytes');
  if (memory > 0) out.Memory = memory;
  return out;
}

/** `NanoCpus` for a cpu_maximum: the share of all `ncpu` CPUs, in billionths of a CPU. */
export function nanoCpusFromCpuMaximum(cpuMaximum: number, ncpu: number): number {
  if (!Number.isInteger(ncpu) || ncpu < 1)
    throw invalidArgument(`the host's CPU count ${ncpu} is unusable for a CPU limit`);
  return cpuMaximum * ncpu * 100_000;
}

/**
 * `HostConfig.StorageOpt` for a rootfs size: Docker's windowsfilter driver reads `size` (bytes, or
 * units like "20G") and only ever grows the container's scratch disk, whose default is 127GB in
 * moby, so a smaller size is a no-op there.
 */
export function windowsStorageOpt(
  r: WindowsContainerResources__Output | null | undefined,
): Record<string, string> | undefined {
  const size = r ? nonNegativeInt64(r.rootfs_size_in_bytes, 'windows.resources.rootfs_size_in_bytes') : 0;
  return size > 0 ? { size: String(size) } : undefined;
}
