import { Transform, type TransformCallback } from 'node:stream';

/**
 * Docker's stream framing for non-tty attach, exec and logs: an 8-byte header (stream byte,
 * three zero bytes, big-endian payload length) before each payload. Frames may arrive split
 * across chunks or several to a chunk.
 */
export type StdStream = 'stdin' | 'stdout' | 'stderr';

export interface StreamFrame {
  stream: StdStream;
  payload: Buffer;
}

const STREAM_OF_BYTE: Record<number, StdStream> = { 0: 'stdin', 1: 'stdout', 2: 'stderr' };
const HEADER_BYTES = 8;

/** Object-mode transform: raw multiplexed bytes in, StreamFrame objects out. */
export class Demultiplexer extends Transform {
  #pending: Buffer = Buffer.alloc(0);

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    while (this.#pending.length >= HEADER_BYTES) {
      const stream = STREAM_OF_BYTE[this.#pending[0] ?? -1];
      if (stream === undefined || this.#pending.readUIntBE(1, 3) !== 0) {
        done(
          new Error(
            `unexpected Docker frame header ${this.#pending.subarray(0, 4).toString('hex')}: the stream is not multiplexed`,
          ),
        );
        return;
      }
      const length = this.#pending.readUInt32BE(4);
      if (this.#pending.length < HEADER_BYTES + length) break;
      this.push({ stream, payload: this.#pending.subarray(HEADER_BYTES, HEADER_BYTES + length) });
      this.#pending = this.#pending.subarray(HEADER_BYTES + length);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    done(this.#pending.length > 0 ? new Error(`the Docker stream ended inside a frame`) : null);
  }
}

/** Object-mode transform for tty streams: every chunk is stdout. */
export class TtyFramer extends Transform {
  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    done(null, { stream: 'stdout', payload: chunk } satisfies StreamFrame);
  }
}
