import type { RemovePodSandboxRequest__Output } from '../../generated/runtime/v1/RemovePodSandboxRequest.js';
import type { RemovePodSandboxResponse } from '../../generated/runtime/v1/RemovePodSandboxResponse.js';
import type { CallContext } from '../context.js';
import type { PodDeps } from './deps.js';
import { detachPodNetwork } from './pod-network.js';
import { removeObject } from './remove-container.js';

/**
 * RemovePodSandbox: force-removes the pod's containers, then the pause container. Idempotent (CRI):
 * an unknown pod is success. A running pod is removed too (the CRI says the runtime must force it).
 */
export async function removePodSandbox(
  deps: PodDeps,
  req: RemovePodSandboxRequest__Output,
  ctx: CallContext,
): Promise<RemovePodSandboxResponse> {
  const sandbox = deps.store.findSandbox(req.pod_sandbox_id);
  if (!sandbox) return {};
  await deps.locks.run(`obj:${sandbox.id}`, async () => {
    await Promise.all(deps.store.containersOf(sandbox.id).map((c) => removeObject(deps, c.id, ctx)));
    // A pod removed without a stop is DELeted here (a no-op after StopPodSandbox's).
    await detachPodNetwork(deps, sandbox.id, ctx);
    await removeObject(deps, sandbox.id, ctx);
  });
  ctx.log.info({ id: sandbox.id, pod: sandbox.name }, 'pod sandbox removed');
  return {};
}
