import { describe, expect, it } from 'vitest';

import { CriError } from '../../../src/errors.js';
import {
  nanoCpusFromCpuMaximum,
  windowsCpuChoice,
  windowsResources,
  windowsStorageOpt,
} from '../../../src/platform/windows-resources.js';
import { resources, ws2022 } from '../../fixtures/windows/cri-builders.js';

const facts = (ncpu: number) => ({ ...ws2022, ncpu });
const goDiv = (a: number, b: number) => Math.trunc(a / b); // Go int64 division

/** kubelet calculateCPUMaximum (pkg/kubelet/kuberuntime/kuberuntime_container_windows.go). */
const kubeletCpuMaximum = (milli: number, ncpu: number) =>
  Math.min(10000, Math.max(1, goDiv(10 * milli, ncpu)));

/** moby setResourcesInSpec, process isolation: Maximum = NanoCpus / NumCPU / (1e9/10000), at least 1. */
const dockerProcessMaximum = (nanoCpus: number, ncpu: number) =>
  Math.max(1, goDiv(goDiv(nanoCpus, ncpu), 1e9 / 10000));

/** moby setResourcesInSpec, Hyper-V: the VM's CPU count is NanoCpus rounded up to whole CPUs. */
const dockerHyperVCount = (nanoCpus: number) => Math.ceil(nanoCpus / 1e9);

const MILLI_LIMITS = Array.from({ length: 64_000 }, (_, i) => i + 1);

describe('cpu_maximum -> NanoCpus round trip against the kubelet and Docker formulas', () => {
  it.each(Array.from({ length: 64 }, (_, i) => i + 1))(
    'on %i CPUs, for every limit from 1m to 64000m',
    (ncpu) => {
      const byCpuMaximum = new Map<number, number>();
      for (const milli of MILLI_LIMITS) {
        const cpuMaximum = kubeletCpuMaximum(milli, ncpu);
        let nanoCpus = byCpuMaximum.get(cpuMaximum);
        if (nanoCpus === undefined) {
          nanoCpus = windowsResources(resources({ cpu_maximum: String(cpuMaximum) }), facts(ncpu)).NanoCpus!;
          byCpuMaximum.set(cpuMaximum, nanoCpus);
        }
        // Docker hands HCS exactly the cpu_maximum the kubelet computed...
        if (dockerProcessMaximum(nanoCpus, ncpu) !== cpuMaximum) {
          throw new Error(
            `${ncpu} CPUs, ${milli}m: cpu_maximum ${cpuMaximum} came back as ${dockerProcessMaximum(nanoCpus, ncpu)}`,
          );
        }
        // ...the kubelet's reverse formula reads back the CPU Docker grants...
        if (nanoCpus / 1e6 !== (cpuMaximum * ncpu) / 10)
          throw new Error(`${ncpu} CPUs, ${milli}m: status round trip`);
        // ...and Docker's range check (0.01 to NCPU CPUs) and Hyper-V VM sizing accept it.
        if (nanoCpus > ncpu * 1e9 || dockerHyperVCount(nanoCpus) > ncpu)
          throw new Error(`${ncpu} CPUs, ${milli}m: over the host`);
      }
      expect(byCpuMaximum.size).toBeGreaterThan(0);
    },
  );

  it('matches the worked example: 500m on 4 CPUs -> cpu_maximum 1250 -> 0.5 CPU', () => {
    expect(kubeletCpuMaximum(500, 4)).toBe(1250);
    expect(windowsResources(resources({ cpu_maximum: '1250' }), facts(4))).toEqual({ NanoCpus: 500_000_000 });
  });

  it('refuses a CPU count Docker could not divide by', () => {
    expect(() => nanoCpusFromCpuMaximum(100, 0)).toThrow(CriError);
  });
});

describe('windowsResources', () => {
  it('maps memory and nothing else when no CPU control is set', () => {
    expect(windowsResources(resources({ memory_limit_in_bytes: '268435456' }), ws2022)).toEqual({
      Memory: 268435456,
    });
    expect(windowsResources(null, ws2022)).toEqual({});
    expect(windowsResources(resources(), ws2022)).toEqual({});
  });

  it.each([
    [
      { cpu_count: '2', cpu_shares: '500', cpu_maximum: '5000' },
      { CpuCount: 2 },
      'cpu_count',
      ['cpu_shares', 'cpu_maximum'],
    ],
    [{ cpu_shares: '500', cpu_maximum: '5000' }, { CpuShares: 500 }, 'cpu_shares', ['cpu_maximum']],
    [{ cpu_count: '2', cpu_maximum: '5000' }, { CpuCount: 2 }, 'cpu_count', ['cpu_maximum']],
    [{ cpu_maximum: '5000' }, { NanoCpus: 2_000_000_000 }, 'cpu_maximum', []],
    [{ cpu_shares: '10000' }, { CpuShares: 10000 }, 'cpu_shares', []],
  ])('sends one CPU control for %j: %j', (r, expected, control, dropped) => {
    expect(windowsResources(resources(r), ws2022)).toEqual(expected);
    expect(windowsCpuChoice(resources(r))).toEqual({ control, dropped });
  });

  it('never sends NanoCpus with CpuShares or CpuPercent, which Docker refuses', () => {
    for (const shares of ['0', '1', '10000']) {
      for (const max of ['0', '1', '10000']) {
        for (const count of ['0', '1']) {
          const out = windowsResources(
            resources({ cpu_shares: shares, cpu_maximum: max, cpu_count: count }),
            ws2022,
          );
          const set = ['CpuCount', 'CpuShares', 'NanoCpus', 'CpuPercent'].filter((k) => k in out);
          expect(set.length).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it.each([
    [{ cpu_shares: '10001' }, "cpu_shares: 10001 is out of Docker's Windows range 0 to 10000"],
    [{ cpu_maximum: '10001' }, 'cpu_maximum: 10001 is out of range 1 to 10000'],
    [{ cpu_count: '-1' }, 'cpu_count: -1 is negative'],
    [{ memory_limit_in_bytes: '9223372036854775807' }, 'larger than wincri can pass to Docker'],
    [{ memory_limit_in_bytes: '1e9' }, 'is not an integer'],
    [{ affinity_cpus: [{ cpu_mask: '3', cpu_group: 0 }] }, 'affinity_cpus cannot be applied'],
  ])('refuses %j with a message saying what is wrong', (r, message) => {
    expect(() => windowsResources(resources(r), ws2022)).toThrow(message);
  });
});

describe('windowsStorageOpt', () => {
  it('sends the rootfs size in bytes as Docker windowsfilter reads it', () => {
    expect(windowsStorageOpt(resources({ rootfs_size_in_bytes: '21474836480' }))).toEqual({
      size: '21474836480',
    });
    expect(windowsStorageOpt(resources())).toBeUndefined();
    expect(windowsStorageOpt(null)).toBeUndefined();
  });
});
