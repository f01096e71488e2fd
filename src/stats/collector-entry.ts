/** What the stats collector (src/stats/collector.ts) holds for one tracked container. */
import { MonotonicCounters, monotonicSample } from './counters.js';
import type { Snapshot, TrackMeta } from './collector-options.js';
import type { StatsSample } from './sample.js';
import { sampleRate } from './usage.js';

export interface Entry {
  meta: TrackMeta;
  snapshot?: Snapshot;
  counters: MonotonicCounters;
  /** The call in flight, if any; its answer is taken only while it is still this one. */
  call?: AbortController;
  queued: boolean;
  failing: boolean;
  /** When the last read finished (answer or failure), by `now`. */
  readAtMs?: number;
  /** When the last read asked for by `refresh` finished: the next round may skip the container. */
  refreshedAtMs?: number;
  /** When a request was first given the reading held now; cleared by a newer reading. */
  servedAtMs?: number;
  /** Set while a `refresh` wants the next read of this container. */
  requested: boolean;
  /** Resolved when the next read finishes (or the container is forgotten). */
  waiters: (() => void)[];
}

export function newEntry(meta: TrackMeta): Entry {
  return {
    meta,
    counters: new MonotonicCounters(),
    queued: false,
    failing: false,
    requested: false,
    waiters: [],
  };
}

/** Wakes the requests waiting for an entry's read. */
export function settle(entry: Entry): void {
  const waiters = entry.waiters.splice(0);
  for (const wake of waiters) wake();
}

/**
 * Keeps a new reading and the one before it (for the rate). The engine answering with the reading
 * already held adds nothing, and would give a Δt = 0 rate: it is dropped. A new reading has not
 * been given to any request yet.
 */
export function takeReading(entry: Entry, sample: StatsSample, receivedAtMs: number): void {
  const before = entry.snapshot?.latest;
  if (before && before.timestampNs === sample.timestampNs) return;
  entry.snapshot = {
    latest: sample,
    previous: before,
    usageNanoCores: sampleRate(before, sample),
    monotonic: monotonicSample(entry.counters, sample),
    receivedAtMs,
  };
  entry.servedAtMs = undefined;
}
