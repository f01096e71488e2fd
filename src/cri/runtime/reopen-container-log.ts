import { failedPrecondition, invalidArgument } from '../../errors.js';
import type { ReopenContainerLogRequest__Output } from '../../generated/runtime/v1/ReopenContainerLogRequest.js';
import type { ReopenContainerLogResponse } from '../../generated/runtime/v1/ReopenContainerLogResponse.js';
import type { LogCopiers } from '../../logs/copiers.js';
import type { CallContext } from '../context.js';

/** What ReopenContainerLog needs to know of a container. */
export interface ReopenTarget {
  /** The engine's container id (the LogCopiers key). */
  id: string;
  running: boolean;
  /** Absolute CRI log path; empty when the container was created without one. */
  logPath: string;
  tty: boolean;
}

export interface ReopenContainerLogDeps {
  /** Resolves a CRI container id; throws NotFound for an unknown one. */
  findContainer(containerId: string, signal: AbortSignal): Promise<ReopenTarget>;
  logs: Pick<LogCopiers, 'has' | 'start' | 'reopen'>;
}

/**
 * ReopenContainerLog: kubelet has renamed the container's log file (rotation) and asks for a new
 * one at the same path; lines written meanwhile are in the renamed file, later ones in the new
 * file, none lost (src/logs/log-file.ts swaps between two writes).
 *
 * The container must be running: api.proto lets a runtime refuse a non-running one, and then no
 * new file may be created. containerd refuses too ("can't reopen log for a non-running
 * container"); wincri says it with FAILED_PRECONDITION, the code for "the object is in the wrong
 * state". kubelet only rotates running containers' logs.
 */
export async function reopenContainerLog(
  deps: ReopenContainerLogDeps,
  req: ReopenContainerLogRequest__Output,
  ctx: CallContext,
): Promise<ReopenContainerLogResponse> {
  if (req.container_id === '') throw invalidArgument('ReopenContainerLog needs a container_id');
  const container = await deps.findContainer(req.container_id, ctx.signal);
  if (!container.running) {
    throw failedPrecondition(`cannot reopen the log of container ${req.container_id}: it is not running`);
  }
  // No log path, no file: nothing to reopen (containerd answers success too).
  if (container.logPath === '') return {};
  if (!deps.logs.has(container.id)) {
    // A running container without a copier (it was lost, or recovery has not reached it yet):
    // starting one creates the file at the path and resumes from the renamed file's last line.
    ctx.log.warn({ container: container.id }, 'no log copier for a running container; starting one');
    deps.logs.start({ containerId: container.id, path: container.logPath, tty: container.tty });
    return {};
  }
  await deps.logs.reopen(container.id);
  return {};
}
