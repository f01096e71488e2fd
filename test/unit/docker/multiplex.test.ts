import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Demultiplexer, type StreamFrame } from '../../../src/docker/multiplex.js';

const frame = (streamByte: number, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = streamByte;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

async function demux(chunks: Buffer[]): Promise<StreamFrame[]> {
  const out: StreamFrame[] = [];
  for await (const f of Readable.from(chunks).pipe(new Demultiplexer())) out.push(f as StreamFrame);
  return out;
}

describe('Demultiplexer', () => {
  const bytes = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, '')]);

  it('splits whole frames', async () => {
    const frames = await demux([bytes]);
    expect(frames.map((f) => [f.stream, f.payload.toString()])).toEqual([
      ['stdout', 'out\n'],
      ['stderr', 'err\n'],
      ['stdout', ''],
    ]);
  });

  it('copes with frames split at every byte', async () => {
    const frames = await demux([...bytes].map((b) => Buffer.from([b])));
    expect(frames.map((f) => f.payload.toString())).toEqual(['out\n', 'err\n', '']);
  });

  it('fails on a stream that is not multiplexed, or ends inside a frame', async () => {
    await expect(demux([Buffer.from('plain text here')])).rejects.toThrow(/not multiplexed/);
    await expect(demux([frame(1, 'abc').subarray(0, 10)])).rejects.toThrow(/inside a frame/);
  });
});
