import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SPDY3_HEADER_DICTIONARY } from '../../../../src/streaming/spdy/dictionary.js';
import { parseHeaderBlock, serializeHeaderBlock } from '../../../../src/streaming/spdy/header-block.js';
import { HeaderCompressor, HeaderDecompressor } from '../../../../src/streaming/spdy/header-compression.js';

const syncFlush = { dictionary: SPDY3_HEADER_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH };

describe('SPDY/3 header dictionary', () => {
  it('is byte for byte the one moby/spdystream uses (spdy/dictionary.go, v0.5.1)', () => {
    expect(SPDY3_HEADER_DICTIONARY.length).toBe(1423);
    expect(createHash('sha256').update(SPDY3_HEADER_DICTIONARY).digest('hex')).toBe(
      '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02',
    );
    expect(SPDY3_HEADER_DICTIONARY.subarray(0, 11)).toEqual(Buffer.from('\0\0\0\x07options', 'latin1'));
    expect(SPDY3_HEADER_DICTIONARY.subarray(-14).toString('latin1')).toBe(',utf-,*,enq=0.');
  });
});

describe('header blocks', () => {
  it('serializes lowercased names with NUL-joined values', () => {
    const block = serializeHeaderBlock({ streamType: 'error', Multi: ['a', 'b'] });
    expect(block).toEqual(
      Buffer.concat([
        Buffer.from('00000002', 'hex'),
        Buffer.from('0000000a', 'hex'),
        Buffer.from('streamtype'),
        Buffer.from('00000005', 'hex'),
        Buffer.from('error'),
        Buffer.from('00000005', 'hex'),
        Buffer.from('multi'),
        Buffer.from('00000003', 'hex'),
        Buffer.from('a\0b'),
      ]),
    );
    expect(parseHeaderBlock(block)).toEqual({
      headers: new Map([
        ['streamtype', ['error']],
        ['multi', ['a', 'b']],
      ]),
      consumed: block.length,
    });
  });

  it('reports an incomplete block as undefined, at every cut', () => {
    const block = serializeHeaderBlock({ port: '8080', requestid: '0' });
    for (let cut = 0; cut < block.length; cut++)
      expect(parseHeaderBlock(block.subarray(0, cut))).toBeUndefined();
  });
});

describe('header compression contexts', () => {
  it('inflates a block compressed by an independent zlib context', async () => {
    const decompressor = new HeaderDecompressor();
    const compressed = zlib.deflateSync(serializeHeaderBlock({ streamtype: 'stdout' }), syncFlush);
    expect(await decompressor.decompress(compressed)).toEqual(new Map([['streamtype', ['stdout']]]));
    decompressor.close();
  });

  it('deflates a block an independent zlib context can inflate', async () => {
    const compressor = new HeaderCompressor();
    const compressed = await compressor.compress({ 'X-Reply': 'ok' });
    // A sync flush ends with an empty stored block.
    expect(compressed.subarray(-4)).toEqual(Buffer.from('0000ffff', 'hex'));
    const inflated = zlib.inflateSync(compressed, syncFlush);
    expect(parseHeaderBlock(inflated)?.headers).toEqual(new Map([['x-reply', ['ok']]]));
    compressor.close();
  });

  it('shares one context across blocks: later blocks depend on earlier ones', async () => {
    const compressor = new HeaderCompressor();
    const headers = { streamtype: 'data', port: '8080', requestid: '12345' };
    const [first, second] = await Promise.all([compressor.compress(headers), compressor.compress(headers)]);
    if (!first || !second) throw new Error('missing block');
    expect(second.length).toBeLessThan(first.length);
    const shared = new HeaderDecompressor();
    expect(await shared.decompress(first)).toEqual(
      new Map(Object.entries(headers).map(([k, v]) => [k, [v]])),
    );
    expect(await shared.decompress(second)).toEqual(
      new Map(Object.entries(headers).map(([k, v]) => [k, [v]])),
    );
    // Alone, the second block is not a zlib stream at all.
    const fresh = new HeaderDecompressor();
    await expect(fresh.decompress(second)).rejects.toThrow();
    for (const c of [compressor, shared, fresh]) c.close();
  });

  it('keeps blocks in call order under concurrency', async () => {
    const compressor = new HeaderCompressor();
    const decompressor = new HeaderDecompressor();
    const blocks = await Promise.all(
      Array.from({ length: 50 }, (_, i) => compressor.compress({ requestid: String(i) })),
    );
    for (const [i, block] of blocks.entries())
      expect((await decompressor.decompress(block)).get('requestid')).toEqual([String(i)]);
    compressor.close();
    decompressor.close();
  });

  it('treats an empty block as no headers and garbage as an error', async () => {
    const decompressor = new HeaderDecompressor();
    expect(await decompressor.decompress(Buffer.alloc(0))).toEqual(new Map());
    await expect(decompressor.decompress(Buffer.from('not zlib at all'))).rejects.toThrow();
    decompressor.close();
  });
});
