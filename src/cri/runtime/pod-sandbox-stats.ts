import type { ListPodSandboxStatsRequest__Output } from '../../generated/runtime/v1/ListPodSandboxStatsRequest.js';
import type { ListPodSandboxStatsResponse } from '../../generated/runtime/v1/ListPodSandboxStatsResponse.js';
import type { PodSandboxStats } from '../../generated/runtime/v1/PodSandboxStats.js';
import type { PodSandboxStatsRequest__Output } from '../../generated/runtime/v1/PodSandboxStatsRequest.js';
import type { PodSandboxStatsResponse } from '../../generated/runtime/v1/PodSandboxStatsResponse.js';
import type { SandboxRecord } from '../../store/runtime-store.js';
import { podSandboxStatsReply } from '../../stats/replies.js';
import { nowNs } from '../convert/time.js';
import { containerView, podView, selectSandboxes, type StatsDeps } from './stats-views.js';

/**
 * PodSandboxStats and ListPodSandboxStats: the pod's CPU and memory are the sandbox plus its
 * running containers (src/stats/pod.ts says why), network from the sandbox; from memory.
 */
export async function podSandboxStats(
  deps: StatsDeps,
  req: PodSandboxStatsRequest__Output,
): Promise<PodSandboxStatsResponse> {
  return { stats: statsOf(deps, deps.store.resolveSandbox(req.pod_sandbox_id), nowNs()) };
}

export async function listPodSandboxStats(
  deps: StatsDeps,
  req: ListPodSandboxStatsRequest__Output,
): Promise<ListPodSandboxStatsResponse> {
  const now = nowNs();
  return { stats: selectSandboxes(deps.store, req.filter).map((s) => statsOf(deps, s, now)) };
}

function statsOf(deps: StatsDeps, sandbox: SandboxRecord, now: bigint): PodSandboxStats {
  const containers = deps.store.containersOf(sandbox.id).map((c) => containerView(c, deps.writableLayers));
  return podSandboxStatsReply(deps.stats, podView(sandbox, deps.platform()), containers, now);
}
