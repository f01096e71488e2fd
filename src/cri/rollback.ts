import type { Logger } from 'pino';

/**
 * The undo stack of one RPC. Every resource acquired pushes how to give it back; when the RPC
 * fails, `unwind` runs the undos newest first, each with its own deadline (the caller's signal may
 * be what failed), and logs an undo that fails instead of masking the RPC's own error. On success
 * the stack is simply dropped.
 */
export class Rollback {
  readonly #undos: { what: string; undo: (signal: AbortSignal) => Promise<unknown> }[] = [];

  constructor(
    private readonly log: Logger,
    private readonly timeoutMs = 30_000,
  ) {}

  push(what: string, undo: (signal: AbortSignal) => Promise<unknown>): void {
    this.#undos.push({ what, undo });
  }

  get size(): number {
    return this.#undos.length;
  }

  /** Runs every undo, newest first; never throws. */
  async unwind(): Promise<void> {
    for (let step = this.#undos.pop(); step !== undefined; step = this.#undos.pop()) {
      try {
        await step.undo(AbortSignal.timeout(this.timeoutMs));
      } catch (err) {
        this.log.warn({ err, undo: step.what }, 'rollback step failed; the object may need removing by hand');
      }
    }
  }

  /** Runs `work`; if it throws, unwinds and rethrows the original error. */
  async guard<T>(work: (rollback: Rollback) => Promise<T>): Promise<T> {
    try {
      return await work(this);
    } catch (err) {
      await this.unwind();
      throw err;
    }
  }
}
