import { describe, expect, it } from 'vitest';
import { int64, nowNs, parseRfc3339Nano, stampNs } from '../../../../src/cri/convert/time.js';

describe('RFC3339Nano -> ns as bigint, never through a JS Date', () => {
  it.each([
    ['2024-05-01T10:20:30.123456789Z', 1714558830123456789n],
    ['2024-05-01T10:20:30.1Z', 1714558830100000000n],
    ['2024-05-01T10:20:30Z', 1714558830000000000n],
    ['2024-05-01T12:20:30.000000001+02:00', 1714558830000000001n],
    ['2024-05-01T08:20:30.5-02:00', 1714558830500000000n],
    ['1970-01-01T00:00:00.000000001Z', 1n],
    ['0001-01-01T00:00:00Z', 0n],
    ['', 0n],
  ])('%s -> %s', (text, ns) => {
    expect(parseRfc3339Nano(text)).toBe(ns);
  });

  it.each(['yesterday', '2024-05-01 10:20', '2024-05-01T10:20:30.1234567891Z'])('refuses %j', (text) => {
    expect(() => parseRfc3339Nano(text)).toThrow('not an RFC 3339 time');
  });

  it('now is close to Date.now and int64 is a decimal string', () => {
    const ms = BigInt(Date.now());
    expect(nowNs() / 1_000_000n - ms < 1000n).toBe(true);
    expect(int64(9007199254740993n)).toBe('9007199254740993');
  });
});

describe('stamps for statuses and events', () => {
  it('never repeat or go backwards, even many in one millisecond', () => {
    const stamps = Array.from({ length: 10_000 }, () => stampNs());
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! > stamps[i - 1]!).toBe(true);
    expect(stamps[0]! - nowNs()).toBeLessThan(1_000_000_000n);
  });
});
