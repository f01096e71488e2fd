import type { UpdateContainerResourcesRequest__Output } from '../../generated/runtime/v1/UpdateContainerResourcesRequest.js';
import type { UpdateContainerResourcesResponse } from '../../generated/runtime/v1/UpdateContainerResourcesResponse.js';
import { linuxResources } from '../../platform/linux.js';
import { windowsResources } from '../../platform/windows-resources.js';
import { failedPrecondition } from '../../errors.js';
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
    // Docker on Windows refuses every resource update of an existing container with a 500
    // ("resource updating isn't supported on Windows", moby container/container_windows.go), so
    // the engine is not asked: a request that changes nothing succeeds, any change is refused
    // with what to do instead.
    const requested = windowsResources(req.windows, facts);
    const current = container.details.hostConfig.resources as Record<string, unknown>;
    const changed = Object.entries(requested).filter(([key, value]) => (current[key] ?? 0) !== value);
    if (changed.length === 0) return {};
    throw failedPrecondition(
      `container ${container.id}: Docker on Windows cannot change the resources of an existing container ` +
        `(${changed.map(([key]) => key).join(', ')}); recreate the container with the new resources`,
    );
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
