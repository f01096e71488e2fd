import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { CONFIG_EXTENSIONS, loadDefaultNetwork, type NetworkConfigList } from './config.js';
import type { CniClient } from './cni.js';

/**
 * The network in use, kept in step with the config directory. In a cluster the config is written
 * by a DaemonSet after the node joins (flannel, Calico), so the directory is read again whenever it
 * changes (polled: a listing and a stat per file each second, which also works where file events do
 * not, e.g. on a bind-mounted host path), and while no valid network exists, every poll tries again
 * (a plugin binary may appear after its config). Status answers from `current()` only.
 */

export type NetworkState =
  | { readonly ready: true; readonly network: NetworkConfigList }
  | { readonly ready: false; readonly reason: 'NetworkPluginNotReady'; readonly message: string };

export interface WatcherOptions {
  readonly confDir: string;
  readonly pollMs?: number;
  /** How often a 1.1.0 network's plugins are asked STATUS while nothing changes. */
  readonly statusEveryMs?: number;
}

export class CniConfigWatcher {
  private state: NetworkState;
  private signature = '';
  private timer: NodeJS.Timeout | undefined;
  private statusAt = 0;
  private running: Promise<void> | undefined;
  private readonly listeners = new Set<(state: NetworkState) => void>();

  constructor(
    private readonly client: CniClient,
    private readonly options: WatcherOptions,
    private readonly log: Logger,
  ) {
    this.state = notReady(`no CNI network config read yet from ${options.confDir}`);
  }

  current(): NetworkState {
    return this.state;
  }

  onChange(listener: (state: NetworkState) => void): void {
    this.listeners.add(listener);
  }

  /** Reads the directory once, then keeps polling it. */
  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.options.pollMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at the directory; concurrent callers share it. */
  poll(): Promise<void> {
    this.running ??= this.look().finally(() => (this.running = undefined));
    return this.running;
  }

  private async look(): Promise<void> {
    const signature = await dirSignature(this.options.confDir);
    const due = Date.now() - this.statusAt >= (this.options.statusEveryMs ?? 30_000);
    if (signature === this.signature && this.state.ready && !due) return;
    this.signature = signature;
    const next = await this.load();
    this.set(next);
  }

  private async load(): Promise<NetworkState> {
    const { confDir } = this.options;
    let loaded;
    try {
      loaded = await loadDefaultNetwork(confDir, (n) => this.client.missingPlugins(n));
    } catch (err) {
      return notReady(`cannot read CNI config dir ${confDir}: ${(err as Error).message}`);
    }
    const { network, skipped } = loaded;
    for (const s of skipped) this.log.warn({ file: s.file }, `CNI config skipped: ${s.message}`);
    if (!network) {
      const why = skipped.length > 0 ? `; refused: ${skipped.map((s) => s.message).join('; ')}` : '';
      return notReady(`no valid CNI network config in ${confDir}${why}`);
    }
    this.statusAt = Date.now();
    try {
      await this.client.status(network);
    } catch (err) {
      return notReady(
        `CNI network "${network.name}" (${network.file}) is not ready: ${(err as Error).message}`,
      );
    }
    return { ready: true, network };
  }

  private set(next: NetworkState): void {
    const prev = this.state;
    this.state = next;
    const same =
      prev.ready === next.ready &&
      (next.ready
        ? prev.ready && sameNetwork(prev.network, next.network)
        : !prev.ready && prev.message === next.message);
    if (same) return;
    if (next.ready)
      this.log.info({ network: next.network.name, file: next.network.file }, 'CNI network in use');
    else this.log.warn({ reason: next.reason }, next.message);
    for (const listener of this.listeners) listener(next);
  }
}

const notReady = (message: string): NetworkState => ({
  ready: false,
  reason: 'NetworkPluginNotReady',
  message,
});

const sameNetwork = (a: NetworkConfigList, b: NetworkConfigList) =>
  a.file === b.file &&
  JSON.stringify(a.plugins.map((p) => p.raw)) === JSON.stringify(b.plugins.map((p) => p.raw)) &&
  a.name === b.name &&
  a.cniVersion === b.cniVersion;

/** Names, sizes and mtimes of the config files: changes when any of them does. */
async function dirSignature(dir: string): Promise<string> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    return `unreadable:${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
  const parts = await Promise.all(
    names
      .filter((n) => CONFIG_EXTENSIONS.some((ext) => n.endsWith(ext)))
      .sort()
      .map(async (n) => {
        try {
          const s = await stat(join(dir, n));
          return `${n}:${s.size}:${s.mtimeMs}`;
        } catch {
          return `${n}:gone`;
        }
      }),
  );
  return parts.join('|');
}
