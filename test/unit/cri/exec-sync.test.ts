import { PassThrough, type Duplex } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { execSync, type ExecSyncDeps } from '../../../src/cri/runtime/exec-sync.js';
import { WindowsExecKiller, type ExecKiller } from '../../../src/exec/killer.js';
import { LinuxExecKiller, type HostProcesses } from '../../../src/exec/linux-killer.js';
import type { ExecDetails, ExecOptions } from '../../../src/docker/client.js';
import { notFound } from '../../../src/errors.js';
import type { ExecSyncRequest__Output } from '../../../src/generated/runtime/v1/ExecSyncRequest.js';

const log = pino({ level: 'silent' });
const ctx = (signal = new AbortController().signal) => ({ rpc: 'ExecSync', signal, log });

function frame(stream: 1 | 2, text: string | Buffer): Buffer {
  const payload = typeof text === 'string' ? Buffer.from(text) : text;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** What a fake command does: its output, exit code, or hang until killed. */
interface Script {
  stdout?: (string | Buffer)[];
  stderr?: string[];
  exitCode?: number;
  hang?: boolean;
  /** The connection to the engine breaks after the output (the process runs on). */
  breaks?: boolean;
  pid?: number;
}

interface FakeExec {
  containerId: string;
  options: ExecOptions;
  script: Script;
  details: ExecDetails;
  stream?: PassThrough;
}

/** The exec part of the Docker door; commands behave as `scripts(cmd)` says. */
class FakeExecDocker {
  readonly execs: FakeExec[] = [];
  constructor(private readonly scripts: (cmd: string[]) => Script) {}

  async execCreate(containerId: string, options: ExecOptions): Promise<string> {
    this.execs.push({
      containerId,
      options,
      script: this.scripts(options.cmd),
      details: { running: false, exitCode: null, pid: 0 },
    });
    return String(this.execs.length - 1);
  }

  async execStart(execId: string): Promise<Duplex> {
    const exec = this.execs[Number(execId)]!;
    const stream = new PassThrough();
    exec.stream = stream;
    exec.details = { running: true, exitCode: null, pid: exec.script.pid ?? 4242 };
    setImmediate(() => {
      for (const out of exec.script.stdout ?? []) stream.write(frame(1, out));
      for (const err of exec.script.stderr ?? []) stream.write(frame(2, err));
      if (exec.script.breaks) {
        stream.destroy(new Error('connection reset'));
        return;
      }
      if (exec.script.hang) return;
      exec.details = { running: false, exitCode: exec.script.exitCode ?? 0, pid: exec.details.pid };
      stream.end();
    });
    return stream;
  }

  async execInspect(execId: string): Promise<ExecDetails> {
    return this.execs[Number(execId)]!.details;
  }

  /** Ends a hanging command as a kill would. */
  killed(pid: number): void {
    for (const exec of this.execs) {
      if (exec.details.pid === pid && exec.details.running) {
        exec.details = { running: false, exitCode: 137, pid };
        exec.stream?.end();
      }
    }
  }
}

const request = (cmd: string[], timeout = '0'): ExecSyncRequest__Output => ({
  container_id: 'abc',
  cmd,
  timeout,
});

function setup(
  scripts: (cmd: string[]) => Script,
  options: { running?: boolean; killer?: ExecKiller; maxOutputBytes?: number } = {},
) {
  const docker = new FakeExecDocker(scripts);
  const kills: number[] = [];
  const killer: ExecKiller = options.killer ?? {
    kill: async (target) => {
      kills.push(target.pid);
      docker.killed(target.pid);
    },
  };
  const deps: ExecSyncDeps = {
    docker,
    findContainer: async (id) => {
      if (id === 'missing') throw notFound(`container ${id} not found`);
      return { id: `engine-${id}`, running: options.running ?? true };
    },
    killer,
    ...(options.maxOutputBytes === undefined ? {} : { maxOutputBytes: options.maxOutputBytes }),
  };
  return { docker, deps, kills };
}

describe('execSync', () => {
  it('answers stdout, stderr and the exit code', async () => {
    const { deps, docker } = setup(() => ({ stdout: ['hi\n', 'there\n'], stderr: ['oops\n'], exitCode: 3 }));
    const res = await execSync(deps, request(['sh', '-c', 'x']), ctx());
    expect(res).toEqual({ stdout: Buffer.from('hi\nthere\n'), stderr: Buffer.from('oops\n'), exit_code: 3 });
    expect(docker.execs[0]).toMatchObject({
      containerId: 'engine-abc',
      options: { cmd: ['sh', '-c', 'x'], tty: false, stdin: false, stdout: true, stderr: true },
    });
  });

  it('keeps binary output byte for byte', async () => {
    const bytes = Buffer.from([0, 255, 10, 13, 128]);
    const { deps } = setup(() => ({ stdout: [bytes] }));
    expect((await execSync(deps, request(['cat']), ctx())).stdout).toEqual(bytes);
  });

  it('refuses bad requests', async () => {
    const { deps } = setup(() => ({}));
    await expect(execSync(deps, { ...request(['x']), container_id: '' }, ctx())).rejects.toMatchObject({
      kind: 'InvalidArgument',
    });
    await expect(execSync(deps, request([]), ctx())).rejects.toMatchObject({ kind: 'InvalidArgument' });
    await expect(execSync(deps, request(['x'], '-1'), ctx())).rejects.toMatchObject({
      kind: 'InvalidArgument',
    });
  });

  it('NOT_FOUND for an unknown container, FAILED_PRECONDITION for a stopped one', async () => {
    await expect(
      execSync(setup(() => ({})).deps, { ...request(['x']), container_id: 'missing' }, ctx()),
    ).rejects.toMatchObject({
      kind: 'NotFound',
    });
    const stopped = setup(() => ({}), { running: false });
    await expect(execSync(stopped.deps, request(['x']), ctx())).rejects.toMatchObject({
      kind: 'FailedPrecondition',
    });
    expect(stopped.docker.execs).toHaveLength(0);
  });

  it('times out with DEADLINE_EXCEEDED and kills the process', async () => {
    const { deps, kills } = setup(() => ({ hang: true, pid: 777 }));
    const started = Date.now();
    const err = await execSync(deps, request(['sleep', '4321'], '1'), ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'DeadlineExceeded' });
    expect((err as Error).message).toMatch(/timed out after 1s; its process was killed/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(kills).toEqual([777]);
  });

  it('still answers DEADLINE_EXCEEDED when the kill fails, and says so', async () => {
    const killer: ExecKiller = { kill: async () => Promise.reject(new Error('no /proc')) };
    const { deps } = setup(() => ({ hang: true }), { killer });
    const err = await execSync(deps, request(['sleep', '9'], '1'), ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'DeadlineExceeded' });
    expect((err as Error).message).toMatch(/could not be killed/);
  });

  it('kills the process when the caller cancels', async () => {
    const { deps, kills } = setup(() => ({ hang: true, pid: 55 }));
    const abort = new AbortController();
    const pending = execSync(deps, request(['sleep', '9']), ctx(abort.signal));
    setTimeout(() => abort.abort(), 30);
    await expect(pending).rejects.toMatchObject({ kind: 'Cancelled' });
    expect(kills).toEqual([55]);
  });

  it('a broken engine connection answers UNAVAILABLE and still kills the process', async () => {
    const { deps, kills } = setup(() => ({ stdout: ['partial'], breaks: true, pid: 31 }));
    const err = await execSync(deps, request(['sleep', '9']), ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'Unavailable' });
    expect((err as Error).message).toMatch(/its process was killed.*connection reset/);
    expect(kills).toEqual([31]);
  });

  it('caps the output: RESOURCE_EXHAUSTED naming the cap and what to use instead, and kills', async () => {
    const { deps, kills } = setup(() => ({ stdout: ['x'.repeat(40), 'y'.repeat(40)], hang: true, pid: 9 }), {
      maxOutputBytes: 64,
    });
    const err = await execSync(deps, request(['yes']), ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'ResourceExhausted' });
    expect((err as Error).message).toMatch(/more than 64 bytes.*16 MiB gRPC message limit.*Use Exec/s);
    expect(kills).toEqual([9]);
  });

  it('output exactly at the cap is answered', async () => {
    const { deps } = setup(() => ({ stdout: ['x'.repeat(32)], stderr: ['y'.repeat(32)] }), {
      maxOutputBytes: 64,
    });
    const res = await execSync(deps, request(['x']), ctx());
    expect(res.stdout.length + res.stderr.length).toBe(64);
  });
});

describe('WindowsExecKiller', () => {
  it('runs taskkill /F /T on the exec’s pid in the same container', async () => {
    const docker = new FakeExecDocker(() => ({ exitCode: 0 }));
    await new WindowsExecKiller(docker).kill(
      { containerId: 'win1', execId: 'e', pid: 1234 },
      AbortSignal.timeout(5_000),
      log,
    );
    expect(docker.execs.map((e) => [e.containerId, e.options.cmd])).toEqual([
      ['win1', ['taskkill', '/F', '/T', '/PID', '1234']],
    ]);
  });

  it('a process already gone (taskkill 128) is fine; another failure is thrown', async () => {
    const gone = new FakeExecDocker(() => ({ exitCode: 128 }));
    await new WindowsExecKiller(gone).kill(
      { containerId: 'w', execId: 'e', pid: 1 },
      AbortSignal.timeout(5_000),
      log,
    );
    const denied = new FakeExecDocker(() => ({ exitCode: 1, stderr: ['ERROR: Access is denied.'] }));
    await expect(
      new WindowsExecKiller(denied).kill(
        { containerId: 'w', execId: 'e', pid: 1 },
        AbortSignal.timeout(5_000),
        log,
      ),
    ).rejects.toThrow(/taskkill exited 1: ERROR: Access is denied/);
  });

  it('drives a whole timed-out ExecSync on a Windows engine', async () => {
    const docker: FakeExecDocker = new FakeExecDocker((cmd) => {
      if (cmd[0] === 'taskkill') {
        docker.killed(Number(cmd[4]));
        return { exitCode: 0 };
      }
      return { hang: true, pid: 3100 };
    });
    const deps: ExecSyncDeps = {
      docker,
      findContainer: async (id) => ({ id, running: true }),
      killer: new WindowsExecKiller(docker),
    };
    await expect(execSync(deps, request(['ping', '-t', 'localhost'], '1'), ctx())).rejects.toMatchObject({
      kind: 'DeadlineExceeded',
    });
    expect(docker.execs[1]?.options.cmd).toEqual(['taskkill', '/F', '/T', '/PID', '3100']);
  });
});

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
