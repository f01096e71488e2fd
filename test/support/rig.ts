import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * Facts about the test rig (scripts/rig/up.sh): the private engines, the registries and the
 * upstream tools. Read from /run/wincri-rig/rig.json (the 20.10 engine and everything shared) and,
 * for the second engine, /run/wincri-rig/docker29.json (scripts/rig/docker29.sh).
 *
 * WINCRI_E2E_ENGINE chooses the engine an e2e file runs against: `docker20` (the default: Debian's
 * Docker 20.10, API 1.41), `docker29` (Docker 29 on its containerd image store) or
 * `docker29-overlay2` (Docker 29 on the classic overlay2 store).
 */
export interface Rig {
  /** Which engine this run uses (WINCRI_E2E_ENGINE). */
  engine: string;
  dockerHost: string;
  registry: string;
  authRegistry: string;
  authUser: string;
  authPass: string;
  crictl: string;
  critest: string;
  /** The cri-tools version `critest` was built from (rig.json `criToolsVersion`). */
  criToolsVersion: string;
  /** The next cri-tools release beside it, when the rig built one (`criToolsNext`, `critestNext`). */
  criToolsNext?: { version: string; crictl: string; critest: string } | undefined;
  mirrors: string[];
  /** An image only the basic-auth registry serves. */
  privateImage: string;
  /** The CNI network of CNI-mode tests (scripts/rig/cni.sh) and Debian's plugins. */
  cniConfDir: string;
  cniBinDir: string;
}

const RIG_JSON = '/run/wincri-rig/rig.json';
const DOCKER29_JSON = '/run/wincri-rig/docker29.json';
export const DEFAULT_ENGINE = 'docker20';

/** The engine chosen for this run. */
export function rigEngine(): string {
  return process.env['WINCRI_E2E_ENGINE'] || DEFAULT_ENGINE;
}

function readFacts(path: string, start: string): Record<string, unknown> {
  if (!existsSync(path)) throw new Error(`${path} is missing: start the rig first (${start})`);
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** The Docker host of an engine other than 20.10, from docker29.json. */
function engineHost(engine: string): string {
  const facts = readFacts(DOCKER29_JSON, 'bash scripts/rig/docker29.sh start');
  const engines = (facts['engines'] ?? {}) as Record<string, { dockerHost?: unknown }>;
  const host = engines[engine]?.dockerHost;
  if (typeof host !== 'string') {
    throw new Error(
      `WINCRI_E2E_ENGINE=${engine}: not one of ${[DEFAULT_ENGINE, ...Object.keys(engines)].join(', ')}`,
    );
  }
  return host;
}

/** The Docker host of any of the rig's engines by name (docker20, docker29, docker29-overlay2). */
export function engineDockerHost(engine: string): string {
  if (engine !== DEFAULT_ENGINE) return engineHost(engine);
  const host = readFacts(RIG_JSON, 'bash scripts/rig/up.sh')['dockerHost'];
  if (typeof host !== 'string') throw new Error(`${RIG_JSON} has no "dockerHost"`);
  return host;
}

export function loadRig(): Rig {
  const raw = readFacts(RIG_JSON, 'bash scripts/rig/up.sh');
  const text = (key: string, fallback?: string): string => {
    const value = raw[key] ?? fallback;
    if (typeof value !== 'string') throw new Error(`${RIG_JSON} has no "${key}"`);
    return value;
  };
  const mirrors = raw['mirrors'];
  const engine = rigEngine();
  return {
    engine,
    dockerHost: engine === DEFAULT_ENGINE ? text('dockerHost') : engineHost(engine),
    registry: text('registry'),
    authRegistry: text('authRegistry'),
    authUser: text('authUser'),
    authPass: text('authPass'),
    crictl: text('crictl'),
    critest: text('critest'),
    criToolsVersion: text('criToolsVersion'),
    criToolsNext:
      typeof raw['criToolsNext'] === 'string'
        ? { version: text('criToolsNext'), crictl: text('crictlNext'), critest: text('critestNext') }
        : undefined,
    privateImage: text('privateImage'),
    cniConfDir: text('cniConfDir', '/var/lib/wincri-rig/cni/net.d'),
    cniBinDir: text('cniBinDir', '/usr/lib/cni'),
    mirrors: Array.isArray(mirrors) ? (mirrors as string[]) : text('mirrors').split(',').filter(Boolean),
  };
}

/**
 * One GET on the engine's API, answered as JSON: what the tests check behind wincri's back.
 * Unversioned like wincri's own requests, so every engine answers in its own API version (Debian's
 * 20.10 CLI would pin every answer to API 1.41).
 */
export function engineGet<T>(dockerHost: string, path: string): T {
  if (!dockerHost.startsWith('unix://')) throw new Error(`e2e needs a unix docker host, got ${dockerHost}`);
  const out = execFileSync(
    'curl',
    ['-fsS', '--max-time', '30', '--unix-socket', dockerHost.slice('unix://'.length), `http://engine${path}`],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(out) as T;
}

interface EngineContainer {
  Id: string;
  Names: string[];
  Labels: Record<string, string>;
}

/** Every container of the engine (running or not), optionally only those with a label. */
export function engineContainers(
  dockerHost: string,
  label?: string,
): { id: string; name: string; labels: Record<string, string> }[] {
  const filters = label ? `&filters=${encodeURIComponent(JSON.stringify({ label: [label] }))}` : '';
  return engineGet<EngineContainer[]>(dockerHost, `/containers/json?all=1${filters}`).map((c) => ({
    id: c.Id,
    name: (c.Names[0] ?? '').replace(/^\//, ''),
    labels: c.Labels ?? {},
  }));
}
