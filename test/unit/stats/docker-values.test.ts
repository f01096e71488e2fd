import { describe, expect, it } from 'vitest';
import {
  minusFloored,
  parseDockerTime,
  previousCpuPoint,
  toBigInt,
  toBigIntNonZero,
} from '../../../src/stats/docker-values.js';

describe('parseDockerTime', () => {
  it.each([
    { text: '2026-11-25T20:41:40.265091749Z', ns: 1795639300265091749n },
    { text: '2025-03-14T09:30:12.654321Z', ns: 1741944612654321000n },
    { text: '2025-03-14T09:30:12Z', ns: 1741944612000000000n },
    { text: '1970-01-01T00:00:00.000000001Z', ns: 1n },
    { text: '2025-03-14T10:30:12.5+01:00', ns: 1741944612500000000n },
    { text: '2025-03-14T04:30:12.5-05:00', ns: 1741944612500000000n },
  ])('$text → $ns (nanoseconds kept, beyond Date)', ({ text, ns }) => {
    expect(parseDockerTime(text)).toBe(ns);
  });

  it.each([
    { name: 'Go zero time (stopped container, one-shot preread)', text: '0001-01-01T00:00:00Z' },
    { name: 'the epoch itself', text: '1970-01-01T00:00:00Z' },
    { name: 'absent', text: undefined },
    { name: 'empty', text: '' },
    { name: 'not a time', text: 'yesterday' },
    { name: 'no zone', text: '2025-03-14T09:30:12' },
    { name: 'ten fraction digits', text: '2025-03-14T09:30:12.1234567891Z' },
  ])('$name → undefined', ({ text }) => {
    expect(parseDockerTime(text)).toBeUndefined();
  });
});

describe('number helpers', () => {
  it.each([
    { v: 0, big: 0n, nonZero: undefined },
    { v: 12, big: 12n, nonZero: 12n },
    { v: 2 ** 60, big: 2n ** 60n, nonZero: 2n ** 60n },
    { v: -1, big: undefined, nonZero: undefined },
    { v: Number.NaN, big: undefined, nonZero: undefined },
    { v: undefined, big: undefined, nonZero: undefined },
    { v: null, big: undefined, nonZero: undefined },
  ])('$v', ({ v, big, nonZero }) => {
    expect(toBigInt(v)).toBe(big);
    expect(toBigIntNonZero(v)).toBe(nonZero);
  });

  it.each([
    { a: 10n, b: 3n, r: 7n },
    { a: 3n, b: 10n, r: 0n },
    { a: 3n, b: undefined, r: 3n },
    { a: undefined, b: 3n, r: undefined },
  ])('minusFloored($a, $b) = $r', ({ a, b, r }) => {
    expect(minusFloored(a, b)).toBe(r);
  });

  it('previousCpuPoint needs a real time and a filled total', () => {
    expect(previousCpuPoint('2025-03-14T09:30:12Z', 5, 100n)).toEqual({
      timestampNs: 1741944612000000000n,
      usageCoreNanoSeconds: 500n,
    });
    expect(previousCpuPoint('0001-01-01T00:00:00Z', 5, 1n)).toBeUndefined();
    expect(previousCpuPoint('2025-03-14T09:30:12Z', 0, 1n)).toBeUndefined();
  });
});
