import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execSync, type ExecSyncDeps } from '../../src/cri/runtime/exec-sync.js';
import { EngineExecKiller } from '../../src/exec/engine-killer.js';
import { DockerodeClient } from '../../src/docker/dockerode-client.js';
import type { ExecSyncRequest__Output } from '../../src/generated/runtime/v1/ExecSyncRequest.js';
import { loadRig } from '../support/rig.js';

/**
 * ExecSync against the rig's real dockerd: output, exit codes, and the timeout that must kill
 * the command's process (critest "execSync with timeout": `sleep 4321`, 1 s, then `pgrep sleep`
 * finds nothing).
 */
const log = pino({ level: 'silent' });
const signal = () => AbortSignal.timeout(60_000);
let docker: DockerodeClient;
let deps: ExecSyncDeps;
let running: string;
let stopped: string;
const created: string[] = [];

const ctx = (s: AbortSignal = new AbortController().signal) => ({ rpc: 'ExecSync', signal: s, log });
const req = (container_id: string, cmd: string[], timeout = '0'): ExecSyncRequest__Output => ({
  container_id,
  cmd,
  timeout,
});

beforeAll(async () => {
  const rig = loadRig();
  docker = new DockerodeClient(rig.dockerHost);
  const image = `${rig.registry}/e2e-test-images/busybox:1.29-2`;
  if ((await docker.inspectImage(image, signal())) === undefined)
    await docker.pullImage(image, undefined, signal());
  const make = async (name: string, cmd: string[]) => {
    const id = await docker.createContainer(
      `wincri-e2e-exec-${process.pid}-${name}`,
      { Image: image, Cmd: cmd },
      signal(),
    );
    created.push(id);
    await docker.startContainer(id, signal());
    return id;
  };
  // Not `sleep`: pgrep must find only what the execs started.
  running = await make('running', ['tail', '-f', '/dev/null']);
  stopped = await make('stopped', ['true']);
  deps = {
    docker,
    findContainer: async (id, s) => {
      const details = await docker.inspectContainer(id, s);
      return { id: details.id, running: details.state.running };
    },
    killer: new EngineExecKiller(docker, async (s) => (await docker.info(s)).osType),
  };
});

afterAll(async () => {
  for (const id of created)
    await docker.removeContainer(id, { force: true }, signal()).catch(() => undefined);
});

const pgrepSleep = async () => execSync(deps, req(running, ['pgrep', 'sleep']), ctx());

describe('ExecSync against the rig dockerd', () => {
  it('echo hi', async () => {
    expect(await execSync(deps, req(running, ['echo', 'hi']), ctx())).toEqual({
      stdout: Buffer.from('hi\n'),
      stderr: Buffer.alloc(0),
      exit_code: 0,
    });
  });

  it('exit code 3 and stderr', async () => {
    const res = await execSync(deps, req(running, ['sh', '-c', 'echo out; echo err >&2; exit 3']), ctx());
    expect(res).toEqual({ stdout: Buffer.from('out\n'), stderr: Buffer.from('err\n'), exit_code: 3 });
  });

  it('timeout: DEADLINE_EXCEEDED after about the timeout, and `pgrep sleep` then finds nothing', async () => {
    const started = Date.now();
    await expect(execSync(deps, req(running, ['sleep', '4321'], '1'), ctx())).rejects.toMatchObject({
      kind: 'DeadlineExceeded',
      message: expect.stringMatching(/timed out after 1s; its process was killed/),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    const check = await pgrepSleep();
    expect(check.stdout.toString()).toBe('');
    expect(check.exit_code).toBe(1);
  });

  it('timeout kills the command’s children too', async () => {
    await expect(
      execSync(deps, req(running, ['sh', '-c', 'sleep 4321 & sleep 4322; wait'], '1'), ctx()),
    ).rejects.toMatchObject({
      kind: 'DeadlineExceeded',
    });
    expect((await pgrepSleep()).stdout.toString()).toBe('');
  });

  it('a cancelled call kills the command', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 500);
    await expect(execSync(deps, req(running, ['sleep', '4321']), ctx(abort.signal))).rejects.toMatchObject({
      kind: 'Cancelled',
    });
    expect((await pgrepSleep()).stdout.toString()).toBe('');
  });

  it('output over the cap: RESOURCE_EXHAUSTED and the command killed', async () => {
    const capped = { ...deps, maxOutputBytes: 1024 * 1024 };
    await expect(
      execSync(capped, req(running, ['sh', '-c', 'cat /dev/zero; sleep 4321']), ctx()),
    ).rejects.toMatchObject({
      kind: 'ResourceExhausted',
      message: expect.stringMatching(/more than 1048576 bytes/),
    });
    expect((await execSync(deps, req(running, ['pgrep', 'cat']), ctx())).stdout.toString()).toBe('');
  });

  it('FAILED_PRECONDITION for a stopped container, NOT_FOUND for an unknown one', async () => {
    await docker.stopContainer(stopped, 1, signal());
    await expect(execSync(deps, req(stopped, ['true']), ctx())).rejects.toMatchObject({
      kind: 'FailedPrecondition',
    });
    await expect(execSync(deps, req('wincri-no-such-container', ['true']), ctx())).rejects.toMatchObject({
      kind: 'NotFound',
    });
  });
});
