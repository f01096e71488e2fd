import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StartContainerRequest__Output } from '../../generated/runtime/v1/StartContainerRequest.js';
import type { StartContainerResponse } from '../../generated/runtime/v1/StartContainerResponse.js';
import type { CallContext } from '../context.js';
import type { PodDeps } from './deps.js';

/** StartContainer: NOT_FOUND for an unknown id; the engine's refusal (bad command, ...) is the error. */
export async function startContainer(
  deps: PodDeps,
  req: StartContainerRequest__Output,
  ctx: CallContext,
): Promise<StartContainerResponse> {
  const container = deps.store.resolveContainer(req.container_id);
  await deps.locks.run(`obj:${container.id}`, async () => {
    try {
      await deps.docker.startContainer(container.id, ctx.signal);
    } finally {
      // A failed start changes the engine's state too (exit code, error): show it.
      await deps.store.refresh(container.id, ctx.signal).catch(() => undefined);
    }
    // The CRI log file: copied from the engine's own log store (resumable, rotatable), no symlink.
    // It exists when StartContainer returns (readers open it at once); the copier fills it.
    if (container.logPath) {
      await mkdir(dirname(container.logPath), { recursive: true });
      await appendFile(container.logPath, '');
      deps.logs.start({
        containerId: container.id,
        path: container.logPath,
        tty: container.details.config.tty,
      });
    }
  });
  return {};
}
