/**
 * A SPDY/3 connection over any byte Duplex (a hijacked socket, or a WebSocket tunnel), shaped for
 * the Kubernetes peer, moby/spdystream:
 * - streams carry only custom headers (`streamtype`, `port`, `requestid`), never `:method`/`:path`,
 *   so none are required;
 * - no flow control: spdystream never sends WINDOW_UPDATE, so this side never waits for window
 *   and ignores WINDOW_UPDATE and SETTINGS;
 * - PING from the peer is echoed (client-go pings every 5 s);
 * - half-close by FIN in both directions, RST_STREAM to abort one stream.
 * Backpressure: outgoing frames go through one ordered queue that waits for 'drain' (each stream
 * takes up to 1 MiB before it pushes back on its writer, see STREAM_WRITE_HIGH_WATER_MARK); incoming
 * data for a stream whose reader lags pauses the transport until the reader catches up (what
 * spdystream itself does), with a generous per-stream buffer before that happens.
 */

import { Duplex } from 'node:stream';
import {
  encodeDataHeader,
  encodeGoAway,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  encodeSynStream,
  FLAG_FIN,
  FLAG_UNIDIRECTIONAL,
  FrameParser,
  GoAwayStatus,
  MAX_FRAME_PAYLOAD,
  RstStatus,
  SpdyProtocolError,
  type Frame,
} from './frames.js';
import type { HeaderInput, SpdyHeaders } from './header-block.js';
import { HeaderCompressor, HeaderDecompressor } from './header-compression.js';

export interface SpdyConnectionOptions {
  /** 'server' (default) accepts odd client stream ids; 'client' opens them (used by tests). */
  role?: 'server' | 'client';
  /** Called for every stream the peer opens; it must `reply()` or `reset()` it. */
  onStream?: (stream: SpdyStream) => void;
  /** Called when the peer sends GOAWAY. */
  onGoAway?: (lastGoodStreamId: number, status: number) => void;
  /** Bytes that arrived with the upgrade request, ahead of the transport's own data. */
  head?: Buffer;
  /** Largest DATA payload sent in one frame (default and maximum: 2^24 - 1). */
  maxDataFramePayload?: number;
  /** Bytes buffered per incoming stream before the transport is paused (default 1 MiB). */
  streamReadHighWaterMark?: number;
}

const EMPTY = Buffer.alloc(0);

/**
 * Outgoing bytes a stream buffers before it pushes back on its writer. A socket piped in reads 64 KiB
 * at a time; with Node's default 16 KiB mark every chunk paused and resumed that socket (a pod's
 * port, a process's stdout). 1 MiB lets chunks flow and still bounds what waits per stream:
 * port-forward went from ~2.1-2.5x to ~1.7-1.9x of a bare TCP connection (docs/performance.md).
 */
const STREAM_WRITE_HIGH_WATER_MARK = 1024 * 1024;

export class SpdyConnectionClosedError extends Error {
  override readonly name = 'SpdyConnectionClosedError';
  readonly code = 'ERR_SPDY_CONNECTION_CLOSED';
  constructor() {
    super('SPDY connection closed');
  }
}

export class SpdyConnection {
  /** Resolves once the transport has closed and every stream has been destroyed. */
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private readonly streams = new Map<number, SpdyStream>();
  private readonly parser = new FrameParser();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly inbox: Frame[] = [];
  private processing = false;
  private outQueue: Promise<void> = Promise.resolve();
  private readonly pausedBy = new Set<number>();
  private readonly remoteParity: number;
  private nextLocalId: number;
  private lastRemoteId = 0;
  private goAwaySent = false;
  private isClosed = false;
  private broken = false;
  private readonly maxPayload: number;
  readonly streamReadHighWaterMark: number;

  constructor(
    private readonly transport: Duplex,
    private readonly options: SpdyConnectionOptions = {},
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    const server = (options.role ?? 'server') === 'server';
    this.remoteParity = server ? 1 : 0;
    this.nextLocalId = server ? 2 : 1;
    this.maxPayload = Math.min(options.maxDataFramePayload ?? MAX_FRAME_PAYLOAD, MAX_FRAME_PAYLOAD);
    this.streamReadHighWaterMark = options.streamReadHighWaterMark ?? 1024 * 1024;
    transport.on('data', (chunk: Buffer) => this.receive(chunk));
    transport.on('end', () => this.teardown());
    transport.on('close', () => this.teardown());
    transport.on('error', () => this.teardown());
    if (options.head && options.head.length > 0) this.receive(options.head);
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  /** Streams not yet closed in both directions (or reset). */
  get streamCount(): number {
    return this.streams.size;
  }

  /** Opens a stream from this side; resolves with it once the peer's SYN_REPLY arrives. */
  async openStream(headers: HeaderInput, options: { fin?: boolean } = {}): Promise<SpdyStream> {
    this.assertOpen();
    const id = this.nextLocalId;
    this.nextLocalId += 2;
    const stream = new SpdyStream(this, id, new Map(), true);
    this.streams.set(id, stream);
    if (options.fin) stream.markFinSent();
    await this.enqueue(async () => [
      encodeSynStream(id, options.fin ? FLAG_FIN : 0, await this.compressor.compress(headers)),
    ]);
    await stream.replied;
    return stream;
  }

  /**
   * Sends GOAWAY: the peer may open no more streams. Streams already open keep working; once the
   * last of them is gone this side of the transport ends (after everything queued is written),
   * and the peer then closes.
   */
  async close(status: number = GoAwayStatus.Ok): Promise<void> {
    if (this.isClosed || this.goAwaySent) return;
    this.goAwaySent = true;
    try {
      await this.enqueue(() => [encodeGoAway(this.lastRemoteId, status)]);
    } catch {
      return; // Closed meanwhile: nothing left to say.
    }
    this.endWhenIdle();
  }

  private endWhenIdle(): void {
    if (!this.goAwaySent || this.streams.size > 0 || this.isClosed) return;
    this.enqueue(() => []).then(
      () => this.transport.end(),
      () => undefined,
    );
  }

  /** Tears everything down now: streams are destroyed without RST, the transport is destroyed. */
  destroy(): void {
    this.teardown();
  }

  // --- used by SpdyStream ---------------------------------------------------------------------

  sendReply(id: number, headers: HeaderInput): Promise<void> {
    return this.enqueue(async () => [encodeSynReply(id, 0, await this.compressor.compress(headers))]);
  }

  sendData(id: number, data: Buffer, fin: boolean): Promise<void> {
    return this.enqueue(() => {
      const frames: Buffer[] = [];
      let offset = 0;
      do {
        const end = Math.min(offset + this.maxPayload, data.length);
        const last = end === data.length;
        frames.push(encodeDataHeader(id, last && fin ? FLAG_FIN : 0, end - offset));
        if (end > offset) frames.push(data.subarray(offset, end));
        offset = end;
      } while (offset < data.length);
      return frames;
    });
  }

  sendRst(id: number, status: number): void {
    if (this.isClosed) return;
    this.enqueue(() => [encodeRstStream(id, status)]).catch(() => undefined);
  }

  forget(id: number): void {
    this.streams.delete(id);
    this.resumeFor(id);
    if (!this.broken) this.endWhenIdle();
  }

  pauseFor(id: number): void {
    this.pausedBy.add(id);
    this.transport.pause();
  }

  resumeFor(id: number): void {
    if (this.pausedBy.delete(id) && this.pausedBy.size === 0 && !this.isClosed) this.transport.resume();
  }

  // --- input ----------------------------------------------------------------------------------

  private receive(chunk: Buffer): void {
    if (this.isClosed || this.broken) return;
    try {
      this.inbox.push(...this.parser.push(chunk));
    } catch (err) {
      this.protocolError(err);
      return;
    }
    if (!this.processing) void this.processInbox();
  }

  private async processInbox(): Promise<void> {
    this.processing = true;
    try {
      for (
        let frame = this.inbox.shift();
        frame && !this.isClosed && !this.broken;
        frame = this.inbox.shift()
      ) {
        await this.handle(frame);
      }
    } catch (err) {
      this.protocolError(err);
    } finally {
      this.processing = false;
    }
  }

  private async handle(frame: Frame): Promise<void> {
    switch (frame.type) {
      case 'data': {
        // Data for a stream already gone (reset or fully closed here) is dropped: the peer learns
        // of the reset from our RST_STREAM.
        this.streams.get(frame.streamId)?.receiveData(frame.data, (frame.flags & FLAG_FIN) !== 0);
        return;
      }
      case 'syn_stream': {
        // Always inflate, even for a refused stream: the zlib context spans the connection.
        const headers = await this.decompressor.decompress(frame.block);
        if (frame.streamId % 2 !== this.remoteParity || frame.streamId <= this.lastRemoteId) {
          throw new SpdyProtocolError(`invalid new stream id ${frame.streamId}`);
        }
        this.lastRemoteId = frame.streamId;
        if (this.goAwaySent || !this.options.onStream) {
          this.sendRst(frame.streamId, RstStatus.RefusedStream);
          return;
        }
        const stream = new SpdyStream(this, frame.streamId, headers, false);
        this.streams.set(frame.streamId, stream);
        if (frame.flags & FLAG_UNIDIRECTIONAL) stream.markFinSent();
        if (frame.flags & FLAG_FIN) stream.receiveData(EMPTY, true);
        this.options.onStream(stream);
        return;
      }
      case 'syn_reply': {
        const headers = await this.decompressor.decompress(frame.block);
        const stream = this.streams.get(frame.streamId);
        stream?.receiveReply(headers);
        if (stream && frame.flags & FLAG_FIN) stream.receiveData(EMPTY, true);
        return;
      }
      case 'headers': {
        const headers = await this.decompressor.decompress(frame.block);
        const stream = this.streams.get(frame.streamId);
        stream?.addHeaders(headers);
        if (stream && frame.flags & FLAG_FIN) stream.receiveData(EMPTY, true);
        return;
      }
      case 'rst_stream':
        this.streams.get(frame.streamId)?.receiveReset(frame.status);
        return;
      case 'ping':
        // Echo the peer's pings (their parity); an id of ours would answer a ping we never send.
        if (frame.id % 2 === this.remoteParity)
          this.enqueue(() => [encodePing(frame.id)]).catch(() => undefined);
        return;
      case 'goaway':
        this.options.onGoAway?.(frame.lastGoodStreamId, frame.status);
        return;
      case 'settings':
      case 'window_update':
      case 'unknown':
        return;
    }
  }

  private protocolError(_err: unknown): void {
    if (this.isClosed || this.broken) return;
    // Stop reading at once; send GOAWAY ahead of the queue (frames queued behind a broken zlib
    // context may never come out) and tear down once it is written, or after a second at most.
    this.broken = true;
    this.goAwaySent = true;
    this.inbox.length = 0;
    this.transport.pause();
    if (!this.transport.writable) {
      this.teardown();
      return;
    }
    const timer = setTimeout(() => this.teardown(), 1000);
    timer.unref();
    this.transport.write(encodeGoAway(this.lastRemoteId, GoAwayStatus.ProtocolError), () => {
      clearTimeout(timer);
      this.teardown();
    });
  }

  // --- output ---------------------------------------------------------------------------------

  private enqueue(produce: () => Buffer[] | Promise<Buffer[]>): Promise<void> {
    const step = async () => {
      this.assertOpen();
      const buffers = await produce();
      for (const buffer of buffers) {
        this.assertOpen();
        if (!this.transport.write(buffer)) await this.drained();
      }
    };
    const done = this.outQueue.then(step);
    this.outQueue = done.catch(() => undefined);
    return done;
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        this.transport.off('drain', finish);
        this.transport.off('close', finish);
        resolve();
      };
      this.transport.on('drain', finish);
      this.transport.on('close', finish);
    });
  }

  private assertOpen(): void {
    if (this.isClosed || this.transport.destroyed || !this.transport.writable)
      throw new SpdyConnectionClosedError();
  }

  private teardown(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.inbox.length = 0;
    for (const stream of [...this.streams.values()]) stream.destroy();
    this.streams.clear();
    this.pausedBy.clear();
    this.compressor.close();
    this.decompressor.close();
    this.transport.destroy();
    this.resolveClosed();
  }
}

/**
 * One SPDY stream as a Node Duplex. Reading yields the peer's DATA; the peer's FIN ends the
 * readable side. Writing sends DATA; `end()` sends an empty DATA frame with FIN. `destroy()`
 * before both sides have closed sends RST_STREAM(CANCEL), unless the peer reset it or the
 * connection is gone. A peer reset emits 'reset' (with the status) and destroys the stream
 * without an error, so readers see a premature close rather than an 'error' event.
 */
export class SpdyStream extends Duplex {
  readonly replied: Promise<SpdyHeaders>;
  private resolveReplied!: (headers: SpdyHeaders) => void;
  private rejectReplied!: (err: Error) => void;
  private finReceived = false;
  private finSent = false;
  private resetSeen = false;
  private replySent = false;

  constructor(
    private readonly connection: SpdyConnection,
    readonly id: number,
    readonly headers: SpdyHeaders,
    readonly locallyInitiated: boolean,
  ) {
    super({
      allowHalfOpen: true,
      readableHighWaterMark: connection.streamReadHighWaterMark,
      writableHighWaterMark: STREAM_WRITE_HIGH_WATER_MARK,
    });
    this.replied = new Promise((resolve, reject) => {
      this.resolveReplied = resolve;
      this.rejectReplied = reject;
    });
    // A stream opened by the peer is never replied to by it; keep the promise from dangling.
    this.replied.catch(() => undefined);
  }

  /** First value of a header (names are lowercase on the wire). */
  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  /** Accepts a peer-opened stream with SYN_REPLY (empty headers are what Kubernetes sends). */
  reply(headers: HeaderInput = {}): Promise<void> {
    if (this.replySent) return Promise.resolve();
    this.replySent = true;
    return this.connection.sendReply(this.id, headers);
  }

  /** Aborts the stream with RST_STREAM and destroys it. */
  reset(status: number = RstStatus.Cancel): void {
    if (this.resetSeen || this.destroyed) return;
    this.resetSeen = true;
    this.connection.sendRst(this.id, status);
    this.destroy();
  }

  get remoteEnded(): boolean {
    return this.finReceived;
  }

  get wasReset(): boolean {
    return this.resetSeen;
  }

  markFinSent(): void {
    this.finSent = true;
    this.end();
  }

  receiveData(data: Buffer, fin: boolean): void {
    if (this.finReceived || this.destroyed) {
      if (data.length > 0 || fin) this.reset(RstStatus.StreamAlreadyClosed);
      return;
    }
    if (data.length > 0 && !this.push(data)) this.connection.pauseFor(this.id);
    if (fin) {
      this.finReceived = true;
      this.push(null);
    }
  }

  receiveReply(headers: SpdyHeaders): void {
    for (const [name, values] of headers) this.headers.set(name, values);
    this.resolveReplied(headers);
  }

  addHeaders(headers: SpdyHeaders): void {
    for (const [name, values] of headers)
      this.headers.set(name, [...(this.headers.get(name) ?? []), ...values]);
  }

  receiveReset(status: number): void {
    if (this.destroyed) return;
    this.resetSeen = true;
    this.rejectReplied(new Error(`stream ${this.id} reset by peer (status ${status})`));
    this.emit('reset', status);
    this.destroy();
  }

  override _read(): void {
    this.connection.resumeFor(this.id);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.connection.sendData(this.id, chunk, false).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.finSent) {
      callback();
      return;
    }
    this.finSent = true;
    this.connection.sendData(this.id, EMPTY, true).then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.resetSeen && !(this.finSent && this.finReceived) && this.connection.isOpen) {
      this.resetSeen = true;
      this.connection.sendRst(this.id, RstStatus.Cancel);
    }
    this.rejectReplied(new SpdyConnectionClosedError());
    this.connection.forget(this.id);
    callback(error);
  }
}
