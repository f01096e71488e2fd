import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crictl, type CommandResult } from './crictl.js';
import { engineContainers } from './rig.js';

/**
 * Pods and containers made through crictl for e2e tests, named after the test file's run so that
 * cleanup removes exactly what the file made.
 */
export const BUSYBOX = 'registry.k8s.io/e2e-test-images/busybox:1.29-2';

export class CrictlPods {
  readonly runId = `e2e${process.pid}${Math.floor(Math.random() * 1e4)}`;
  #dir = '';

  constructor(
    private readonly binary: string,
    private readonly endpoint: () => string,
  ) {}

  run(...args: string[]): Promise<CommandResult> {
    return crictl(this.binary, this.endpoint(), args);
  }

  async #json(name: string, value: object): Promise<string> {
    this.#dir ||= await mkdtemp(join(tmpdir(), 'wincri-e2e-pods-'));
    const path = join(this.#dir, `${name}-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(path, JSON.stringify(value));
    return path;
  }

  /** The engine-side names of this run's containers (a check that nothing was left behind). */
  engineNames(dockerHost: string): string[] {
    return engineContainers(dockerHost)
      .map((c) => c.name)
      .filter((name) => name.includes(this.runId));
  }

  /** Runs a pod (with a RuntimeClass handler when given); returns its id and the config `create` needs again. */
  async pod(name: string, extra: object = {}, runtimeHandler = ''): Promise<{ id: string; config: string }> {
    this.#dir ||= await mkdtemp(join(tmpdir(), 'wincri-e2e-pods-'));
    const config = await this.#json(`pod-${name}`, {
      metadata: {
        name: `${name}-${this.runId}`,
        namespace: 'e2e',
        uid: `${name}-uid-${this.runId}`,
        attempt: 0,
      },
      log_directory: join(this.#dir, 'logs', name),
      linux: {},
      ...extra,
    });
    const out = await this.run('runp', ...(runtimeHandler ? ['--runtime', runtimeHandler] : []), config);
    if (out.code !== 0) throw new Error(`runp ${name}: ${out.stderr}`);
    return { id: out.stdout.trim(), config };
  }

  /** Creates and starts a container running `command` in the pod. */
  async container(
    pod: { id: string; config: string },
    name: string,
    command: string[],
    extra: object = {},
  ): Promise<string> {
    const config = await this.#json(`ctr-${name}`, {
      metadata: { name },
      image: { image: BUSYBOX },
      command,
      log_path: `${name}/0.log`,
      linux: {},
      ...extra,
    });
    const created = await this.run('create', pod.id, config, pod.config);
    if (created.code !== 0) throw new Error(`create ${name}: ${created.stderr}`);
    const id = created.stdout.trim();
    const started = await this.run('start', id);
    if (started.code !== 0) throw new Error(`start ${name}: ${started.stderr}`);
    return id;
  }

  /** Removes every pod this object made, and its temp files. */
  async cleanup(): Promise<void> {
    const pods = await this.run('pods', '-q');
    for (const id of pods.stdout.split('\n').filter(Boolean)) {
      const status = await this.run('inspectp', id);
      if (status.stdout.includes(this.runId)) await this.run('rmp', '-f', id);
    }
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}
