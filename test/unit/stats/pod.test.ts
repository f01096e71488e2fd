import { describe, expect, it } from 'vitest';
import { podTotals, type PodMember } from '../../../src/stats/pod.js';
import type { MemorySample, StatsSample } from '../../../src/stats/sample.js';

const sample = (
  timestampNs: bigint,
  cpu: bigint | undefined,
  memory: MemorySample,
  extra: Partial<StatsSample> = {},
): StatsSample => ({
  platform: 'linux',
  timestampNs,
  cpu: { usageCoreNanoSeconds: cpu },
  memory,
  network: [],
  disk: [],
  ...extra,
});

const sandbox = (s: StatsSample | undefined, rate?: bigint): PodMember => ({
  isSandbox: true,
  running: true,
  sample: s,
  usageNanoCores: rate,
});
const container = (running: boolean, s: StatsSample | undefined, rate?: bigint): PodMember => ({
  isSandbox: false,
  running,
  sample: s,
  usageNanoCores: rate,
});

const pauseNet = [{ name: 'eth0', rxBytes: 100n, txBytes: 50n }];

describe('podTotals', () => {
  it('sums the sandbox and the running containers; network from the sandbox only', () => {
    const t = podTotals([
      sandbox(
        sample(
          100n,
          10n,
          { workingSetBytes: 1n, usageBytes: 2n, rssBytes: 1n },
          { network: pauseNet, processCount: 1 },
        ),
        5n,
      ),
      container(
        true,
        sample(
          120n,
          1000n,
          {
            workingSetBytes: 100n,
            usageBytes: 200n,
            rssBytes: 80n,
            pageFaults: 7n,
            majorPageFaults: 1n,
            limitBytes: 500n,
          },
          { network: [{ name: 'eth0', rxBytes: 999n }], processCount: 3 },
        ),
        300n,
      ),
      container(
        true,
        sample(
          110n,
          500n,
          { workingSetBytes: 50n, usageBytes: 60n, pageFaults: 3n, limitBytes: 100n },
          { processCount: 2 },
        ),
        100n,
      ),
    ]);
    expect(t).toEqual({
      timestampNs: 120n,
      cpu: { usageCoreNanoSeconds: 1510n, usageNanoCores: 405n },
      memory: {
        workingSetBytes: 151n,
        usageBytes: 262n,
        rssBytes: 81n,
        pageFaults: 10n,
        majorPageFaults: 1n,
        commitBytes: undefined,
        limitBytes: 600n,
        availableBytes: 449n,
      },
      network: { timestampNs: 100n, interfaces: pauseNet },
      processCount: 6,
      countedMembers: 3,
    });
  });

  it.each([
    { name: 'exited (init) container', running: false, counted: 1 },
    { name: 'running container', running: true, counted: 2 },
  ])('$name: counted only when running', ({ running, counted }) => {
    const t = podTotals([
      sandbox(sample(1n, 10n, { workingSetBytes: 1n })),
      container(running, sample(2n, 1000n, { workingSetBytes: 100n }), 7n),
    ]);
    expect(t.countedMembers).toBe(counted);
    expect(t.cpu.usageCoreNanoSeconds).toBe(running ? 1010n : 10n);
    expect(t.memory.workingSetBytes).toBe(running ? 101n : 1n);
    expect(t.cpu.usageNanoCores).toBe(running ? 7n : undefined);
  });

  it.each([
    {
      name: 'one app container without a limit: no pod limit',
      limits: [500n, undefined],
      expected: { limitBytes: undefined, availableBytes: undefined },
    },
    {
      name: 'all app containers limited: Σ limits − Σ working sets',
      limits: [500n, 100n],
      expected: { limitBytes: 600n, availableBytes: 579n },
    },
    {
      name: 'over the limit: available floored at 0',
      limits: [5n, 5n],
      expected: { limitBytes: 10n, availableBytes: 0n },
    },
  ])('$name (the unlimited sandbox does not count)', ({ limits, expected }) => {
    const t = podTotals([
      sandbox(sample(1n, 1n, { workingSetBytes: 1n })),
      ...limits.map((limitBytes) => container(true, sample(1n, 1n, { workingSetBytes: 10n, limitBytes }))),
    ]);
    expect({ limitBytes: t.memory.limitBytes, availableBytes: t.memory.availableBytes }).toEqual(expected);
  });

  it('no samples at all: everything unknown, no timestamp, no network', () => {
    const t = podTotals([sandbox(undefined), container(true, undefined)]);
    expect(t.timestampNs).toBeUndefined();
    expect(t.cpu).toEqual({ usageCoreNanoSeconds: undefined, usageNanoCores: undefined });
    expect(t.memory.workingSetBytes).toBeUndefined();
    expect(t.network).toEqual({ timestampNs: undefined, interfaces: [] });
    expect(t.processCount).toBeUndefined();
  });

  it('a member without a rate (just started) leaves the others’ rates summed', () => {
    const t = podTotals([
      sandbox(sample(1n, 1n, {}), 10n),
      container(true, sample(1n, 1n, {}), undefined),
      container(true, sample(1n, 1n, {}), 20n),
    ]);
    expect(t.cpu.usageNanoCores).toBe(30n);
  });

  it('Windows: commit bytes are summed too', () => {
    const w = (commit: bigint): StatsSample => ({
      ...sample(1n, 1n, { commitBytes: commit }),
      platform: 'windows',
    });
    const t = podTotals([sandbox(w(10n)), container(true, w(90n))]);
    expect(t.memory.commitBytes).toBe(100n);
  });
});
