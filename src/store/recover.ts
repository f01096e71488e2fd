/**
 * Recovery at start: rebuild the store from the engine, then clear what a killed wincri left half
 * made. The rules, chosen so that nothing the kubelet can see is half-made:
 *
 * - A sandbox container that was created but never started is a RunPodSandbox cut off before "ready
 *   on success": the kubelet got no id for it (or an error), will run a new attempt, and nothing can
 *   use it. It is removed.
 * - A container whose sandbox no longer exists is an orphan (a CreateContainer cut off while its pod
 *   was being removed, or a sandbox removed by hand). It is removed.
 * - A container that was created but not started is kept: CreateContainer is one engine call, so
 *   such a container is complete, and the kubelet sees it CREATED in ListContainers and starts or
 *   removes it as it sees fit (the same as after a CreateContainer whose reply was lost).
 */
import type { Logger } from 'pino';
import type { DockerClient } from '../docker/client.js';
import { hasKind } from '../errors.js';
import type { RuntimeStore } from './runtime-store.js';

export interface RecoveryReport {
  sandboxes: number;
  containers: number;
  removed: { id: string; name: string; why: string }[];
  /** Containers whose CRI log copying resumes: started once, with a log path. */
  logTargets: { containerId: string; path: string; tty: boolean }[];
}

export async function recover(
  docker: DockerClient,
  store: RuntimeStore,
  log: Logger,
  signal: AbortSignal,
): Promise<RecoveryReport> {
  await store.resync(signal);
  const removed: RecoveryReport['removed'] = [];
  const remove = async (id: string, name: string, why: string) => {
    try {
      await docker.removeContainer(id, { force: true }, signal);
    } catch (err) {
      if (!hasKind(err, 'NotFound')) {
        log.warn({ err, id, name }, `could not remove a half-made object (${why})`);
        return;
      }
    }
    store.forget(id);
    removed.push({ id, name, why });
    log.info({ id, name }, `removed at start: ${why}`);
  };
  for (const sandbox of [...store.sandboxes]) {
    if (sandbox.details.state.status === 'created' && sandbox.details.state.startedAt.startsWith('0001-')) {
      for (const c of store.containersOf(sandbox.id))
        await remove(c.id, c.name, 'its sandbox was never started');
      await remove(sandbox.id, sandbox.name, 'a RunPodSandbox cut off before the sandbox started');
    }
  }
  for (const container of [...store.containers]) {
    if (store.sandbox(container.sandboxId) === undefined)
      await remove(container.id, container.name, 'its pod sandbox no longer exists');
  }
  const logTargets = [...store.containers]
    .filter(
      (c) =>
        c.logPath !== '' &&
        !c.details.state.startedAt.startsWith('0001-') &&
        c.details.state.startedAt !== '',
    )
    .map((c) => ({ containerId: c.id, path: c.logPath, tty: c.details.config.tty }));
  return {
    sandboxes: [...store.sandboxes].length,
    containers: [...store.containers].length,
    removed,
    logTargets,
  };
}
