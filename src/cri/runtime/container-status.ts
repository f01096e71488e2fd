import type { ContainerStatusRequest__Output } from '../../generated/runtime/v1/ContainerStatusRequest.js';
import type { ContainerStatusResponse } from '../../generated/runtime/v1/ContainerStatusResponse.js';
import type { CallContext } from '../context.js';
import { containerInfo, toContainerStatus } from '../convert/container.js';
import type { PodDeps } from './deps.js';

/** ContainerStatus: from memory; NOT_FOUND for an unknown id. */
export async function containerStatus(
  deps: PodDeps,
  req: ContainerStatusRequest__Output,
  _ctx: CallContext,
): Promise<ContainerStatusResponse> {
  let container = deps.store.resolveContainer(req.container_id);
  // An exited container's log file is complete before anyone is told it exited (critest reads it
  // right after); bounded, so a stuck copier delays the answer at most a moment.
  if (!container.details.state.running && container.logPath && !(await deps.logs.flushed(container.id))) {
    _ctx.log.debug({ container: container.id }, 'log copy not flushed yet; answering anyway');
  }
  container = deps.store.findContainer(container.id) ?? container;
  return { status: toContainerStatus(container), info: req.verbose ? containerInfo(container) : {} };
}
