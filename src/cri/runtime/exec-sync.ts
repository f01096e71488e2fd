import { readFile, readdir } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { DockerClient } from '../../docker/client.js';
import { Demultiplexer, type StreamFrame } from '../../docker/multiplex.js';
import { CriError, failedPrecondition, invalidArgument } from '../../errors.js';
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
 * Killing. Docker has no "kill exec" API; closing the hijacked connection leaves the process
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

/** How long a killed child's parent gets to reap it before the parent is killed too. */
const REAP_WAIT_MS = 300;

/** How long killing a timed-out command may take before the call answers anyway. */
const KILL_TIMEOUT_MS = 10_000;

export interface ExecSyncContainer {
  /** The engine's container id. */
  id: string;
  running: boolean;
}

export interface ExecSyncDeps {
  docker: Pick<DockerClient, 'execCreate' | 'execStart' | 'execInspect'>;
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

type Outcome =
  | { kind: 'exited'; stdout: Buffer; stderr: Buffer }
  | { kind: 'timeout' }
  | { kind: 'cancelled' }
  | { kind: 'capped' }
  | { kind: 'failed'; error: unknown };

/** Reads the exec's output until it ends, the timeout passes, the caller cancels or the cap is hit. */
async function runUntilDone(
  stream: Duplex,
  cap: number,
  timeoutSeconds: number,
  signal: AbortSignal,
): Promise<Outcome> {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let total = 0;
  const demux = new Demultiplexer();
  stream.on('error', (err) => demux.destroy(err));
  stream.pipe(demux);

  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const interrupted = new Promise<Outcome>((resolve) => {
    if (timeoutSeconds > 0) timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutSeconds * 1000);
    onAbort = () => resolve({ kind: 'cancelled' });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  const read = (async (): Promise<Outcome> => {
    try {
      for await (const frame of demux as AsyncIterable<StreamFrame>) {
        total += frame.payload.length;
        if (total > cap) return { kind: 'capped' };
        if (frame.stream === 'stdout') stdout.push(frame.payload);
        else if (frame.stream === 'stderr') stderr.push(frame.payload);
      }
      return { kind: 'exited', stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) };
    } catch (error) {
      return { kind: 'failed', error };
    }
  })();
  try {
    return await Promise.race([read, interrupted]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
    stream.destroy();
    demux.destroy();
  }
}

/** The exit code, once the engine has noticed the process ended (it may lag the stream's end). */
async function exitCodeOf(
  docker: ExecSyncDeps['docker'],
  execId: string,
  signal: AbortSignal,
): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const details = await docker.execInspect(execId, signal);
    if (!details.running && details.exitCode !== null) return details.exitCode;
    if (attempt >= 200)
      throw new CriError(
        'Internal',
        `exec ${execId} ended its output but the engine still reports it running`,
      );
    await sleep(Math.min(5 * (attempt + 1), 50), undefined, { signal });
  }
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

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------
// Killing an exec's process, per engine OS.

export interface ExecKillTarget {
  /** The engine's container id. */
  containerId: string;
  execId: string;
  /** The Pid exec inspect reported. */
  pid: number;
}

export interface ExecKiller {
  /** Kills the process (and its children); throws when it could not. */
  kill(target: ExecKillTarget, signal: AbortSignal, log: Logger): Promise<void>;
}

type ExecDocker = Pick<DockerClient, 'execCreate' | 'execStart' | 'execInspect'>;

/** Runs a helper command in the container and returns its exit code and output. */
async function runHelper(
  docker: ExecDocker,
  containerId: string,
  cmd: string[],
  signal: AbortSignal,
): Promise<{ exitCode: number; output: string }> {
  const execId = await docker.execCreate(
    containerId,
    { cmd, tty: false, stdin: false, stdout: true, stderr: true },
    signal,
  );
  const stream = await docker.execStart(execId, { tty: false, stdin: false }, signal);
  const outcome = await runUntilDone(stream, 64 * 1024, 0, signal);
  if (outcome.kind !== 'exited') throw new Error(`${cmd.join(' ')} did not finish (${outcome.kind})`);
  const exitCode = await exitCodeOf(docker, execId, signal);
  return { exitCode, output: Buffer.concat([outcome.stdout, outcome.stderr]).toString('utf8').trim() };
}

/** Windows: `taskkill /F /T /PID <pid>` in the same container (the Pid is the container's own). */
export class WindowsExecKiller implements ExecKiller {
  constructor(private readonly docker: ExecDocker) {}

  async kill(target: ExecKillTarget, signal: AbortSignal, log: Logger): Promise<void> {
    const cmd = ['taskkill', '/F', '/T', '/PID', String(target.pid)];
    const { exitCode, output } = await runHelper(this.docker, target.containerId, cmd, signal);
    // 128: "process not found": it ended between inspect and taskkill, which is what we wanted.
    if (exitCode !== 0 && exitCode !== 128) throw new Error(`taskkill exited ${exitCode}: ${output}`);
    log.info(
      { pid: target.pid, container: target.containerId },
      'killed the exec process tree with taskkill',
    );
  }
}

/** What the Linux killer needs of the host; tests replace it. */
export interface HostProcesses {
  readFile(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
  /** process.kill: throws with `code` ESRCH or EPERM. */
  kill(pid: number, signal: NodeJS.Signals): void;
}

const realHost: HostProcesses = {
  readFile: (path) => readFile(path, 'utf8'),
  readdir: (path) => readdir(path),
  kill: (pid, signal) => process.kill(pid, signal),
};

/**
 * Linux: find the exec's process tree in the host's /proc and SIGKILL it from the host; when the
 * host refuses, `kill -KILL` the in-container pids from a second exec.
 */
export class LinuxExecKiller implements ExecKiller {
  constructor(
    private readonly docker: ExecDocker,
    private readonly host: HostProcesses = realHost,
    private readonly procRoot = '/proc',
  ) {}

  async kill(target: ExecKillTarget, signal: AbortSignal, log: Logger): Promise<void> {
    const cgroup = await this.host.readFile(`${this.procRoot}/${target.pid}/cgroup`).catch((err: unknown) => {
      throw new Error(
        `pid ${target.pid} is not visible in ${this.procRoot} (is the engine remote?): ${errorText(err)}`,
      );
    });
    // Docker names the container's cgroup after its full id, with either cgroup driver.
    if (!cgroup.includes(target.containerId)) {
      throw new Error(
        `pid ${target.pid} is not in container ${target.containerId}'s cgroup; it ended and the pid was reused`,
      );
    }
    // Deepest first, giving each parent a moment to reap its killed children: a child that
    // outlives its parent is handed to the container's pid 1, which often never reaps (`tail`,
    // `sleep`), and its zombie would still show in `pgrep`. The exec's own process is reaped by
    // the engine's shim.
    const levels = await this.#processTree(target.pid);
    const tree = levels.flat();
    const refused: number[] = [];
    for (let depth = levels.length - 1; depth >= 0; depth--) {
      const level = levels[depth] ?? [];
      for (const pid of level) {
        try {
          this.host.kill(pid, 'SIGKILL');
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EPERM') refused.push(pid);
          else if (code !== 'ESRCH') throw err;
        }
      }
      if (depth > 0) await this.#reaped(level, REAP_WAIT_MS);
    }
    if (refused.length === 0) {
      log.info({ pids: tree, container: target.containerId }, 'killed the exec process tree from the host');
      return;
    }
    const inContainer = await Promise.all(refused.map((pid) => this.#namespacePid(pid)));
    const pids = inContainer.filter((pid): pid is number => pid !== undefined);
    if (pids.length === 0) return;
    const { exitCode, output } = await runHelper(
      this.docker,
      target.containerId,
      ['kill', '-KILL', ...pids.map(String)],
      signal,
    );
    if (exitCode !== 0)
      throw new Error(`kill -KILL ${pids.join(' ')} in the container exited ${exitCode}: ${output}`);
    log.info(
      { pids, container: target.containerId },
      'killed the exec process tree from inside the container',
    );
  }

  /** `root` and its descendants by depth, from each process's parent pid in /proc/<n>/stat. */
  async #processTree(root: number): Promise<number[][]> {
    const children = new Map<number, number[]>();
    const entries = await this.host.readdir(this.procRoot);
    await Promise.all(
      entries
        .filter((name) => /^\d+$/.test(name))
        .map(async (name) => {
          const stat = await this.host.readFile(`${this.procRoot}/${name}/stat`).catch(() => '');
          // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ")".
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          if (!Number.isInteger(ppid)) return;
          const siblings = children.get(ppid) ?? [];
          siblings.push(Number(name));
          children.set(ppid, siblings);
        }),
    );
    const levels: number[][] = [];
    for (let level = [root]; level.length > 0; level = level.flatMap((pid) => children.get(pid) ?? [])) {
      levels.push(level);
    }
    return levels;
  }

  /** Waits until `pids` are gone from /proc (reaped by their parent), at most `ms`. */
  async #reaped(pids: number[], ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    let alive = pids;
    while (alive.length > 0 && Date.now() < deadline) {
      await sleep(10);
      const present = await Promise.all(
        alive.map((pid) =>
          this.host.readFile(`${this.procRoot}/${pid}/stat`).then(
            () => true,
            () => false,
          ),
        ),
      );
      alive = alive.filter((_, i) => present[i]);
    }
  }

  /** The pid inside the container: the last field of the NSpid line. */
  async #namespacePid(hostPid: number): Promise<number | undefined> {
    const status = await this.host.readFile(`${this.procRoot}/${hostPid}/status`).catch(() => '');
    const line = status.split('\n').find((l) => l.startsWith('NSpid:'));
    const last = line?.trim().split(/\s+/).at(-1);
    const pid = Number(last);
    return line !== undefined && Number.isInteger(pid) ? pid : undefined;
  }
}

/**
 * Picks the Linux or Windows way by the engine's OS, asked when a kill is needed (the engine may
 * not be known yet when wincri starts).
 */
export class EngineExecKiller implements ExecKiller {
  readonly #linux: ExecKiller;
  readonly #windows: ExecKiller;

  constructor(
    docker: ExecDocker,
    private readonly engineOs: (signal: AbortSignal) => Promise<'linux' | 'windows'>,
  ) {
    this.#linux = new LinuxExecKiller(docker);
    this.#windows = new WindowsExecKiller(docker);
  }

  async kill(target: ExecKillTarget, signal: AbortSignal, log: Logger): Promise<void> {
    const os = await this.engineOs(signal);
    await (os === 'windows' ? this.#windows : this.#linux).kill(target, signal, log);
  }
}
