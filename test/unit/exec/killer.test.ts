import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { execSync, type ExecSyncDeps } from '../../../src/cri/runtime/exec-sync.js';
import { WindowsExecKiller } from '../../../src/exec/killer.js';
import { FakeExecDocker, request } from '../../support/fake-exec-docker.js';

const log = pino({ level: 'silent' });
const ctx = (signal = new AbortController().signal) => ({ rpc: 'ExecSync', signal, log });

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
