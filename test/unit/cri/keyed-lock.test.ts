import { describe, expect, it } from 'vitest';
import { KeyedLock } from '../../../src/cri/keyed-lock.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('KeyedLock', () => {
  it('runs work for one key one at a time, and other keys alongside', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const job = (key: string, name: string) =>
      lock.run(key, async () => {
        log.push(`${name}+`);
        await tick();
        log.push(`${name}-`);
      });
    await Promise.all([job('a', 'a1'), job('a', 'a2'), job('b', 'b1')]);
    expect(log.indexOf('a1-')).toBeLessThan(log.indexOf('a2+'));
    expect(log.indexOf('b1+')).toBeLessThan(log.indexOf('a1-'));
    expect(lock.size).toBe(0);
  });

  it('keeps going after a failure', async () => {
    const lock = new KeyedLock();
    await expect(lock.run('k', () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(lock.run('k', async () => 7)).resolves.toBe(7);
    expect(lock.size).toBe(0);
  });
});
