import { readFile, readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ExecKiller, ExecKillTarget } from './killer.js';
import { errorText, runHelper, type ExecDocker } from './run.js';

/** How long a killed child's parent gets to reap it before the parent is killed too. */
const REAP_WAIT_MS = 300;

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
