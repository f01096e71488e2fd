import type { UpdatePodSandboxResourcesRequest__Output } from '../../generated/runtime/v1/UpdatePodSandboxResourcesRequest.js';
import type { UpdatePodSandboxResourcesResponse } from '../../generated/runtime/v1/UpdatePodSandboxResourcesResponse.js';
import type { CallContext } from '../context.js';
import type { PodDeps } from './deps.js';

/**
 * UpdatePodSandboxResources: best effort, as the CRI allows. The kubelet has already resized the
 * pod-level cgroup it owns; the pause container needs nothing, so this only checks the pod exists
 * and records the request.
 */
export async function updatePodSandboxResources(
  deps: PodDeps,
  req: UpdatePodSandboxResourcesRequest__Output,
  ctx: CallContext,
): Promise<UpdatePodSandboxResourcesResponse> {
  const sandbox = deps.store.resolveSandbox(req.pod_sandbox_id);
  ctx.log.info(
    { pod: sandbox.name, resources: req.resources, overhead: req.overhead },
    'pod resources updated by the kubelet; nothing to change in the engine',
  );
  return {};
}
