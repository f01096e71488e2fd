import type { UpdateContainerResourcesRequest__Output } from '../../generated/runtime/v1/UpdateContainerResourcesRequest.js';
import type { UpdateContainerResourcesResponse } from '../../generated/runtime/v1/UpdateContainerResourcesResponse.js';
import type { CallContext } from '../context.js';
import type { PodDeps } from './deps.js';

/**
 * UpdateContainerResources: the resources the platform can change on a live container, through the
 * engine's update (Linux: all but oom_score_adj, which is left as created and logged; Windows:
 * none, so only a request that changes nothing succeeds).
 */
export async function updateContainerResources(
  deps: PodDeps,
  req: UpdateContainerResourcesRequest__Output,
  ctx: CallContext,
): Promise<UpdateContainerResourcesResponse> {
  const container = deps.store.resolveContainer(req.container_id);
  const update = deps
    .platform()
    .resourcesUpdate(req, { id: container.id, resources: container.details.hostConfig.resources });
  if (update === undefined) return {};
  for (const note of update.notes) ctx.log.info({ container: container.id }, note);
  await deps.locks.run(`obj:${container.id}`, async () => {
    await deps.docker.updateContainer(container.id, update.value, ctx.signal);
    await deps.store.refresh(container.id, ctx.signal);
  });
  return {};
}
