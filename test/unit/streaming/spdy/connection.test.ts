import { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SpdyConnection, type SpdyStream } from '../../../../src/streaming/spdy/connection.js';
import { SPDY3_HEADER_DICTIONARY } from '../../../../src/streaming/spdy/dictionary.js';
import {
  encodeDataHeader,
  encodeGoAway,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSynStream,
  encodeWindowUpdate,
  FLAG_FIN,
  FrameParser,
  GoAwayStatus,
  RstStatus,
  type Frame,
} from '../../../../src/streaming/spdy/frames.js';
import { serializeHeaderBlock } from '../../../../src/streaming/spdy/header-block.js';
import { HeaderCompressor, HeaderDecompressor } from '../../../../src/streaming/spdy/header-compression.js';

/** A transport whose input the test feeds and whose output it parses. */
class FakeTransport extends Duplex {
  readonly written: Buffer[] = [];
  constructor(highWaterMark?: number) {
    super(highWaterMark === undefined ? {} : { writableHighWaterMark: highWaterMark });
  }
  override _read(): void {}
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.written.push(chunk);
    cb();
  }
  feed(bytes: Buffer): void {
    this.push(bytes);
  }
  frames(): Frame[] {
    return new FrameParser().push(Buffer.concat(this.written));
  }
}

/** A transport with a 16-byte mark whose writes complete only when the test releases them. */
class HeldTransport extends FakeTransport {
  #pending: (() => void) | undefined;
  constructor() {
    super(16);
  }
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.written.push(chunk);
    this.#pending = cb;
  }
  /** Completes the write waiting now, if any. */
  release(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.();
  }
}

const data = (id: number, payload: string | Buffer, fin = false) => {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  return Buffer.concat([encodeDataHeader(id, fin ? FLAG_FIN : 0, body.length), body]);
};

/** A client-side header context, as the peer's would be. */
function peer() {
  const compressor = new HeaderCompressor();
  return {
    synStream: async (id: number, headers: Record<string, string>, flags = 0) =>
      encodeSynStream(id, flags, await compressor.compress(headers)),
    close: () => compressor.close(),
  };
}

function serverOn(transport: FakeTransport, options: ConstructorParameters<typeof SpdyConnection>[1] = {}) {
  const streams: SpdyStream[] = [];
  const connection = new SpdyConnection(transport, {
    onStream: (s) => {
      streams.push(s);
      void s.reply();
    },
    ...options,
  });
  return { connection, streams };
}

/** A server on the transport and one stream (id 1) its peer opened; the peer stays open for more. */
async function serverWithStream(
  transport: FakeTransport,
  headers: Record<string, string>,
  {
    options = {},
    flags = 0,
  }: { options?: ConstructorParameters<typeof SpdyConnection>[1]; flags?: number } = {},
) {
  const server = serverOn(transport, options);
  const client = peer();
  transport.feed(await client.synStream(1, headers, flags));
  await expect.poll(() => server.streams.length).toBe(1);
  return { ...server, client, stream: server.streams[0] as SpdyStream };
}

const tick = () => new Promise((r) => setTimeout(r, 10));

describe('SpdyConnection (server side)', () => {
  it('accepts a stream fed one byte at a time: headers without :method/:path, data, FIN', async () => {
    const transport = new FakeTransport();
    const { streams } = serverOn(transport);
    // An independent zlib context compresses the first block, as the Go client's would.
    const block = zlib.deflateSync(serializeHeaderBlock({ streamtype: 'stdin' }), {
      dictionary: SPDY3_HEADER_DICTIONARY,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    const bytes = Buffer.concat([encodeSynStream(1, 0, block), data(1, 'abc'), data(1, 'def', true)]);
    for (const byte of bytes) transport.feed(Buffer.from([byte]));
    await expect.poll(() => streams.length).toBe(1);
    const stream = streams[0] as SpdyStream;
    expect(stream.header('streamType')).toBe('stdin');
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('abcdef');
    expect(stream.remoteEnded).toBe(true);
    await tick();
    const reply = transport.frames().find((f) => f.type === 'syn_reply');
    expect(reply).toMatchObject({ type: 'syn_reply', streamId: 1 });
    const decompressor = new HeaderDecompressor();
    expect(
      await decompressor.decompress(reply?.type === 'syn_reply' ? reply.block : Buffer.alloc(0)),
    ).toEqual(new Map());
    decompressor.close();
  });

  it('decodes headers across streams with the connection-wide zlib context', async () => {
    const transport = new FakeTransport();
    const { streams } = serverOn(transport);
    const client = peer();
    for (const [id, type] of [
      [1, 'error'],
      [3, 'stdout'],
      [5, 'stderr'],
    ] as const)
      transport.feed(await client.synStream(id, { streamtype: type }));
    await expect
      .poll(() => streams.map((s) => s.header('streamtype')))
      .toEqual(['error', 'stdout', 'stderr']);
    client.close();
  });

  it('echoes the peer’s PINGs (odd ids) and not its own parity', async () => {
    const transport = new FakeTransport();
    serverOn(transport);
    transport.feed(Buffer.concat([encodePing(1), encodePing(2), encodePing(7)]));
    await tick();
    expect(transport.frames()).toEqual([
      { type: 'ping', id: 1 },
      { type: 'ping', id: 7 },
    ]);
  });

  it('ignores SETTINGS and WINDOW_UPDATE and never sends WINDOW_UPDATE', async () => {
    const transport = new FakeTransport();
    const { connection } = serverOn(transport);
    transport.feed(
      Buffer.concat([encodeSettings([{ flags: 0, id: 7, value: 1024 }]), encodeWindowUpdate(1, 10)]),
    );
    await tick();
    expect(connection.isOpen).toBe(true);
    expect(transport.frames()).toEqual([]);
  });

  it('sends more than the 64 KiB SPDY window without waiting for WINDOW_UPDATE', async () => {
    const transport = new FakeTransport();
    const { stream, client } = await serverWithStream(transport, { streamtype: 'stdout' });
    const payload = Buffer.alloc(300 * 1024, 1);
    await new Promise<void>((resolve, reject) => stream.end(payload, () => resolve()).on('error', reject));
    const frames = transport.frames().filter((f) => f.type === 'data');
    expect(frames.map((f) => (f.type === 'data' ? [f.data.length, f.flags] : []))).toEqual([
      [payload.length, 0],
      [0, FLAG_FIN],
    ]);
    client.close();
  });

  it('takes a socket-sized chunk without asking its source to pause, and pushes back past 1 MiB', async () => {
    // A 64 KiB read piped into a stream with Node's default 16 KiB mark paused and resumed the
    // pod's socket on every chunk; port-forward ran at ~2.1-2.5x of a bare TCP connection then,
    // ~1.7-1.9x with the larger mark (docs/performance.md).
    const transport = new HeldTransport();
    const { stream, client } = await serverWithStream(transport, { streamtype: 'data' });
    expect(stream.writableHighWaterMark).toBe(1024 * 1024);
    expect(stream.write(Buffer.alloc(64 * 1024, 1))).toBe(true);
    // The transport holds everything: the stream's buffer fills and it says so.
    let accepted = true;
    for (let i = 0; i < 16 && accepted; i++) accepted = stream.write(Buffer.alloc(64 * 1024, 1));
    expect(accepted).toBe(false);
    transport.release();
    client.close();
  });

  it('splits DATA above 2^24 - 1 bytes, and at a configured smaller size', async () => {
    for (const [max, size, expected] of [
      [undefined, 17 * 1024 * 1024, [0xffffff, 17 * 1024 * 1024 - 0xffffff]],
      [1000, 2500, [1000, 1000, 500]],
    ] as const) {
      const transport = new FakeTransport();
      const options = max === undefined ? {} : { maxDataFramePayload: max };
      const { stream, client } = await serverWithStream(transport, { streamtype: 'stdout' }, { options });
      await new Promise<void>((resolve) => stream.write(Buffer.alloc(size, 2), () => resolve()));
      const lengths = transport.frames().flatMap((f) => (f.type === 'data' ? [f.data.length] : []));
      expect(lengths).toEqual(expected);
      client.close();
    }
  });

  it('waits for drain when the transport pushes back', async () => {
    const transport = new HeldTransport();
    const { stream, client } = await serverWithStream(transport, { streamtype: 'stdout' });
    // The SYN_REPLY write is pending; release it so the stream's writes queue behind.
    await expect.poll(() => transport.written.length).toBe(1);
    transport.release();
    let done = false;
    stream.write(Buffer.alloc(100, 3), () => (done = true));
    await expect.poll(() => transport.written.length).toBe(2);
    await tick();
    expect(done).toBe(false);
    transport.release();
    await expect.poll(() => transport.written.length).toBe(3);
    transport.release();
    await expect.poll(() => done).toBe(true);
    client.close();
  });

  it('handles RST_STREAM from the peer and sends one when a stream is abandoned', async () => {
    const transport = new FakeTransport();
    const { streams, connection } = serverOn(transport);
    const client = peer();
    transport.feed(await client.synStream(1, { streamtype: 'a' }));
    transport.feed(await client.synStream(3, { streamtype: 'b' }));
    await expect.poll(() => streams.length).toBe(2);
    const [first, second] = streams as [SpdyStream, SpdyStream];
    const resets: number[] = [];
    first.on('reset', (status: number) => resets.push(status));
    transport.feed(encodeRstStream(1, RstStatus.Cancel));
    await expect.poll(() => first.destroyed).toBe(true);
    expect(resets).toEqual([RstStatus.Cancel]);
    second.destroy();
    await tick();
    expect(transport.frames().filter((f) => f.type === 'rst_stream')).toEqual([
      { type: 'rst_stream', streamId: 3, status: RstStatus.Cancel },
    ]);
    expect(connection.streamCount).toBe(0);
    // Data for a reset stream is dropped quietly.
    transport.feed(data(1, 'late'));
    await tick();
    expect(connection.isOpen).toBe(true);
    client.close();
  });

  it('closes a stream cleanly once both sides sent FIN', async () => {
    const transport = new FakeTransport();
    const { stream, connection, client } = await serverWithStream(
      transport,
      { streamtype: 'x' },
      { flags: FLAG_FIN },
    );
    stream.resume();
    stream.end('bye');
    await expect.poll(() => stream.destroyed).toBe(true);
    expect(connection.streamCount).toBe(0);
    expect(transport.frames().some((f) => f.type === 'rst_stream')).toBe(false);
    client.close();
  });

  it('passes GOAWAY to its handler', async () => {
    const transport = new FakeTransport();
    const goAways: number[][] = [];
    serverOn(transport, { onGoAway: (last, status) => goAways.push([last, status]) });
    transport.feed(encodeGoAway(5, GoAwayStatus.Ok));
    await expect.poll(() => goAways).toEqual([[5, 0]]);
  });

  it('answers a protocol error with GOAWAY(PROTOCOL_ERROR) and tears down', async () => {
    for (const bad of [
      Buffer.from('8002000600000004 00000001'.replace(/ /g, ''), 'hex'),
      encodeSynStream(2, 0, Buffer.alloc(0)),
    ]) {
      const transport = new FakeTransport();
      const { connection } = serverOn(transport);
      transport.feed(bad);
      await connection.closed;
      expect(transport.frames()).toContainEqual({
        type: 'goaway',
        lastGoodStreamId: 0,
        status: GoAwayStatus.ProtocolError,
      });
      expect(transport.destroyed).toBe(true);
    }
  });

  it('refuses new streams after its own GOAWAY but keeps the zlib context in step', async () => {
    const transport = new FakeTransport();
    const { connection, streams, client } = await serverWithStream(transport, { streamtype: 'a' });
    void connection.close();
    transport.feed(await client.synStream(3, { streamtype: 'b' }));
    await tick();
    expect(streams).toHaveLength(1);
    expect(transport.frames()).toContainEqual({
      type: 'rst_stream',
      streamId: 3,
      status: RstStatus.RefusedStream,
    });
    // The open stream still works; when it is gone, the transport's writable side ends.
    const open = streams[0] as SpdyStream;
    open.write('still here');
    await tick();
    expect(transport.writableEnded).toBe(false);
    open.destroy();
    await expect.poll(() => transport.writableEnded).toBe(true);
    client.close();
  });

  it('destroys every stream when the transport closes', async () => {
    const transport = new FakeTransport();
    const { connection, streams } = serverOn(transport);
    const client = peer();
    transport.feed(await client.synStream(1, { streamtype: 'a' }));
    transport.feed(await client.synStream(3, { streamtype: 'b' }));
    await expect.poll(() => streams.length).toBe(2);
    transport.destroy();
    await connection.closed;
    expect(streams.every((s) => s.destroyed)).toBe(true);
    expect(connection.streamCount).toBe(0);
    client.close();
  });
});
