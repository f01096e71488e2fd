/**
 * Synchronous file-system work on the event loop, one short piece per loop iteration.
 *
 * The stats code reads kernel pseudo-files (cgroup files, /proc) and walks writable layers with
 * synchronous calls, because through libuv's pool the same work costs several times the CPU
 * (docs/stats-sources.md). Synchronous work holds the event loop, and every RPC that arrives
 * meanwhile waits behind it. Yielding with a bare `setImmediate` per piece is not enough: Node runs
 * every immediate already queued in one check phase, so the collector's 32 reads in flight ran
 * back to back in one turn (~8 ms at ~0.25 ms a container; in a CPU profile of wincri at 100 pods
 * a round's reads showed as one busy stretch of 40-50 ms, docs/performance.md).
 *
 * Here each piece waits for its turn, and turns are granted one per iteration: the next is
 * scheduled from inside the current one's check-phase callback, which Node defers to the next
 * iteration, after the poll phase has read the sockets and answered the RPCs waiting there.
 */
export class Turns {
  readonly #waiting: (() => void)[] = [];
  #scheduled = false;

  /** Resolves when the caller may run one short piece of synchronous work. */
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#waiting.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      // The caller's piece runs in the microtasks right after this callback.
      this.#waiting.shift()?.();
      this.#schedule();
    });
  }
}

/** The turns all of the stats code shares: separate queues would each take a turn per iteration. */
export const statsTurns = new Turns();
