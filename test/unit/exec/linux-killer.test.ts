import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { LinuxExecKiller, type HostProcesses } from '../../../src/exec/linux-killer.js';
import { FakeExecDocker } from '../../support/fake-exec-docker.js';

const log = pino({ level: 'silent' });

describe('LinuxExecKiller', () => {
  const CID = 'c0ffee'.repeat(10) + 'abcd';
  /** A host /proc: pid -> [ppid, cgroup, NSpid line]. */
  function fakeHost(procs: Record<number, [number, string, string]>, refuse: number[] = []) {
    const killed: number[] = [];
    const host: HostProcesses = {
      readdir: async () => [...Object.keys(procs), 'self', 'meminfo'],
      readFile: async (path) => {
        const [, , pid, file] = path.split('/');
        const proc = procs[Number(pid)];
        if (proc === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
        if (file === 'stat') return `${pid} (sle ep) S ${proc[0]} 1 1 0`;
        if (file === 'cgroup') return proc[1];
        return `Name:\tsleep\nNSpid:\t${proc[2]}\n`;
      },
      kill: vi.fn((pid: number) => {
        if (refuse.includes(pid)) throw Object.assign(new Error('EPERM'), { code: 'EPERM' });
        killed.push(pid);
        delete procs[pid]; // reaped at once
      }),
    };
    return { host, killed };
  }
  const inContainer = `0::/docker/${CID}\n`;

  it('kills the exec process and its descendants from the host, nothing else', async () => {
    const { host, killed } = fakeHost({
      100: [90, inContainer, '100\t7'],
      101: [100, inContainer, '101\t8'],
      102: [101, inContainer, '102\t9'],
      103: [90, inContainer, '103\t10'], // a sibling: not ours
    });
    const docker = new FakeExecDocker(() => ({}));
    await new LinuxExecKiller(docker, host).kill(
      { containerId: CID, execId: 'e', pid: 100 },
      AbortSignal.timeout(5_000),
      log,
    );
    // Deepest first, so each parent can still reap its children.
    expect(killed).toEqual([102, 101, 100]);
    expect(docker.execs).toHaveLength(0);
  });

  it('refuses a pid that is not in the container’s cgroup (reused pid)', async () => {
    const { host, killed } = fakeHost({ 100: [1, '0::/system.slice/sshd.service\n', '100'] });
    await expect(
      new LinuxExecKiller(new FakeExecDocker(() => ({})), host).kill(
        { containerId: CID, execId: 'e', pid: 100 },
        AbortSignal.timeout(5_000),
        log,
      ),
    ).rejects.toThrow(/not in container/);
    expect(killed).toEqual([]);
  });

  it('when the host may not signal, kills the in-container pids (NSpid) from a second exec', async () => {
    const { host } = fakeHost(
      { 100: [90, inContainer, '100\t7'], 101: [100, inContainer, '101\t8'] },
      [100, 101],
    );
    const docker = new FakeExecDocker(() => ({ exitCode: 0 }));
    await new LinuxExecKiller(docker, host).kill(
      { containerId: CID, execId: 'e', pid: 100 },
      AbortSignal.timeout(5_000),
      log,
    );
    expect(docker.execs.map((e) => [e.containerId, e.options.cmd])).toEqual([
      [CID, ['kill', '-KILL', '8', '7']],
    ]);
  });

  it('says so when the pid is not visible (a remote engine)', async () => {
    const { host } = fakeHost({});
    await expect(
      new LinuxExecKiller(new FakeExecDocker(() => ({})), host).kill(
        { containerId: CID, execId: 'e', pid: 100 },
        AbortSignal.timeout(5_000),
        log,
      ),
    ).rejects.toThrow(/not visible/);
  });
});
