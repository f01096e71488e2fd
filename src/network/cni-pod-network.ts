import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { unavailable } from '../errors.js';
import { capabilityArgs, cniArgs, type PodNetworkInfo } from './cni/capabilities.js';
import type { CniClient } from './cni/cni.js';
import { podIps } from './cni/result.js';
import type { CniConfigWatcher, NetworkState } from './cni/watcher.js';
import type { NetnsHolder } from './netns.js';

/** The interface name every pod gets, as kubelet's dockershim and containerd name it. */
export const POD_IFNAME = 'eth0';

/**
 * What the HNS plugins (win-bridge, win-overlay, flannel's and Azure's) expect as CNI_NETNS for a
 * Docker sandbox: its own network mode, `none`, which tells them to make the endpoint and
 * hot-attach it to CNI_CONTAINERID (containernetworking/plugins pkg/hns: pauseContainerNetNS). An
 * empty CNI_NETNS makes their DEL a no-op, so DEL gets `none` too.
 */
export const WINDOWS_SANDBOX_NETNS = 'none';

export interface SandboxNetworkRef {
  readonly id: string;
  /** Linux: the pause process, whose network namespace the plugins configure. */
  readonly pid?: number;
  readonly pod: PodNetworkInfo;
}

/**
 * Pod networking through CNI, for one sandbox at a time: ADD after the pause container started,
 * DEL when the pod stops (Linux: inside the namespace held since ADD), the pod IPs from the ADD
 * results (kept in memory for PodSandboxStatus, on disk in the result cache for restarts), and
 * recovery of attachments whose sandbox the engine no longer holds.
 */
export class CniPodNetwork {
  private readonly ips = new Map<string, readonly string[]>();

  constructor(
    private readonly client: CniClient,
    private readonly watcher: CniConfigWatcher,
    /** Linux only; undefined on Windows, where the sandbox container is the namespace. */
    private readonly netns: NetnsHolder | undefined,
    private readonly log: Logger,
  ) {}

  state(): NetworkState {
    return this.watcher.current();
  }

  /** The pod IPs from the ADD result, IPv4 first; empty for a pod not attached through CNI. */
  podIps(sandboxId: string): readonly string[] {
    return this.ips.get(sandboxId) ?? [];
  }

  /** ADD; on failure nothing is left: the plugins' DEL has run and the namespace is released. */
  async attach(ref: SandboxNetworkRef, signal?: AbortSignal): Promise<readonly string[]> {
    const state = this.watcher.current();
    if (!state.ready) throw unavailable(`the pod network is not ready: ${state.message}`);
    const netns = this.netns ? await this.netns.hold(ref.id, ref.pid ?? 0) : WINDOWS_SANDBOX_NETNS;
    try {
      const result = await this.client.add(
        state.network,
        {
          containerId: ref.id,
          netns,
          ifName: POD_IFNAME,
          args: cniArgs(ref.pod),
          capabilityArgs: capabilityArgs(ref.pod),
        },
        signal,
      );
      const ips = podIps(result);
      this.ips.set(ref.id, ips);
      return ips;
    } catch (err) {
      await this.netns
        ?.release(ref.id)
        .catch((e: unknown) => this.log.warn({ err: e, sandbox: ref.id }, 'netns release failed'));
      throw err;
    }
  }

  /**
   * DEL of a sandbox attached through CNI (a sandbox never attached has no cache entry and is left
   * alone), with the config and arguments cached at ADD, then the namespace is released.
   * Idempotent: a second call finds nothing to do.
   */
  async detach(sandboxId: string, signal?: AbortSignal): Promise<void> {
    const netns = this.netns ? await existing(this.netns.pathOf(sandboxId)) : WINDOWS_SANDBOX_NETNS;
    await this.client.del(
      undefined,
      { containerId: sandboxId, ifName: POD_IFNAME },
      { netns, args: [], capabilityArgs: {} },
      signal,
    );
    await this.netns?.release(sandboxId);
    this.ips.delete(sandboxId);
  }

  /**
   * At start: pod IPs of the attachments on disk, and DEL of every attachment whose sandbox is gone
   * or stopped (`live` is the sandboxes the engine holds running): one whose ADD was cut by a kill,
   * or whose DEL never ran. Then, for a 1.1.0 network, GC tells the plugins which attachments are
   * valid so they can drop what nobody cached.
   */
  async recover(live: ReadonlySet<string>, signal?: AbortSignal): Promise<void> {
    for (const entry of await this.client.cache.list()) {
      if (entry.ifName !== POD_IFNAME) continue;
      if (live.has(entry.containerId)) {
        this.ips.set(entry.containerId, podIps(entry.result));
        continue;
      }
      try {
        await this.detach(entry.containerId, signal);
        this.log.info(
          { sandbox: entry.containerId, network: entry.networkName },
          'CNI attachment of a gone sandbox deleted',
        );
      } catch (err) {
        this.log.warn(
          { err, sandbox: entry.containerId },
          'CNI DEL of a gone sandbox failed; retried at the next start',
        );
      }
    }
    // A kill between holding the namespace and recording the attachment leaves only the mount.
    for (const id of (await this.netns?.list()) ?? []) {
      if (!live.has(id))
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
  }
}

async function existing(path: string): Promise<string> {
  try {
    await stat(path);
    return path;
  } catch {
    return '';
  }
}
