/**
 * Small pieces every session kind shares: linking the server's abort signal to a session's,
 * bounded waits, and ending an output stream once everything written to it has gone out.
 */

import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

/** An AbortController that also aborts when `parent` does; `dispose` unlinks it. */
export function childAbortController(parent: AbortSignal): {
  controller: AbortController;
  dispose: () => void;
} {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  return { controller, dispose: () => parent.removeEventListener('abort', onAbort) };
}

/** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Ends `stream` and resolves when its data has been handed on (or it died); never rejects. */
export async function endAndFlush(stream: Writable): Promise<void> {
  if (stream.destroyed || stream.writableFinished) return;
  stream.end();
  await finished(stream, { readable: false }).catch(() => undefined);
}

/** Swallows 'error' on a stream the server owns: failures surface as closes, logged at debug. */
export function quietErrors(stream: NodeJS.EventEmitter, log?: (err: unknown) => void): void {
  stream.on('error', (err: unknown) => log?.(err));
}
