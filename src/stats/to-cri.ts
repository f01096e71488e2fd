/**
 * Domain stats → CRI messages. Pure; the only place in the stats module that knows the generated
 * proto types. uint64/int64 become decimal strings (proto-loader `longs: String`); an unknown
 * value becomes an unset `UInt64Value` (null), never a 0.
 *
 * Timestamps are never 0 (critest "runtime should support listing container stats" expects
 * non-zero `cpu.timestamp` and `memory.timestamp` right after StartContainer, before any sample can
 * exist). With a sample, every part carries the engine's reading time. Without one, the parts carry
 * `fallbackTimestampNs` (the handler passes "now") and no values: "as of now, nothing measured",
 * which the kubelet reads as missing data, not as zero use. A container's creation time would
 * claim a measurement that never happened.
 */

import type { ContainerAttributes } from '../generated/runtime/v1/ContainerAttributes.js';
import type { ContainerStats } from '../generated/runtime/v1/ContainerStats.js';
import type { CpuUsage } from '../generated/runtime/v1/CpuUsage.js';
import type { FilesystemUsage } from '../generated/runtime/v1/FilesystemUsage.js';
import type { LinuxPodSandboxStats } from '../generated/runtime/v1/LinuxPodSandboxStats.js';
import type { MemoryUsage } from '../generated/runtime/v1/MemoryUsage.js';
import type { NetworkInterfaceUsage } from '../generated/runtime/v1/NetworkInterfaceUsage.js';
import type { PodSandboxAttributes } from '../generated/runtime/v1/PodSandboxAttributes.js';
import type { PodSandboxStats } from '../generated/runtime/v1/PodSandboxStats.js';
import type { UInt64Value } from '../generated/runtime/v1/UInt64Value.js';
import type { WindowsContainerStats } from '../generated/runtime/v1/WindowsContainerStats.js';
import type { WindowsCpuUsage } from '../generated/runtime/v1/WindowsCpuUsage.js';
import type { WindowsFilesystemUsage } from '../generated/runtime/v1/WindowsFilesystemUsage.js';
import type { WindowsMemoryUsage } from '../generated/runtime/v1/WindowsMemoryUsage.js';
import type { WindowsNetworkInterfaceUsage } from '../generated/runtime/v1/WindowsNetworkInterfaceUsage.js';
import type { WindowsPodSandboxStats } from '../generated/runtime/v1/WindowsPodSandboxStats.js';
import type { PodTotals } from './pod.js';
import { headroom } from './docker-values.js';
import type {
  LayerFilesystem,
  MemorySample,
  NetworkInterfaceSample,
  StatsPlatform,
  StatsSample,
} from './sample.js';

/** Who a container stats entry belongs to; the handler fills it from the container store. */
export interface ContainerIdentity {
  id: string;
  metadata: { name: string; attempt: number };
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Who a pod stats entry belongs to; the handler fills it from the sandbox store. */
export interface PodIdentity {
  id: string;
  metadata: { name: string; uid: string; namespace: string; attempt: number };
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** The writable layer, when known (src/stats/writable-layers.ts: walked by wincri, or the engine's `size=1` listing). */
export interface WritableLayerInfo {
  mountpoint: string;
  usedBytes: bigint;
  inodesUsed?: bigint;
  timestampNs?: bigint;
  filesystem?: LayerFilesystem;
}

export interface ContainerStatsInput {
  identity: ContainerIdentity;
  /** The collector's latest reading; undefined before the first one. */
  sample: StatsSample | undefined;
  /** The collector's rate; undefined when there is none yet. */
  usageNanoCores: bigint | undefined;
  /** Non-zero time for the parts when there is no sample (the handler passes now). */
  fallbackTimestampNs: bigint;
  writableLayer?: WritableLayerInfo;
}

export interface PodStatsInput {
  identity: PodIdentity;
  platform: StatsPlatform;
  totals: PodTotals;
  /** The counted members (the sandbox container excluded), as in `toCriContainerStats`. */
  containers: ContainerStatsInput[];
  fallbackTimestampNs: bigint;
}

/** Linux interfaces are named; the kubelet's default is eth0 (`network.DefaultInterfaceName`). */
export const LINUX_DEFAULT_INTERFACE = 'eth0';

export const u64 = (v: bigint | number | undefined): UInt64Value | null =>
  v === undefined ? null : { value: v.toString() };

const ts = (sampleNs: bigint | undefined, fallbackNs: bigint): string => (sampleNs ?? fallbackNs).toString();

function containerAttributes(identity: ContainerIdentity): ContainerAttributes {
  return {
    id: identity.id,
    metadata: { name: identity.metadata.name, attempt: identity.metadata.attempt },
    labels: { ...identity.labels },
    annotations: { ...identity.annotations },
  };
}

function podAttributes(identity: PodIdentity): PodSandboxAttributes {
  const m = identity.metadata;
  return {
    id: identity.id,
    metadata: { name: m.name, uid: m.uid, namespace: m.namespace, attempt: m.attempt },
    labels: { ...identity.labels },
    annotations: { ...identity.annotations },
  };
}

type MemoryFields = Pick<
  MemorySample,
  | 'workingSetBytes'
  | 'availableBytes'
  | 'usageBytes'
  | 'rssBytes'
  | 'pageFaults'
  | 'majorPageFaults'
  | 'commitBytes'
  | 'limitBytes'
>;

/** CpuUsage and WindowsCpuUsage have the same fields. */
function cpuUsage(
  t: string,
  usage: bigint | undefined,
  rate: bigint | undefined,
): CpuUsage & WindowsCpuUsage {
  return { timestamp: t, usage_core_nano_seconds: u64(usage), usage_nano_cores: u64(rate) };
}

function memoryUsage(t: string, mem: MemoryFields | undefined): MemoryUsage {
  return {
    timestamp: t,
    working_set_bytes: u64(mem?.workingSetBytes),
    available_bytes: u64(mem?.availableBytes),
    usage_bytes: u64(mem?.usageBytes),
    rss_bytes: u64(mem?.rssBytes),
    page_faults: u64(mem?.pageFaults),
    major_page_faults: u64(mem?.majorPageFaults),
  };
}

/** Windows `available_bytes` is "the memory limit − commit_memory_bytes" (api.proto, since 1.28). */
function windowsMemoryUsage(t: string, mem: MemoryFields | undefined): WindowsMemoryUsage {
  return {
    timestamp: t,
    working_set_bytes: u64(mem?.workingSetBytes),
    available_bytes: u64(headroom(mem?.limitBytes, mem?.commitBytes)),
    page_faults: u64(mem?.pageFaults),
    commit_memory_bytes: u64(mem?.commitBytes),
  };
}

/** The generic ContainerStats, which `ContainerStats`/`ListContainerStats` return on Linux and Windows alike. */
export function toCriContainerStats(input: ContainerStatsInput): ContainerStats {
  const { sample, fallbackTimestampNs } = input;
  const t = ts(sample?.timestampNs, fallbackTimestampNs);
  const stats: ContainerStats = {
    attributes: containerAttributes(input.identity),
    cpu: cpuUsage(t, sample?.cpu.usageCoreNanoSeconds, input.usageNanoCores),
    memory: memoryUsage(t, sample?.memory),
  };
  const layer = input.writableLayer;
  if (layer) {
    const fs: FilesystemUsage = {
      ...windowsFilesystemUsage(layer, fallbackTimestampNs),
      inodes_used: u64(layer.inodesUsed),
    };
    stats.writable_layer = fs;
  }
  return stats;
}

/** WindowsFilesystemUsage is FilesystemUsage without inodes. */
function windowsFilesystemUsage(
  layer: WritableLayerInfo,
  fallbackTimestampNs: bigint,
): WindowsFilesystemUsage {
  return {
    timestamp: ts(layer.timestampNs, fallbackTimestampNs),
    fs_id: { mountpoint: layer.mountpoint },
    used_bytes: u64(layer.usedBytes),
  };
}

/** WindowsContainerStats, which appears only inside WindowsPodSandboxStats. */
export function toCriWindowsContainerStats(input: ContainerStatsInput): WindowsContainerStats {
  const { sample, fallbackTimestampNs } = input;
  const t = ts(sample?.timestampNs, fallbackTimestampNs);
  const stats: WindowsContainerStats = {
    attributes: containerAttributes(input.identity),
    cpu: cpuUsage(t, sample?.cpu.usageCoreNanoSeconds, input.usageNanoCores),
    memory: windowsMemoryUsage(t, sample?.memory),
  };
  if (input.writableLayer)
    stats.writable_layer = windowsFilesystemUsage(input.writableLayer, fallbackTimestampNs);
  return stats;
}

/**
 * The default interface: eth0 on Linux when present; on Windows the first endpoint, as containerd
 * does ("no way to determine the default interface in windows").
 */
export function defaultInterface(
  platform: StatsPlatform,
  interfaces: NetworkInterfaceSample[],
): NetworkInterfaceSample | undefined {
  if (platform === 'linux')
    return interfaces.find((i) => i.name === LINUX_DEFAULT_INTERFACE) ?? interfaces[0];
  return interfaces[0];
}

function linuxInterface(i: NetworkInterfaceSample): NetworkInterfaceUsage {
  return {
    name: i.name,
    rx_bytes: u64(i.rxBytes),
    rx_errors: u64(i.rxErrors),
    tx_bytes: u64(i.txBytes),
    tx_errors: u64(i.txErrors),
  };
}

function windowsInterface(i: NetworkInterfaceSample): WindowsNetworkInterfaceUsage {
  return {
    name: i.name,
    rx_bytes: u64(i.rxBytes),
    rx_packets_dropped: u64(i.rxDropped),
    tx_bytes: u64(i.txBytes),
    tx_packets_dropped: u64(i.txDropped),
  };
}

/** NetworkUsage or WindowsNetworkUsage, by the interface converter given. */
function networkUsage<I>(
  platform: StatsPlatform,
  totals: PodTotals,
  fallbackTimestampNs: bigint,
  convert: (i: NetworkInterfaceSample) => I,
): { timestamp: string; default_interface: I | null; interfaces: I[] } | null {
  // No reading of the sandbox container yet: no network part rather than one that claims no interfaces.
  if (totals.network.timestampNs === undefined) return null;
  const def = defaultInterface(platform, totals.network.interfaces);
  return {
    timestamp: ts(totals.network.timestampNs, fallbackTimestampNs),
    default_interface: def ? convert(def) : null,
    interfaces: totals.network.interfaces.map(convert),
  };
}

/** PodSandboxStats with the part of the pod's platform set and the other left null. */
export function toCriPodSandboxStats(input: PodStatsInput): PodSandboxStats {
  const { totals, fallbackTimestampNs, platform } = input;
  const t = ts(totals.timestampNs, fallbackTimestampNs);
  const cpu = cpuUsage(t, totals.cpu.usageCoreNanoSeconds, totals.cpu.usageNanoCores);
  const process = { timestamp: t, process_count: u64(totals.processCount) };
  const attributes = podAttributes(input.identity);

  if (platform === 'windows') {
    const windows: WindowsPodSandboxStats = {
      cpu,
      memory: windowsMemoryUsage(t, totals.memory),
      network: networkUsage(platform, totals, fallbackTimestampNs, windowsInterface),
      process,
      containers: input.containers.map(toCriWindowsContainerStats),
    };
    return { attributes, linux: null, windows };
  }
  const linux: LinuxPodSandboxStats = {
    cpu,
    memory: memoryUsage(t, totals.memory),
    network: networkUsage(platform, totals, fallbackTimestampNs, linuxInterface),
    process,
    containers: input.containers.map(toCriContainerStats),
  };
  return { attributes, linux, windows: null };
}
