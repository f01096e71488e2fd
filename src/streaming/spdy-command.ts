/**
 * exec/attach over SPDY (cri-streaming `remotecommand/httpstream.go`). The client opens one stream
 * per channel, tagged by the `streamtype` header: error, stdin, stdout, stderr, resize (v3+ with a
 * TTY). The server replies to each, waits until it has the expected number (30 s by default), runs
 * the session, then reports on the error stream: a JSON metav1.Status for v4, plain text before.
 */

import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { runCommandSession, type CommandChannels } from './command-session.js';
import { statusJson, statusText, type CommandOutcome } from './command-status.js';
import { readResizeEvents } from './resize.js';
import { stdioOf, type CommandRequest } from './requests.js';
import type { StreamRuntime } from './runtime.js';
import { childAbortController, delay, endAndFlush, quietErrors } from './session-support.js';
import { SpdyConnection, type SpdyStream } from './spdy/connection.js';

export interface SpdySessionOptions {
  streamCreationTimeoutMs: number;
  finishTimeoutMs: number;
  log: Logger;
}

const STREAM_TYPES = ['error', 'stdin', 'stdout', 'stderr', 'resize'] as const;
type StreamType = (typeof STREAM_TYPES)[number];

function supportsResize(protocol: string): boolean {
  return protocol === 'v4.channel.k8s.io' || protocol === 'v3.channel.k8s.io';
}

/**
 * One exec or attach over SPDY: the client's streams collected, the command run, its exit status
 * written on the error stream. Long because the stream collection, the run and the teardown share
 * the session's streams and abort controller, which splitting would only pass around.
 */
export async function serveSpdyCommand(args: {
  transport: Duplex;
  head: Buffer;
  protocol: string;
  request: CommandRequest;
  runtime: StreamRuntime;
  signal: AbortSignal;
  options: SpdySessionOptions;
}): Promise<void> {
  const { protocol, request, options } = args;
  const log = options.log;
  const stdio = stdioOf(request);
  const expected =
    1 +
    Number(stdio.stdin) +
    Number(stdio.stdout) +
    Number(stdio.stderr) +
    Number(stdio.tty && supportsResize(protocol));
  const streams = new Map<StreamType, SpdyStream>();
  // Streams beyond what the request asked for still get a reply, and a FIN at the end: a client
  // waits for EOF on every stream it reads.
  const extras: SpdyStream[] = [];
  let finishing = false;
  let allStreamsArrived!: () => void;
  const arrived = new Promise<void>((resolve) => (allStreamsArrived = resolve));

  const connection = new SpdyConnection(args.transport, {
    head: args.head,
    onStream: (stream) => {
      quietErrors(stream, (err) => log.debug({ err, streamId: stream.id }, 'spdy stream error'));
      stream.reply().catch(() => undefined);
      const type = stream.header('streamtype') as StreamType | undefined;
      if (
        type === undefined ||
        !STREAM_TYPES.includes(type) ||
        streams.has(type) ||
        streams.size === expected
      ) {
        log.warn({ streamType: type, streamId: stream.id }, 'unexpected stream');
        extras.push(stream.resume());
        if (finishing) stream.end();
        return;
      }
      streams.set(type, stream);
      if (streams.size === expected) allStreamsArrived();
    },
  });
  const { controller, dispose } = childAbortController(args.signal);
  void connection.closed.then(() => controller.abort(new Error('client connection closed')));
  try {
    const timeout = new AbortController();
    const timedOut = delay(options.streamCreationTimeoutMs, timeout.signal).then(() => 'timeout' as const);
    const winner = await Promise.race([
      arrived.then(() => 'ready' as const),
      timedOut,
      connection.closed.then(() => 'closed' as const),
    ]);
    timeout.abort();
    if (winner !== 'ready') {
      if (winner === 'timeout')
        log.warn(
          { expected, received: [...streams.keys()] },
          'timed out waiting for client to create streams',
        );
      return;
    }
    const errorStream = streams.get('error');
    if (errorStream === undefined) {
      log.warn({ received: [...streams.keys()] }, 'client did not create an error stream');
      return;
    }
    // The client never writes on these; draining them lets each close once both sides have ended.
    for (const type of ['error', 'stdout', 'stderr'] as const) streams.get(type)?.resume();
    const stdin = stdio.stdin ? streams.get('stdin') : undefined;
    const resizeStream = stdio.tty && supportsResize(protocol) ? streams.get('resize') : undefined;
    const outputs = [
      errorStream,
      stdio.stdout ? streams.get('stdout') : undefined,
      stdio.stderr ? streams.get('stderr') : undefined,
    ];
    const channels: CommandChannels = {
      ...(stdin && { stdin }),
      ...(stdio.stdout && streams.get('stdout') && { stdout: streams.get('stdout') }),
      ...(stdio.stderr && streams.get('stderr') && { stderr: streams.get('stderr') }),
      ...(resizeStream && { resize: readResizeEvents(resizeStream) }),
      finish: async (outcome: CommandOutcome) => {
        finishing = true;
        // Stop input: a FIN where the client already finished its side, a reset otherwise.
        for (const input of [stdin, resizeStream]) {
          if (input === undefined || input.destroyed) continue;
          if (input.remoteEnded) input.end();
          else input.reset();
        }
        const status = protocol === 'v4.channel.k8s.io' ? statusJson(outcome) : statusText(outcome);
        if (status.length > 0 && !errorStream.destroyed) errorStream.write(status);
        await Promise.all([...outputs, ...extras].map((s) => (s ? endAndFlush(s) : undefined)));
        // The client closes the connection once it has read everything; closing first could make
        // the kernel reset it and drop output still in flight.
        await Promise.race([connection.closed, delay(options.finishTimeoutMs, controller.signal)]);
      },
    };
    const outcome = await runCommandSession(request, channels, args.runtime, controller.signal);
    log.debug({ outcome: outcome?.kind ?? 'client-gone' }, 'command session ended');
  } finally {
    dispose();
    controller.abort(new Error('session ended'));
    connection.destroy();
  }
}
