import type { ContainerStatusRequest__Output } from '../../generated/runtime/v1/ContainerStatusRequest.js';
import type { ContainerStatusResponse } from '../../generated/runtime/v1/ContainerStatusResponse.js';
import type { CallContext } from '../context.js';
import { containerInfo, toContainerStatus } from '../convert/container.js';
import type { PodDeps } from './deps.js';

/** ContainerStatus: from memory; NOT_FOUND for an unknown id. */
export async function containerStatus(deps: PodDeps, req: ContainerStatusRequest__Output, _ctx: CallContext): Promise<ContainerStatusResponse> {
  const container = deps.store.resolveContainer(req.container_id);
  return { status: toContainerStatus(container), info: req.verbose ? containerInfo(container) : {} };
}
