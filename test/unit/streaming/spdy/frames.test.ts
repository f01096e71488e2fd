import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  encodeDataHeader,
  encodeGoAway,
  encodeHeaders,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSynReply,
  encodeSynStream,
  encodeWindowUpdate,
  FrameParser,
  SpdyProtocolError,
} from '../../../../src/streaming/spdy/frames.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('SPDY/3 frame encoding', () => {
  it('lays out control frames as the draft specifies', () => {
    expect(encodePing(1)).toEqual(hex('8003 0006 00000004 00000001'));
    expect(encodeRstStream(5, 5)).toEqual(hex('8003 0003 00000008 00000005 00000005'));
    expect(encodeGoAway(7, 1)).toEqual(hex('8003 0007 00000008 00000007 00000001'));
    expect(encodeWindowUpdate(3, 0x10000)).toEqual(hex('8003 0009 00000008 00000003 00010000'));
    expect(encodeSynReply(1, 0, hex('aabb'))).toEqual(hex('8003 0002 00000006 00000001 aabb'));
    expect(encodeHeaders(3, 1, hex('cc'))).toEqual(hex('8003 0008 01000005 00000003 cc'));
    expect(encodeSynStream(1, 1, hex('dd'), 0, 3)).toEqual(
      hex('8003 0001 0100000b 00000001 00000000 6000 dd'),
    );
    expect(encodeSettings([{ flags: 1, id: 7, value: 65536 }])).toEqual(
      hex('8003 0004 0000000c 00000001 01000007 00010000'),
    );
    expect(encodeDataHeader(3, 1, 0x123456)).toEqual(hex('00000003 01123456'));
  });

  it('refuses a DATA payload beyond the 24-bit length', () => {
    expect(() => encodeDataHeader(1, 0, 0x1000000)).toThrow(RangeError);
  });

  it('decodes every frame type it encodes', () => {
    expect(decodeFrame(encodePing(9))).toEqual({ type: 'ping', id: 9 });
    expect(decodeFrame(encodeRstStream(3, 5))).toEqual({ type: 'rst_stream', streamId: 3, status: 5 });
    expect(decodeFrame(encodeGoAway(11, 0))).toEqual({ type: 'goaway', lastGoodStreamId: 11, status: 0 });
    expect(decodeFrame(encodeWindowUpdate(1, 100))).toEqual({
      type: 'window_update',
      streamId: 1,
      delta: 100,
    });
    expect(decodeFrame(encodeSettings([{ flags: 0, id: 4, value: 100 }]))).toEqual({
      type: 'settings',
      flags: 0,
      entries: [{ flags: 0, id: 4, value: 100 }],
    });
    expect(decodeFrame(encodeSynStream(5, 2, hex('01'), 1, 7))).toEqual({
      type: 'syn_stream',
      streamId: 5,
      associatedId: 1,
      priority: 7,
      flags: 2,
      block: hex('01'),
    });
    expect(decodeFrame(encodeSynReply(5, 1, hex('02')))).toEqual({
      type: 'syn_reply',
      streamId: 5,
      flags: 1,
      block: hex('02'),
    });
    expect(decodeFrame(encodeHeaders(5, 0, hex('03')))).toEqual({
      type: 'headers',
      streamId: 5,
      flags: 0,
      block: hex('03'),
    });
    expect(decodeFrame(Buffer.concat([encodeDataHeader(7, 1, 2), hex('abcd')]))).toEqual({
      type: 'data',
      streamId: 7,
      flags: 1,
      data: hex('abcd'),
    });
  });

  it('ignores unknown control types, rejects other versions, stream 0 and short frames', () => {
    expect(decodeFrame(hex('8003 0005 00000000'))).toEqual({ type: 'unknown', frameType: 5 });
    expect(() => decodeFrame(hex('8002 0006 00000004 00000001'))).toThrow(SpdyProtocolError);
    expect(() => decodeFrame(hex('00000000 00000000'))).toThrow(/stream 0/);
    expect(() => decodeFrame(hex('8003 0003 00000004 00000001'))).toThrow(/too short/);
    expect(() => decodeFrame(hex('8003 0003 00000008 00000000 00000001'))).toThrow(/stream 0/);
  });
});

describe('FrameParser', () => {
  const sequence = Buffer.concat([
    encodePing(1),
    encodeSynStream(1, 0, hex('0102030405')),
    encodeDataHeader(1, 0, 3),
    hex('616263'),
    encodeDataHeader(1, 1, 0),
    encodeRstStream(1, 5),
  ]);

  it('yields the same frames whether fed at once or one byte at a time', () => {
    const whole = new FrameParser().push(sequence);
    expect(whole.map((f) => f.type)).toEqual(['ping', 'syn_stream', 'data', 'data', 'rst_stream']);
    const parser = new FrameParser();
    const trickled = [];
    for (const byte of sequence) trickled.push(...parser.push(Buffer.from([byte])));
    expect(trickled).toEqual(whole);
    expect(parser.pending).toBe(0);
  });

  it('holds a partial frame until the rest arrives, across odd splits', () => {
    const parser = new FrameParser();
    expect(parser.push(sequence.subarray(0, 5))).toEqual([]);
    expect(parser.push(sequence.subarray(5, 13)).map((f) => f.type)).toEqual(['ping']);
    expect(parser.pending).toBe(1);
    expect(parser.push(sequence.subarray(13)).map((f) => f.type)).toEqual([
      'syn_stream',
      'data',
      'data',
      'rst_stream',
    ]);
  });

  it('reassembles a large DATA frame fed in 64 KiB chunks', () => {
    const payload = Buffer.alloc(3 * 1024 * 1024 + 5, 7);
    const bytes = Buffer.concat([encodeDataHeader(3, 0, payload.length), payload]);
    const parser = new FrameParser();
    const frames = [];
    for (let i = 0; i < bytes.length; i += 65536) frames.push(...parser.push(bytes.subarray(i, i + 65536)));
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ type: 'data', streamId: 3 });
    expect(frames[0]?.type === 'data' && frames[0].data.equals(payload)).toBe(true);
  });
});
