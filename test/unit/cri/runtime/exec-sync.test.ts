import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { execSync, type ExecSyncDeps } from '../../../../src/cri/runtime/exec-sync.js';
import type { ExecKiller } from '../../../../src/exec/killer.js';
import { notFound } from '../../../../src/errors.js';
import { FakeExecDocker, request, type Script } from '../../../support/fake-exec-docker.js';

const log = pino({ level: 'silent' });
const ctx = (signal = new AbortController().signal) => ({ rpc: 'ExecSync', signal, log });

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
