import { unimplemented } from '../../errors.js';
import type { UpdateContainerResourcesRequest__Output } from '../../generated/runtime/v1/UpdateContainerResourcesRequest.js';
import type { UpdateContainerResourcesResponse } from '../../generated/runtime/v1/UpdateContainerResourcesResponse.js';
import { linuxResources } from '../../platform/linux.js';
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
  if (hostFacts(deps.engine.lastInfo).os === 'windows') {
    throw unimplemented('UpdateContainerResources on a Windows engine needs the Windows mapper (src/platform/windows.ts), not wired into this build yet');
  }
  const { value, notes } = linuxResources(req.linux, 'linux');
  const { OomScoreAdj, ...resources } = value;
  if (OomScoreAdj !== undefined) notes.push('linux.oom_score_adj not changed: the engine cannot update it on a live container');
  for (const note of notes) ctx.log.info({ container: container.id }, note);
  await deps.locks.run(`obj:${container.id}`, async () => {
    await deps.docker.updateContainer(container.id, resources, ctx.signal);
    await deps.store.refresh(container.id, ctx.signal);
  });
  return {};
}
