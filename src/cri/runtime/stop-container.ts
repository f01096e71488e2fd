import { hasKind, invalidArgument } from '../../errors.js';
import type { StopContainerRequest__Output } from '../../generated/runtime/v1/StopContainerRequest.js';
import type { StopContainerResponse } from '../../generated/runtime/v1/StopContainerResponse.js';
import type { CallContext } from '../context.js';
import type { PodDeps } from './deps.js';

/**
 * StopContainer: the stop signal, then SIGKILL after `timeout` seconds (the engine's stop does both).
 * Idempotent (CRI): an unknown or stopped container is success.
 */
export async function stopContainer(
  deps: PodDeps,
  req: StopContainerRequest__Output,
  ctx: CallContext,
): Promise<StopContainerResponse> {
  const timeout = Number(req.timeout || '0');
  if (!Number.isSafeInteger(timeout) || timeout < 0)
    throw invalidArgument(`timeout ${req.timeout} must be a non-negative number of seconds`);
  const container = deps.store.findContainer(req.container_id);
  if (!container) return {};
  await deps.locks.run(`obj:${container.id}`, async () => {
    try {
      await deps.docker.stopContainer(container.id, timeout, ctx.signal);
    } catch (err) {
      if (!hasKind(err, 'NotFound')) throw err;
    }
    await deps.store.refresh(container.id, ctx.signal);
  });
  return {};
}
