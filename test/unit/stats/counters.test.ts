import { describe, expect, it } from 'vitest';
import { MonotonicCounters, monotonicSample } from '../../../src/stats/counters.js';
import type { StatsSample } from '../../../src/stats/sample.js';

describe('MonotonicCounters.adjust', () => {
  it.each([
    { name: 'growing counter passes through', raws: [1n, 5n, 9n], out: [1n, 5n, 9n] },
    { name: 'a reset carries the last value as offset', raws: [10n, 15n, 2n, 7n], out: [10n, 15n, 17n, 22n] },
    { name: 'two resets accumulate', raws: [10n, 3n, 1n, 4n], out: [10n, 13n, 14n, 17n] },
    { name: 'a reset to 0', raws: [8n, 0n, 0n, 5n], out: [8n, 8n, 8n, 13n] },
    { name: 'equal readings are not a reset', raws: [4n, 4n, 4n], out: [4n, 4n, 4n] },
    {
      name: 'absent readings stay absent and do not reset',
      raws: [6n, undefined, 7n],
      out: [6n, undefined, 7n],
    },
  ])('$name', ({ raws, out }) => {
    const c = new MonotonicCounters();
    expect(raws.map((r) => c.adjust('k', r))).toEqual(out);
  });

  it('keeps one series per key', () => {
    const c = new MonotonicCounters();
    c.adjust('a', 10n);
    c.adjust('b', 1n);
    expect(c.adjust('a', 2n)).toBe(12n);
    expect(c.adjust('b', 3n)).toBe(3n);
    expect(c.size).toBe(2);
  });
});

describe('monotonicSample', () => {
  const sample = (cpu: bigint, rx: bigint, read: bigint | undefined, faults: bigint): StatsSample => ({
    platform: 'linux',
    timestampNs: 1n,
    cpu: { usageCoreNanoSeconds: cpu, userNanoSeconds: undefined },
    memory: { workingSetBytes: 42n, pageFaults: faults },
    network: [{ name: 'eth0', rxBytes: rx, txBytes: 1n }],
    disk: [{ device: '8:0', readBytes: read }],
    processCount: 3,
  });

  it('adjusts every cumulative field and leaves gauges and unknowns as they are', () => {
    const c = new MonotonicCounters();
    monotonicSample(c, sample(100n, 1000n, 50n, 7n));
    const after = monotonicSample(c, sample(20n, 10n, undefined, 9n));
    expect(after).toEqual({
      platform: 'linux',
      timestampNs: 1n,
      cpu: { usageCoreNanoSeconds: 120n, userNanoSeconds: undefined },
      memory: { workingSetBytes: 42n, pageFaults: 9n },
      network: [{ name: 'eth0', rxBytes: 1010n, txBytes: 1n }],
      disk: [{ device: '8:0', readBytes: undefined }],
      processCount: 3,
    });
  });

  it('does not change the sample it is given', () => {
    const c = new MonotonicCounters();
    const first = sample(100n, 1000n, 50n, 7n);
    monotonicSample(c, first);
    const second = sample(20n, 10n, 1n, 9n);
    monotonicSample(c, second);
    expect(second.cpu.usageCoreNanoSeconds).toBe(20n);
    expect(second.network[0]?.rxBytes).toBe(10n);
  });
});
