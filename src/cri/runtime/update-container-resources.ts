import type { UpdateContainerResourcesRequest__Output } from '../../generated/runtime/v1/UpdateContainerResourcesRequest.js';
import type { UpdateContainerResourcesResponse } from '../../generated/runtime/v1/UpdateContainerResourcesResponse.js';
import { linuxResources } from '../../platform/linux.js';
import { windowsResources } from '../../platform/windows-resources.js';
import type { CallContext } from '../context.js';
import type { PodDeps } from './deps.js';
import { hostFacts } from './run-pod-sandbox.js';

/**
 * UpdateContainerResources: Linux resources through the engine's update. The engine cannot change
 * oom_score_adj of a live container, so that one field is left as created (logged).
 */
export async function updateContainerResources(
  deps: PodDeps,
  req: UpdateContainerResourcesRequest__Output,
  ctx: CallContext,
): Promise<UpdateContainerResourcesResponse> {
  const container = deps.store.resolveContainer(req.container_id);
  const facts = hostFacts(deps.engine.lastInfo, deps.config.hyperVAvailable);
  if (facts.os === 'windows') {
    // Docker on Windows accepts the update and applies nothing to a running container (moby
    // daemon/update_windows.go); the new values take effect for containers created after.
    const resources = windowsResources(req.windows, facts);
    ctx.log.info(
      { container: container.id },
      'Windows resources sent to the engine, which applies them only at the next create',
    );
    await deps.docker.updateContainer(container.id, resources, ctx.signal);
    return {};
  }
  const { value, notes } = linuxResources(req.linux, 'linux');
  const { OomScoreAdj, ...resources } = value;
  if (OomScoreAdj !== undefined)
    notes.push('linux.oom_score_adj not changed: the engine cannot update it on a live container');
  for (const note of notes) ctx.log.info({ container: container.id }, note);
  await deps.locks.run(`obj:${container.id}`, async () => {
    await deps.docker.updateContainer(container.id, resources, ctx.signal);
    await deps.store.refresh(container.id, ctx.signal);
  });
  return {};
}
