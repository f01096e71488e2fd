import type { Logger } from 'pino';
import { apiAtLeast, MIN_API_VERSION } from '../docker/api-version.js';
import type { DockerClient, EngineInfo } from '../docker/client.js';

export type EngineReadiness =
  | { ready: true; info: EngineInfo; checkedAt: Date }
  | { ready: false; reason: string; message: string; checkedAt: Date; info?: EngineInfo };

/**
 * Whether the engine answers, checked in the background so that `Status` (every 5 s from
 * kubelet) answers from memory. The last good EngineInfo is kept for RuntimeConfig and host facts.
 */
export class EngineState {
  #current: EngineReadiness | undefined;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<EngineReadiness> | undefined;

  constructor(
    private readonly docker: DockerClient,
    private readonly log: Logger,
    private readonly intervalMs = 5_000,
  ) {}

  /** Probes now, then every interval until stop(). */
  async start(): Promise<EngineReadiness> {
    const first = await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.#timer.unref();
    return first;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** The latest readiness, probing once if none is known yet. */
  async current(): Promise<EngineReadiness> {
    return this.#current ?? this.refresh();
  }

  /** The last EngineInfo ever read, if any: host facts survive a short engine outage. */
  get lastInfo(): EngineInfo | undefined {
    return this.#current?.info;
  }

  refresh(): Promise<EngineReadiness> {
    this.#inFlight ??= this.#probe().finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  async #probe(): Promise<EngineReadiness> {
    const checkedAt = new Date();
    let next: EngineReadiness;
    try {
      const info = await this.docker.info(AbortSignal.timeout(10_000));
      next = apiAtLeast(info.apiVersion, MIN_API_VERSION)
        ? { ready: true, info, checkedAt }
        : {
            ready: false,
            reason: 'DockerEngineTooOld',
            message: `the Docker engine at ${this.docker.host} speaks API ${info.apiVersion}; wincri needs ${MIN_API_VERSION} or newer (Docker 20.10+)`,
            checkedAt,
            info,
          };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      next = { ready: false, reason: 'DockerEngineUnreachable', message, checkedAt };
      if (this.lastInfo) next.info = this.lastInfo;
    }
    if (this.#current?.ready !== next.ready) {
      if (next.ready)
        this.log.info({ engine: this.docker.host, version: next.info.serverVersion }, 'Docker engine ready');
      else this.log.warn({ engine: this.docker.host, reason: next.reason }, next.message);
    }
    this.#current = next;
    return next;
  }
}
