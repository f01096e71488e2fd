import type { Logger } from 'pino';
import { unavailable } from '../errors.js';
import { capabilityArgs, cniArgs, type PodNetworkInfo } from './cni/capabilities.js';
import { CniClient, type AttachmentRequest } from './cni/cni.js';
import type { NetworkConfigList } from './cni/config.js';
import { podIps } from './cni/result.js';
import { CniConfigWatcher, type NetworkState } from './cni/watcher.js';
import { NetnsHolder, heldNamespace } from './netns.js';

/** The interface name every pod gets, as kubelet's dockershim and containerd name it. */
export const POD_IFNAME = 'eth0';

/**
 * What the HNS plugins (win-bridge, win-overlay, flannel's and Azure's) expect as CNI_NETNS for a
 * Docker sandbox: its own network mode, `none`, which tells them to make the endpoint and
 * hot-attach it to CNI_CONTAINERID (containernetworking/plugins pkg/hns: pauseContainerNetNS). An
 * empty CNI_NETNS makes their DEL a no-op, so DEL gets `none` too.
 */
export const WINDOWS_SANDBOX_NETNS = 'none';

/**
 * What the plugins are pointed at, as each platform answers it (src/platform/contract.ts): on Linux
 * the pause process's network namespace, held by a bind mount; on Windows the sandbox container
 * itself (CNI_NETNS=none, CNI_CONTAINERID its id).
 */
export type CniTarget =
  { readonly kind: 'netns'; readonly pid: number } | { readonly kind: 'sandbox-container' };

export interface SandboxNetworkRef {
  readonly id: string;
  readonly target: CniTarget;
  readonly pod: PodNetworkInfo;
}

/**
 * An ADD begun before its sandbox runs (`CniPodNetwork.begin`): the network it will use, the request
 * the plugins will get, and the write of its cache entry, under way.
 */
export interface PendingAttachment {
  readonly sandboxId: string;
  readonly network: NetworkConfigList;
  readonly request: AttachmentRequest;
  readonly recording: Promise<void>;
  /** Linux: the file the namespace will be bound onto, being made. */
  readonly netnsFile?: Promise<void>;
  /** Set when ADD runs: from then on ADD's own undo, and DEL, own the cache entry. */
  added: boolean;
}

/**
 * Pod networking through CNI, for one sandbox at a time: ADD after the pause container started,
 * DEL when the pod stops (Linux: inside the namespace held since ADD), the pod IPs from the ADD
 * results (kept in memory for PodSandboxStatus, on disk in the result cache for restarts), and
 * recovery of attachments whose sandbox the engine no longer holds.
 */
export class CniPodNetwork {
  private readonly ips = new Map<string, readonly string[]>();
  /**
   * Sandbox → network of every attachment in the result cache (from ADD until its DEL succeeds;
   * read from the cache at recovery), so that a DEL reads one entry, not the whole directory, and
   * the DEL of a pod not attached costs nothing.
   */
  private readonly attached = new Map<string, string>();

  constructor(
    private readonly client: CniClient,
    private readonly watcher: CniConfigWatcher,
    /** Where Linux pod namespaces are held (unused for Windows targets). */
    private readonly netns: NetnsHolder,
    private readonly log: Logger,
  ) {}

  state(): NetworkState {
    return this.watcher.current();
  }

  /** Reads the config dir now rather than at the next poll. */
  refresh(): Promise<void> {
    return this.watcher.poll();
  }

  /** The pod IPs from the ADD result, IPv4 first; empty for a pod not attached through CNI. */
  podIps(sandboxId: string): readonly string[] {
    return this.ips.get(sandboxId) ?? [];
  }

  /**
   * ADD's first step, which needs no running sandbox: the network is chosen (refused when none is
   * ready) and the attachment's cache entry written. Begun while the engine starts the pause
   * container, so that the entry's fsync is off the pod's start; `complete` finishes it, or `abandon`
   * undoes it when the sandbox never gets that far.
   */
  begin(ref: Omit<SandboxNetworkRef, 'target'> & { readonly kind: CniTarget['kind'] }): PendingAttachment {
    const state = this.watcher.current();
    if (!state.ready) throw unavailable(`the pod network is not ready: ${state.message}`);
    const request: AttachmentRequest = {
      containerId: ref.id,
      netns: ref.kind === 'netns' ? this.netns.pathOf(ref.id) : WINDOWS_SANDBOX_NETNS,
      ifName: POD_IFNAME,
      args: cniArgs(ref.pod),
      capabilityArgs: capabilityArgs(ref.pod),
    };
    this.attached.set(ref.id, state.network.name);
    const recording = this.client.record(state.network, request);
    const netnsFile = ref.kind === 'netns' ? this.netns.prepare(ref.id) : undefined;
    // Awaited by attach or abandon; a failure is theirs to report.
    recording.catch(() => undefined);
    netnsFile?.catch(() => undefined);
    return {
      sandboxId: ref.id,
      network: state.network,
      request,
      recording,
      ...(netnsFile ? { netnsFile } : {}),
      added: false,
    };
  }

  /** ADD in one go, for a sandbox already running; see `complete`. */
  async attach(ref: SandboxNetworkRef, signal?: AbortSignal): Promise<readonly string[]> {
    return this.complete(this.begin({ id: ref.id, kind: ref.target.kind, pod: ref.pod }), ref.target, signal);
  }

  /**
   * ADD for a `begin` whose sandbox now runs; on failure nothing is left: the plugins' DEL has run
   * and the namespace is released.
   */
  async complete(
    pending: PendingAttachment,
    target: CniTarget,
    signal?: AbortSignal,
  ): Promise<readonly string[]> {
    pending.added = true;
    const id = pending.sandboxId;
    // The bind mount is made while the attachment is recorded; the plugins run after both.
    const held =
      pending.netnsFile && target.kind === 'netns'
        ? pending.netnsFile.then(() => this.netns.bind(id, target.pid))
        : undefined;
    try {
      const result = await this.client.add(pending.network, pending.request, signal, held, pending.recording);
      const ips = podIps(result);
      this.ips.set(id, ips);
      return ips;
    } catch (err) {
      // A failed ADD has run its DEL; only when that DEL failed too is the entry kept for a retry.
      const key = { networkName: pending.network.name, containerId: id, ifName: POD_IFNAME };
      if (!(await this.client.cache.read(key))) this.attached.delete(id);
      await held?.catch(() => undefined);
      await this.netns
        .release(id)
        .catch((e: unknown) => this.log.warn({ err: e, sandbox: id }, 'netns release failed'));
      throw err;
    }
  }

  /** Undoes a `begin` whose ADD never ran (the sandbox did not start): its cache entry goes. */
  async abandon(pending: PendingAttachment): Promise<void> {
    if (pending.added) return;
    await pending.recording.catch(() => undefined);
    const key = { networkName: pending.network.name, containerId: pending.sandboxId, ifName: POD_IFNAME };
    await this.client.cache.remove(key);
    this.attached.delete(pending.sandboxId);
    if (pending.netnsFile) {
      await pending.netnsFile.catch(() => undefined);
      await this.netns.release(pending.sandboxId);
    }
  }

  /**
   * DEL of a sandbox attached through CNI (a sandbox never attached has no cache entry and is left
   * alone), with the config and arguments cached at ADD, then the namespace is released.
   * Idempotent: a second call finds nothing to do, and asks neither the disk nor a plugin.
   */
  async detach(sandboxId: string, kind: CniTarget['kind'], signal?: AbortSignal): Promise<void> {
    const networkName = this.attached.get(sandboxId);
    if (networkName !== undefined) {
      const netns =
        kind === 'netns' ? await heldNamespace(this.netns.pathOf(sandboxId)) : WINDOWS_SANDBOX_NETNS;
      await this.client.del(
        undefined,
        { networkName, containerId: sandboxId, ifName: POD_IFNAME },
        { netns, args: [], capabilityArgs: {} },
        signal,
      );
      this.attached.delete(sandboxId);
    }
    if (kind === 'netns') await this.netns.release(sandboxId);
    this.ips.delete(sandboxId);
  }

  /**
   * At start: pod IPs of the attachments on disk, and DEL of every attachment whose sandbox is gone
   * or stopped (`live` is the sandboxes the engine holds running), or whose ADD never finished (a
   * kill in the middle of RunPodSandbox: the pod never became ready, and its sandbox is returned
   * for the caller to remove, as a sandbox never started is). Then, for a 1.1.0 network, GC tells
   * the plugins which attachments are valid so they can drop what nobody cached.
   */
  async recover(live: ReadonlySet<string>, kind: CniTarget['kind'], signal?: AbortSignal): Promise<string[]> {
    const halfMade: string[] = [];
    for (const entry of await this.client.cache.list()) {
      if (entry.ifName !== POD_IFNAME) continue;
      this.attached.set(entry.containerId, entry.networkName);
      const alive = live.has(entry.containerId);
      if (alive && entry.result) {
        this.ips.set(entry.containerId, podIps(entry.result));
        continue;
      }
      if (alive) halfMade.push(entry.containerId);
      try {
        await this.detach(entry.containerId, kind, signal);
        this.log.info(
          { sandbox: entry.containerId, network: entry.networkName },
          alive ? 'CNI ADD cut short by a restart: deleted' : 'CNI attachment of a gone sandbox deleted',
        );
      } catch (err) {
        this.log.warn(
          { err, sandbox: entry.containerId },
          'CNI DEL at recovery failed; retried at the next start',
        );
      }
    }
    // A kill between holding the namespace and recording the attachment leaves only the mount.
    for (const id of (await this.netns?.list()) ?? []) {
      if (!live.has(id) || halfMade.includes(id))
        await this.netns
          ?.release(id)
          .catch((err: unknown) => this.log.warn({ err, sandbox: id }, 'netns release failed'));
    }
    const state = this.watcher.current();
    if (state.ready) {
      const valid = [...live]
        .filter((id) => this.ips.has(id))
        .map((containerId) => ({ containerId, ifName: POD_IFNAME }));
      for (const err of await this.client.gc(state.network, valid, signal))
        this.log.warn({ err }, 'CNI GC reported an error');
    }
    return halfMade;
  }
}

export interface CniNetworkOptions {
  readonly confDir: string;
  readonly binDirs: readonly string[];
  readonly cacheDir: string;
  readonly pluginTimeoutMs: number;
  /** Where Linux pod namespaces are held (under wincri's root dir). */
  readonly netnsDir: string;
}

/** The CNI mode's parts, with the config dir read once and then watched. */
export async function startCniPodNetwork(
  options: CniNetworkOptions,
  log: Logger,
): Promise<{ network: CniPodNetwork; stop(): void }> {
  const client = new CniClient({
    binDirs: options.binDirs,
    cacheDir: options.cacheDir,
    timeoutMs: options.pluginTimeoutMs,
  });
  const watcher = new CniConfigWatcher(client, { confDir: options.confDir }, log);
  await watcher.start();
  return {
    network: new CniPodNetwork(client, watcher, new NetnsHolder(options.netnsDir), log),
    stop: () => watcher.stop(),
  };
}
