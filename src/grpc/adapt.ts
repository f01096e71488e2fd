import {
  status,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type ServerErrorResponse,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { CallContext, StreamHandler, UnaryHandler } from '../cri/context.js';
import type { RpcObserver } from '../metrics/metrics.js';
import { randomBytes } from 'node:crypto';
import { CriError, toCriError } from '../errors.js';
import { GRPC_CODE_OF_KIND } from './status.js';

/**
 * grpc-js ignores a promise returned by a handler (an async rejection would never answer the
 * call), so every CRI handler goes through these adapters: they turn `async (req, ctx) => res`
 * into the callback form, turn the client's cancel and deadline into an AbortSignal, give the
 * call a child logger, and map a thrown CriError to its status through the one table.
 */

/** Polled reads (List*, *Status, *Stats) log at debug: kubelet calls them every second. */
export type LogLevel = 'info' | 'debug';

interface CallLike {
  getDeadline(): Date | number;
  on(event: 'cancelled', listener: () => void): unknown;
  off(event: 'cancelled', listener: () => void): unknown;
}

/**
 * The calls in flight on one server, for shutdown: unary calls are counted (the server drains them
 * within a bound), server streams are held so they can be ended at once. A stream such as
 * GetContainerEvents never ends by itself; a kubelet with evented PLEG must see it end as soon as
 * this wincri stops, to reconnect to the next one, not after the drain bound.
 */
export class OpenCalls {
  unary = 0;
  private readonly streams = new Set<(reason: CriError) => void>();

  get streamCount(): number {
    return this.streams.size;
  }

  /** Registers a stream's `end`; the returned function unregisters it. */
  addStream(end: (reason: CriError) => void): () => void {
    this.streams.add(end);
    return () => this.streams.delete(end);
  }

  /** Ends every open stream with `reason` as its status; returns how many there were. */
  endStreams(reason: CriError): number {
    const ends = [...this.streams];
    this.streams.clear();
    for (const end of ends) end(reason);
    return ends.length;
  }
}

interface CallScope {
  ctx: CallContext;
  /** Aborts the handler's signal with `reason` (the server ends the call). */
  abort(reason: CriError): void;
  /** Maps a failure to the error the client should see, given why the call was aborted. */
  failure(err: unknown): CriError;
  close(): void;
}

/**
 * Every RPC's log lines carry a request id: this process's prefix and a call counter, so the lines
 * of one call can be told from those of another call of the same RPC running beside it.
 */
const REQUEST_ID_PREFIX = randomBytes(3).toString('hex');
let requestCount = 0;

// setTimeout fires at once for delays above 2^31-1 ms; such deadlines are as good as none.
const MAX_TIMER_MS = 2 ** 31 - 1;

function openCallScope(rpc: string, call: CallLike, root: Logger): CallScope {
  const controller = new AbortController();
  const callNumber = ++requestCount;
  // Made on first use: a polled read that succeeds at the default level never logs, and a pino
  // child per call (bindings, redaction set-up) was most of the adapter's own cost per call.
  let log: Logger | undefined;
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  const pastDeadline = () => new CriError('DeadlineExceeded', `${rpc} ran past the client's deadline`);
  // grpc-js also reports an expired deadline as 'cancelled': tell the two apart by the clock.
  const onCancelled = () =>
    controller.abort(
      Date.now() >= deadlineMs
        ? pastDeadline()
        : new CriError('Cancelled', `${rpc} was cancelled by the client`),
    );
  call.on('cancelled', onCancelled);

  const remaining = deadlineMs - Date.now();
  const timer =
    Number.isFinite(remaining) && remaining < MAX_TIMER_MS
      ? setTimeout(() => controller.abort(pastDeadline()), Math.max(0, remaining))
      : undefined;

  return {
    ctx: {
      rpc,
      signal: controller.signal,
      get log() {
        return (log ??= root.child({ rpc, requestId: `${REQUEST_ID_PREFIX}-${callNumber.toString(36)}` }));
      },
    },
    abort: (reason) => controller.abort(reason),
    failure(err) {
      // Whatever the handler threw after an abort, the abort's own reason is the truth.
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : undefined;
      return reason instanceof CriError ? reason : toCriError(err);
    },
    close() {
      clearTimeout(timer);
      call.off('cancelled', onCancelled);
    },
  };
}

/** The gRPC status name a metric is labelled with (NOT_FOUND, ...). */
const codeName = (err: CriError): string => status[GRPC_CODE_OF_KIND[err.kind]];

function toStatus(err: CriError): ServerErrorResponse {
  return Object.assign(new Error(err.message), { code: GRPC_CODE_OF_KIND[err.kind], details: err.message });
}

function logFailure(log: Logger, err: CriError, ms: number): void {
  if (err.kind === 'Internal') log.error({ err: err.cause ?? err, ms }, err.message);
  else log.info({ kind: err.kind, ms }, err.message);
}

const elapsedMs = (since: number) => Math.round((performance.now() - since) * 10) / 10;

export function adaptUnary<Req, Res>(
  rpc: string,
  handler: UnaryHandler<Req, Res>,
  root: Logger,
  level: LogLevel,
  open: OpenCalls = new OpenCalls(),
  observer?: RpcObserver,
  slowCallMs = Infinity,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const scope = openCallScope(rpc, call, root);
    const started = performance.now();
    open.unary++;
    handler(call.request, scope.ctx)
      .then(
        (response) => {
          const ms = elapsedMs(started);
          if (ms > slowCallMs) scope.ctx.log.warn({ ms, slowCallMs }, 'slow call');
          else if (root.isLevelEnabled(level)) scope.ctx.log[level]({ ms }, 'ok');
          observer?.done((performance.now() - started) / 1000, 'OK');
          callback(null, response);
        },
        (err: unknown) => {
          const failure = scope.failure(err);
          logFailure(scope.ctx.log, failure, elapsedMs(started));
          observer?.done((performance.now() - started) / 1000, codeName(failure));
          callback(toStatus(failure));
        },
      )
      .finally(() => {
        open.unary--;
        scope.close();
      });
  };
}

export function adaptServerStream<Req, Res>(
  rpc: string,
  handler: StreamHandler<Req, Res>,
  root: Logger,
  open: OpenCalls = new OpenCalls(),
  observer?: RpcObserver,
): handleServerStreamingCall<Req, Res> {
  return (call) => {
    const scope = openCallScope(rpc, call, root);
    const { signal } = scope.ctx;
    // Set when the server ends the stream (shutdown): the status is sent at once, whatever the
    // handler does after its signal fires.
    let endedByServer = false;
    const unregister = open.addStream((reason) => {
      endedByServer = true;
      observer?.done(-1, codeName(reason));
      scope.abort(reason);
      scope.ctx.log.info(reason.message);
      call.emit('error', toStatus(reason));
    });
    const send = (message: Res): Promise<void> => {
      if (signal.aborted) return Promise.reject(scope.failure(signal.reason));
      if (call.write(message)) return Promise.resolve();
      // Backpressure: wait for the client to drain, or for the call to end.
      return new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          call.off('drain', onDrain);
          reject(scope.failure(signal.reason));
        };
        const onDrain = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        call.once('drain', onDrain);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    };
    scope.ctx.log.info('stream opened');
    handler(call.request, send, scope.ctx)
      .then(
        () => {
          if (endedByServer) return;
          observer?.done(-1, 'OK');
          call.end();
        },
        (err: unknown) => {
          if (endedByServer) return;
          const failure = scope.failure(err);
          observer?.done(-1, codeName(failure));
          if (failure.kind === 'Cancelled') scope.ctx.log.info('stream closed by the client');
          else logFailure(scope.ctx.log, failure, 0);
          // grpc-js turns an 'error' event on the stream into the call's final status.
          if (!signal.aborted) call.emit('error', toStatus(failure));
        },
      )
      .finally(() => {
        unregister();
        scope.close();
      });
  };
}
