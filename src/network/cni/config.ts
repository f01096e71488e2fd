import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { CURRENT_CNI_VERSION, SUPPORTED_CNI_VERSIONS, compareCniVersions, isCniVersion } from './version.js';

/**
 * Network configuration files as libcni reads them (CNI spec 1.1, "Configuration format"): a
 * `.conflist` holds a named list of plugins; a single-plugin `.conf` (or `.json`) becomes a list of
 * one. The runtime uses the first file in lexical order that is valid, as cri-dockerd and
 * containerd do; every file skipped before it is reported with the reason.
 */

/** One plugin of a list: its JSON as written, plus the two keys the runtime reads. */
export interface PluginConf {
  readonly type: string;
  /** Capabilities the plugin asks for (`portMappings`, `dns`, `bandwidth`, `ips`, `mac`, ...). */
  readonly capabilities: ReadonlySet<string>;
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface NetworkConfigList {
  readonly name: string;
  readonly cniVersion: string;
  readonly disableCheck: boolean;
  readonly disableGC: boolean;
  readonly plugins: readonly PluginConf[];
  /** The file it came from: named in every error about it. */
  readonly file: string;
}

export const CONFIG_EXTENSIONS = ['.conf', '.conflist', '.json'] as const;

export class CniConfigError extends Error {
  override readonly name = 'CniConfigError';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/** Config files of `dir` in lexical order (a missing directory has none). */
export async function configFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .filter((e) => !e.isDirectory() && (CONFIG_EXTENSIONS as readonly string[]).includes(extname(e.name)))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => join(dir, name));
}

export interface LoadedNetwork {
  network?: NetworkConfigList;
  /** Files before the chosen one (or all of them) that were refused, with why. */
  skipped: CniConfigError[];
}

/** The first valid network of `dir`; `check` may refuse one more (e.g. a plugin not installed). */
export async function loadDefaultNetwork(
  dir: string,
  check: (network: NetworkConfigList) => Promise<string | undefined> = () => Promise.resolve(undefined),
): Promise<LoadedNetwork> {
  const skipped: CniConfigError[] = [];
  for (const file of await configFiles(dir)) {
    try {
      const network = await loadNetworkFile(file);
      const refusal = await check(network);
      if (refusal !== undefined) throw new CniConfigError(file, refusal);
      return { network, skipped };
    } catch (err) {
      skipped.push(err instanceof CniConfigError ? err : new CniConfigError(file, String(err)));
    }
  }
  return { skipped };
}

export async function loadNetworkFile(file: string): Promise<NetworkConfigList> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CniConfigError(file, `cannot read: ${(err as Error).message}`);
  }
  if (extname(file) === '.conflist') {
    const list = parseConfList(text, file);
    return list.plugins.length > 0 ? list : { ...list, plugins: await pluginsFromDir(list, file) };
  }
  return parseSingleConf(text, file);
}

function parseJsonObject(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CniConfigError(file, `not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CniConfigError(file, 'expected a JSON object');
  return value as Record<string, unknown>;
}

/** A `.conflist`: name, cniVersion (or cniVersions), plugins, and the disable* switches. */
export function parseConfList(text: string, file: string): NetworkConfigList {
  const raw = parseJsonObject(text, file);
  const name = requireName(raw, file);
  const cniVersion = chooseVersion(raw, file);
  const loadOnlyInlined = readBool(raw, 'loadOnlyInlinedPlugins', file);
  let plugins: PluginConf[] = [];
  if ('plugins' in raw) {
    if (!Array.isArray(raw.plugins))
      throw new CniConfigError(file, '"plugins" must be a list of plugin objects');
    if (raw.plugins.length === 0)
      throw new CniConfigError(file, '"plugins" is empty: a network needs one plugin at least');
    plugins = raw.plugins.map((p: unknown, i) => parsePlugin(p, `${file} (plugin ${i})`));
  } else if (loadOnlyInlined) {
    throw new CniConfigError(file, 'loadOnlyInlinedPlugins is true and there is no "plugins" list');
  }
  return {
    name,
    cniVersion,
    disableCheck: readBool(raw, 'disableCheck', file),
    disableGC: readBool(raw, 'disableGC', file),
    plugins,
    file,
  };
}

/** A single-plugin `.conf`: the list of one that libcni's ConfListFromConf makes of it. */
export function parseSingleConf(text: string, file: string): NetworkConfigList {
  const raw = parseJsonObject(text, file);
  const name = requireName(raw, file);
  const cniVersion = chooseVersion(raw, file);
  return {
    name,
    cniVersion,
    disableCheck: false,
    disableGC: false,
    plugins: [parsePlugin(raw, file)],
    file,
  };
}

/** CNI 1.1: a list without `plugins` takes them from `<dir>/<name>/*.conf`. */
async function pluginsFromDir(list: NetworkConfigList, file: string): Promise<PluginConf[]> {
  const dir = join(file, '..', list.name);
  const files = (await configFiles(dir)).filter((f) => extname(f) === '.conf');
  const plugins = [];
  for (const f of files) plugins.push(parsePlugin(parseJsonObject(await readFile(f, 'utf8'), f), f));
  if (plugins.length === 0) throw new CniConfigError(file, `no "plugins" list and no plugin files in ${dir}`);
  return plugins;
}

function parsePlugin(value: unknown, where: string): PluginConf {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CniConfigError(where, 'a plugin must be a JSON object');
  const raw = value as Record<string, unknown>;
  if (typeof raw.type !== 'string' || raw.type === '')
    throw new CniConfigError(where, 'missing "type" (the plugin binary to run)');
  if (raw.type.includes('/') || raw.type.includes('\\'))
    throw new CniConfigError(where, `"type" ${JSON.stringify(raw.type)} must be a file name, not a path`);
  const capabilities = new Set<string>();
  if (raw.capabilities !== undefined) {
    if (typeof raw.capabilities !== 'object' || raw.capabilities === null || Array.isArray(raw.capabilities))
      throw new CniConfigError(where, '"capabilities" must be an object of name: true|false');
    for (const [cap, on] of Object.entries(raw.capabilities)) if (on === true) capabilities.add(cap);
  }
  return { type: raw.type, capabilities, raw };
}

function requireName(raw: Record<string, unknown>, file: string): string {
  if (typeof raw.name !== 'string' || raw.name === '')
    throw new CniConfigError(file, 'missing "name" (the network name)');
  // The name is part of cache file names and of host-local's store path.
  if (/[/\\]/.test(raw.name) || raw.name === '.' || raw.name === '..')
    throw new CniConfigError(file, `"name" ${JSON.stringify(raw.name)} must not contain a path separator`);
  return raw.name;
}

/**
 * The version to speak: `cniVersion`, or the highest of `cniVersions` (CNI 1.1) that this runtime
 * supports, as libcni chooses. A version newer than ours is refused, not talked down to.
 */
function chooseVersion(raw: Record<string, unknown>, file: string): string {
  const candidates: string[] = [];
  if (raw.cniVersions !== undefined) {
    if (
      !Array.isArray(raw.cniVersions) ||
      raw.cniVersions.some((v) => typeof v !== 'string' || !isCniVersion(v))
    )
      throw new CniConfigError(file, '"cniVersions" must be a list of versions like "1.0.0"');
    candidates.push(
      ...(raw.cniVersions as string[]).filter((v) => compareCniVersions(v, CURRENT_CNI_VERSION) <= 0),
    );
  }
  if (raw.cniVersion !== undefined) {
    if (typeof raw.cniVersion !== 'string' || !isCniVersion(raw.cniVersion))
      throw new CniConfigError(
        file,
        `"cniVersion" ${JSON.stringify(raw.cniVersion)} is not a version like "1.0.0"`,
      );
    candidates.push(raw.cniVersion);
  }
  if (candidates.length === 0)
    throw new CniConfigError(
      file,
      `missing "cniVersion"; this runtime speaks ${SUPPORTED_CNI_VERSIONS.join(', ')}`,
    );
  const chosen = candidates.sort(compareCniVersions).at(-1)!;
  if (!(SUPPORTED_CNI_VERSIONS as readonly string[]).includes(chosen))
    throw new CniConfigError(
      file,
      `cniVersion ${chosen} is not supported; this runtime speaks ${SUPPORTED_CNI_VERSIONS.join(', ')}`,
    );
  return chosen;
}

function readBool(raw: Record<string, unknown>, key: string, file: string): boolean {
  const value = raw[key];
  if (value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw new CniConfigError(file, `"${key}" must be true or false, not ${JSON.stringify(value)}`);
}

/** For messages: `bridge (network "pods" in 10-pods.conflist)`. */
export function describePlugin(network: NetworkConfigList, plugin: PluginConf): string {
  return `CNI plugin "${plugin.type}" (network "${network.name}" in ${network.file})`;
}
