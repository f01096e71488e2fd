/**
 * Pod totals from the pod's containers. Pure.
 *
 * Docker gives no pod-level cgroup reading, so a pod is the sum of its members, as containerd does
 * on Windows where "there isn't something like a parent cgroup" (`internal/cri/server/
 * sandbox_stats_windows.go` toPodSandboxStats): the sandbox (pause) container's own stats plus
 * those of every container in the RUNNING state. Created, exited (init) and unknown containers do
 * not count: they have no live reading. Network comes from the sandbox container alone (every
 * container shares its network namespace, so summing would count each byte once per member), and
 * the process count is summed over the counted members, as containerd's getSandboxPidCount does.
 *
 * A total is undefined when no counted member has that value; otherwise it is the sum of those that
 * have it. The pod's CPU rate is the sum of the members' own rates, so a member joining or leaving
 * does not read as a counter reset of the pod.
 */

import { headroom } from './docker-values.js';
import type { NetworkInterfaceSample, StatsSample } from './sample.js';

export interface PodMember {
  /** The sandbox (pause) container itself. */
  isSandbox: boolean;
  /** CRI state is CONTAINER_RUNNING (the sandbox counts while the pod is ready). */
  running: boolean;
  sample: StatsSample | undefined;
  usageNanoCores: bigint | undefined;
}

export interface PodTotals {
  /** The newest reading among the counted members; undefined when none has one. */
  timestampNs?: bigint;
  cpu: { usageCoreNanoSeconds?: bigint; usageNanoCores?: bigint };
  memory: {
    workingSetBytes?: bigint;
    usageBytes?: bigint;
    rssBytes?: bigint;
    pageFaults?: bigint;
    majorPageFaults?: bigint;
    commitBytes?: bigint;
    /** Σ limits of the non-sandbox counted containers, when every one of them has a limit. */
    limitBytes?: bigint;
    /** limit − working set, floored at 0, when the pod has a limit. */
    availableBytes?: bigint;
  };
  /** The sandbox container's interfaces, with the time of its reading. */
  network: { timestampNs?: bigint; interfaces: NetworkInterfaceSample[] };
  processCount?: number;
  /** How many members were counted (the sandbox and the running containers). */
  countedMembers: number;
}

function sum(values: (bigint | undefined)[]): bigint | undefined {
  let total: bigint | undefined;
  for (const v of values) if (v !== undefined) total = (total ?? 0n) + v;
  return total;
}

export function podTotals(members: PodMember[]): PodTotals {
  const counted = members.filter((m) => m.isSandbox || m.running);
  const samples = counted.flatMap((m) => (m.sample ? [m.sample] : []));
  const mem = samples.map((s) => s.memory);
  const sandbox = counted.find((m) => m.isSandbox)?.sample;

  const limited = counted.filter((m) => !m.isSandbox);
  const limits = limited.map((m) => m.sample?.memory.limitBytes);
  const limitBytes = limits.length > 0 && limits.every((l) => l !== undefined) ? sum(limits) : undefined;
  const workingSetBytes = sum(mem.map((m) => m.workingSetBytes));

  const processCounts = samples.flatMap((s) => (s.processCount === undefined ? [] : [s.processCount]));
  let timestampNs: bigint | undefined;
  for (const s of samples)
    if (timestampNs === undefined || s.timestampNs > timestampNs) timestampNs = s.timestampNs;

  const totals: PodTotals = {
    cpu: {
      usageCoreNanoSeconds: sum(samples.map((s) => s.cpu.usageCoreNanoSeconds)),
      usageNanoCores: sum(counted.map((m) => m.usageNanoCores)),
    },
    memory: {
      workingSetBytes,
      usageBytes: sum(mem.map((m) => m.usageBytes)),
      rssBytes: sum(mem.map((m) => m.rssBytes)),
      pageFaults: sum(mem.map((m) => m.pageFaults)),
      majorPageFaults: sum(mem.map((m) => m.majorPageFaults)),
      commitBytes: sum(mem.map((m) => m.commitBytes)),
      limitBytes,
      availableBytes: headroom(limitBytes, workingSetBytes),
    },
    network: { timestampNs: sandbox?.timestampNs, interfaces: sandbox?.network ?? [] },
    countedMembers: counted.length,
  };
  if (timestampNs !== undefined) totals.timestampNs = timestampNs;
  if (processCounts.length > 0) totals.processCount = processCounts.reduce((a, b) => a + b, 0);
  return totals;
}
