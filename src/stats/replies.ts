/**
 * The stats RPC replies, assembled from what the collector holds and what the stores know. Pure
 * reads: nothing here touches the engine. A handler looks up its objects, builds the views below and
 * returns what these give (see docs/performance.md#stats for the wiring).
 */

import type { ContainerStats } from '../generated/runtime/v1/ContainerStats.js';
import type { PodSandboxMetrics } from '../generated/runtime/v1/PodSandboxMetrics.js';
import type { PodSandboxStats } from '../generated/runtime/v1/PodSandboxStats.js';
import { toCriPodSandboxMetrics, type ContainerMetricsInput } from './metrics.js';
import { podTotals, type PodMember } from './pod.js';
import type { StatsPlatform, StatsSample } from './sample.js';
import {
  toCriContainerStats,
  toCriPodSandboxStats,
  type ContainerIdentity,
  type ContainerStatsInput,
  type PodIdentity,
  type WritableLayerInfo,
} from './to-cri.js';

/** The collector's read side (StatsCollector satisfies it). */
export interface StatsReads {
  latest(id: string): StatsSample | undefined;
  rate(id: string): bigint | undefined;
  monotonic(id: string): StatsSample | undefined;
  /** Re-reads these containers' samples when older than a short bound (the collector's `refresh`). */
  refresh?(ids: Iterable<string>): Promise<void>;
}

export interface ContainerView {
  identity: ContainerIdentity;
  /** CRI state CONTAINER_RUNNING. */
  running: boolean;
  /** The image as the kubelet asked for it (the metrics' `image` label). */
  image: string;
  startedAtNs?: bigint;
  writableLayer?: WritableLayerInfo;
}

export interface PodView {
  identity: PodIdentity;
  platform: StatsPlatform;
  /** The Docker id of the sandbox (pause) container, whose stats and network are the pod's base. */
  sandboxContainerId: string;
}

function containerInput(reads: StatsReads, c: ContainerView, nowNs: bigint): ContainerStatsInput {
  const input: ContainerStatsInput = {
    identity: c.identity,
    sample: reads.latest(c.identity.id),
    usageNanoCores: reads.rate(c.identity.id),
    fallbackTimestampNs: nowNs,
  };
  if (c.writableLayer) input.writableLayer = c.writableLayer;
  return input;
}

/** ContainerStats / one entry of ListContainerStats. `nowNs` stamps a container not sampled yet. */
export function containerStatsReply(reads: StatsReads, c: ContainerView, nowNs: bigint): ContainerStats {
  return toCriContainerStats(containerInput(reads, c, nowNs));
}

/**
 * PodSandboxStats / one entry of ListPodSandboxStats. `containers` are the pod's containers in any
 * state; only the running ones are counted and listed (pod.ts says why).
 */
export function podSandboxStatsReply(
  reads: StatsReads,
  pod: PodView,
  containers: ContainerView[],
  nowNs: bigint,
): PodSandboxStats {
  const running = containers.filter((c) => c.running);
  const members: PodMember[] = [
    {
      isSandbox: true,
      running: true,
      sample: reads.latest(pod.sandboxContainerId),
      usageNanoCores: reads.rate(pod.sandboxContainerId),
    },
    ...running.map((c) => ({
      isSandbox: false,
      running: true,
      sample: reads.latest(c.identity.id),
      usageNanoCores: reads.rate(c.identity.id),
    })),
  ];
  return toCriPodSandboxStats({
    identity: pod.identity,
    platform: pod.platform,
    totals: podTotals(members),
    containers: running.map((c) => containerInput(reads, c, nowNs)),
    fallbackTimestampNs: nowNs,
  });
}

/** One entry of ListPodSandboxMetrics: the sandbox network and the running containers, monotonic. */
export function podSandboxMetricsReply(
  reads: StatsReads,
  pod: PodView,
  containers: ContainerView[],
): PodSandboxMetrics {
  const m = pod.identity.metadata;
  return toCriPodSandboxMetrics({
    podSandboxId: pod.identity.id,
    podName: m.name,
    namespace: m.namespace,
    sandboxSample: reads.monotonic(pod.sandboxContainerId),
    containers: containers
      .filter((c) => c.running)
      .map((c) => {
        const input: ContainerMetricsInput = {
          id: c.identity.id,
          image: c.image,
          name: c.identity.metadata.name,
          sample: reads.monotonic(c.identity.id),
        };
        if (c.startedAtNs !== undefined) input.startedAtNs = c.startedAtNs;
        if (c.writableLayer) input.writableLayer = c.writableLayer;
        return input;
      }),
  });
}
