import type { StreamFrame } from '../docker/multiplex.js';
import { fixedTimestampOf, toFixedTimestamp, type LogStream } from './cri-format.js';

/**
 * One message as the engine's json-file driver stored it: its time (fixed-width), stream, text
 * without the ending "\n", and whether it ended a line (Docker stores a line longer than 16 KiB,
 * or output cut off without a newline, as partial messages without "\n").
 */
export interface EngineMessage {
  timestamp: string;
  stream: LogStream;
  text: Buffer;
  complete: boolean;
}

/** In tty mode a line that never ends is cut into partial messages of this size. */
const TTY_MAX_PENDING_BYTES = 1024 * 1024;

/**
 * Turns the frames of `GET /containers/{id}/logs?timestamps=1` into messages.
 *
 * Without a tty the engine sends one multiplexed frame per stored message, so a frame is a
 * message: "<RFC3339Nano> <text>[\n]". With a tty there is no framing: the bytes arrive in
 * arbitrary chunks, so messages are cut at "\n" (a partial message there merges with the next
 * one's timestamp; tty output is for humans and this is the best the raw stream allows).
 */
export class EngineMessageReader {
  readonly #tty: boolean;
  #pending: Buffer = Buffer.alloc(0);

  constructor(options: { tty: boolean }) {
    this.#tty = options.tty;
  }

  /** The messages a frame completes. */
  push(frame: StreamFrame): EngineMessage[] {
    if (frame.stream === 'stdin') return [];
    if (!this.#tty) return [toMessage(frame.stream, frame.payload)];
    this.#pending = this.#pending.length === 0 ? frame.payload : Buffer.concat([this.#pending, frame.payload]);
    const messages: EngineMessage[] = [];
    let start = 0;
    for (let nl = this.#pending.indexOf(0x0a, start); nl >= 0; nl = this.#pending.indexOf(0x0a, start)) {
      messages.push(toMessage('stdout', this.#pending.subarray(start, nl + 1)));
      start = nl + 1;
    }
    this.#pending = this.#pending.subarray(start);
    if (this.#pending.length >= TTY_MAX_PENDING_BYTES) messages.push(...this.end());
    return messages;
  }

  /** What is left when the stream ends (tty only): a partial message. */
  end(): EngineMessage[] {
    if (this.#pending.length === 0) return [];
    const rest = this.#pending;
    this.#pending = Buffer.alloc(0);
    return [toMessage('stdout', rest)];
  }
}

/** Parses "<timestamp> <text>[\n]". A payload without a readable time is stamped now. */
function toMessage(stream: LogStream, payload: Buffer): EngineMessage {
  const complete = payload[payload.length - 1] === 0x0a;
  const body = complete ? payload.subarray(0, payload.length - 1) : payload;
  const space = body.indexOf(0x20);
  const timestamp = space > 0 && space <= 40 ? toFixedTimestamp(body.subarray(0, space).toString('latin1')) : undefined;
  if (timestamp === undefined) return { timestamp: fixedTimestampOf(new Date()), stream, text: body, complete };
  return { timestamp, stream, text: body.subarray(space + 1), complete };
}
