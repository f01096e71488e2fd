/**
 * doctor's CNI check (CNI mode only): the network `wincri serve` would use, chosen the same way
 * (src/network/cni/config.ts `loadDefaultNetwork`: the first file of the config dir in lexical
 * order that parses and whose plugins are all installed), and each plugin it names (IPAM ones too)
 * found in the bin dirs and executable. Reads files only.
 */
import { stat } from 'node:fs/promises';
import { loadDefaultNetwork, type PluginConf } from '../network/cni/config.js';
import { findPlugin } from '../network/cni/invoke.js';
import type { CheckResult } from './result.js';

/** What the config and bin dirs hold, as far as the check needs it. */
export interface CniSetup {
  confDir: string;
  binDirs: readonly string[];
  /** The network in use, with where each plugin was found. */
  network?: { file: string; name: string; cniVersion: string; plugins: { type: string; path: string }[] };
  /** Files before it (or all of them) that were refused, with why. */
  skipped: { file: string; reason: string }[];
  /** The directory could not be read at all. */
  unreadable?: string;
}

/** A plugin the network names, refused when absent or not executable (Windows runs any `.exe`). */
async function pluginProblem(
  type: string,
  binDirs: readonly string[],
  windows: boolean,
): Promise<string | undefined> {
  const path = await findPlugin(type, binDirs, windows);
  if (!path) return `plugin ${type} not found in ${binDirs.join(', ')}`;
  if (windows) return undefined;
  const mode = (await stat(path)).mode;
  return (mode & 0o111) === 0
    ? `plugin ${type} (${path}) is not executable (mode ${(mode & 0o777).toString(8).padStart(4, '0')})`
    : undefined;
}

/** The binaries a plugin entry runs: its own type and its IPAM plugin's (host-local, dhcp, ...). */
function pluginTypes(plugin: PluginConf): string[] {
  const ipam = plugin.raw['ipam'];
  const ipamType =
    typeof ipam === 'object' && ipam !== null ? (ipam as Record<string, unknown>)['type'] : undefined;
  return typeof ipamType === 'string' && ipamType !== '' ? [plugin.type, ipamType] : [plugin.type];
}

export async function readCniSetup(
  confDir: string,
  binDirs: readonly string[],
  windows = process.platform === 'win32',
): Promise<CniSetup> {
  const setup: CniSetup = { confDir, binDirs, skipped: [] };
  let loaded;
  try {
    loaded = await loadDefaultNetwork(confDir, async (network) => {
      const problems: string[] = [];
      for (const type of network.plugins.flatMap(pluginTypes)) {
        const problem = await pluginProblem(type, binDirs, windows);
        if (problem) problems.push(problem);
      }
      return problems.length > 0 ? problems.join('; ') : undefined;
    });
  } catch (err) {
    return { ...setup, unreadable: (err as Error).message };
  }
  setup.skipped = loaded.skipped.map((s) => ({ file: s.file, reason: s.message.slice(s.file.length + 2) }));
  if (loaded.network) {
    const { file, name, cniVersion, plugins } = loaded.network;
    const found = [];
    for (const type of plugins.flatMap(pluginTypes))
      found.push({ type, path: (await findPlugin(type, binDirs, windows)) ?? '' });
    setup.network = { file, name, cniVersion, plugins: found };
  }
  return setup;
}

const NAME = 'CNI network';

/** pass: the first file is usable; warn: an earlier file is skipped; fail: nothing usable. */
export function cniCheck(setup: CniSetup): CheckResult {
  const { confDir, binDirs, network, skipped } = setup;
  if (setup.unreadable !== undefined)
    return {
      name: NAME,
      status: 'fail',
      detail: `${confDir} cannot be read: ${setup.unreadable}`,
      fix: `make ${confDir} readable by wincri, or point --cni-conf-dir at the network's config dir`,
    };
  const refused = skipped.map((s) => `${s.file}: ${s.reason}`).join('; ');
  if (!network && skipped.length === 0)
    return {
      name: NAME,
      status: 'fail',
      detail: `no network config (.conflist, .conf or .json) in ${confDir}: pods cannot get a network (NetworkReady false)`,
      fix: `install your network's CNI config in ${confDir} (a DaemonSet such as flannel writes it), or run without --network-plugin cni`,
    };
  if (!network) {
    const plugins = skipped.some((s) => / not found in | is not executable /.test(s.reason));
    return {
      name: NAME,
      status: 'fail',
      detail: `no usable network config in ${confDir}: ${refused}`,
      fix: plugins
        ? `install the CNI plugins the config names into ${binDirs[0] ?? '--cni-bin-dir'} (containernetworking/plugins releases), executable`
        : 'fix the config file (the CNI spec 1.1 format) or remove it',
    };
  }
  const detail =
    `${network.file}: network "${network.name}" (CNI ${network.cniVersion}), plugins ` +
    network.plugins.map((p) => `${p.type} (${p.path})`).join(', ');
  if (skipped.length > 0)
    return {
      name: NAME,
      status: 'warn',
      detail: `${detail}; skipped before it: ${refused}`,
      fix: `wincri uses the first usable file in lexical order: fix or remove the files before ${network.file}`,
    };
  return { name: NAME, status: 'pass', detail };
}
