/**
 * Port-forward over SPDY (cri-streaming `portforward/httpstream.go`), also used inside client-go's
 * SPDY-over-WebSocket tunnel. Each forwarded client connection opens two streams carrying
 * `streamtype: error|data`, `port: <n>` and `requestid: <k>` (clients without request ids: error
 * stream id n pairs with data stream n+2). With both streams in hand the runtime connects the data
 * stream to the pod's port; a failure is written to the error stream and both are reset. A pair
 * that stays incomplete for the creation timeout gets an error message instead.
 */

import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { isCriError } from '../errors.js';
import type { PortForwardRequest } from './requests.js';
import type { StreamRuntime } from './runtime.js';
import { childAbortController, delay, quietErrors } from './session-support.js';
import { SpdyConnection, type SpdyStream } from './spdy/connection.js';

export interface PortForwardSessionOptions {
  streamCreationTimeoutMs: number;
  log: Logger;
}

interface StreamPair {
  requestId: string;
  error?: SpdyStream;
  data?: SpdyStream;
  timeout: AbortController;
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const port = Number(value);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/**
 * One port-forward connection: stream pairs assembled as they arrive, each pair forwarded to its
 * port. Long because its closures (`forward`, `accept`) share the session's pair table, running
 * forwards and abort controller; split apart, they would pass all three around.
 */
export async function servePortForward(args: {
  transport: Duplex;
  head: Buffer;
  request: PortForwardRequest;
  runtime: StreamRuntime;
  signal: AbortSignal;
  options: PortForwardSessionOptions;
}): Promise<void> {
  const { request, runtime, options } = args;
  const log = options.log;
  const { controller, dispose } = childAbortController(args.signal);
  const pairs = new Map<string, StreamPair>();
  const forwards = new Set<Promise<void>>();

  const forward = async (pair: StreamPair & { error: SpdyStream; data: SpdyStream }) => {
    const port = parsePort(pair.data.header('port')) ?? 0;
    const pairAbort = childAbortController(controller.signal);
    // The forwarded connection ends when the client resets or abandons its data stream.
    pair.data.once('close', () => pairAbort.controller.abort(new Error('data stream closed')));
    try {
      await runtime.portForward(
        { podSandboxId: request.podSandboxId, port, stream: pair.data },
        pairAbort.controller.signal,
      );
      pair.data.end();
      pair.error.end();
    } catch (err) {
      if (controller.signal.aborted) return;
      const reason = isCriError(err) || err instanceof Error ? err.message : String(err);
      const message = `error forwarding port ${port} to pod ${request.podSandboxId}, uid : ${reason}`;
      log.info({ port, err }, 'port forward failed');
      // Upstream writes the message, then resets both streams so the client can open new ones.
      pair.error.write(message, () => {
        pair.error.reset();
        pair.data.reset();
      });
    } finally {
      pairAbort.dispose();
    }
  };

  const accept = (stream: SpdyStream) => {
    quietErrors(stream, (err) => log.debug({ err, streamId: stream.id }, 'spdy stream error'));
    const portHeader = stream.header('port');
    const type = stream.header('streamtype');
    // Upstream's new-stream handler refuses these before replying.
    if (parsePort(portHeader) === undefined || (type !== 'error' && type !== 'data')) {
      log.warn({ port: portHeader, streamType: type }, 'rejecting port-forward stream');
      stream.reset();
      return;
    }
    stream.reply().catch(() => undefined);
    const requestId = stream.header('requestid') ?? String(type === 'error' ? stream.id : stream.id - 2);
    let pair = pairs.get(requestId);
    if (pair === undefined) {
      const created: StreamPair = { requestId, timeout: new AbortController() };
      pair = created;
      pairs.set(requestId, created);
      void delay(options.streamCreationTimeoutMs, created.timeout.signal).then(() => {
        if (pairs.get(requestId) !== created) return;
        pairs.delete(requestId);
        created.error?.write(`(conn=wincri, request=${requestId}) timed out waiting for streams`);
      });
    }
    if (pair[type] !== undefined) {
      pair.error?.write(`error processing stream for request ${requestId}: ${type} stream already assigned`);
      stream.reset();
      return;
    }
    pair[type] = stream;
    // Nothing is read from the error stream; draining it lets the stream close once both sides end.
    if (type === 'error') stream.resume();
    if (pair.error && pair.data) {
      pairs.delete(requestId);
      pair.timeout.abort();
      const running = forward(pair as StreamPair & { error: SpdyStream; data: SpdyStream });
      forwards.add(running);
      void running.finally(() => forwards.delete(running));
    }
  };

  const connection = new SpdyConnection(args.transport, { head: args.head, onStream: accept });
  try {
    await Promise.race([
      connection.closed,
      new Promise((resolve) => controller.signal.addEventListener('abort', resolve, { once: true })),
    ]);
  } finally {
    dispose();
    controller.abort(new Error('port-forward connection closed'));
    for (const pair of pairs.values()) pair.timeout.abort();
    connection.destroy();
    await Promise.all(forwards);
  }
}
