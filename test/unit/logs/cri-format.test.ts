import { describe, expect, it } from 'vitest';
import {
  MAX_LOG_LINE_BYTES,
  fixedTimestampOf,
  formatLines,
  parseLineHead,
  toDockerSince,
  toFixedTimestamp,
} from '../../../src/logs/cri-format.js';

const TS = '2026-11-25T20:43:03.798409632Z';
const text = (lines: Buffer[]) => lines.map((l) => l.toString('utf8'));

describe('toFixedTimestamp', () => {
  it.each([
    [TS, TS],
    ['2026-11-25T20:43:03.7984Z', '2026-11-25T20:43:03.798400000Z'],
    ['2026-11-25T20:43:03Z', '2026-11-25T20:43:03.000000000Z'],
    // An offset is folded into UTC without touching the nanoseconds.
    ['2026-11-25T22:43:03.000000001+02:00', '2026-11-25T20:43:03.000000001Z'],
    ['2026-01-01T00:30:00.123456789-01:00', '2026-01-01T01:30:00.123456789Z'],
  ])('%s -> %s', (input, expected) => {
    expect(toFixedTimestamp(input)).toBe(expected);
  });

  it.each(['', 'hello', '2026-11-25 20:43:03Z', '2026-11-25T20:43:03.1234567890Z'])('rejects %j', (input) => {
    expect(toFixedTimestamp(input)).toBeUndefined();
  });

  it('gives Docker a since value with the exact nanoseconds', () => {
    expect(toDockerSince('1970-01-01T00:00:01.000000002Z')).toBe('1.000000002');
    expect(toDockerSince(TS)).toBe(`${Date.UTC(2026, 10, 25, 20, 43, 3) / 1000}.798409632`);
  });

  it('stamps lines without an engine time in the fixed-width form', () => {
    expect(fixedTimestampOf(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)))).toBe(
      '2026-01-02T03:04:05.006000000Z',
    );
  });
});

describe('formatLines', () => {
  it('writes a complete line as F', () => {
    expect(text(formatLines(TS, 'stdout', Buffer.from('hello World'), true))).toEqual([
      `${TS} stdout F hello World\n`,
    ]);
  });

  it('writes a partial message as P', () => {
    expect(text(formatLines(TS, 'stderr', Buffer.from('no newline'), false))).toEqual([
      `${TS} stderr P no newline\n`,
    ]);
  });

  it('writes an empty line as an empty F entry, and nothing for an empty partial', () => {
    expect(text(formatLines(TS, 'stdout', Buffer.alloc(0), true))).toEqual([`${TS} stdout F \n`]);
    expect(formatLines(TS, 'stdout', Buffer.alloc(0), false)).toEqual([]);
  });

  it('cuts long text into P pieces, the last F, each at most the limit', () => {
    const lines = text(formatLines(TS, 'stdout', Buffer.from('abcdefghij'), true, 4));
    expect(lines).toEqual([`${TS} stdout P abcd\n`, `${TS} stdout P efgh\n`, `${TS} stdout F ij\n`]);
  });

  it('keeps every piece P when the message itself was partial', () => {
    expect(text(formatLines(TS, 'stdout', Buffer.from('abcdefgh'), false, 4))).toEqual([
      `${TS} stdout P abcd\n`,
      `${TS} stdout P efgh\n`,
    ]);
  });

  it('a 16 KiB Docker partial stays one line at the default limit', () => {
    const chunk = Buffer.alloc(MAX_LOG_LINE_BYTES, 'x');
    expect(formatLines(TS, 'stdout', chunk, false)).toHaveLength(1);
    expect(formatLines(TS, 'stdout', Buffer.concat([chunk, Buffer.from('y')]), true)).toHaveLength(2);
  });

  it('does not cut inside a UTF-8 character', () => {
    // "é" is 2 bytes: a cut after 3 bytes would split the second one.
    const lines = text(formatLines(TS, 'stdout', Buffer.from('aééb'), true, 4));
    expect(lines).toEqual([`${TS} stdout P aé\n`, `${TS} stdout F éb\n`]);
    expect(lines.join('')).not.toContain('\ufffd');
  });

  it('keeps the text byte for byte, tabs and carriage returns included', () => {
    expect(text(formatLines(TS, 'stdout', Buffer.from('a\tb\r'), true))).toEqual([`${TS} stdout F a\tb\r\n`]);
  });
});

describe('parseLineHead', () => {
  it('reads time and stream', () => {
    expect(parseLineHead(`${TS} stderr F x`)).toEqual({ timestamp: TS, stream: 'stderr' });
    expect(parseLineHead(`${TS} stdout P `)).toEqual({ timestamp: TS, stream: 'stdout' });
  });
  it.each(['', 'garbage', `${TS} stdin F x`, `notatime stdout F x`])('ignores %j', (line) => {
    expect(parseLineHead(line)).toBeUndefined();
  });
});
