/**
 * SPDY/3 frame layout (draft 3, section 2.2): encoders for the frames a server sends and an
 * incremental parser that turns an arbitrary split of the byte stream into whole frames. Header
 * blocks stay compressed here; `header-compression.ts` owns the zlib contexts.
 *
 * Control frame: C=1 | version (15) | type (16) | flags (8) | length (24) | payload.
 * Data frame:    C=0 | stream id (31)           | flags (8) | length (24) | payload.
 */

export const SPDY_VERSION = 3;

export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** The 24-bit length field caps every frame payload. */
export const MAX_FRAME_PAYLOAD = 0xffffff;

export const RstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  UnsupportedVersion: 4,
  Cancel: 5,
  InternalError: 6,
  FlowControlError: 7,
  StreamInUse: 8,
  StreamAlreadyClosed: 9,
  FrameTooLarge: 11,
} as const;

export const GoAwayStatus = { Ok: 0, ProtocolError: 1, InternalError: 2 } as const;

export type Frame =
  | {
      type: 'syn_stream';
      streamId: number;
      associatedId: number;
      priority: number;
      flags: number;
      block: Buffer;
    }
  | { type: 'syn_reply'; streamId: number; flags: number; block: Buffer }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; flags: number; entries: { flags: number; id: number; value: number }[] }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'headers'; streamId: number; flags: number; block: Buffer }
  | { type: 'window_update'; streamId: number; delta: number }
  | { type: 'data'; streamId: number; flags: number; data: Buffer }
  | { type: 'unknown'; frameType: number };

/** A violation of the framing rules: the connection answers it with GOAWAY(PROTOCOL_ERROR). */
export class SpdyProtocolError extends Error {
  override readonly name = 'SpdyProtocolError';
}

const STREAM_ID_MASK = 0x7fffffff;

function controlHeader(type: number, flags: number, length: number): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  header.writeUInt16BE(type, 2);
  header.writeUInt32BE(((flags & 0xff) << 24) | length, 4);
  return header;
}

export function encodeSynStream(
  streamId: number,
  flags: number,
  block: Buffer,
  associatedId = 0,
  priority = 0,
): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  fixed.writeUInt32BE(associatedId & STREAM_ID_MASK, 4);
  fixed.writeUInt8((priority & 0x7) << 5, 8);
  return Buffer.concat([controlHeader(FrameType.SynStream, flags, 10 + block.length), fixed, block]);
}

export function encodeSynReply(streamId: number, flags: number, block: Buffer): Buffer {
  return encodeStreamBlockFrame(FrameType.SynReply, streamId, flags, block);
}

export function encodeHeaders(streamId: number, flags: number, block: Buffer): Buffer {
  return encodeStreamBlockFrame(FrameType.Headers, streamId, flags, block);
}

function encodeStreamBlockFrame(type: number, streamId: number, flags: number, block: Buffer): Buffer {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(streamId & STREAM_ID_MASK);
  return Buffer.concat([controlHeader(type, flags, 4 + block.length), id, block]);
}

export function encodeRstStream(streamId: number, status: number): Buffer {
  return encodeTwoWords(FrameType.RstStream, streamId & STREAM_ID_MASK, status);
}

export function encodeGoAway(lastGoodStreamId: number, status: number): Buffer {
  return encodeTwoWords(FrameType.GoAway, lastGoodStreamId & STREAM_ID_MASK, status);
}

export function encodeWindowUpdate(streamId: number, delta: number): Buffer {
  return encodeTwoWords(FrameType.WindowUpdate, streamId & STREAM_ID_MASK, delta & STREAM_ID_MASK);
}

function encodeTwoWords(type: number, first: number, second: number): Buffer {
  const frame = controlHeader(type, 0, 8);
  const body = Buffer.alloc(8);
  body.writeUInt32BE(first, 0);
  body.writeUInt32BE(second, 4);
  return Buffer.concat([frame, body]);
}

export function encodePing(id: number): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt32BE(id >>> 0);
  return Buffer.concat([controlHeader(FrameType.Ping, 0, 4), body]);
}

export function encodeSettings(entries: { flags: number; id: number; value: number }[], flags = 0): Buffer {
  const body = Buffer.alloc(4 + entries.length * 8);
  body.writeUInt32BE(entries.length, 0);
  entries.forEach((entry, i) => {
    body.writeUInt32BE((((entry.flags & 0xff) << 24) | (entry.id & 0xffffff)) >>> 0, 4 + i * 8);
    body.writeUInt32BE(entry.value >>> 0, 8 + i * 8);
  });
  return Buffer.concat([controlHeader(FrameType.Settings, flags, body.length), body]);
}

/** The 8-byte header of a DATA frame; the payload is written after it without copying. */
export function encodeDataHeader(streamId: number, flags: number, length: number): Buffer {
  if (length > MAX_FRAME_PAYLOAD)
    throw new RangeError(`data frame payload ${length} exceeds ${MAX_FRAME_PAYLOAD}`);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  header.writeUInt32BE((((flags & 0xff) << 24) | length) >>> 0, 4);
  return header;
}

/**
 * Accumulates bytes and yields whole frames. Chunks are kept in a list and joined once per frame,
 * so a frame fed one byte at a time costs no more than one fed at once.
 */
export class FrameParser {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 8) return frames;
      const head = this.peek(8);
      const length = head.readUInt32BE(4) & 0xffffff;
      if (this.buffered < 8 + length) return frames;
      const frame = this.take(8 + length);
      frames.push(decodeFrame(frame));
    }
  }

  /** Bytes received that do not yet form a whole frame. */
  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    this.chunks = [Buffer.concat(this.chunks)];
    return (this.chunks[0] as Buffer).subarray(0, n);
  }

  private take(n: number): Buffer {
    let joined = this.chunks[0] as Buffer;
    if (joined.length < n) {
      joined = Buffer.concat(this.chunks);
      this.chunks = [joined];
    }
    const frame = joined.subarray(0, n);
    const rest = joined.subarray(n);
    this.chunks.shift();
    if (rest.length > 0) this.chunks.unshift(rest);
    this.buffered -= n;
    return frame;
  }
}

/** Decodes one whole frame (header included). */
export function decodeFrame(frame: Buffer): Frame {
  const first = frame.readUInt32BE(0);
  const flags = frame.readUInt8(4);
  const payload = frame.subarray(8);
  if ((first & 0x80000000) === 0) {
    const streamId = first & STREAM_ID_MASK;
    if (streamId === 0) throw new SpdyProtocolError('data frame on stream 0');
    return { type: 'data', streamId, flags, data: payload };
  }
  const version = (first >>> 16) & 0x7fff;
  const type = first & 0xffff;
  if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
  const need = (n: number) => {
    if (payload.length < n)
      throw new SpdyProtocolError(`control frame type ${type} too short (${payload.length} bytes)`);
  };
  const streamIdAt = (offset: number) => {
    const id = payload.readUInt32BE(offset) & STREAM_ID_MASK;
    if (id === 0) throw new SpdyProtocolError(`control frame type ${type} on stream 0`);
    return id;
  };
  switch (type) {
    case FrameType.SynStream:
      need(10);
      return {
        type: 'syn_stream',
        streamId: streamIdAt(0),
        associatedId: payload.readUInt32BE(4) & STREAM_ID_MASK,
        priority: payload.readUInt8(8) >> 5,
        flags,
        block: payload.subarray(10),
      };
    case FrameType.SynReply:
      need(4);
      return { type: 'syn_reply', streamId: streamIdAt(0), flags, block: payload.subarray(4) };
    case FrameType.Headers:
      need(4);
      return { type: 'headers', streamId: streamIdAt(0), flags, block: payload.subarray(4) };
    case FrameType.RstStream:
      need(8);
      return { type: 'rst_stream', streamId: streamIdAt(0), status: payload.readUInt32BE(4) };
    case FrameType.Settings: {
      need(4);
      const count = payload.readUInt32BE(0);
      need(4 + count * 8);
      const entries = [];
      for (let i = 0; i < count; i++) {
        const word = payload.readUInt32BE(4 + i * 8);
        entries.push({ flags: word >>> 24, id: word & 0xffffff, value: payload.readUInt32BE(8 + i * 8) });
      }
      return { type: 'settings', flags, entries };
    }
    case FrameType.Ping:
      need(4);
      return { type: 'ping', id: payload.readUInt32BE(0) };
    case FrameType.GoAway:
      need(4);
      return {
        type: 'goaway',
        lastGoodStreamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        status: payload.length >= 8 ? payload.readUInt32BE(4) : GoAwayStatus.Ok,
      };
    case FrameType.WindowUpdate:
      need(8);
      return {
        type: 'window_update',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        delta: payload.readUInt32BE(4) & STREAM_ID_MASK,
      };
    default:
      // Draft 3, 2.2.1: a receiver must ignore control frames of unknown type.
      return { type: 'unknown', frameType: type };
  }
}
