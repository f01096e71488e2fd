import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cgroupDirs, NotThisContainer, readCgroupStats } from '../../../src/stats/cgroup-files.js';
import { linuxStatsToSample } from '../../../src/stats/linux.js';

const ID = 'c0ffee'.padEnd(64, '0');
let root: string;
let roots: { proc: string; cgroup: string };

async function files(tree: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(tree)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0
  eth0:    5000      40    1    2    0     0          0         0     3000      30    3    4    0     0       0          0
`;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'wincri-cgroup-'));
  roots = { proc: join(root, 'proc'), cgroup: join(root, 'cgroup') };
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('readCgroupStats', () => {
  it('cgroup v1 (cgroupfs): the fields Docker fills, from the files Docker reads', async () => {
    const at = (c: string) => `cgroup/${c}/docker/${ID}`;
    await files({
      'proc/42/cgroup': [
        `12:pids:/docker/${ID}`,
        `11:memory:/docker/${ID}`,
        `4:cpu,cpuacct:/docker/${ID}`,
        `3:blkio:/docker/${ID}`,
        `1:name=systemd:/docker/${ID}`,
        '0::/',
      ].join('\n'),
      'proc/42/net/dev': NET_DEV,
      [`${at('cpu,cpuacct')}/cpuacct.usage`]: '2500000000\n',
      [`${at('cpu,cpuacct')}/cpuacct.stat`]: 'user 150\nsystem 50\n',
      [`${at('memory')}/memory.usage_in_bytes`]: '10485760\n',
      [`${at('memory')}/memory.stat`]:
        'cache 4096\nrss 8192\ntotal_cache 4096\ntotal_rss 8192\ntotal_inactive_file 2097152\npgfault 77\npgmajfault 3\n',
      [`${at('pids')}/pids.current`]: '3\n',
      [`${at('blkio')}/blkio.throttle.io_service_bytes_recursive`]:
        '8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Total 12288\nTotal 12288\n',
      [`${at('blkio')}/blkio.throttle.io_serviced_recursive`]: '8:0 Read 1\n8:0 Write 2\nTotal 3\n',
    });
    const json = readCgroupStats({ id: ID, pid: 42, ownNetwork: true }, roots);
    expect(json.cpu_stats?.cpu_usage).toEqual({
      total_usage: 2_500_000_000,
      usage_in_usermode: 1_500_000_000,
      usage_in_kernelmode: 500_000_000,
    });
    expect(json.networks).toEqual({
      eth0: {
        rx_bytes: 5000,
        rx_packets: 40,
        rx_errors: 1,
        rx_dropped: 2,
        tx_bytes: 3000,
        tx_packets: 30,
        tx_errors: 3,
        tx_dropped: 4,
      },
    });
    const sample = linuxStatsToSample(json, { memoryLimitBytes: 0n });
    expect(sample?.memory).toMatchObject({
      usageBytes: 10_485_760n,
      workingSetBytes: 10_485_760n - 2_097_152n,
      rssBytes: 8192n,
      pageFaults: 77n,
    });
    expect(sample?.processCount).toBe(3);
    expect(sample?.disk).toEqual([
      { device: '8:0', readBytes: 4096n, writeBytes: 8192n, reads: 1n, writes: 2n },
    ]);
    expect(sample?.timestampNs).toBeGreaterThan(0n);
  });

  it('cgroup v2 (systemd driver): cpu.stat, memory.current, io.stat', async () => {
    const dir = `cgroup/system.slice/docker-${ID}.scope`;
    await files({
      'proc/7/cgroup': `0::/system.slice/docker-${ID}.scope\n`,
      [`${dir}/cpu.stat`]: 'usage_usec 3000000\nuser_usec 2000000\nsystem_usec 1000000\nnr_periods 0\n',
      [`${dir}/memory.current`]: '1048576\n',
      [`${dir}/memory.stat`]: 'anon 524288\nfile 262144\ninactive_file 131072\npgfault 9\npgmajfault 1\n',
      [`${dir}/pids.current`]: '2\n',
      [`${dir}/io.stat`]: '8:16 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n',
    });
    const json = readCgroupStats({ id: ID, pid: 7, ownNetwork: false }, roots);
    expect(json.networks).toBeUndefined();
    const sample = linuxStatsToSample(json, { memoryLimitBytes: 0n });
    expect(sample?.cpu).toEqual({
      usageCoreNanoSeconds: 3_000_000_000n,
      userNanoSeconds: 2_000_000_000n,
      systemNanoSeconds: 1_000_000_000n,
      cfsPeriods: 0n,
    });
    expect(sample?.memory).toMatchObject({
      usageBytes: 1_048_576n,
      workingSetBytes: 1_048_576n - 131_072n,
      rssBytes: 524_288n,
    });
    expect(sample?.disk).toEqual([
      { device: '8:16', readBytes: 100n, writeBytes: 200n, reads: 1n, writes: 2n },
    ]);
  });

  it('refuses a pid whose cgroup does not name the container (another host, a reused pid)', async () => {
    await files({ 'proc/9/cgroup': '11:memory:/user.slice\n0::/user.slice\n' });
    expect(() => readCgroupStats({ id: ID, pid: 9, ownNetwork: false }, roots)).toThrow(NotThisContainer);
    expect(() => readCgroupStats({ id: ID, pid: 10, ownNetwork: false }, roots)).toThrow(/ENOENT/);
  });

  it("cAdvisor's extra values: throttling, memory peaks and kernel use, OOM kills, shares, swap limit, open files", async () => {
    const at = (c: string) => `cgroup/${c}/docker/${ID}`;
    await files({
      'proc/42/cgroup': [
        `12:pids:/docker/${ID}`,
        `11:memory:/docker/${ID}`,
        `5:cpu:/docker/${ID}`,
        `4:cpuacct:/docker/${ID}`,
        `3:blkio:/docker/${ID}`,
      ].join('\n'),
      [`${at('cpuacct')}/cpuacct.usage`]: '1\n',
      [`${at('cpuacct')}/cpuacct.stat`]: 'user 1\nsystem 1\n',
      [`${at('cpu')}/cpu.stat`]: 'nr_periods 50\nnr_throttled 4\nthrottled_time 2500000000\n',
      [`${at('cpu')}/cpu.shares`]: '256\n',
      [`${at('cpu')}/cpu.cfs_period_us`]: '100000\n',
      [`${at('memory')}/memory.usage_in_bytes`]: '4096\n',
      [`${at('memory')}/memory.stat`]: 'total_mapped_file 8192\ntotal_swap 0\n',
      [`${at('memory')}/memory.failcnt`]: '7\n',
      [`${at('memory')}/memory.max_usage_in_bytes`]: '65536\n',
      [`${at('memory')}/memory.kmem.usage_in_bytes`]: '12288\n',
      [`${at('memory')}/memory.oom_control`]: 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n',
      [`${at('memory')}/memory.memsw.limit_in_bytes`]: '9223372036854771712\n',
      [`${at('memory')}/cgroup.procs`]: '42\n43\n',
      [`${at('pids')}/pids.current`]: '3\n',
      [`${at('pids')}/pids.max`]: 'max\n',
      [`${at('blkio')}/blkio.throttle.io_service_bytes_recursive`]: 'Total 0\n',
      [`${at('blkio')}/blkio.throttle.io_serviced_recursive`]: 'Total 0\n',
    });
    await mkdir(join(root, 'proc/42/fd'), { recursive: true });
    await mkdir(join(root, 'proc/43/fd'), { recursive: true });
    await symlink('/dev/null', join(root, 'proc/42/fd/0'));
    await symlink('socket:[1234]', join(root, 'proc/42/fd/3'));
    await symlink('pipe:[99]', join(root, 'proc/43/fd/1'));
    const sample = linuxStatsToSample(readCgroupStats({ id: ID, pid: 42, ownNetwork: false }, roots));
    expect(sample?.cpu).toMatchObject({
      cfsPeriods: 50n,
      cfsThrottledPeriods: 4n,
      cfsThrottledNanoSeconds: 2_500_000_000n,
    });
    expect(sample?.memory).toMatchObject({
      failcnt: 7n,
      maxUsageBytes: 65536n,
      mappedFileBytes: 8192n,
      swapBytes: 0n,
      kernelBytes: 12288n,
      oomKills: 1n,
    });
    expect(sample?.tasks).toEqual({ threads: 3n, threadsMax: 0n, fileDescriptors: 3n, sockets: 1n });
    // The kernel's "unlimited" passes 2^53: kept exact.
    expect(sample?.spec).toEqual({
      cpuPeriodMicroseconds: 100000n,
      cpuShares: 256n,
      swapLimitBytes: 9223372036854771712n,
    });
  });

  it('a hybrid host reads the v1 controllers, not the empty unified tree', () => {
    const dirs = cgroupDirs(`4:memory:/docker/${ID}\n1:name=systemd:/x\n0::/x`, '/sys/fs/cgroup');
    expect([...dirs.keys()]).toEqual(['memory']);
  });
});
