import type { Logger } from 'pino';
import type { HostOs } from '../types/host.js';
import type { ExecKiller, ExecKillTarget } from './killer.js';
import { WindowsExecKiller } from './killer.js';
import { LinuxExecKiller } from './linux-killer.js';
import type { ExecDocker } from './run.js';

/**
 * Picks the Linux or Windows way by the engine's OS, asked when a kill is needed (the engine may
 * not be known yet when wincri starts).
 */
export class EngineExecKiller implements ExecKiller {
  readonly #linux: ExecKiller;
  readonly #windows: ExecKiller;

  constructor(
    docker: ExecDocker,
    private readonly engineOs: (signal: AbortSignal) => Promise<HostOs>,
  ) {
    this.#linux = new LinuxExecKiller(docker);
    this.#windows = new WindowsExecKiller(docker);
  }

  async kill(target: ExecKillTarget, signal: AbortSignal, log: Logger): Promise<void> {
    const os = await this.engineOs(signal);
    await (os === 'windows' ? this.#windows : this.#linux).kill(target, signal, log);
  }
}
