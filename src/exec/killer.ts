/**
 * Killing an exec's process, per engine OS. Docker has no "kill exec" API; closing the hijacked
 * connection leaves the process running. Exec inspect gives the process's Pid, and what that Pid
 * means differs per OS (src/cri/runtime/exec-sync.ts says how each is reached).
 */
import type { Logger } from 'pino';
import { runHelper, type ExecDocker } from './run.js';

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
