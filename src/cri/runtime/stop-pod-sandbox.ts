import { hasKind } from '../../errors.js';
import type { StopPodSandboxRequest__Output } from '../../generated/runtime/v1/StopPodSandboxRequest.js';
import type { StopPodSandboxResponse } from '../../generated/runtime/v1/StopPodSandboxResponse.js';
import type { CallContext } from '../context.js';
import type { PodDeps } from './deps.js';
import { detachPodNetwork } from './pod-network.js';

/**
 * StopPodSandbox: stops every container of the pod and the pause container (on Windows the pause
 * last). Idempotent (CRI): an unknown or already stopped pod is success. The kubelet has already given each container its
 * grace period, so what is still running is killed at once, as containerd does.
 */
export async function stopPodSandbox(
  deps: PodDeps,
  req: StopPodSandboxRequest__Output,
  ctx: CallContext,
): Promise<StopPodSandboxResponse> {
  const sandbox = deps.store.findSandbox(req.pod_sandbox_id);
  if (!sandbox) return {};
  await deps.locks.run(`obj:${sandbox.id}`, async () => {
    const members = deps.store.containersOf(sandbox.id).map((c) => () => stopGone(deps, c.id, ctx));
    // DEL before the pause stops, as containerd tears the network down first.
    const pause = async () => {
      await detachPodNetwork(deps, sandbox.id, ctx);
      await stopGone(deps, sandbox.id, ctx);
    };
    // Every process is killed at once anyway: side by side, a pod's stop waits for one engine
    // stop instead of two (each waits for its container's exit to be handled).
    if (deps.platform().pauseStopsLast) {
      await Promise.all(members.map((stop) => stop()));
      await pause();
    } else await Promise.all([...members, pause].map((stop) => stop()));
  });
  return {};
}

/** Stops with no grace and re-reads; an object already gone is fine. */
async function stopGone(deps: PodDeps, id: string, ctx: CallContext): Promise<void> {
  try {
    await deps.docker.stopContainer(id, 0, ctx.signal);
  } catch (err) {
    if (!hasKind(err, 'NotFound')) throw err;
  }
  await deps.store.refresh(id, ctx.signal);
}
