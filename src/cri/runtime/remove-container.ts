import { hasKind } from '../../errors.js';
import type { RemoveContainerRequest__Output } from '../../generated/runtime/v1/RemoveContainerRequest.js';
import type { RemoveContainerResponse } from '../../generated/runtime/v1/RemoveContainerResponse.js';
import type { CallContext } from '../context.js';
import type { PodDeps } from './deps.js';

/** RemoveContainer: force-removes (a running container too, as the CRI asks). Idempotent: unknown is success. */
export async function removeContainer(
  deps: PodDeps,
  req: RemoveContainerRequest__Output,
  ctx: CallContext,
): Promise<RemoveContainerResponse> {
  const container = deps.store.findContainer(req.container_id);
  if (!container) return {};
  await deps.locks.run(`obj:${container.id}`, () => removeObject(deps, container.id, ctx));
  return {};
}

/** Force-removes one engine container and forgets it; already gone is fine. */
export async function removeObject(deps: PodDeps, id: string, ctx: CallContext): Promise<void> {
  // The file stays (the kubelet owns it); the copier ends.
  await deps.logs.stop(id);
  try {
    await deps.docker.removeContainer(id, { force: true }, ctx.signal);
  } catch (err) {
    if (!hasKind(err, 'NotFound')) throw err;
  }
  deps.store.forget(id);
}
