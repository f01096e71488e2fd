import { readFile } from 'node:fs/promises';
import { parseEndpoint } from '../grpc/endpoint.js';
import { splitAddress } from '../metrics/server.js';
import { invalidArgument } from '../errors.js';
import { mirrorTable, type MirrorTable } from '../cri/image/mirrors.js';
import { parseReference } from '../cri/image/reference.js';
import type { HostOs } from '../types/host.js';

/**
 * wincri's configuration: flags over a JSON config file over per-OS defaults, validated once at
 * start so that nothing later meets a bad value.
 */
export interface Config {
  /** CRI endpoint: unix:///path or npipe:////./pipe/<name>. */
  listen: string;
  /** Docker engine: unix:///path, npipe:////./pipe/docker_engine or tcp://host:port. */
  dockerHost: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** The pause image every pod sandbox runs. */
  sandboxImage: string;
  /** Registry host -> mirror URL. */
  registryMirrors: MirrorTable;
  /** wincri's own state: nothing there is the source of truth (Docker is), only caches and pipes. */
  rootDir: string;
  /** host:port of the streaming server; loopback unless told otherwise. */
  streamingAddress: string;
  streamingTls?: { certFile: string; keyFile: string };
  /** How often the stats collector samples running containers. */
  statsIntervalMs: number;
  /** Runtime handler table from the config file (validated by src/isolation). */
  runtimeHandlers?: unknown;
  defaultRuntimeHandler?: string;
  /**
   * Whether this Windows host can run Hyper-V isolated containers: an override. Undefined (the
   * default): found from the host's features or the engine (src/platform/windows-features.ts).
   */
  hyperVAvailable?: boolean;
  /** On stop (SIGTERM, SIGINT, a Windows service stop): how long unary calls in flight may finish. */
  shutdownDrainMs: number;
  /** Where Prometheus scrapes `/metrics`: host:port, or a bare port on loopback; off when absent. */
  metricsAddress?: string;
  /** `json` (pino lines) or `text` (pino-pretty, in a worker thread). */
  logFormat: 'json' | 'text';
  /** A polled read (List*, *Status, *Stats) taking longer than this logs a warning. */
  slowCallMs: number;
  /** `cni` hands pod networking to CNI plugins; `""` keeps the engine's default network. */
  networkPlugin: '' | 'cni';
  /** Where the CNI network configs are read (first valid file in lexical order). */
  cniConfDir: string;
  /** Where plugin binaries are looked for, in order. */
  cniBinDirs: string[];
  /** CNI results per attachment (libcni's format), kept across restarts for DEL. */
  cniCacheDir: string;
  /** A plugin call still running after this is killed. */
  cniPluginTimeoutMs: number;
}

export type { HostOs } from '../types/host.js';

export function defaults(os: HostOs): Config {
  const windows = os === 'windows';
  return {
    listen: windows ? 'npipe:////./pipe/wincri' : 'unix:///run/wincri/wincri.sock',
    dockerHost: windows ? 'npipe:////./pipe/docker_engine' : 'unix:///var/run/docker.sock',
    logLevel: 'info',
    sandboxImage: windows ? 'mcr.microsoft.com/oss/kubernetes/pause:3.10' : 'registry.k8s.io/pause:3.10',
    registryMirrors: new Map(),
    rootDir: windows ? 'C:\\ProgramData\\wincri' : '/var/lib/wincri',
    streamingAddress: '127.0.0.1:0',
    statsIntervalMs: 10_000,
    shutdownDrainMs: 10_000,
    logFormat: 'json',
    slowCallMs: 1_000,
    networkPlugin: '',
    cniConfDir: windows ? 'C:\\etc\\cni\\net.d' : '/etc/cni/net.d',
    cniBinDirs: [windows ? 'C:\\opt\\cni\\bin' : '/opt/cni/bin'],
    cniCacheDir: windows ? 'C:\\ProgramData\\wincri\\cni\\cache' : '/var/lib/cni/cache',
    cniPluginTimeoutMs: 60_000,
  };
}

/** What the command line (or the config file) may set; all optional. */
export interface ConfigInput {
  listen?: string;
  dockerHost?: string;
  logLevel?: string;
  sandboxImage?: string;
  registryMirrors?: string[] | Record<string, string>;
  rootDir?: string;
  streamingAddress?: string;
  streamingTlsCert?: string;
  streamingTlsKey?: string;
  statsIntervalMs?: number;
  runtimeHandlers?: unknown;
  defaultRuntimeHandler?: string;
  hyperVAvailable?: boolean;
  shutdownDrainMs?: number;
  metricsAddress?: string;
  logFormat?: string;
  slowCallMs?: number;
  networkPlugin?: string;
  cniConfDir?: string;
  /** One dir, a comma-separated list (cri-dockerd's form) or a list. */
  cniBinDir?: string | string[];
  cniCacheDir?: string;
  cniPluginTimeoutMs?: number;
}

const FILE_KEYS = new Set<keyof ConfigInput>([
  'listen',
  'dockerHost',
  'logLevel',
  'sandboxImage',
  'registryMirrors',
  'rootDir',
  'streamingAddress',
  'streamingTlsCert',
  'streamingTlsKey',
  'statsIntervalMs',
  'runtimeHandlers',
  'defaultRuntimeHandler',
  'hyperVAvailable',
  'shutdownDrainMs',
  'metricsAddress',
  'logFormat',
  'slowCallMs',
  'networkPlugin',
  'cniConfDir',
  'cniBinDir',
  'cniCacheDir',
  'cniPluginTimeoutMs',
]);
const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error']);

export async function readConfigFile(path: string): Promise<ConfigInput> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw invalidArgument(`config file ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidArgument(`config file ${path}: expected a JSON object`);
  }
  const unknown = Object.keys(parsed).filter((key) => !FILE_KEYS.has(key as keyof ConfigInput));
  if (unknown.length > 0) {
    throw invalidArgument(
      `config file ${path}: unknown keys ${unknown.join(', ')}; known: ${[...FILE_KEYS].join(', ')}`,
    );
  }
  return parsed as ConfigInput;
}

const mirrorSpecs = (value: ConfigInput['registryMirrors']): string[] =>
  value === undefined
    ? []
    : Array.isArray(value)
      ? value
      : Object.entries(value).map(([k, v]) => `${k}=${v}`);

/** Layers inputs (later ones win; mirrors add up per registry) over the defaults and validates. */
export function resolveConfig(os: HostOs, ...inputs: ConfigInput[]): Config {
  const config = defaults(os);
  const mirrors = new Map(config.registryMirrors);
  for (const input of inputs) {
    const {
      registryMirrors,
      streamingTlsCert,
      streamingTlsKey,
      logLevel,
      networkPlugin,
      cniBinDir,
      ...plain
    } = input;
    Object.assign(config, Object.fromEntries(Object.entries(plain).filter(([, v]) => v !== undefined)));
    if (logLevel !== undefined) {
      if (!LOG_LEVELS.has(logLevel))
        throw invalidArgument(
          `log level ${JSON.stringify(logLevel)}: use one of ${[...LOG_LEVELS].join(', ')}`,
        );
      config.logLevel = logLevel as Config['logLevel'];
    }
    if (networkPlugin !== undefined) {
      if (networkPlugin !== '' && networkPlugin !== 'cni')
        throw invalidArgument(
          `network plugin ${JSON.stringify(networkPlugin)}: use "cni", or "" for the engine's default network`,
        );
      config.networkPlugin = networkPlugin;
    }
    if (cniBinDir !== undefined) config.cniBinDirs = binDirs(cniBinDir);
    for (const [registry, mirror] of mirrorTable(mirrorSpecs(registryMirrors))) mirrors.set(registry, mirror);
    if (streamingTlsCert !== undefined || streamingTlsKey !== undefined) {
      if (!streamingTlsCert || !streamingTlsKey)
        throw invalidArgument('streaming TLS needs both a certificate and a key file');
      config.streamingTls = { certFile: streamingTlsCert, keyFile: streamingTlsKey };
    }
  }
  config.registryMirrors = mirrors;
  validate(config);
  return config;
}

/** cri-dockerd takes `--cni-bin-dir a,b`; we take that, the flag repeated, or a list in the file. */
function binDirs(value: string | string[]): string[] {
  const dirs = (Array.isArray(value) ? value : [value]).flatMap((v) => {
    if (typeof v !== 'string')
      throw invalidArgument(`cniBinDir: expected directory paths, got ${JSON.stringify(v)}`);
    return v.split(',');
  });
  const clean = dirs.map((d) => d.trim()).filter((d) => d !== '');
  if (clean.length === 0) throw invalidArgument('cniBinDir: give at least one directory');
  return clean;
}

function validate(config: Config): void {
  parseEndpoint(config.listen);
  parseReference(config.sandboxImage);
  if (!/^(?:\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/.test(config.streamingAddress)) {
    throw invalidArgument(
      `streaming address ${JSON.stringify(config.streamingAddress)}: write it as host:port, e.g. 127.0.0.1:10010`,
    );
  }
  if (config.hyperVAvailable !== undefined && typeof config.hyperVAvailable !== 'boolean') {
    throw invalidArgument(
      `hyperVAvailable must be true or false, not ${JSON.stringify(config.hyperVAvailable)}`,
    );
  }
  if (config.metricsAddress !== undefined) splitAddress(String(config.metricsAddress));
  if (config.logFormat !== 'json' && config.logFormat !== 'text')
    throw invalidArgument(`log format ${JSON.stringify(config.logFormat)}: use json or text`);
  if (!Number.isInteger(config.slowCallMs) || config.slowCallMs < 1)
    throw invalidArgument(
      `slowCallMs ${JSON.stringify(config.slowCallMs)}: use a whole number of milliseconds, 1 or more`,
    );
  if (
    !Number.isInteger(config.shutdownDrainMs) ||
    config.shutdownDrainMs < 0 ||
    config.shutdownDrainMs > 600_000
  ) {
    throw invalidArgument(
      `shutdownDrainMs ${JSON.stringify(config.shutdownDrainMs)}: use a whole number of milliseconds from 0 to 600000`,
    );
  }
  for (const key of ['cniConfDir', 'cniCacheDir'] as const) {
    if (typeof config[key] !== 'string' || config[key] === '')
      throw invalidArgument(`${key} must be a directory path, not ${JSON.stringify(config[key])}`);
  }
  if (!Number.isInteger(config.cniPluginTimeoutMs) || config.cniPluginTimeoutMs < 100) {
    throw invalidArgument(
      `CNI plugin timeout ${config.cniPluginTimeoutMs} ms: use a whole number of at least 100`,
    );
  }
  if (!Number.isInteger(config.statsIntervalMs) || config.statsIntervalMs < 1000) {
    throw invalidArgument(`stats interval ${config.statsIntervalMs} ms: use a whole number of at least 1000`);
  }
}
