import { describe, expect, it } from 'vitest';
import { Turns } from '../../../src/stats/turns.js';

/** Resolves after one check phase: immediates queued before it have run by then. */
const afterOneIteration = () => new Promise((resolve) => setImmediate(resolve));

describe('Turns', () => {
  it('grants one turn per event-loop iteration, in the order they were asked for', async () => {
    const turns = new Turns();
    const granted: number[] = [];
    const all = [0, 1, 2].map((i) => turns.next().then(() => granted.push(i)));
    // A bare setImmediate per waiter would have let all three run in this one check phase.
    await afterOneIteration();
    expect(granted).toEqual([0]);
    await afterOneIteration();
    expect(granted).toEqual([0, 1]);
    await Promise.all(all);
    expect(granted).toEqual([0, 1, 2]);
  });

  it('lets I/O callbacks run between two turns', async () => {
    const turns = new Turns();
    const order: string[] = [];
    const first = turns.next().then(() => {
      order.push('turn 1');
      // A timer due now stands for a socket that became readable during turn 1.
      setTimeout(() => order.push('timer'), 0);
      const started = Date.now();
      while (Date.now() - started < 3); // a piece of synchronous work outlasting the timer's 1 ms
    });
    const second = turns.next().then(() => order.push('turn 2'));
    await Promise.all([first, second]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(order).toEqual(['turn 1', 'timer', 'turn 2']);
  });

  it('keeps granting turns asked for from inside a turn', async () => {
    const turns = new Turns();
    let pieces = 0;
    const piece = async (): Promise<void> => {
      await turns.next();
      if (++pieces < 5) return piece();
    };
    await piece();
    expect(pieces).toBe(5);
  });
});
