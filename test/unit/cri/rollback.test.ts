import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Rollback } from '../../../src/cri/rollback.js';

const log = pino({ level: 'silent' });

describe('Rollback', () => {
  it('undoes newest first when the work fails, and rethrows the work error', async () => {
    const done: string[] = [];
    const failure = new Error('start failed');
    await expect(
      new Rollback(log).guard(async (rb) => {
        rb.push('a', async () => done.push('undo a'));
        rb.push('b', async () => done.push('undo b'));
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(done).toEqual(['undo b', 'undo a']);
  });

  it('runs nothing on success', async () => {
    const done: string[] = [];
    const value = await new Rollback(log).guard(async (rb) => {
      rb.push('a', async () => done.push('undo a'));
      return 42;
    });
    expect(value).toBe(42);
    expect(done).toEqual([]);
  });

  it('keeps unwinding past a failing undo, and gives each undo its own live signal', async () => {
    const seen: boolean[] = [];
    const rb = new Rollback(log);
    rb.push('first', async (signal) => seen.push(signal.aborted));
    rb.push('broken', async () => {
      throw new Error('engine gone');
    });
    await rb.unwind();
    expect(seen).toEqual([false]);
    expect(rb.size).toBe(0);
  });
});
