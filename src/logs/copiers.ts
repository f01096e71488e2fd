import { failedPrecondition } from '../errors.js';
import { LogCopier, type LogCopierDeps, type LogCopierTarget } from './copier.js';

/**
 * The log copiers of all containers, keyed by the engine's container id.
 *
 * How the lifecycle uses it:
 * - StartContainer, after the engine started the container: `start({ containerId, path, tty })`
 *   (skip containers without a log path), then `await ready(id)` if the file must exist when the
 *   RPC returns (it is created with its directories, 0755/0640).
 * - ContainerStatus / the event that reports a container EXITED: `await flushed(id)` first, so
 *   the file holds every line when the kubelet or crictl reads it.
 * - RemoveContainer: `await stop(id)` (closes the file; the file itself stays: kubelet owns it).
 * - ReopenContainerLog: `reopen(id)` (see src/cri/runtime/reopen-container-log.ts).
 * - Start of the shim: `restartAll(...)` with every container that has a log path and has been
 *   started (running or exited): each copier resumes where its file left off and, for an exited
 *   container, copies what was missed and ends.
 * - Shutdown: `stopAll()`.
 */
export class LogCopiers {
  readonly #copiers = new Map<string, LogCopier>();

  constructor(private readonly deps: LogCopierDeps) {}

  /**
   * Starts copying a container's output to `target.path`. A copier already running for the same
   * container and path is kept (idempotent); one for another path, or one that has ended, is
   * replaced.
   */
  start(target: LogCopierTarget): void {
    const existing = this.#copiers.get(target.containerId);
    if (existing !== undefined && !existing.finished && existing.path === target.path) return;
    if (existing !== undefined) void existing.stop();
    this.#copiers.set(target.containerId, new LogCopier(target, this.deps));
  }

  /** Stops and forgets a container's copier (RemoveContainer). No copier is fine. */
  async stop(containerId: string): Promise<void> {
    const copier = this.#copiers.get(containerId);
    if (copier === undefined) return;
    this.#copiers.delete(containerId);
    await copier.stop();
  }

  /** kubelet renamed the file: continue in a new file at the same path. */
  async reopen(containerId: string): Promise<void> {
    const copier = this.#copiers.get(containerId);
    if (copier === undefined) throw failedPrecondition(`container ${containerId} has no log being copied`);
    await copier.reopen();
  }

  /**
   * Resolves once the container's log file exists (StartContainer can await it, so the file is
   * there when the RPC returns), or at once when there is no copier.
   */
  async ready(containerId: string): Promise<void> {
    await this.#copiers.get(containerId)?.opened;
  }

  has(containerId: string): boolean {
    return this.#copiers.has(containerId);
  }

  /**
   * Waits until the container's copy has ended (the container stopped and its last line is in the
   * file), for at most `timeoutMs`. True when it has ended or there is no copier; false on timeout
   * (the caller reports what it has; the lines follow shortly).
   */
  async flushed(containerId: string, timeoutMs = 2_000): Promise<boolean> {
    const copier = this.#copiers.get(containerId);
    if (copier === undefined || copier.finished) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([copier.done.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Recovery at start: one copier per container that has been started and has a log path. A
   * missing log directory is not made again (kubelet removed the pod's logs).
   */
  restartAll(targets: Iterable<LogCopierTarget>): void {
    for (const target of targets) this.start({ ...target, createDirectories: false });
  }

  /** Shutdown: stops every copier and closes every file. */
  async stopAll(): Promise<void> {
    const all = [...this.#copiers.values()];
    this.#copiers.clear();
    await Promise.all(all.map((copier) => copier.stop()));
  }
}
