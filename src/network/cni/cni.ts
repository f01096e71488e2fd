import { CriError, failedPrecondition, internal } from '../../errors.js';
import { ResultCache, type AttachmentKey, type CachedAttachment } from './cache.js';
import { describePlugin, parseConfList, type NetworkConfigList, type PluginConf } from './config.js';
import {
  PluginExecError,
  describeErrorCode,
  execPlugin,
  findPlugin,
  pluginErrorObject,
  type CniCommand,
  type ExecOptions,
  type ExecOutcome,
  type PluginCall,
} from './invoke.js';
import { heldNamespace } from '../netns.js';
import { atLeast } from './version.js';

/**
 * The verbs on a network list, as libcni's AddNetworkList, DelNetworkList, CheckNetworkList,
 * GetStatusNetworkList and GCNetworkList run them (CNI spec 1.1, "Execution of Network
 * Configurations"): ADD runs the plugins in order, each given the previous one's result as
 * `prevResult`; DEL runs them in reverse, each given the cached ADD result; CHECK runs them in order
 * with the cached result; STATUS and GC exist from 1.1.0. Every failure becomes a CriError naming
 * the plugin, the network and the file it came from.
 */

export interface CniOptions {
  readonly binDirs: readonly string[];
  readonly cacheDir: string;
  /** Per plugin call; a plugin still running then is killed. */
  readonly timeoutMs: number;
  readonly windows?: boolean;
}

/** One attachment of a container to the network. */
export interface AttachmentRequest {
  readonly containerId: string;
  /** Linux: the netns path; Windows (HNS plugins): the sandbox container id, or empty. */
  readonly netns: string;
  readonly ifName: string;
  readonly args: ReadonlyArray<readonly [string, string]>;
  readonly capabilityArgs: Readonly<Record<string, unknown>>;
}

export type PluginRunner = (path: string, call: PluginCall, options: ExecOptions) => Promise<ExecOutcome>;

export class CniClient {
  readonly cache: ResultCache;
  private readonly paths = new Map<string, string>();

  constructor(
    readonly options: CniOptions,
    private readonly run: PluginRunner = execPlugin,
  ) {
    this.cache = new ResultCache(options.cacheDir);
  }

  /**
   * The attachment written to the cache before any plugin runs (durably), so that a runtime
   * killed during ADD finds it after its restart and DELs it.
   */
  record(network: NetworkConfigList, att: AttachmentRequest): Promise<void> {
    return this.cache.write(cacheEntry(network, att));
  }

  /**
   * ADD; the result is cached before returning. On failure nothing stays attached (DEL is run).
   * `ready` is what the caller still prepares for the plugins (Linux: the namespace's bind mount),
   * and `recorded` the attachment's `record`, which a caller may have started earlier; the first
   * plugin runs when both are done.
   */
  async add(
    network: NetworkConfigList,
    att: AttachmentRequest,
    signal?: AbortSignal,
    ready: Promise<unknown> = Promise.resolve(),
    recording: Promise<void> = this.record(network, att),
  ): Promise<Record<string, unknown>> {
    const [recorded, prepared] = await Promise.allSettled([recording, ready]);
    if (recorded.status === 'rejected' || prepared.status === 'rejected') {
      // No plugin ran, so there is nothing to DEL; the entry, if written, goes.
      if (recorded.status === 'fulfilled')
        await this.cache.remove(keyOf(network, att)).catch(() => undefined);
      throw recorded.status === 'rejected' ? recorded.reason : (prepared as PromiseRejectedResult).reason;
    }
    let prevResult: Record<string, unknown> | undefined;
    try {
      for (const plugin of network.plugins) {
        const stdout = await this.invoke(
          network,
          plugin,
          'ADD',
          att,
          withPrev(plugin, network, prevResult, att),
          signal,
        );
        prevResult = parseResult(network, plugin, stdout);
      }
    } catch (err) {
      await this.undoAdd(network, att, err);
      throw err;
    }
    const result = prevResult ?? {};
    await this.cache.write({ ...cacheEntry(network, att), result }, { durable: false });
    return result;
  }

  /**
   * DEL in reverse order. The config and arguments cached at ADD win over the current file (the
   * file may have changed or gone since), the cached result is each plugin's prevResult, and the
   * cache entry goes only when every plugin succeeded, so that a failed DEL can be retried.
   */
  async del(
    current: NetworkConfigList | undefined,
    key: Omit<AttachmentKey, 'networkName'> & { networkName?: string },
    fallback: Omit<AttachmentRequest, 'containerId' | 'ifName'>,
    signal?: AbortSignal,
  ): Promise<void> {
    const name = key.networkName ?? current?.name;
    const cached =
      (name !== undefined
        ? await this.cache.read({ networkName: name, containerId: key.containerId, ifName: key.ifName })
        : undefined) ??
      (key.networkName === undefined ? await this.cache.find(key.containerId, key.ifName) : undefined);
    const network = (cached && networkFromCache(cached)) ?? current;
    if (!network) return; // never attached through CNI, and no network to ask
    const att: AttachmentRequest = {
      containerId: key.containerId,
      ifName: key.ifName,
      netns: fallback.netns || (await heldNamespace(cached?.netns)),
      args: cached?.cniArgs ?? fallback.args,
      capabilityArgs: cached?.capabilityArgs ?? fallback.capabilityArgs,
    };
    const prev = atLeast(network.cniVersion, '0.4.0') ? cached?.result : undefined;
    for (const plugin of [...network.plugins].reverse()) {
      await this.invoke(network, plugin, 'DEL', att, withPrev(plugin, network, prev, att), signal);
    }
    await this.cache.remove({ networkName: network.name, containerId: key.containerId, ifName: key.ifName });
  }

  /** CHECK (from 0.4.0, unless the list disables it): every plugin, in order, with the cached result. */
  async check(network: NetworkConfigList, att: AttachmentRequest, signal?: AbortSignal): Promise<void> {
    if (!atLeast(network.cniVersion, '0.4.0') || network.disableCheck) return;
    const cached = await this.cache.read(keyOf(network, att));
    if (!cached?.result)
      throw failedPrecondition(
        `CNI CHECK of ${att.containerId} on network "${network.name}": no cached ADD result`,
      );
    for (const plugin of network.plugins) {
      await this.invoke(network, plugin, 'CHECK', att, withPrev(plugin, network, cached.result, att), signal);
    }
  }

  /** STATUS (1.1.0): resolves when every plugin says it can ADD; older lists are taken as ready. */
  async status(network: NetworkConfigList, signal?: AbortSignal): Promise<void> {
    if (!atLeast(network.cniVersion, '1.1.0')) return;
    for (const plugin of network.plugins) {
      await this.invoke(network, plugin, 'STATUS', undefined, stdinOf(plugin, network, {}), signal);
    }
  }

  /**
   * GC as libcni does it: every cached attachment of this network that is not in `valid` is
   * DELeted; then, from 1.1.0, each plugin gets GC with the valid attachments so it can drop
   * whatever else it holds (IPs, iptables rules). Errors are collected, not stopped at.
   */
  async gc(
    network: NetworkConfigList,
    valid: ReadonlyArray<{ containerId: string; ifName: string }>,
    signal?: AbortSignal,
  ): Promise<Error[]> {
    const errors: Error[] = [];
    if (network.disableGC) return errors;
    const keep = new Set(valid.map((v) => `${v.containerId}/${v.ifName}`));
    for (const entry of await this.cache.list()) {
      if (entry.networkName !== network.name || keep.has(`${entry.containerId}/${entry.ifName}`)) continue;
      try {
        await this.del(
          network,
          entry,
          { netns: '', args: entry.cniArgs, capabilityArgs: entry.capabilityArgs },
          signal,
        );
      } catch (err) {
        errors.push(err as Error);
      }
    }
    if (atLeast(network.cniVersion, '1.1.0')) {
      const attachments = valid.map((v) => ({ containerID: v.containerId, ifname: v.ifName }));
      for (const plugin of network.plugins) {
        const extra = { 'cni.dev/valid-attachments': attachments, 'cni.dev/attachments': attachments };
        try {
          await this.invoke(network, plugin, 'GC', undefined, stdinOf(plugin, network, extra), signal);
        } catch (err) {
          errors.push(err as Error);
        }
      }
    }
    return errors;
  }

  /**
   * Is every plugin of the list installed? Undefined when it is, else why not. Run at each load of
   * the config: the paths found are what every call uses until the next load.
   */
  async missingPlugins(network: NetworkConfigList): Promise<string | undefined> {
    this.paths.clear();
    const missing: string[] = [];
    for (const plugin of network.plugins) {
      if (!(await this.pluginPath(plugin.type))) missing.push(plugin.type);
    }
    return missing.length === 0
      ? undefined
      : `plugin${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found in ${this.options.binDirs.join(', ')}`;
  }

  /** Where the plugin binary is, looked up once and then remembered (a call that cannot run it forgets). */
  private async pluginPath(type: string): Promise<string | undefined> {
    const known = this.paths.get(type);
    if (known) return known;
    const found = await findPlugin(type, this.options.binDirs, this.options.windows);
    if (found) this.paths.set(type, found);
    return found;
  }

  private async undoAdd(network: NetworkConfigList, att: AttachmentRequest, cause: unknown): Promise<void> {
    // The attempt may have reserved an IP or made a veth before failing: DEL what it did. A
    // cancelled call must still be cleaned up, hence no signal here.
    try {
      await this.del(network, { ...keyOf(network, att) }, att);
    } catch (err) {
      if (cause instanceof Error)
        cause.message += `; the DEL that undoes it failed too (the cache entry is kept for a retry): ${(err as Error).message}`;
    }
  }

  private async invoke(
    network: NetworkConfigList,
    plugin: PluginConf,
    command: CniCommand,
    att: AttachmentRequest | undefined,
    stdin: string,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const who = describePlugin(network, plugin);
    const path = await this.pluginPath(plugin.type);
    if (!path)
      throw failedPrecondition(`${who} is not installed: looked in ${this.options.binDirs.join(', ')}`);
    const call: PluginCall = {
      command,
      path: this.options.binDirs,
      stdin,
      ...(att ? { containerId: att.containerId, netns: att.netns, ifName: att.ifName, args: att.args } : {}),
    };
    let outcome: ExecOutcome;
    try {
      outcome = await this.run(path, call, {
        timeoutMs: this.options.timeoutMs,
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      // Removed or moved since it was found: the next call looks again.
      if (err instanceof PluginExecError && err.reason === 'spawn') this.paths.delete(plugin.type);
      throw execFailure(who, command, err);
    }
    if (outcome.exitCode !== 0) {
      const e = pluginErrorObject(outcome);
      const target = att ? ` for ${att.containerId.slice(0, 12)}` : '';
      const message = `${who} failed ${command}${target}: ${e.msg}${e.details ? ` (${e.details})` : ''} [${describeErrorCode(e.code)}]`;
      // Code 11 is the spec's "try again later"; 50/51 say the plugin is not ready.
      throw new CriError(
        e.code === 11 || e.code === 50 || e.code === 51 ? 'Unavailable' : 'Internal',
        message,
      );
    }
    return outcome.stdout;
  }
}

function execFailure(who: string, command: CniCommand, err: unknown): CriError {
  if (!(err instanceof PluginExecError)) return internal(`${who} ${command}: ${String(err)}`, err);
  const kind =
    err.reason === 'timeout'
      ? 'DeadlineExceeded'
      : err.reason === 'cancelled'
        ? 'Cancelled'
        : 'FailedPrecondition';
  return new CriError(kind, `${who} ${command}: ${err.message}`, { cause: err });
}

function parseResult(
  network: NetworkConfigList,
  plugin: PluginConf,
  stdout: string,
): Record<string, unknown> {
  try {
    const value = JSON.parse(stdout) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw internal(
    `${describePlugin(network, plugin)} succeeded ADD but its output is not a CNI result: ${stdout.slice(0, 300) || '(nothing)'}`,
  );
}

const keyOf = (network: NetworkConfigList, att: AttachmentRequest): AttachmentKey => ({
  networkName: network.name,
  containerId: att.containerId,
  ifName: att.ifName,
});

function cacheEntry(network: NetworkConfigList, att: AttachmentRequest): CachedAttachment {
  return {
    networkName: network.name,
    containerId: att.containerId,
    ifName: att.ifName,
    config: serializeList(network),
    ...(att.netns ? { netns: att.netns } : {}),
    cniArgs: att.args,
    capabilityArgs: att.capabilityArgs,
  };
}

/** The list as JSON (the form cached, and libcni's `Bytes`). */
export function serializeList(network: NetworkConfigList): string {
  return JSON.stringify({
    cniVersion: network.cniVersion,
    name: network.name,
    ...(network.disableCheck ? { disableCheck: true } : {}),
    ...(network.disableGC ? { disableGC: true } : {}),
    plugins: network.plugins.map((p) => p.raw),
  });
}

function networkFromCache(cached: CachedAttachment): NetworkConfigList | undefined {
  try {
    return parseConfList(cached.config, `the cached config of ${cached.containerId}`);
  } catch {
    return undefined;
  }
}

/** libcni's buildOneConfig: the plugin's config with the list's name and version injected. */
function stdinOf(plugin: PluginConf, network: NetworkConfigList, extra: Record<string, unknown>): string {
  return JSON.stringify({ ...plugin.raw, name: network.name, cniVersion: network.cniVersion, ...extra });
}

/** ... plus prevResult and the runtimeConfig of the capabilities this plugin asks for. */
function withPrev(
  plugin: PluginConf,
  network: NetworkConfigList,
  prevResult: Readonly<Record<string, unknown>> | undefined,
  att: AttachmentRequest,
): string {
  const runtimeConfig: Record<string, unknown> = {};
  for (const cap of plugin.capabilities)
    if (cap in att.capabilityArgs) runtimeConfig[cap] = att.capabilityArgs[cap];
  return stdinOf(plugin, network, {
    ...(prevResult ? { prevResult } : {}),
    ...(Object.keys(runtimeConfig).length > 0 ? { runtimeConfig } : {}),
  });
}
