/**
 * exec/attach over WebSocket channels (k8s.io/streaming `wsstream/conn.go`, cri-streaming
 * `remotecommand/websocket.go`). Every message starts with a channel byte: 0 stdin, 1 stdout,
 * 2 stderr, 3 error, 4 resize. Variants:
 * - `channel.k8s.io` (and no subprotocol): binary messages, plain-text error;
 * - `base64.channel.k8s.io`: text messages, channel as an ASCII digit, payload base64;
 * - `v4.channel.k8s.io`, `v4.base64.channel.k8s.io`: as above with a JSON status on channel 3;
 * - `v5.channel.k8s.io` (client-go's only WebSocket protocol): v4 binary plus the close signal, a
 *   message `[255, channel]` half-closing one channel (the client's stdin EOF).
 * Right after the upgrade the server sends an empty message on the lowest writable channel. At the
 * end it writes the status, then a normal WebSocket close (1000): client-go treats that as EOF on
 * every stream, and any other ending as an error.
 */

import { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import { runCommandSession, type CommandChannels } from './command-session.js';
import { statusJson, statusText, type CommandOutcome } from './command-status.js';
import { readResizeEvents } from './resize.js';
import { stdioOf, type CommandRequest } from './requests.js';
import type { StreamRuntime } from './runtime.js';
import { childAbortController, delay, endAndFlush } from './session-support.js';

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 } as const;
export const CLOSE_SIGNAL = 255;

export interface WebSocketSessionOptions {
  finishTimeoutMs: number;
  log: Logger;
}

/** Sends one channel's messages, framed for the negotiated codec. */
class ChannelWriter extends Writable {
  constructor(
    private readonly ws: WebSocket,
    private readonly channel: number,
    private readonly base64: boolean,
  ) {
    super();
  }

  send(data: Buffer, callback: (err?: Error) => void): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      callback(new Error('websocket closed'));
      return;
    }
    if (this.base64) this.ws.send(`${this.channel}${data.toString('base64')}`, callback);
    else this.ws.send(Buffer.concat([Buffer.from([this.channel]), data]), { binary: true }, callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.send(chunk, (err) => callback(err ?? null));
  }
}

/** An input channel: the client's messages, ended by its close signal or by the session. */
class ChannelReader extends Readable {
  constructor(private readonly onDemand: () => void) {
    super();
  }

  override _read(): void {
    this.onDemand();
  }
}

/**
 * One exec or attach over WebSocket channels. Long because the channel readers, the writers and the
 * teardown share the session's socket and abort controller, which splitting would only pass around.
 */
export async function serveWebSocketCommand(args: {
  ws: WebSocket;
  protocol: string;
  request: CommandRequest;
  runtime: StreamRuntime;
  signal: AbortSignal;
  options: WebSocketSessionOptions;
}): Promise<void> {
  const { ws, protocol, request, options } = args;
  const log = options.log;
  const stdio = stdioOf(request);
  const base64 = protocol.includes('base64');
  const jsonStatus = protocol.startsWith('v4.') || protocol.startsWith('v5.');
  const closeSignal = protocol === 'v5.channel.k8s.io';
  const { controller, dispose } = childAbortController(args.signal);
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  void closed.then(() => controller.abort(new Error('client connection closed')));

  const resume = () => {
    if (ws.isPaused) ws.resume();
  };
  const stdin = stdio.stdin ? new ChannelReader(resume) : undefined;
  const resizeInput = stdio.tty ? new ChannelReader(resume) : undefined;
  const readers = new Map<number, ChannelReader>();
  if (stdin) readers.set(CHANNEL.stdin, stdin);
  if (resizeInput) readers.set(CHANNEL.resize, resizeInput);
  const writer = (channel: number) => new ChannelWriter(ws, channel, base64).on('error', () => undefined);
  const stdout = stdio.stdout ? writer(CHANNEL.stdout) : undefined;
  const stderr = stdio.stderr ? writer(CHANNEL.stderr) : undefined;
  const errorChannel = writer(CHANNEL.error);

  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    const message = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    if (message.length === 0) return;
    if (closeSignal && message[0] === CLOSE_SIGNAL) {
      if (message.length !== 2) {
        log.warn({ length: message.length }, 'malformed close signal');
        ws.close(1002, 'malformed close signal');
        return;
      }
      readers.get(message[1] as number)?.push(null);
      return;
    }
    const channel = base64 && !isBinary ? (message[0] as number) - 0x30 : (message[0] as number);
    const reader = readers.get(channel);
    // Messages for channels this session does not read are ignored, as upstream's IgnoreChannel does.
    if (reader === undefined || reader.readableEnded) return;
    const payload =
      base64 && !isBinary
        ? Buffer.from(message.subarray(1).toString('latin1'), 'base64')
        : message.subarray(1);
    if (payload.length > 0 && !reader.push(payload)) ws.pause();
  });

  // Tell the client the connection is ready: an empty message on the lowest writable channel.
  (stdout ?? stderr ?? errorChannel).send(Buffer.alloc(0), () => undefined);

  const channels: CommandChannels = {
    ...(stdin && { stdin }),
    ...(stdout && { stdout }),
    ...(stderr && { stderr }),
    ...(resizeInput && { resize: readResizeEvents(resizeInput) }),
    finish: async (outcome: CommandOutcome) => {
      for (const reader of readers.values()) if (!reader.readableEnded) reader.push(null);
      const status = jsonStatus ? statusJson(outcome) : statusText(outcome);
      if (status.length > 0) errorChannel.write(status);
      await Promise.all([stdout, stderr, errorChannel].map((s) => (s ? endAndFlush(s) : undefined)));
      if (ws.readyState === ws.OPEN) ws.close(1000);
      // ws completes the closing handshake (and ends the socket) when the client answers.
      await Promise.race([closed, delay(options.finishTimeoutMs, controller.signal)]);
    },
  };
  try {
    const outcome = await runCommandSession(request, channels, args.runtime, controller.signal);
    log.debug({ outcome: outcome?.kind ?? 'client-gone' }, 'websocket command session ended');
  } finally {
    dispose();
    controller.abort(new Error('session ended'));
    for (const reader of readers.values()) reader.destroy();
    for (const w of [stdout, stderr, errorChannel]) w?.destroy();
    ws.terminate();
  }
}
