/**
 * The two zlib contexts of a SPDY/3 connection (draft 3, section 2.6.10.1): every header block a
 * side sends continues one deflate stream primed with the SPDY dictionary, ended by a
 * Z_SYNC_FLUSH so the peer can decode it whole; every block it receives continues one inflate
 * stream. Losing a block desynchronises the context, so blocks are processed strictly in order,
 * including those of streams about to be refused.
 *
 * Node's zlib is asynchronous. A flush's output is pushed before its callback runs, but may reach
 * 'data' listeners on a later tick, so each operation waits one `setImmediate` after the callback
 * before taking what arrived: by then every nextTick-scheduled push has been delivered.
 */

import { setImmediate as nextMacrotask } from 'node:timers/promises';
import zlib from 'node:zlib';
import { SPDY3_HEADER_DICTIONARY } from './dictionary.js';
import { SpdyProtocolError } from './frames.js';
import {
  parseHeaderBlock,
  serializeHeaderBlock,
  type HeaderInput,
  type SpdyHeaders,
} from './header-block.js';

abstract class ZlibContext {
  private output: Buffer[] = [];
  private failure: Error | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  protected constructor(protected readonly engine: zlib.Deflate | zlib.Inflate) {
    engine.on('data', (chunk: Buffer) => this.output.push(chunk));
    engine.on('error', (err: Error) => {
      this.failure = err;
    });
  }

  /** Runs `op` after every earlier operation, so blocks stay in wire order. */
  protected serialize<T>(op: () => Promise<T>): Promise<T> {
    const next = this.chain.then(op, op);
    this.chain = next.catch(() => undefined);
    return next;
  }

  protected async flushed(input: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      // A zlib error destroys the engine and may drop the pending flush callback, so settle on
      // 'close' as well.
      const onClose = () =>
        reject(this.failure ?? new SpdyProtocolError('header compression context closed'));
      this.engine.once('close', onClose);
      this.engine.write(input);
      this.engine.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        this.engine.off('close', onClose);
        if (this.failure) reject(this.failure);
        else resolve();
      });
    });
    await nextMacrotask();
    if (this.failure) throw this.failure;
  }

  protected takeOutput(): Buffer {
    const out = this.output.length === 1 ? (this.output[0] as Buffer) : Buffer.concat(this.output);
    this.output = [];
    return out;
  }

  protected peekOutput(): Buffer {
    if (this.output.length > 1) this.output = [Buffer.concat(this.output)];
    return this.output[0] ?? Buffer.alloc(0);
  }

  close(): void {
    this.engine.close();
  }
}

export class HeaderCompressor extends ZlibContext {
  constructor() {
    super(zlib.createDeflate({ dictionary: SPDY3_HEADER_DICTIONARY }));
  }

  /** Serializes and compresses one header block; the result is a complete frame body tail. */
  compress(headers: HeaderInput): Promise<Buffer> {
    const raw = serializeHeaderBlock(headers);
    return this.serialize(async () => {
      await this.flushed(raw);
      return this.takeOutput();
    });
  }
}

export class HeaderDecompressor extends ZlibContext {
  constructor() {
    super(zlib.createInflate({ dictionary: SPDY3_HEADER_DICTIONARY }));
  }

  /** Inflates one compressed block; an empty block (allowed for SYN_REPLY/HEADERS) is no headers. */
  decompress(compressed: Buffer): Promise<SpdyHeaders> {
    return this.serialize(async () => {
      if (compressed.length === 0) return new Map();
      await this.flushed(compressed);
      const inflated = this.peekOutput();
      const parsed = parseHeaderBlock(inflated);
      if (parsed === undefined) throw new SpdyProtocolError('truncated header block');
      if (parsed.consumed !== inflated.length) throw new SpdyProtocolError('header block has trailing bytes');
      this.takeOutput();
      return parsed.headers;
    });
  }
}
