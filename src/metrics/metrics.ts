/**
 * wincri's Prometheus metrics (prom-client): one registry, built only when `--metrics-address` is
 * given. The parts of wincri that are measured know nothing of prom-client: each takes a small
 * observer interface (the gRPC adapter, the Docker door, the log copiers) or is read at scrape
 * time (the store, the collector, the streaming server), and `WincriMetrics` implements and reads
 * them. Names follow Prometheus' conventions: `wincri_` prefix, base units (`_seconds`, `_bytes`),
 * `_total` on counters. docs/operations.md lists them with starter queries.
 *
 * Cost on the polled path: an RPC's counter and histogram children are looked up once per RPC
 * name (`forRpc`), so a call adds one `inc` and one `observe` on objects already made; an error
 * adds one labelled increment.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the gRPC adapter reports per call (src/grpc/adapt.ts). */
export interface RpcObserver {
  /** `code`: the gRPC status name (OK, NOT_FOUND, ...). */
  done(seconds: number, code: string): void;
}

/** What the Docker door reports (src/docker/dockerode-client.ts). */
export interface EngineObserver {
  /** One engine API call: `operation` is method and path template (`GET /containers/{id}/json`). */
  call(operation: string, seconds: number, errorKind: string | undefined): void;
  /** One image pull: its bytes downloaded (layers already present count 0). */
  pull(seconds: number, bytes: number, ok: boolean): void;
}

/** What the log copiers report (src/logs/copier.ts). */
export interface LogObserver {
  /** A write of `bytes` to a CRI log file, `lagSeconds` after the engine stamped its last line. */
  written(bytes: number, lagSeconds: number | undefined): void;
}

/** Read at scrape time. */
export interface MetricsSources {
  /** Pods by CRI state (SANDBOX_READY, ...) and containers by CRI state (CONTAINER_RUNNING, ...). */
  objectsByState(): { pods: Record<string, number>; containers: Record<string, number> };
  /** Exec, attach and port-forward sessions running now. */
  streamingSessions(): number;
  /** Server streams open (GetContainerEvents). */
  grpcStreams(): number;
  /** The stats collector's last complete round, and the oldest and newest sample ages. */
  collector(): { lastRoundSeconds: number | undefined; sampleAgesSeconds: number[] };
}

// Polled RPCs answer in well under a millisecond; mutations (pulls, stops) take seconds.
const RPC_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const ENGINE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const PULL_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const LAG_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60];

export class WincriMetrics {
  readonly registry = new Registry();
  readonly #rpcRequests: Counter<'rpc'>;
  readonly #rpcErrors: Counter<'rpc' | 'code'>;
  readonly #rpcDuration: Histogram<'rpc'>;
  readonly #engineDuration: Histogram<'operation'>;
  readonly #engineErrors: Counter<'operation' | 'kind'>;
  readonly #pulls: Counter<'result'>;
  readonly #pullBytes: Counter;
  readonly #pullDuration: Histogram;
  readonly #logBytes: Counter;
  readonly #logLag: Histogram;

  constructor() {
    const registers = [this.registry];
    this.#rpcRequests = new Counter({
      name: 'wincri_grpc_requests_total',
      help: 'CRI calls answered, by RPC (streams count when they end)',
      labelNames: ['rpc'],
      registers,
    });
    this.#rpcErrors = new Counter({
      name: 'wincri_grpc_errors_total',
      help: 'CRI calls answered with an error, by RPC and gRPC status code',
      labelNames: ['rpc', 'code'],
      registers,
    });
    this.#rpcDuration = new Histogram({
      name: 'wincri_grpc_request_duration_seconds',
      help: 'Time from a unary CRI call arriving to its answer, by RPC',
      labelNames: ['rpc'],
      buckets: RPC_BUCKETS,
      registers,
    });
    this.#engineDuration = new Histogram({
      name: 'wincri_engine_request_duration_seconds',
      help: 'Docker Engine API calls: time to the response (for streams, to its headers)',
      labelNames: ['operation'],
      buckets: ENGINE_BUCKETS,
      registers,
    });
    this.#engineErrors = new Counter({
      name: 'wincri_engine_errors_total',
      help: 'Docker Engine API calls that failed, by operation and error kind',
      labelNames: ['operation', 'kind'],
      registers,
    });
    this.#pulls = new Counter({
      name: 'wincri_image_pulls_total',
      help: 'Image pulls from the engine (one per registry contacted), by result',
      labelNames: ['result'],
      registers,
    });
    this.#pullBytes = new Counter({
      name: 'wincri_image_pull_bytes_total',
      help: 'Layer bytes the engine downloaded for image pulls',
      registers,
    });
    this.#pullDuration = new Histogram({
      name: 'wincri_image_pull_duration_seconds',
      help: 'Time an image pull took',
      buckets: PULL_BUCKETS,
      registers,
    });
    this.#logBytes = new Counter({
      name: 'wincri_log_bytes_written_total',
      help: 'Bytes written to CRI container log files',
      registers,
    });
    this.#logLag = new Histogram({
      name: 'wincri_log_copy_lag_seconds',
      help: "Time from the engine's timestamp of a batch's last line to its write in the CRI log file",
      buckets: LAG_BUCKETS,
      registers,
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'wincri_' });
  }

  /** The observer of one RPC; the adapter asks once per RPC name, at start. */
  forRpc(rpc: string): RpcObserver {
    const requests = this.#rpcRequests.labels(rpc);
    const duration = this.#rpcDuration.labels(rpc);
    const errors = this.#rpcErrors;
    return {
      done(seconds, code) {
        requests.inc();
        if (seconds >= 0) duration.observe(seconds);
        if (code !== 'OK') errors.labels(rpc, code).inc();
      },
    };
  }

  readonly engine: EngineObserver = {
    call: (operation, seconds, errorKind) => {
      this.#engineDuration.labels(operation).observe(seconds);
      if (errorKind !== undefined) this.#engineErrors.labels(operation, errorKind).inc();
    },
    pull: (seconds, bytes, ok) => {
      this.#pulls.labels(ok ? 'success' : 'failure').inc();
      this.#pullBytes.inc(bytes);
      this.#pullDuration.observe(seconds);
    },
  };

  readonly logs: LogObserver = {
    written: (bytes, lagSeconds) => {
      this.#logBytes.inc(bytes);
      if (lagSeconds !== undefined && lagSeconds >= 0) this.#logLag.observe(lagSeconds);
    },
  };

  /**
   * Adds the gauges whose values are read from wincri's memory when Prometheus scrapes, never kept
   * up to date; called once the parts they read exist.
   */
  readFrom(sources: MetricsSources): void {
    const registers = [this.registry];
    const byState = (name: string, help: string, pick: 'pods' | 'containers') =>
      new Gauge({
        name,
        help,
        labelNames: ['state'],
        registers,
        collect() {
          this.reset();
          for (const [state, count] of Object.entries(sources.objectsByState()[pick]))
            this.labels(state).set(count);
        },
      });
    byState('wincri_pods', 'Pod sandboxes wincri knows, by CRI state', 'pods');
    byState('wincri_containers', 'Containers wincri knows, by CRI state', 'containers');
    new Gauge({
      name: 'wincri_streaming_sessions',
      help: 'Exec, attach and port-forward sessions open',
      registers,
      collect() {
        this.set(sources.streamingSessions());
      },
    });
    new Gauge({
      name: 'wincri_grpc_streams',
      help: 'CRI server streams open (GetContainerEvents)',
      registers,
      collect() {
        this.set(sources.grpcStreams());
      },
    });
    new Gauge({
      name: 'wincri_stats_round_duration_seconds',
      help: "The stats collector's last complete round over every running container",
      registers,
      collect() {
        const { lastRoundSeconds } = sources.collector();
        if (lastRoundSeconds === undefined) this.reset();
        else this.set(lastRoundSeconds);
      },
    });
    new Gauge({
      name: 'wincri_stats_sample_age_seconds',
      help: 'Age of the stats samples held: the oldest (max) and the newest (min)',
      labelNames: ['which'],
      registers,
      collect() {
        this.reset();
        const ages = sources.collector().sampleAgesSeconds;
        if (ages.length === 0) return;
        this.labels('max').set(Math.max(...ages));
        this.labels('min').set(Math.min(...ages));
      },
    });
  }
}
