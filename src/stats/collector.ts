/**
 * The background stats collector. Stats RPCs are polled by the kubelet (every 10 s by its
 * housekeeping and eviction manager, on every `/stats/summary` and `/metrics/*` scrape); they must
 * answer from memory, not with a Docker round trip per container (cri-dockerd #135, #121: dockerd
 * at 200 % CPU under ListContainerStats). So this samples every tracked container on its own
 * schedule and keeps the two newest readings of each; `latest`, `rate` and `monotonic` never touch
 * the engine.
 *
 * - Interval 10 s by default: the kubelet's own cadence, so the rate spans the window the kubelet
 *   would compute itself, at half the engine load of 5 s (a Docker stats call is an HCS query on
 *   Windows). Configurable.
 * - At most `concurrency` (default 32) calls in flight against the engine; each has its own
 *   timeout (default 5 s) that frees its slot even if the source ignores the abort, so one stuck
 *   container never holds up the rest, and its late answer is dropped. Why 32: Docker answers a
 *   stats call on the tick of its own 1 s stats loop, one-shot or not, so a call costs ~1 s of wall
 *   time but no extra engine work (parallel calls are served in the same tick). With 4 in flight a
 *   round of 100 containers took ~25 s on Docker 20.10 and samples went stale (docs/performance.md);
 *   32 reads ~32 containers a second, a round of 100 in ~4 s, inside the 10 s interval.
 * - A newly tracked container is sampled at once (as soon as a slot is free), not an interval later.
 * - A container that vanished mid-call (NotFound) is forgotten; one that returns empty stats (not
 *   running) keeps its last reading; any failure is logged, never thrown, and never touches another
 *   container's data.
 *
 * The source is whatever answers in Docker's stats JSON: the engine, or on a local Linux engine the
 * containers' cgroup files with the engine as fallback (src/stats/cgroup-source.ts,
 * docs/stats-sources.md); the concurrency limit above is about the engine's way.
 *
 * The lifecycle code drives it: `track` on start (and for every running container at shim start),
 * `untrack` on die/destroy (see docs/performance.md#stats).
 *
 * **Fresh on request, answered from memory.** A person's tools sample more often than the kubelet:
 * crictl's table mode reads the stats twice, a second apart, and refuses an answer whose CPU
 * timestamp did not move. So a stats RPC first calls `refresh` with the containers it answers for,
 * and for each:
 *
 * - a reading no request has been given yet is given at once, however old: the kubelet, polling
 *   every 10 s, always finds one (the round's, or the one read behind its last answer) and never
 *   waits. When it is `refreshAfterMs` old (default 500 ms, under crictl's one-second sample) the
 *   container is read again behind the answer, so the next request gets a newer one;
 * - a request waits only when there is nothing new to give: the container was never read, or the
 *   reading it holds was given to a request `refreshAfterMs` ago or more (crictl's second sample,
 *   when the first found a young reading). The read goes ahead of the round's queue within the
 *   same concurrency limit, and the wait is bounded (`refreshWaitMs`, default 1.5 s): a slow engine
 *   delays an answer by at most that, then the answer is the last reading.
 *
 * A read already in flight is never repeated, so concurrent requests (the kubelet asks for
 * container and pod stats together) share one read per container. On a local Linux engine a read
 * is a cgroup file read (src/stats/cgroup-source.ts), not an engine call. A container read on
 * request is skipped by the next round when that read is less than half an interval old.
 */

import type { DockerStatsJson } from '../docker/stats-types.js';
import { hasKind, invalidArgument } from '../errors.js';
import { type Entry, newEntry, settle, takeReading } from './collector-entry.js';
import type { StatsSample } from './sample.js';
import { dockerStatsToSample } from './to-sample.js';
import {
  DEFAULT_INTERVAL_MS,
  DEFAULT_CONCURRENCY,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_REFRESH_AFTER_MS,
  DEFAULT_REFRESH_WAIT_MS,
  type StatsSource,
  type StatsLogger,
  type CollectorTimers,
  type TrackMeta,
  type CollectorOptions,
  type Snapshot,
  realTimers,
} from './collector-options.js';

export class StatsCollector {
  private readonly source: StatsSource;
  private readonly logger: StatsLogger;
  private readonly intervalMs: number;
  private readonly concurrency: number;
  private readonly callTimeoutMs: number;
  private readonly countWindowsProcesses: boolean;
  private readonly timers: CollectorTimers;
  private readonly now: () => number;
  private readonly refreshAfterMs: number;
  private readonly refreshWaitMs: number;

  private readonly entries = new Map<string, Entry>();
  private readonly queue: string[] = [];
  private active = 0;
  private running = false;
  private tickHandle: unknown;
  /** When the round under way began (by `now`); undefined between rounds. */
  private roundStartedAtMs: number | undefined;
  private lastRoundMs: number | undefined;

  constructor(options: CollectorOptions) {
    this.source = options.source;
    this.logger = options.logger;
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.refreshAfterMs = options.refreshAfterMs ?? DEFAULT_REFRESH_AFTER_MS;
    this.refreshWaitMs = options.refreshWaitMs ?? DEFAULT_REFRESH_WAIT_MS;
    for (const [name, value] of [
      ['intervalMs', this.intervalMs],
      ['concurrency', this.concurrency],
      ['callTimeoutMs', this.callTimeoutMs],
      ['refreshAfterMs', this.refreshAfterMs],
      ['refreshWaitMs', this.refreshWaitMs],
    ] as const) {
      if (!Number.isInteger(value) || value < 1)
        throw invalidArgument(`stats collector: ${name} must be a positive integer, got ${value}`);
    }
    this.countWindowsProcesses = options.countWindowsProcesses ?? false;
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  /** Stops the schedule and aborts the calls in flight; what was read stays readable. */
  stop(): void {
    this.running = false;
    if (this.tickHandle !== undefined) this.timers.clearTimeout(this.tickHandle);
    this.tickHandle = undefined;
    this.queue.length = 0;
    for (const entry of this.entries.values()) {
      entry.queued = false;
      entry.call?.abort();
      entry.call = undefined;
      settle(entry);
    }
  }

  /** Starts (or updates) sampling of a container; sampled at once when the collector runs. */
  track(id: string, meta: TrackMeta): void {
    const entry = this.entries.get(id);
    if (entry) {
      entry.meta = meta;
      return;
    }
    this.entries.set(id, newEntry(meta));
    if (this.running) {
      this.enqueue(id);
      this.pump();
    }
  }

  /** Stops sampling a container and forgets it; a call in flight is aborted and its answer dropped. */
  untrack(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.call?.abort();
    this.entries.delete(id);
    const at = this.queue.indexOf(id);
    if (at >= 0) this.queue.splice(at, 1);
    settle(entry);
  }

  /**
   * Readies readings of `ids` for a request (see the header): resolves at once when each has one
   * no request has had yet, or one given less than `refreshAfterMs` ago; otherwise when those that
   * need a read have been read, or after `refreshWaitMs`. Never rejects: a failed read leaves the
   * last reading, as a round's would. Untracked ids are ignored.
   */
  refresh(ids: Iterable<string>): Promise<void> {
    if (!this.running) return Promise.resolve();
    const now = this.now();
    const asked: Entry[] = [];
    const waits: Promise<void>[] = [];
    const ahead: string[] = [];
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (!entry) continue;
      asked.push(entry);
      const wait = this.mustWait(entry, now);
      if (wait) waits.push(new Promise<void>((resolve) => entry.waiters.push(resolve)));
      // A read in flight serves this request too; otherwise one goes ahead of the round, waited
      // for or read behind the answer.
      const aging = entry.readAtMs !== undefined && now - entry.readAtMs >= this.refreshAfterMs;
      if (entry.call || !(wait || aging)) continue;
      entry.requested = true;
      ahead.push(id);
    }
    // Each goes to the front: the last first, so they are read in the order asked.
    for (const id of ahead.reverse()) this.enqueue(id, true);
    this.pump();
    const served = () => {
      const at = this.now();
      for (const entry of asked) entry.servedAtMs ??= at;
    };
    if (waits.length === 0) {
      served();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const answer = () => {
        this.timers.clearTimeout(timer);
        served();
        resolve();
      };
      const timer = this.timers.setTimeout(answer, this.refreshWaitMs);
      void Promise.all(waits).then(answer);
    });
  }

  /** Nothing new to give: never read, or the reading held went to a request `refreshAfterMs` ago. */
  private mustWait(entry: Entry, now: number): boolean {
    if (entry.readAtMs === undefined) return true;
    return entry.servedAtMs !== undefined && now - entry.servedAtMs >= this.refreshAfterMs;
  }

  isTracked(id: string): boolean {
    return this.entries.has(id);
  }

  tracked(): string[] {
    return [...this.entries.keys()];
  }

  snapshot(id: string): Snapshot | undefined {
    return this.entries.get(id)?.snapshot;
  }

  latest(id: string): StatsSample | undefined {
    return this.entries.get(id)?.snapshot?.latest;
  }

  rate(id: string): bigint | undefined {
    return this.entries.get(id)?.snapshot?.usageNanoCores;
  }

  monotonic(id: string): StatsSample | undefined {
    return this.entries.get(id)?.snapshot?.monotonic;
  }

  /** For metrics: the last complete round's duration, and how old each held sample is. */
  health(): { lastRoundSeconds: number | undefined; sampleAgesSeconds: number[] } {
    const now = this.now();
    const ages: number[] = [];
    for (const entry of this.entries.values())
      if (entry.snapshot) ages.push((now - entry.snapshot.receivedAtMs) / 1000);
    return {
      lastRoundSeconds: this.lastRoundMs === undefined ? undefined : this.lastRoundMs / 1000,
      sampleAgesSeconds: ages,
    };
  }

  private tick(): void {
    if (!this.running) return;
    const now = this.now();
    this.roundStartedAtMs ??= now;
    for (const [id, entry] of this.entries) {
      // Read on request less than half an interval ago: this round's reading would add nothing.
      if (entry.refreshedAtMs !== undefined && now - entry.refreshedAtMs < this.intervalMs / 2) continue;
      this.enqueue(id);
    }
    this.pump();
    this.tickHandle = this.timers.setTimeout(() => this.tick(), this.intervalMs);
  }

  /**
   * A container already queued or in flight is not queued twice: a slow engine is not piled on.
   * `first`: ahead of the round (a request waits for it); one already queued moves to the front.
   */
  private enqueue(id: string, first = false): void {
    const entry = this.entries.get(id);
    if (!entry || entry.call) return;
    if (entry.queued) {
      if (!first) return;
      this.queue.splice(this.queue.indexOf(id), 1);
    }
    entry.queued = true;
    if (first) this.queue.unshift(id);
    else this.queue.push(id);
  }

  private pump(): void {
    while (this.running && this.active < this.concurrency) {
      const id = this.queue.shift();
      if (id === undefined) return;
      const entry = this.entries.get(id);
      if (!entry) continue;
      entry.queued = false;
      this.sampleOne(id, entry);
    }
  }

  private sampleOne(id: string, entry: Entry): void {
    const call = new AbortController();
    entry.call = call;
    this.active++;
    let done = false;
    const finish = () => {
      if (done) return false;
      done = true;
      this.timers.clearTimeout(timer);
      if (entry.call === call) entry.call = undefined;
      this.active--;
      const readAtMs = this.now();
      entry.readAtMs = readAtMs;
      if (entry.requested) entry.refreshedAtMs = readAtMs;
      entry.requested = false;
      this.pump();
      if (this.active === 0 && this.queue.length === 0 && this.roundStartedAtMs !== undefined) {
        this.lastRoundMs = readAtMs - this.roundStartedAtMs;
        this.roundStartedAtMs = undefined;
      }
      return true;
    };
    // Still wanted: not untracked (or re-tracked as a new entry), not stopped, not timed out.
    const wanted = () => !call.signal.aborted && this.entries.get(id) === entry;
    const timer = this.timers.setTimeout(() => {
      const stillWanted = wanted();
      call.abort();
      if (!finish()) return;
      settle(entry);
      if (!stillWanted) return;
      this.failed(id, entry, new Error(`no answer within ${this.callTimeoutMs} ms`), 'stats call timed out');
    }, this.callTimeoutMs);

    void this.read(id, entry.meta, call.signal).then(
      (result) => {
        const stillWanted = wanted();
        if (!finish()) return;
        if (stillWanted) this.ingest(id, entry, result.json, result.processCount);
        settle(entry);
      },
      (err: unknown) => {
        const stillWanted = wanted();
        if (!finish()) return;
        settle(entry);
        if (!stillWanted) return;
        if (hasKind(err, 'NotFound')) {
          // Docker ids are never reused: a container the engine no longer knows is gone for good,
          // even if its die/destroy event was missed. Forgetting it keeps the map from leaking.
          this.untrack(id);
          this.logger.debug({ containerId: id }, 'container vanished; no longer tracked');
          return;
        }
        this.failed(id, entry, err, 'stats call failed');
      },
    );
  }

  private async read(
    id: string,
    meta: TrackMeta,
    signal: AbortSignal,
  ): Promise<{ json: DockerStatsJson; processCount?: number }> {
    const json = await this.source.containerStats(id, signal);
    if (meta.platform !== 'windows' || !this.countWindowsProcesses || !this.source.containerProcessCount)
      return { json };
    try {
      return { json, processCount: await this.source.containerProcessCount(id, signal) };
    } catch (err) {
      this.logger.debug({ containerId: id, err }, 'process count not read');
      return { json };
    }
  }

  private ingest(id: string, entry: Entry, json: DockerStatsJson, processCount: number | undefined): void {
    let sample: StatsSample | undefined;
    try {
      sample = dockerStatsToSample(json, entry.meta, processCount);
    } catch (err) {
      this.failed(id, entry, err, 'stats not understood');
      return;
    }
    if (entry.failing) this.logger.debug({ containerId: id }, 'stats readable again');
    entry.failing = false;
    if (!sample) {
      this.logger.debug({ containerId: id }, 'empty stats: container not running');
      return;
    }
    takeReading(entry, sample, this.now());
  }

  /** The first failure of a streak is a warning; repeats every interval would only be noise. */
  private failed(id: string, entry: Entry, err: unknown, msg: string): void {
    const fields = { containerId: id, err };
    if (entry.failing) this.logger.debug(fields, msg);
    else this.logger.warn(fields, msg);
    entry.failing = true;
  }
}
