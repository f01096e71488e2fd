/** The stats collector's options, defaults and readings (src/stats/collector.ts). */
import type { DockerStatsJson } from '../docker/stats-types.js';
import type { StatsPlatform, StatsSample } from './sample.js';

/** What the collector needs of the engine (DockerClient satisfies it). */
export interface StatsSource {
  containerStats(id: string, signal: AbortSignal): Promise<DockerStatsJson>;
  /** Rows of `GET /containers/{id}/top`; asked for Windows containers only, when `countWindowsProcesses`. */
  containerProcessCount?(id: string, signal: AbortSignal): Promise<number>;
}

/** The part of a pino logger the collector uses. */
export interface StatsLogger {
  debug(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface CollectorTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface TrackMeta {
  platform: StatsPlatform;
  /** The limit the container was created with (0n: none); Windows stats carry none. */
  memoryLimitBytes?: bigint;
}

export interface CollectorOptions {
  source: StatsSource;
  logger: StatsLogger;
  intervalMs?: number;
  concurrency?: number;
  callTimeoutMs?: number;
  /** Also count processes of Windows containers through `/top` (one more engine call each). */
  countWindowsProcesses?: boolean;
  timers?: CollectorTimers;
  /** Milliseconds since the epoch; when a reading arrived (`Snapshot.receivedAtMs`). */
  now?: () => number;
  /** `refresh` re-reads a container whose last read is at least this old. */
  refreshAfterMs?: number;
  /** `refresh` waits at most this long for the reads it asked for. */
  refreshWaitMs?: number;
}

export const DEFAULT_INTERVAL_MS = 10_000;
export const DEFAULT_CONCURRENCY = 32;
export const DEFAULT_CALL_TIMEOUT_MS = 5_000;
export const DEFAULT_REFRESH_AFTER_MS = 500;
export const DEFAULT_REFRESH_WAIT_MS = 1_500;

export interface Snapshot {
  latest: StatsSample;
  previous: StatsSample | undefined;
  /** usage_nano_cores over the two readings (or the engine's precpu), undefined when there is none. */
  usageNanoCores: bigint | undefined;
  /** `latest` with monotonic counters, for metrics. */
  monotonic: StatsSample;
  receivedAtMs: number;
}

/** Timers that do not hold the process open. */
export const realTimers: CollectorTimers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
