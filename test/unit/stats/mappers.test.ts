import { describe, expect, it } from 'vitest';
import type { DockerStatsJson } from '../../../src/docker/stats-types.js';
import { cgroupVersionOf, linuxStatsToSample } from '../../../src/stats/linux.js';
import type { StatsSample } from '../../../src/stats/sample.js';
import { windowsStatsToSample } from '../../../src/stats/windows.js';
import { fixture } from '../../support/stats-fixtures.js';

const MiB = 1024n * 1024n;

/** The recorded cgroup v1 container: both readings share these. */
const V1_MEMORY = {
  // usage 26406912 − total_inactive_file 8388608
  workingSetBytes: 18018304n,
  usageBytes: 26406912n,
  rssBytes: 114688n,
  cacheBytes: 25178112n,
  pageFaults: 2698n,
  majorPageFaults: 1n,
  limitBytes: 64n * MiB,
  availableBytes: 64n * MiB - 18018304n,
  maxUsageBytes: 27783168n,
  mappedFileBytes: 0n,
};
const V1_NETWORK = [
  {
    name: 'eth0',
    rxBytes: 876n,
    rxPackets: 10n,
    rxErrors: 0n,
    rxDropped: 0n,
    txBytes: 0n,
    txPackets: 0n,
    txErrors: 0n,
    txDropped: 0n,
  },
];

describe('linuxStatsToSample on the fixtures', () => {
  it.each([
    {
      name: 'cgroup v1, two readings (recorded)',
      file: 'linux-cgroupv1' as const,
      version: 'v1',
      expected: {
        platform: 'linux',
        timestampNs: 1795639300265091749n,
        cpu: {
          usageCoreNanoSeconds: 21798297539n,
          userNanoSeconds: 21440000000n,
          systemNanoSeconds: 350000000n,
          cfsPeriods: 0n,
          cfsThrottledPeriods: 0n,
          cfsThrottledNanoSeconds: 0n,
        },
        memory: V1_MEMORY,
        network: V1_NETWORK,
        disk: [],
        processCount: 2,
        // No pids limit: Docker omits it, cAdvisor says 0.
        tasks: { threads: 2n, threadsMax: 0n },
        spec: {},
        previousCpu: { timestampNs: 1795639299260295074n, usageCoreNanoSeconds: 20850031068n },
      } satisfies StatsSample,
    },
    {
      name: 'cgroup v1, one-shot (recorded): no previous reading',
      file: 'linux-cgroupv1-oneshot' as const,
      version: 'v1',
      expected: {
        platform: 'linux',
        timestampNs: 1795639301278278529n,
        cpu: {
          usageCoreNanoSeconds: 22674595684n,
          userNanoSeconds: 22310000000n,
          systemNanoSeconds: 360000000n,
          cfsPeriods: 0n,
          cfsThrottledPeriods: 0n,
          cfsThrottledNanoSeconds: 0n,
        },
        memory: V1_MEMORY,
        network: V1_NETWORK,
        disk: [],
        processCount: 2,
        // No pids limit: Docker omits it, cAdvisor says 0.
        tasks: { threads: 2n, threadsMax: 0n },
        spec: {},
      } satisfies StatsSample,
    },
    {
      name: 'cgroup v2 (documented shape)',
      file: 'linux-cgroupv2' as const,
      version: 'v2',
      expected: {
        platform: 'linux',
        timestampNs: 1741944413459367481n,
        cpu: {
          usageCoreNanoSeconds: 84512345000n,
          userNanoSeconds: 72166667000n,
          systemNanoSeconds: 12345678000n,
          cfsPeriods: 120n,
          cfsThrottledPeriods: 3n,
          cfsThrottledNanoSeconds: 41000000n,
        },
        memory: {
          // usage 52445184 − inactive_file 12582912
          workingSetBytes: 39862272n,
          usageBytes: 52445184n,
          rssBytes: 31457280n,
          cacheBytes: 18874368n,
          pageFaults: 48291n,
          majorPageFaults: 12n,
          limitBytes: 256n * MiB,
          availableBytes: 256n * MiB - 39862272n,
          mappedFileBytes: 2162688n,
        },
        network: [
          {
            name: 'eth0',
            rxBytes: 734003n,
            rxPackets: 5211n,
            rxErrors: 0n,
            rxDropped: 2n,
            txBytes: 291840n,
            txPackets: 2690n,
            txErrors: 1n,
            txDropped: 0n,
          },
        ],
        disk: [{ device: '8:0', readBytes: 4096000n, writeBytes: 1048576n }],
        processCount: 5,
        tasks: { threads: 5n, threadsMax: 4915n },
        spec: {},
        previousCpu: { timestampNs: 1741944412454127003n, usageCoreNanoSeconds: 83512345000n },
      } satisfies StatsSample,
    },
  ])('$name', ({ file, version, expected }) => {
    const json = fixture(file);
    expect(cgroupVersionOf(json.memory_stats?.stats)).toBe(version);
    expect(linuxStatsToSample(json)).toEqual(expected);
  });

  it('gives no sample for a stopped container (recorded all-zero body)', () => {
    expect(linuxStatsToSample(fixture('linux-stopped'))).toBeUndefined();
  });
});

describe('linuxStatsToSample rules', () => {
  const base = (memory: DockerStatsJson['memory_stats']): DockerStatsJson => ({
    read: '2025-01-01T00:00:00.5Z',
    cpu_stats: { cpu_usage: { total_usage: 10 } },
    memory_stats: memory,
  });

  it.each([
    {
      name: 'v1: working set floored at 0 when inactive file exceeds usage',
      memory: { usage: 100, stats: { total_inactive_file: 400, cache: 400 } },
      workingSet: 0n,
    },
    {
      name: 'v2: working set floored at 0 when inactive file exceeds usage',
      memory: { usage: 100, stats: { inactive_file: 400, anon: 1 } },
      workingSet: 0n,
    },
    {
      name: 'v1 uses total_inactive_file, not inactive_file',
      memory: { usage: 1000, stats: { total_inactive_file: 300, inactive_file: 100, cache: 1 } },
      workingSet: 700n,
    },
    {
      name: 'no inactive_file key: working set is usage (cAdvisor)',
      memory: { usage: 1000, stats: { anon: 1 } },
      workingSet: 1000n,
    },
    {
      name: 'no usage: working set unknown, not 0',
      memory: { stats: { anon: 1, inactive_file: 5 } },
      workingSet: undefined,
    },
    { name: 'no memory stats at all', memory: undefined, workingSet: undefined },
  ])('$name', ({ memory, workingSet }) => {
    expect(linuxStatsToSample(base(memory))?.memory.workingSetBytes).toBe(workingSet);
  });

  it.each([
    {
      name: 'configured limit wins over Docker limit',
      option: 512n,
      limit: 1000,
      expected: { limit: 512n, available: 412n },
    },
    {
      name: 'configured 0 means none: no available',
      option: 0n,
      limit: 1000,
      expected: { limit: undefined, available: undefined },
    },
    {
      name: 'no option: Docker limit',
      option: undefined,
      limit: 1000,
      expected: { limit: 1000n, available: 900n },
    },
    {
      name: 'no limit anywhere',
      option: undefined,
      limit: undefined,
      expected: { limit: undefined, available: undefined },
    },
    {
      name: 'available floored at 0',
      option: 50n,
      limit: undefined,
      expected: { limit: 50n, available: 0n },
    },
  ])('$name', ({ option, limit, expected }) => {
    const json = base({ usage: 100, limit, stats: { anon: 100 } });
    const s = linuxStatsToSample(json, option === undefined ? {} : { memoryLimitBytes: option });
    expect({ limit: s?.memory.limitBytes, available: s?.memory.availableBytes }).toEqual(expected);
  });

  it('a body without pids, networks or blkio leaves those unknown or empty', () => {
    const s = linuxStatsToSample({ read: '2025-01-01T00:00:00Z' });
    expect(s).toMatchObject({ network: [], disk: [], cpu: { usageCoreNanoSeconds: undefined } });
    expect(s?.processCount).toBeUndefined();
    expect(s?.previousCpu).toBeUndefined();
  });

  it('sums blkio per device, both op spellings, bytes and operations', () => {
    const s = linuxStatsToSample({
      read: '2025-01-01T00:00:00Z',
      blkio_stats: {
        io_service_bytes_recursive: [
          { major: 8, minor: 0, op: 'Read', value: 10 },
          { major: 8, minor: 0, op: 'Write', value: 20 },
          { major: 8, minor: 0, op: 'Total', value: 30 },
          { major: 253, minor: 1, op: 'read', value: 5 },
        ],
        io_serviced_recursive: [{ major: 8, minor: 0, op: 'Read', value: 2 }],
      },
    });
    expect(s?.disk).toEqual([
      { device: '253:1', readBytes: 5n },
      { device: '8:0', readBytes: 10n, writeBytes: 20n, reads: 2n },
    ]);
  });
});

describe('windowsStatsToSample on the fixtures', () => {
  it('process isolation: 100 ns units, private working set, commit, endpoint-keyed network', () => {
    expect(windowsStatsToSample(fixture('windows-process'), { memoryLimitBytes: 128n * MiB })).toEqual({
      platform: 'windows',
      timestampNs: 1741944612654321000n,
      cpu: {
        usageCoreNanoSeconds: 3512345600n,
        userNanoSeconds: 2574845600n,
        systemNanoSeconds: 937500000n,
      },
      memory: {
        workingSetBytes: 45678592n,
        usageBytes: 78643200n,
        commitBytes: 78643200n,
        commitPeakBytes: 92274688n,
        limitBytes: 128n * MiB,
        availableBytes: 128n * MiB - 45678592n,
      },
      network: [
        {
          name: '6e4c2a18-9b3d-4f57-a1c2-8d0e3f5b7a91',
          rxBytes: 1048576n,
          rxPackets: 812n,
          rxDropped: 3n,
          txBytes: 262144n,
          txPackets: 420n,
          txDropped: 0n,
        },
      ],
      disk: [{ device: '', readBytes: 60395520n, writeBytes: 29884416n, reads: 1843n, writes: 912n }],
      previousCpu: { timestampNs: 1741944611650112000n, usageCoreNanoSeconds: 3412345600n },
    } satisfies StatsSample);
  });

  it('Hyper-V: empty kernel/user times are unknown, not 0; one-shot has no previous reading', () => {
    const s = windowsStatsToSample(fixture('windows-hyperv'));
    expect(s?.cpu).toEqual({
      usageCoreNanoSeconds: 5200000000n,
      userNanoSeconds: undefined,
      systemNanoSeconds: undefined,
    });
    expect(s?.memory).toMatchObject({
      workingSetBytes: 67108864n,
      commitBytes: 134217728n,
      limitBytes: undefined,
    });
    expect(s?.memory.availableBytes).toBeUndefined();
    expect(s?.previousCpu).toBeUndefined();
    expect(s?.disk).toEqual([]);
  });

  it.each(['windows-process', 'windows-hyperv'] as const)(
    '%s: HNS error counters and num_procs are not data',
    (file) => {
      const s = windowsStatsToSample(fixture(file));
      for (const n of s?.network ?? []) {
        expect(n.rxErrors).toBeUndefined();
        expect(n.txErrors).toBeUndefined();
      }
      // num_procs is the host's CPU count (8 in the fixtures), never a process count.
      expect(s?.processCount).toBeUndefined();
      expect(windowsStatsToSample(fixture(file), { processCount: 3 })?.processCount).toBe(3);
    },
  );

  it('a process-isolated container with no kernel time yet keeps user time and a real 0 kernel time', () => {
    const s = windowsStatsToSample({
      read: '2025-01-01T00:00:00Z',
      cpu_stats: { cpu_usage: { total_usage: 10, usage_in_usermode: 10, usage_in_kernelmode: 0 } },
    });
    expect(s?.cpu).toEqual({ usageCoreNanoSeconds: 1000n, userNanoSeconds: 1000n, systemNanoSeconds: 0n });
  });

  it('omitted memory fields (omitempty) are unknown', () => {
    const s = windowsStatsToSample({ read: '2025-01-01T00:00:00Z', memory_stats: {} });
    expect(s?.memory).toEqual({
      workingSetBytes: undefined,
      usageBytes: undefined,
      commitBytes: undefined,
      commitPeakBytes: undefined,
      limitBytes: undefined,
      availableBytes: undefined,
    });
  });

  it('gives no sample for a body with the zero read time', () => {
    expect(
      windowsStatsToSample({ ...fixture('windows-process'), read: '0001-01-01T00:00:00Z' }),
    ).toBeUndefined();
  });
});
