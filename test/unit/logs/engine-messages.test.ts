import { describe, expect, it } from 'vitest';
import { EngineMessageReader, type EngineMessage } from '../../../src/logs/engine-messages.js';

const T1 = '2026-11-25T21:04:28.033786635Z';
const T2 = '2026-11-25T21:04:28.037355772Z';
const show = (messages: EngineMessage[]) =>
  messages.map((m) => [m.timestamp, m.stream, m.text.toString('latin1'), m.complete]);

describe('EngineMessageReader without a tty', () => {
  it('one frame is one message; a frame without "\\n" is partial', () => {
    const reader = new EngineMessageReader({ tty: false });
    expect(show(reader.push({ stream: 'stderr', payload: Buffer.from(`${T1} oops\n`) }))).toEqual([
      [T1, 'stderr', 'oops', true],
    ]);
    expect(show(reader.push({ stream: 'stdout', payload: Buffer.from(`${T2} no newline`) }))).toEqual([
      [T2, 'stdout', 'no newline', false],
    ]);
    expect(reader.push({ stream: 'stdin', payload: Buffer.from('x') })).toEqual([]);
    expect(reader.end()).toEqual([]);
  });

  it('keeps text with spaces and an empty line', () => {
    const reader = new EngineMessageReader({ tty: false });
    expect(show(reader.push({ stream: 'stdout', payload: Buffer.from(`${T1}  two  spaces \n`) }))).toEqual([
      [T1, 'stdout', ' two  spaces ', true],
    ]);
    expect(show(reader.push({ stream: 'stdout', payload: Buffer.from(`${T1} \n`) }))).toEqual([
      [T1, 'stdout', '', true],
    ]);
  });

  it('a payload without a time is kept, stamped now', () => {
    const [message] = new EngineMessageReader({ tty: false }).push({
      stream: 'stdout',
      payload: Buffer.from('garbage\n'),
    });
    expect(message?.text.toString()).toBe('garbage');
    expect(message?.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/);
  });
});

describe('EngineMessageReader with a tty', () => {
  const feed = (raw: string, chunk: number) => {
    const reader = new EngineMessageReader({ tty: true });
    const out: EngineMessage[] = [];
    for (let i = 0; i < raw.length; i += chunk)
      out.push(...reader.push({ stream: 'stdout', payload: Buffer.from(raw.slice(i, i + chunk), 'latin1') }));
    out.push(...reader.end());
    return show(out);
  };

  it.each([1, 7, 1000])('cuts the raw stream at "\\n" whatever the chunking (%i bytes)', (chunk) => {
    expect(feed(`${T1} one\r\n${T2} two\r\n${T2} three`, chunk)).toEqual([
      [T1, 'stdout', 'one\r', true],
      [T2, 'stdout', 'two\r', true],
      [T2, 'stdout', 'three', false],
    ]);
  });

  it.each([1000, 16 * 1024 + 5, 100_000])(
    'finds Docker’s 16 KiB partials by the timestamp after them (%i-byte chunks)',
    (chunk) => {
      const x = (n: number) => 'x'.repeat(n);
      const raw = `${T1} ${x(16384)}${T1} ${x(16384)}${T1} ${x(7232)}\r\n${T2} after\r\n`;
      expect(feed(raw, chunk)).toEqual([
        [T1, 'stdout', x(16384), false],
        [T1, 'stdout', x(16384), false],
        [T1, 'stdout', `${x(7232)}\r`, true],
        [T2, 'stdout', 'after\r', true],
      ]);
    },
  );

  it('a 16 KiB line that really ends there is not cut', () => {
    const raw = `${T1} ${'y'.repeat(16384)}\n${T2} next\n`;
    expect(feed(raw, 4096).map((m) => [m[2]?.toString().length, m[3]])).toEqual([
      [16384, true],
      [4, true],
    ]);
  });
});
