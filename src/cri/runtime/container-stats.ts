import type { ContainerStats } from '../../generated/runtime/v1/ContainerStats.js';
import type { ContainerStatsRequest__Output } from '../../generated/runtime/v1/ContainerStatsRequest.js';
import type { ContainerStatsResponse } from '../../generated/runtime/v1/ContainerStatsResponse.js';
import type { ListContainerStatsRequest__Output } from '../../generated/runtime/v1/ListContainerStatsRequest.js';
import type { ListContainerStatsResponse } from '../../generated/runtime/v1/ListContainerStatsResponse.js';
import type { ContainerRecord } from '../../store/runtime-store.js';
import { containerStatsReply } from '../../stats/replies.js';
import { nowNs } from '../convert/time.js';
import { ItemMemo } from '../memo.js';
import { containerView, selectContainers, type StatsDeps } from './stats-views.js';

/**
 * ContainerStats and ListContainerStats answer from the collector's memory, never from the
 * engine: kubelet asks for every container every ~10 s. A container without a sample yet still
 * gets a valid answer (timestamps now, values unset).
 */
export async function containerStats(
  deps: StatsDeps,
  req: ContainerStatsRequest__Output,
): Promise<ContainerStatsResponse> {
  const record = deps.store.resolveContainer(req.container_id);
  await refreshRunning(deps, [record]);
  return { stats: statsOf(deps, record, nowNs()) };
}

export async function listContainerStats(
  deps: StatsDeps,
  req: ListContainerStatsRequest__Output,
): Promise<ListContainerStatsResponse> {
  const selected = selectContainers(deps.store, req.filter);
  await refreshRunning(deps, selected);
  const now = nowNs();
  return { stats: selected.map((c) => statsOf(deps, c, now)) };
}

/**
 * Only the samples asked for, only if older than the collector's bound (crictl's table mode needs
 * a reading newer than its previous call's, a second earlier: src/stats/collector.ts).
 */
function refreshRunning(deps: StatsDeps, records: ContainerRecord[]): Promise<void> | undefined {
  return deps.stats.refresh?.(records.filter((c) => c.details.state.running).map((c) => c.id));
}

/**
 * One item per container, kept while its record, its sample and its writable layer reading are
 * the current ones (src/cri/memo.ts); never kept while it has no sample, as it then says "now".
 */
const items = new ItemMemo<ContainerRecord, ContainerStats>();

function statsOf(deps: StatsDeps, record: ContainerRecord, now: bigint): ContainerStats {
  const sample = deps.stats.latest(record.id);
  return items.get(
    record,
    [sample, deps.writableLayers?.get(record.id)],
    () => containerStatsReply(deps.stats, containerView(record, deps.writableLayers), now),
    sample !== undefined,
  );
}
