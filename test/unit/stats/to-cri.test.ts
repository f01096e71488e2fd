import { describe, expect, it } from 'vitest';
import { linuxStatsToSample } from '../../../src/stats/linux.js';
import { podTotals } from '../../../src/stats/pod.js';
import type { StatsSample } from '../../../src/stats/sample.js';
import {
  defaultInterface,
  toCriContainerStats,
  toCriPodSandboxStats,
  toCriWindowsContainerStats,
  type ContainerIdentity,
  type ContainerStatsInput,
  type PodIdentity,
} from '../../../src/stats/to-cri.js';
import { windowsStatsToSample } from '../../../src/stats/windows.js';
import { fixture } from '../../support/stats-fixtures.js';

const NOW = 1_800_000_000_000_000_000n;
const MiB = 1024n * 1024n;

const identity: ContainerIdentity = {
  id: 'c1',
  metadata: { name: 'web', attempt: 2 },
  labels: { app: 'web' },
  annotations: { note: 'x' },
};
const pod: PodIdentity = {
  id: 'p1',
  metadata: { name: 'web-0', uid: 'uid-1', namespace: 'default', attempt: 0 },
  labels: { app: 'web' },
  annotations: {},
};

/** `identity` as the CRI ContainerAttributes. */
const ATTRIBUTES = {
  id: 'c1',
  metadata: { name: 'web', attempt: 2 },
  labels: { app: 'web' },
  annotations: { note: 'x' },
};

const input = (sample: StatsSample | undefined, usageNanoCores?: bigint): ContainerStatsInput => ({
  identity,
  sample,
  usageNanoCores,
  fallbackTimestampNs: NOW,
});

describe('toCriContainerStats', () => {
  it('maps a Linux sample: decimal strings, the engine time on every part', () => {
    const sample = linuxStatsToSample(fixture('linux-cgroupv1'));
    expect(toCriContainerStats(input(sample, 943739658n))).toEqual({
      attributes: ATTRIBUTES,
      cpu: {
        timestamp: '1795639300265091749',
        usage_core_nano_seconds: { value: '21798297539' },
        usage_nano_cores: { value: '943739658' },
      },
      memory: {
        timestamp: '1795639300265091749',
        working_set_bytes: { value: '18018304' },
        available_bytes: { value: String(64n * MiB - 18018304n) },
        usage_bytes: { value: '26406912' },
        rss_bytes: { value: '114688' },
        page_faults: { value: '2698' },
        major_page_faults: { value: '1' },
      },
    });
  });

  it('maps a Windows sample into the generic message: working set = private, usage = commit', () => {
    const sample = windowsStatsToSample(fixture('windows-hyperv'));
    const s = toCriContainerStats(input(sample));
    expect(s.cpu).toEqual({
      timestamp: '1741944700118204000',
      usage_core_nano_seconds: { value: '5200000000' },
      usage_nano_cores: null,
    });
    expect(s.memory).toMatchObject({
      working_set_bytes: { value: '67108864' },
      usage_bytes: { value: '134217728' },
      available_bytes: null,
      rss_bytes: null,
      page_faults: null,
    });
  });

  it('before the first sample: non-zero timestamps (critest), no values', () => {
    const s = toCriContainerStats(input(undefined, 5n));
    expect(s.cpu?.timestamp).toBe(NOW.toString());
    expect(s.memory?.timestamp).toBe(NOW.toString());
    expect(s.cpu?.usage_core_nano_seconds).toBeNull();
    expect(s.memory?.working_set_bytes).toBeNull();
    expect(s.writable_layer).toBeUndefined();
  });

  it('copies the identity, so later changes to the store entry do not leak into a reply', () => {
    const labels = { a: '1' };
    const s = toCriContainerStats({ ...input(undefined), identity: { ...identity, labels } });
    labels.a = '2';
    expect(s.attributes?.labels).toEqual({ a: '1' });
  });

  it('writable layer when the handler knows it', () => {
    const s = toCriContainerStats({
      ...input(undefined),
      writableLayer: { mountpoint: '/var/lib/docker', usedBytes: 4096n, inodesUsed: 3n },
    });
    expect(s.writable_layer).toEqual({
      timestamp: NOW.toString(),
      fs_id: { mountpoint: '/var/lib/docker' },
      used_bytes: { value: '4096' },
      inodes_used: { value: '3' },
    });
  });
});

describe('toCriWindowsContainerStats', () => {
  it('available = limit − commit (WindowsMemoryUsage), commit bytes, the rate', () => {
    const sample = windowsStatsToSample(fixture('windows-process'), { memoryLimitBytes: 128n * MiB });
    const s = toCriWindowsContainerStats({
      ...input(sample, 99580864n),
      writableLayer: { mountpoint: 'C:\\ProgramData\\docker', usedBytes: 7n },
    });
    expect(s).toEqual({
      attributes: ATTRIBUTES,
      cpu: {
        timestamp: '1741944612654321000',
        usage_core_nano_seconds: { value: '3512345600' },
        usage_nano_cores: { value: '99580864' },
      },
      memory: {
        timestamp: '1741944612654321000',
        working_set_bytes: { value: '45678592' },
        available_bytes: { value: String(128n * MiB - 78643200n) },
        page_faults: null,
        commit_memory_bytes: { value: '78643200' },
      },
      writable_layer: {
        timestamp: NOW.toString(),
        fs_id: { mountpoint: 'C:\\ProgramData\\docker' },
        used_bytes: { value: '7' },
      },
    });
  });
});

describe('defaultInterface', () => {
  const ifs = (...names: string[]) => names.map((name) => ({ name }));
  it.each([
    { platform: 'linux' as const, names: ['cni0', 'eth0'], expected: 'eth0' },
    { platform: 'linux' as const, names: ['net1'], expected: 'net1' },
    { platform: 'windows' as const, names: ['b-endpoint', 'eth0'], expected: 'b-endpoint' },
    { platform: 'windows' as const, names: [], expected: undefined },
  ])('$platform $names → $expected', ({ platform, names, expected }) => {
    expect(defaultInterface(platform, ifs(...names))?.name).toBe(expected);
  });
});

describe('toCriPodSandboxStats', () => {
  it('Linux: linux part set, windows null, totals and the sandbox network', () => {
    const pause = linuxStatsToSample(fixture('linux-cgroupv2'));
    const app = linuxStatsToSample(fixture('linux-cgroupv1'));
    const totals = podTotals([
      { isSandbox: true, running: true, sample: pause, usageNanoCores: 1n },
      { isSandbox: false, running: true, sample: app, usageNanoCores: 2n },
    ]);
    const s = toCriPodSandboxStats({
      identity: pod,
      platform: 'linux',
      totals,
      containers: [input(app, 2n)],
      fallbackTimestampNs: NOW,
    });
    expect(s.windows).toBeNull();
    expect(s.attributes).toEqual({
      id: 'p1',
      metadata: { name: 'web-0', uid: 'uid-1', namespace: 'default', attempt: 0 },
      labels: { app: 'web' },
      annotations: {},
    });
    expect(s.linux?.cpu).toEqual({
      timestamp: '1795639300265091749',
      usage_core_nano_seconds: { value: String(84512345000n + 21798297539n) },
      usage_nano_cores: { value: '3' },
    });
    expect(s.linux?.memory?.working_set_bytes).toEqual({ value: String(39862272n + 18018304n) });
    expect(s.linux?.network).toEqual({
      timestamp: '1741944413459367481',
      default_interface: {
        name: 'eth0',
        rx_bytes: { value: '734003' },
        rx_errors: { value: '0' },
        tx_bytes: { value: '291840' },
        tx_errors: { value: '1' },
      },
      interfaces: [
        {
          name: 'eth0',
          rx_bytes: { value: '734003' },
          rx_errors: { value: '0' },
          tx_bytes: { value: '291840' },
          tx_errors: { value: '1' },
        },
      ],
    });
    expect(s.linux?.process).toEqual({ timestamp: '1795639300265091749', process_count: { value: '7' } });
    expect(s.linux?.containers?.map((c) => c.attributes?.id)).toEqual(['c1']);
  });

  it('Windows: windows part set, linux null, first endpoint is the default', () => {
    const pause = windowsStatsToSample(fixture('windows-hyperv'), { processCount: 1 });
    const app = windowsStatsToSample(fixture('windows-process'), {
      processCount: 4,
      memoryLimitBytes: 256n * MiB,
    });
    const totals = podTotals([
      { isSandbox: true, running: true, sample: pause, usageNanoCores: undefined },
      { isSandbox: false, running: true, sample: app, usageNanoCores: 99580864n },
    ]);
    const s = toCriPodSandboxStats({
      identity: pod,
      platform: 'windows',
      totals,
      containers: [input(app)],
      fallbackTimestampNs: NOW,
    });
    expect(s.linux).toBeNull();
    const w = s.windows;
    expect(w?.cpu?.usage_core_nano_seconds).toEqual({ value: String(5200000000n + 3512345600n) });
    expect(w?.cpu?.usage_nano_cores).toEqual({ value: '99580864' });
    expect(w?.memory).toEqual({
      timestamp: '1741944700118204000',
      working_set_bytes: { value: String(67108864n + 45678592n) },
      available_bytes: { value: String(256n * MiB - (134217728n + 78643200n)) },
      page_faults: null,
      commit_memory_bytes: { value: String(134217728n + 78643200n) },
    });
    expect(w?.network?.default_interface).toEqual({
      name: 'b41f7c09-3e2a-4d8b-9c61-5a0e2f7d3b84',
      rx_bytes: { value: '524288' },
      rx_packets_dropped: { value: '0' },
      tx_bytes: { value: '131072' },
      tx_packets_dropped: { value: '1' },
    });
    expect(w?.process?.process_count).toEqual({ value: '5' });
    expect(w?.containers?.[0]?.memory?.commit_memory_bytes).toEqual({ value: '78643200' });
  });

  it('no reading yet: timestamps from the fallback, no network part', () => {
    const totals = podTotals([
      { isSandbox: true, running: true, sample: undefined, usageNanoCores: undefined },
    ]);
    const s = toCriPodSandboxStats({
      identity: pod,
      platform: 'linux',
      totals,
      containers: [],
      fallbackTimestampNs: NOW,
    });
    expect(s.linux?.cpu?.timestamp).toBe(NOW.toString());
    expect(s.linux?.memory?.timestamp).toBe(NOW.toString());
    expect(s.linux?.network).toBeNull();
    expect(s.linux?.process?.process_count).toBeNull();
  });
});
