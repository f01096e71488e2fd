import type { ContainerStatsRequest__Output } from '../../generated/runtime/v1/ContainerStatsRequest.js';
import type { ContainerStatsResponse } from '../../generated/runtime/v1/ContainerStatsResponse.js';
import type { ListContainerStatsRequest__Output } from '../../generated/runtime/v1/ListContainerStatsRequest.js';
import type { ListContainerStatsResponse } from '../../generated/runtime/v1/ListContainerStatsResponse.js';
import { containerStatsReply } from '../../stats/replies.js';
import { nowNs } from '../convert/time.js';
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
  return { stats: containerStatsReply(deps.stats, containerView(record, deps.writableLayers), nowNs()) };
}

export async function listContainerStats(
  deps: StatsDeps,
  req: ListContainerStatsRequest__Output,
): Promise<ListContainerStatsResponse> {
  const now = nowNs();
  return {
    stats: selectContainers(deps.store, req.filter).map((c) =>
      containerStatsReply(deps.stats, containerView(c, deps.writableLayers), now),
    ),
  };
}
