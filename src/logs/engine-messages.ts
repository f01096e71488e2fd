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
 * arbitrary chunks, so messages are cut at "\n", and at Docker's 16 KiB partial boundary when a
 * timestamp stands there. (Output that ends without "\n" just before the next message is
 * indistinguishable from text in a raw stream: it merges into the next line's text.)
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
    this.#pending =
      this.#pending.length === 0 ? frame.payload : Buffer.concat([this.#pending, frame.payload]);
    const messages: EngineMessage[] = [];
    let rest = this.#pending;
    for (;;) {
      const nl = rest.indexOf(0x0a);
      const partialEnd = dockerPartialEnd(rest, nl);
      if (partialEnd !== undefined) {
        messages.push(toMessage('stdout', rest.subarray(0, partialEnd)));
        rest = rest.subarray(partialEnd);
      } else if (nl >= 0) {
        messages.push(toMessage('stdout', rest.subarray(0, nl + 1)));
        rest = rest.subarray(nl + 1);
      } else {
        break;
      }
    }
    this.#pending = rest;
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

/**
 * Docker cuts a line longer than 16 KiB into partial messages of exactly 16 KiB, all with the
 * line's time. In a tty's raw stream the next piece's timestamp then follows the 16 KiB without a
 * "\n"; this finds that boundary, so the piece becomes a P line instead of swallowing the next
 * timestamp into its text. Undefined when `raw` (starting at a message) holds no such cut.
 */
function dockerPartialEnd(raw: Buffer, newline: number): number | undefined {
  const space = raw.indexOf(0x20);
  if (space <= 0 || space > 40) return undefined;
  const cut = space + 1 + DOCKER_PARTIAL_BYTES;
  if (newline >= 0 && newline < cut) return undefined;
  const nextSpace = raw.indexOf(0x20, cut);
  if (nextSpace < 0 || nextSpace - cut > 40) return undefined;
  return toFixedTimestamp(raw.subarray(cut, nextSpace).toString('latin1')) === undefined ? undefined : cut;
}

/** Docker's partial message size (daemon/logger copier). */
const DOCKER_PARTIAL_BYTES = 16 * 1024;

/** Parses "<timestamp> <text>[\n]". A payload without a readable time is stamped now. */
function toMessage(stream: LogStream, payload: Buffer): EngineMessage {
  const complete = payload[payload.length - 1] === 0x0a;
  const body = complete ? payload.subarray(0, payload.length - 1) : payload;
  const space = body.indexOf(0x20);
  const timestamp =
    space > 0 && space <= 40 ? toFixedTimestamp(body.subarray(0, space).toString('latin1')) : undefined;
  if (timestamp === undefined)
    return { timestamp: fixedTimestampOf(new Date()), stream, text: body, complete };
  return { timestamp, stream, text: body.subarray(space + 1), complete };
}
