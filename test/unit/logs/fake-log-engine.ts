import { Readable } from 'node:stream';
import type { ContainerDetails, DockerClient, LogReadOptions } from '../../../src/docker/client.js';
import type { StreamFrame } from '../../../src/docker/multiplex.js';
import { notFound, unavailable } from '../../../src/errors.js';

type Stream = 'stdout' | 'stderr';
interface Stored {
  timestamp: string;
  stream: Stream;
  payload: string;
}

/** Nanoseconds since the epoch of a fixed-width timestamp, for `since` filtering. */
function nanosOf(timestamp: string): bigint {
  const seconds = BigInt(Date.parse(`${timestamp.slice(0, 19)}Z`) / 1000);
  return seconds * 1_000_000_000n + BigInt(timestamp.slice(20, 29));
}

/**
 * The engine's json-file log store, as the copier sees it: every message kept with its time,
 * `since` served at-or-after, follow streams fed live until the container stops.
 */
export class FakeLogEngine implements Pick<DockerClient, 'containerLogs' | 'inspectContainer'> {
  readonly stored: Stored[] = [];
  status: 'created' | 'running' | 'exited' = 'running';
  removed = false;
  /** While true the engine does not answer (containerLogs and inspect fail with Unavailable). */
  down = false;
  readonly #followers = new Set<Readable>();
  #tick = 0;
  /** Calls of containerLogs, with their `since`. */
  readonly calls: LogReadOptions[] = [];

  /** Stores a message; `sameTimeAsLast` reuses the previous time (Docker does for 16 KiB pieces). */
  emit(stream: Stream, payload: string, options: { sameTimeAsLast?: boolean } = {}): void {
    if (!options.sameTimeAsLast) this.#tick++;
    const timestamp = `2026-01-01T00:00:${String(Math.floor(this.#tick / 1000)).padStart(2, '0')}.${String(this.#tick % 1000).padStart(9, '0')}Z`;
    const message = { timestamp, stream, payload };
    this.stored.push(message);
    for (const follower of this.#followers) follower.push(toFrame(message));
  }

  stop(): void {
    this.status = 'exited';
    for (const follower of this.#followers) follower.push(null);
    this.#followers.clear();
  }

  /** The engine connection drops: every follow fails. */
  breakFollowers(): void {
    for (const follower of this.#followers) follower.destroy(new Error('connection reset'));
    this.#followers.clear();
  }

  async containerLogs(_id: string, options: LogReadOptions, signal: AbortSignal): Promise<Readable> {
    if (this.down) throw unavailable('the engine does not answer');
    if (this.removed) throw notFound('no such container');
    this.calls.push(options);
    const since = options.since === undefined ? undefined : sinceNanos(options.since);
    const readable = new Readable({ objectMode: true, read() {} });
    for (const message of this.stored) {
      if (since === undefined || nanosOf(message.timestamp) >= since) readable.push(toFrame(message));
    }
    if (options.follow && this.status === 'running') {
      this.#followers.add(readable);
      signal.addEventListener('abort', () => {
        this.#followers.delete(readable);
        readable.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      });
    } else {
      readable.push(null);
    }
    return readable;
  }

  async inspectContainer(id: string): Promise<ContainerDetails> {
    if (this.down) throw unavailable('the engine does not answer');
    if (this.removed) throw notFound('no such container');
    return {
      id,
      state: { status: this.status, running: this.status === 'running' },
    } as unknown as ContainerDetails;
  }
}

function sinceNanos(since: string): bigint {
  const [seconds = '0', fraction = ''] = since.split('.');
  return BigInt(seconds) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0'));
}

function toFrame(message: Stored): StreamFrame {
  return { stream: message.stream, payload: Buffer.from(`${message.timestamp} ${message.payload}`) };
}
