import type { ListPodSandboxStatsRequest__Output } from '../../generated/runtime/v1/ListPodSandboxStatsRequest.js';
import type { ListPodSandboxStatsResponse } from '../../generated/runtime/v1/ListPodSandboxStatsResponse.js';
import type { PodSandboxStats } from '../../generated/runtime/v1/PodSandboxStats.js';
import type { PodSandboxStatsRequest__Output } from '../../generated/runtime/v1/PodSandboxStatsRequest.js';
import type { PodSandboxStatsResponse } from '../../generated/runtime/v1/PodSandboxStatsResponse.js';
import type { SandboxRecord } from '../../store/runtime-store.js';
import { podSandboxStatsReply } from '../../stats/replies.js';
import { nowNs } from '../convert/time.js';
import { ItemMemo } from '../memo.js';
import { containerView, podView, selectSandboxes, type StatsDeps } from './stats-views.js';

/**
 * PodSandboxStats and ListPodSandboxStats: the pod's CPU and memory are the sandbox plus its
 * running containers (src/stats/pod.ts says why), network from the sandbox; from memory.
 */
export async function podSandboxStats(
  deps: StatsDeps,
  req: PodSandboxStatsRequest__Output,
): Promise<PodSandboxStatsResponse> {
  const sandbox = deps.store.resolveSandbox(req.pod_sandbox_id);
  await refreshMembers(deps, [sandbox]);
  return { stats: statsOf(deps, sandbox, nowNs()) };
}

export async function listPodSandboxStats(
  deps: StatsDeps,
  req: ListPodSandboxStatsRequest__Output,
): Promise<ListPodSandboxStatsResponse> {
  const selected = selectSandboxes(deps.store, req.filter);
  await refreshMembers(deps, selected);
  const now = nowNs();
  return { stats: selected.map((s) => statsOf(deps, s, now)) };
}

/** The pods' sandboxes and running containers, re-read when older than the collector's bound. */
function refreshMembers(deps: StatsDeps, sandboxes: SandboxRecord[]): Promise<void> | undefined {
  if (!deps.stats.refresh) return undefined;
  const ids = sandboxes.flatMap((s) => [
    s.id,
    ...deps.store.containersOf(s.id).flatMap((c) => (c.details.state.running ? [c.id] : [])),
  ]);
  return deps.stats.refresh(ids);
}

/**
 * One item per pod, kept while the pod's record, its containers' records, every counted member's
 * sample and the writable layer readings are the current ones (src/cri/memo.ts). Not kept while a
 * counted member has no sample: its part of the answer then says "now".
 */
const items = new ItemMemo<SandboxRecord, PodSandboxStats>();

function statsOf(deps: StatsDeps, sandbox: SandboxRecord, now: bigint): PodSandboxStats {
  const platform = deps.platform();
  const records = deps.store.containersOf(sandbox.id);
  const sandboxSample = deps.stats.latest(sandbox.id);
  const inputs: unknown[] = [platform, sandboxSample];
  let everyMemberSampled = sandboxSample !== undefined;
  for (const c of records) {
    const sample = c.details.state.running ? deps.stats.latest(c.id) : undefined;
    if (c.details.state.running && sample === undefined) everyMemberSampled = false;
    inputs.push(c, sample, deps.writableLayers?.get(c.id));
  }
  return items.get(
    sandbox,
    inputs,
    () => {
      const containers = records.map((c) => containerView(c, deps.writableLayers));
      return podSandboxStatsReply(deps.stats, podView(sandbox, platform), containers, now);
    },
    everyMemberSampled,
  );
}
