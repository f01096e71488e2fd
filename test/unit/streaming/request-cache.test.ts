import { describe, expect, it } from 'vitest';
import { hasKind } from '../../../src/errors.js';
import { RequestCache } from '../../../src/streaming/request-cache.js';

function clock(start = 1_000_000) {
  const c = { now: start, advance: (ms: number) => (c.now += ms) };
  return c;
}

describe('RequestCache', () => {
  it('issues URL-safe, unguessable tokens (16 random bytes)', () => {
    const cache = new RequestCache<string>();
    const tokens = new Set(Array.from({ length: 200 }, (_, i) => cache.insert(`r${i}`)));
    expect(tokens.size).toBe(200);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('hands a request out once', () => {
    const cache = new RequestCache<string>();
    const token = cache.insert('exec c1');
    expect(cache.consume(token)).toBe('exec c1');
    expect(cache.consume(token)).toBeUndefined();
    expect(cache.consume('never-issued')).toBeUndefined();
  });

  it('expires a token after one minute', () => {
    const c = clock();
    const cache = new RequestCache<string>({ now: () => c.now });
    const fresh = cache.insert('a');
    const stale = cache.insert('b');
    c.advance(60_000);
    expect(cache.consume(fresh)).toBe('a');
    c.advance(1);
    expect(cache.consume(stale)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('refuses with ResourceExhausted when full and nothing has expired, and recovers as tokens expire', () => {
    const c = clock();
    const cache = new RequestCache<number>({ now: () => c.now, maxInFlight: 3 });
    cache.insert(1);
    c.advance(10_000);
    cache.insert(2);
    cache.insert(3);
    let caught: unknown;
    try {
      cache.insert(4);
    } catch (err) {
      caught = err;
    }
    expect(hasKind(caught, 'ResourceExhausted')).toBe(true);
    c.advance(50_001);
    expect(() => cache.insert(4)).not.toThrow();
    expect(cache.size).toBe(3);
  });

  it('defaults to 1000 in flight', () => {
    const cache = new RequestCache<number>();
    for (let i = 0; i < 1000; i++) cache.insert(i);
    expect(() => cache.insert(1000)).toThrow(/1000/);
  });

  it('retries a colliding token and gives up after ten collisions', () => {
    let calls = 0;
    const cache = new RequestCache<string>({ random: (n) => Buffer.alloc(n, calls++ < 3 ? 0 : calls) });
    const first = cache.insert('a');
    expect(cache.insert('b')).not.toBe(first);
    const stuck = new RequestCache<string>({ random: (n) => Buffer.alloc(n, 1) });
    stuck.insert('a');
    expect(() => stuck.insert('b')).toThrow(/unique/);
  });
});
