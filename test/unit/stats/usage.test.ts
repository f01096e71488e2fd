import { describe, expect, it } from 'vitest';
import { linuxStatsToSample } from '../../../src/stats/linux.js';
import type { CpuPoint, StatsSample } from '../../../src/stats/sample.js';
import { sampleRate, usageNanoCores } from '../../../src/stats/usage.js';
import { windowsStatsToSample } from '../../../src/stats/windows.js';
import { fixture } from '../../support/stats-fixtures.js';

const p = (timestampNs: bigint, usageCoreNanoSeconds: bigint): CpuPoint => ({
  timestampNs,
  usageCoreNanoSeconds,
});
const S = 1_000_000_000n;

describe('usageNanoCores', () => {
  it.each([
    { name: 'first sample: no rate yet', prev: undefined, cur: p(10n * S, 5n * S), rate: undefined },
    { name: 'no current reading', prev: p(10n * S, 5n * S), cur: undefined, rate: undefined },
    {
      name: 'one core busy for 10 s',
      prev: p(10n * S, 5n * S),
      cur: p(20n * S, 15n * S),
      rate: 1_000_000_000n,
    },
    { name: 'half a core', prev: p(0n, 0n), cur: p(2n * S, S), rate: 500_000_000n },
    { name: 'four cores', prev: p(0n, 0n), cur: p(S, 4n * S), rate: 4_000_000_000n },
    { name: 'idle', prev: p(0n, 7n), cur: p(S, 7n), rate: 0n },
    { name: 'truncated to whole nano-cores', prev: p(0n, 0n), cur: p(3n, 1n), rate: 333_333_333n },
    {
      name: 'counter reset (cpu went down): no rate, not negative',
      prev: p(10n * S, 9n * S),
      cur: p(20n * S, S),
      rate: undefined,
    },
    { name: 'clock skew: time went back', prev: p(20n * S, S), cur: p(10n * S, 2n * S), rate: undefined },
    { name: 'the same reading twice: Δt = 0', prev: p(10n * S, S), cur: p(10n * S, 2n * S), rate: undefined },
    {
      name: 'large counters past 2^53 stay exact',
      prev: p(1795639299260295074n, 2n ** 60n),
      cur: p(1795639300260295074n, 2n ** 60n + 3n * S),
      rate: 3_000_000_000n,
    },
  ])('$name', ({ prev, cur, rate }) => {
    expect(usageNanoCores(prev, cur)).toBe(rate);
  });
});

describe('sampleRate', () => {
  const sample = (timestampNs: bigint, usage: bigint | undefined, previousCpu?: CpuPoint): StatsSample => ({
    platform: 'linux',
    timestampNs,
    cpu: { usageCoreNanoSeconds: usage },
    memory: {},
    network: [],
    disk: [],
    ...(previousCpu ? { previousCpu } : {}),
  });

  it.each([
    { name: 'two own readings', prev: sample(0n, 0n), cur: sample(S, S / 2n), rate: S / 2n },
    { name: 'one reading, no engine precpu', prev: undefined, cur: sample(S, S), rate: undefined },
    {
      name: 'one reading with the engine precpu',
      prev: undefined,
      cur: sample(S, S, p(0n, S / 4n)),
      rate: (S * 3n) / 4n,
    },
    {
      name: 'own readings win over the engine precpu',
      prev: sample(0n, 0n),
      cur: sample(S, S, p(S / 2n, S)),
      rate: S,
    },
    { name: 'latest without CPU', prev: sample(0n, 0n), cur: sample(S, undefined), rate: undefined },
  ])('$name', ({ prev, cur, rate }) => {
    expect(sampleRate(prev, cur)).toBe(rate);
  });

  it.each([
    // Δ total_usage / Δ(read − preread), computed from the fixture numbers by hand.
    { file: 'linux-cgroupv1' as const, rate: 943_739_658n },
    { file: 'linux-cgroupv2' as const, rate: 994_786_841n },
    { file: 'linux-cgroupv1-oneshot' as const, rate: undefined },
  ])('$file: rate from the engine precpu', ({ file, rate }) => {
    expect(sampleRate(undefined, linuxStatsToSample(fixture(file)))).toBe(rate);
  });

  it.each([
    { file: 'windows-process' as const, rate: 99_580_864n },
    { file: 'windows-hyperv' as const, rate: undefined },
  ])('$file: rate from the engine precpu, in 100 ns units', ({ file, rate }) => {
    expect(sampleRate(undefined, windowsStatsToSample(fixture(file)))).toBe(rate);
  });
});
