/**
 * Keeps the RuntimeStore fresh from the engine's event stream. When the stream breaks (the engine
 * restarted, the socket went away) it waits, reconnects asking for the events since the last one
 * seen, and resyncs the whole store from a listing, because an engine restart loses its event log.
 */
import type { Logger } from 'pino';
import type { DockerClient } from '../docker/client.js';
import type { RuntimeStore } from './runtime-store.js';

export interface EventWatchOptions {
  /** Delay before reconnecting; doubled on each failure up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
}

/** Runs until `signal` aborts. Never throws. */
export async function watchEngineEvents(
  docker: DockerClient,
  store: RuntimeStore,
  log: Logger,
  signal: AbortSignal,
  options: EventWatchOptions = {},
): Promise<void> {
  const first = options.retryMs ?? 500;
  const max = options.maxRetryMs ?? 10_000;
  let delay = first;
  let sinceSeconds: number | undefined;
  let resyncNeeded = false;
  while (!signal.aborted) {
    try {
      const events = docker.events(
        sinceSeconds === undefined ? { types: ['container'] } : { sinceSeconds, types: ['container'] },
        signal,
      );
      if (resyncNeeded) {
        // Resync beside the reconnected stream: events that arrive meanwhile are applied too, and
        // the store's tickets keep the newer answer.
        void store.resync(signal).then(
          () => log.info('store resynced from the engine'),
          (err: unknown) => log.warn({ err }, 'resync after reconnecting failed'),
        );
        resyncNeeded = false;
      }
      for await (const event of events) {
        delay = first;
        sinceSeconds = Number(event.timeNano / 1_000_000_000n);
        await store
          .applyEvent(event, signal)
          .catch((err: unknown) =>
            log.warn({ err, event: event.action, id: event.id }, 'could not apply an engine event'),
          );
      }
      if (signal.aborted) return;
      log.warn('the engine closed its event stream; reconnecting');
    } catch (err) {
      if (signal.aborted) return;
      log.warn({ err, retryInMs: delay }, 'engine event stream failed; reconnecting');
    }
    resyncNeeded = true;
    sinceSeconds ??= Math.floor(Date.now() / 1000);
    await sleep(delay, signal);
    delay = Math.min(delay * 2, max);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
