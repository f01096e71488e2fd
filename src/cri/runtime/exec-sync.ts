import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { CriError, failedPrecondition, invalidArgument } from '../../errors.js';
import type { ExecKiller } from '../../exec/killer.js';
import { errorText, exitCodeOf, runUntilDone, type ExecDocker } from '../../exec/run.js';
import type { ExecSyncRequest__Output } from '../../generated/runtime/v1/ExecSyncRequest.js';
import type { ExecSyncResponse } from '../../generated/runtime/v1/ExecSyncResponse.js';
import type { CallContext } from '../context.js';

/**
 * ExecSync: run a command in a running container and answer its stdout, stderr and exit code.
 *
 * Output cap. The answer is one gRPC message, and kubelet and crictl accept at most 16 MiB
 * (cri-client `maxMsgSize`); stdout and stderr together are capped just below that. A command that
 * prints more is killed and the call fails with RESOURCE_EXHAUSTED saying so.
 *
 * Timeout. `timeout` seconds (0: none). On expiry the call fails with DEADLINE_EXCEEDED (kubelet's
 * cri-client turns it into "command timed out") and the command's process is KILLED: critest
 * "execSync with timeout" runs `sleep 4321` with 1 s and then expects `pgrep sleep` to find
 * nothing. The client cancelling the call (or its own deadline passing) kills it the same way.
 *
 * Killing (src/exec/). Docker has no "kill exec" API; closing the hijacked connection leaves the process
 * running. Exec inspect gives the process's Pid, and what that Pid means differs per OS:
 * - Linux engine: the Pid is a HOST pid (containerd's view). wincri, when it shares the host's
 *   /proc with the engine (a local engine; `procRoot` if /proc is mounted elsewhere), checks from
 *   /proc/<pid>/cgroup that the pid belongs to this container (pids are reused), collects the
 *   process and its descendants from /proc/<n>/stat, and SIGKILLs them from the host. When the
 *   host refuses (EPERM: a rootless shim), it runs `kill -KILL <in-container pids>` as a second
 *   exec in the container, the in-container pids read from the NSpid line of /proc/<pid>/status.
 *   When the pid is not visible at all (a remote engine), the process cannot be found and the
 *   call still fails with DEADLINE_EXCEEDED, logging that the process may live on.
 * - Windows engine: the Pid is the one HCS's CreateProcessInComputeSystem returned, i.e. the pid
 *   inside the container (libcontainerd's process_windows.go says so). For process isolation the
 *   server silo shares the host's pid space, for Hyper-V isolation it is the utility VM's: in both
 *   cases `taskkill /F /T /PID <pid>` run as a second exec in the same container reaches it, and
 *   /T takes its child processes too. taskkill.exe is in every Windows base image (nanoserver too).
 */

/** 16 MiB (kubelet's gRPC limit) less 64 KiB for the message's own framing and fields. */
export const MAX_EXEC_SYNC_OUTPUT_BYTES = 16 * 1024 * 1024 - 64 * 1024;

/** How long killing a timed-out command may take before the call answers anyway. */
const KILL_TIMEOUT_MS = 10_000;

export interface ExecSyncContainer {
  /** The engine's container id. */
  id: string;
  running: boolean;
}

export interface ExecSyncDeps {
  docker: ExecDocker;
  /** Resolves a CRI container id; throws NotFound for an unknown one. */
  findContainer(containerId: string, signal: AbortSignal): Promise<ExecSyncContainer>;
  /** Kills a started exec's process: an EngineExecKiller in production. */
  killer: ExecKiller;
  /** Defaults to MAX_EXEC_SYNC_OUTPUT_BYTES. */
  maxOutputBytes?: number;
}

export async function execSync(
  deps: ExecSyncDeps,
  req: ExecSyncRequest__Output,
  ctx: CallContext,
): Promise<ExecSyncResponse & { stdout: Buffer; stderr: Buffer; exit_code: number }> {
  if (req.container_id === '') throw invalidArgument('ExecSync needs a container_id');
  if (req.cmd.length === 0) throw invalidArgument('ExecSync needs a command (cmd is empty)');
  const timeoutSeconds = Number(req.timeout || 0);
  if (!Number.isSafeInteger(timeoutSeconds) || timeoutSeconds < 0) {
    throw invalidArgument(`ExecSync timeout must be a whole number of seconds >= 0, not ${req.timeout}`);
  }
  const container = await deps.findContainer(req.container_id, ctx.signal);
  // A stopped container cannot run a command (Docker answers 409 too; this says it plainly).
  if (!container.running) throw failedPrecondition(`container ${req.container_id} is not running`);

  const { docker } = deps;
  const execId = await docker.execCreate(
    container.id,
    { cmd: req.cmd, tty: false, stdin: false, stdout: true, stderr: true },
    ctx.signal,
  );
  const stream = await docker.execStart(execId, { tty: false, stdin: false }, ctx.signal);
  const cap = deps.maxOutputBytes ?? MAX_EXEC_SYNC_OUTPUT_BYTES;
  let outcome = await runUntilDone(stream, cap, timeoutSeconds, ctx.signal);
  // The engine call shares the caller's signal: a cancel may surface first as a broken stream.
  if (outcome.kind === 'failed' && ctx.signal.aborted) outcome = { kind: 'cancelled' };
  const what = `command ${JSON.stringify(req.cmd)} in container ${req.container_id}`;

  if (outcome.kind === 'exited') {
    const exitCode = await exitCodeOf(docker, execId, ctx.signal);
    return { stdout: outcome.stdout, stderr: outcome.stderr, exit_code: exitCode };
  }
  // Every other outcome leaves no one reading the command's output: it must not run on.
  const killed = await killExec(deps, { containerId: container.id, execId }, ctx.log);
  const fate = killed
    ? 'its process was killed'
    : 'its process could not be killed and may still run (see the log)';
  if (outcome.kind === 'failed') {
    throw new CriError(
      'Unavailable',
      `lost the output stream of ${what} (${fate}): ${errorText(outcome.error)}`,
      {
        cause: outcome.error,
      },
    );
  }
  if (outcome.kind === 'timeout') {
    throw new CriError('DeadlineExceeded', `${what} timed out after ${timeoutSeconds}s; ${fate}`);
  }
  if (outcome.kind === 'capped') {
    throw new CriError(
      'ResourceExhausted',
      `${what} wrote more than ${cap} bytes (stdout and stderr together), the most one ExecSync answer can carry ` +
        `under the 16 MiB gRPC message limit; ${fate}. Use Exec (crictl exec without -s, kubectl exec) to stream ` +
        `large output, or have the command write to a file.`,
    );
  }
  throw new CriError('Cancelled', `the caller cancelled ${what}; ${fate}`);
}

/** Waits for the exec's Pid (0 until the engine has started the process), then kills it. */
async function killExec(
  deps: ExecSyncDeps,
  target: { containerId: string; execId: string },
  log: Logger,
): Promise<boolean> {
  const signal = AbortSignal.timeout(KILL_TIMEOUT_MS);
  try {
    for (let attempt = 0; ; attempt++) {
      const details = await deps.docker.execInspect(target.execId, signal);
      if (!details.running && details.pid === 0 && details.exitCode !== null) return true; // ended by itself
      if (details.pid > 0) {
        if (!details.running) return true;
        await deps.killer.kill({ ...target, pid: details.pid }, signal, log);
        return true;
      }
      if (attempt >= 100) throw new Error('the engine never reported the process id');
      await sleep(20, undefined, { signal });
    }
  } catch (err) {
    log.warn(
      { err, execId: target.execId, container: target.containerId },
      'could not kill the exec process',
    );
    return false;
  }
}
