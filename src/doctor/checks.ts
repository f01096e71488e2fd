/**
 * `wincri doctor`: is this node set up for wincri? Each check reads, never changes: it asks the
 * engine (ping, info, image inspect), looks at files (the CRI socket, the state directory's lock,
 * free space, in CNI mode the network configs and plugins; on Windows the host's feature table
 * through a read-only WMI query) and asks a registry's `/v2/` whether it answers. Each result says pass, warn or fail
 * and, when not pass, what to do. Everything a check reads comes through `DoctorEnv`, so each is
 * unit-tested over recorded answers.
 */
import type { Config } from '../config/config.js';
import type { EngineInfo } from '../docker/client.js';
import { throughMirror } from '../cri/image/mirrors.js';
import { formatReference, parseReference } from '../cri/image/reference.js';
import { parseEndpoint } from '../grpc/endpoint.js';
import { cniCheck, type CniSetup } from './cni-check.js';
import type { CheckResult } from './result.js';
import { hyperVRemedy } from '../isolation/select.js';
import { decideHyperV, type WindowsFeatures } from '../platform/windows-features.js';
import type { HyperVFinding } from '../types/host.js';

export type { CheckResult, CheckStatus } from './result.js';

export interface DoctorEnv {
  config: Config;
  /** The engine's info, or the error that kept it from answering. */
  engineInfo(): Promise<EngineInfo | Error>;
  /** The engine's image by this name: undefined when absent; its OS version (Windows images carry one). */
  image(reference: string): Promise<{ osVersion: string } | undefined>;
  /** HTTP status of HEAD on a registry manifest URL (200 there, 404 not, 401 credentials), or an Error. */
  registryManifest(url: string): Promise<number | Error>;
  /** A file's mode and kind, undefined when absent. */
  stat(path: string): Promise<{ mode: number; isSocket: boolean; uid: number } | undefined>;
  /** Whether a live process listens on this unix socket or pipe. */
  listens(path: string): Promise<boolean>;
  /** Free and total bytes of the filesystem holding `path`; undefined when it cannot be read. */
  diskSpace(path: string): Promise<{ freeBytes: number; totalBytes: number } | undefined>;
  /** The instance lock's path for the state directory (src/instance-lock.ts). */
  lockPath: string;
  now(): number;
  /** CNI mode: what the config and bin dirs hold (src/doctor/cni-check.ts). */
  cniSetup(): Promise<CniSetup>;
  /** Windows: the host's feature table, why it was not read, or undefined when the config decides. */
  windowsFeatures(): Promise<WindowsFeatures | string | undefined>;
  /** The kubelet's config file, parsed, when `--kubelet-config` was given. */
  kubeletConfig?: Record<string, unknown>;
}

const pass = (name: string, detail: string): CheckResult => ({ name, status: 'pass', detail });
const warn = (name: string, detail: string, fix: string): CheckResult => ({
  name,
  status: 'warn',
  detail,
  fix,
});
const fail = (name: string, detail: string, fix: string): CheckResult => ({
  name,
  status: 'fail',
  detail,
  fix,
});

const MIN_API = [1, 41];
const apiAtLeast = (version: string, [major, minor]: number[]) => {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > major! || (a === major && b >= minor!);
};

export function engineChecks(info: EngineInfo | Error, config: Config): CheckResult[] {
  if (info instanceof Error)
    return [
      fail(
        'engine reachable',
        `${config.dockerHost}: ${info.message}`,
        'start the Docker engine (systemctl start docker / Start-Service docker), or point --docker-host at it',
      ),
    ];
  const results = [
    pass('engine reachable', `${config.dockerHost}: Docker ${info.serverVersion}, API ${info.apiVersion}`),
  ];
  results.push(
    apiAtLeast(info.apiVersion, MIN_API)
      ? pass('engine API version', `${info.apiVersion} (1.41 or newer needed)`)
      : fail(
          'engine API version',
          `${info.apiVersion} is older than 1.41`,
          'upgrade the engine to Docker 20.10 or newer',
        ),
  );
  results.push(
    pass(
      'engine OS',
      `${info.osType}: ${info.operatingSystem}${info.osVersion ? ` (${info.osVersion})` : ''}`,
    ),
  );
  results.push(storageCheck(info));
  if (info.osType === 'linux') results.push(cgroupCheck(info));
  return results;
}

/** Windows: Hyper-V isolation found (or declared), and where; without it only process isolation runs. */
export function isolationCheck(info: EngineInfo, hyperV: HyperVFinding): CheckResult {
  const detail =
    `engine default ${info.defaultIsolation || 'process'}; Hyper-V isolation ` +
    `${hyperV.available ? 'available' : 'not available'} (${hyperV.source}: ${hyperV.detail})`;
  return hyperV.available
    ? pass('isolation', detail)
    : warn('isolation', `${detail}; only process isolation runs`, hyperVRemedy(hyperV));
}

function storageCheck(info: EngineInfo): CheckResult {
  const name = 'storage driver';
  const driver = info.storageDriver || '(containerd snapshotter)';
  if (info.storageDriver === 'vfs')
    return warn(
      name,
      'vfs copies every layer in full: pods start about 3x slower',
      'run dockerd with --storage-driver overlay2',
    );
  return pass(name, driver);
}

function cgroupCheck(info: EngineInfo): CheckResult {
  const detail = `cgroup v${info.cgroupVersion || '?'}, driver ${info.cgroupDriver || '?'}`;
  // Whether the kubelet accepts cgroup v1 is its config's say: checked with --kubelet-config.
  return pass(
    'cgroups',
    info.cgroupVersion === '1' ? `${detail} (the kubelet needs failCgroupV1: false)` : detail,
  );
}

/** The CRI socket: absent (wincri not running: warn), or present with at most 0660. */
export async function endpointCheck(env: DoctorEnv): Promise<CheckResult> {
  const name = 'CRI endpoint';
  const endpoint = parseEndpoint(env.config.listen);
  if (endpoint.kind !== 'unix')
    return pass(name, `${env.config.listen} (a named pipe: Administrators and SYSTEM only)`);
  const found = await env.stat(endpoint.path);
  if (!found)
    return warn(
      name,
      `${endpoint.path} does not exist: wincri is not serving`,
      'start wincri (systemctl start wincri)',
    );
  if (!found.isSocket)
    return fail(
      name,
      `${endpoint.path} is not a socket`,
      'remove the file; wincri makes the socket when it starts',
    );
  const mode = (found.mode & 0o777).toString(8).padStart(4, '0');
  if ((found.mode & 0o007) !== 0)
    return fail(
      name,
      `${endpoint.path} is mode ${mode}: anyone on the node can run containers`,
      `chmod 0660 ${endpoint.path} (wincri makes it 0660)`,
    );
  if (!(await env.listens(endpoint.path)))
    return warn(
      name,
      `${endpoint.path} (mode ${mode}) answers nobody`,
      'start wincri; it replaces a dead socket',
    );
  return pass(name, `${endpoint.path}, mode ${mode}, serving`);
}

export async function stateDirCheck(env: DoctorEnv): Promise<CheckResult> {
  const name = 'state directory';
  const held = await env.listens(env.lockPath);
  return pass(
    name,
    held
      ? `${env.config.rootDir}: held by a running wincri (${env.lockPath}); a second one would wait for it to exit`
      : `${env.config.rootDir}: free (no wincri holds it)`,
  );
}

/** The pause image: present, or at least its registry (through its mirror) answers. */
export async function sandboxImageCheck(env: DoctorEnv): Promise<CheckResult> {
  const name = 'sandbox image';
  const image = env.config.sandboxImage;
  if (await env.image(image)) return pass(name, `${image} is present`);
  const ref = parseReference(image);
  const source = throughMirror(ref, env.config.registryMirrors) ?? ref;
  // As the engine does: plain HTTP for a loopback registry, HTTPS otherwise; Docker Hub's API host.
  const host = source.domain === 'docker.io' ? 'registry-1.docker.io' : source.domain;
  const scheme = /^(127\.|localhost(:|$))/.test(host) ? 'http' : 'https';
  const manifest = `${scheme}://${host}/v2/${source.path}/manifests/${source.digest ?? source.tag ?? 'latest'}`;
  const where = source === ref ? '' : ` (through the mirror ${formatReference(source)})`;
  const answer = await env.registryManifest(manifest);
  const fix = `load the pause image (docker load) or configure --registry-mirror for ${ref.domain}`;
  if (answer instanceof Error)
    return fail(name, `${image} is not present and ${manifest} does not answer (${answer.message})`, fix);
  if (answer === 200)
    return warn(
      name,
      `${image} is not present; its registry has it${where}`,
      'the first pod pulls it; pull it now to start pods sooner',
    );
  if (answer === 401)
    return warn(name, `${image} is not present; its registry${where} wants credentials to say`, fix);
  return fail(name, `${image} is not present, and ${manifest} answers HTTP ${answer}`, fix);
}

const GiB = 1024 ** 3;

export async function diskChecks(env: DoctorEnv, info: EngineInfo | Error): Promise<CheckResult[]> {
  const places: [string, string][] = [['state directory', env.config.rootDir]];
  // The engine's data root is a path on the engine's host: only read when it is this host.
  if (!(info instanceof Error) && !env.config.dockerHost.startsWith('tcp://'))
    places.push(['engine data root', info.dockerRootDir]);
  const results: CheckResult[] = [];
  for (const [what, path] of places) {
    const name = `disk space: ${what}`;
    const space = await env.diskSpace(path);
    if (!space) {
      results.push(
        warn(name, `${path}: not readable here`, 'check the path exists and wincri runs on the engine host'),
      );
      continue;
    }
    const share = space.freeBytes / space.totalBytes;
    const detail = `${path}: ${(space.freeBytes / GiB).toFixed(1)} GiB free of ${(space.totalBytes / GiB).toFixed(1)} (${(share * 100).toFixed(0)} %)`;
    if (share < 0.05)
      results.push(fail(name, detail, 'free space: the kubelet evicts pods below 10 % (imagefs.available)'));
    else if (share < 0.15)
      results.push(warn(name, detail, 'the kubelet starts image garbage collection at 85 % use'));
    else results.push(pass(name, detail));
  }
  return results;
}

/** The node's clock against the engine host's; certificates and log timestamps need them close. */
export function clockCheck(info: EngineInfo | Error, now: number): CheckResult | undefined {
  if (info instanceof Error || !info.systemTime) return undefined;
  const engine = Date.parse(info.systemTime);
  if (Number.isNaN(engine)) return undefined;
  const skew = Math.abs(now - engine) / 1000;
  const detail = `engine clock ${info.systemTime}, ${skew.toFixed(1)} s from this host's`;
  return skew > 5 ? warn('clock', detail, 'synchronise both clocks (NTP / w32time)') : pass('clock', detail);
}

/** The kubelet flags that must match wincri: the endpoint and (Linux) the cgroup driver. */
export function kubeletChecks(
  kubelet: Record<string, unknown>,
  config: Config,
  info: EngineInfo | Error,
): CheckResult[] {
  const results: CheckResult[] = [];
  const endpoint =
    typeof kubelet['containerRuntimeEndpoint'] === 'string' ? kubelet['containerRuntimeEndpoint'] : '';
  results.push(
    endpoint === config.listen
      ? pass('kubelet endpoint', `containerRuntimeEndpoint is ${endpoint}`)
      : fail(
          'kubelet endpoint',
          `containerRuntimeEndpoint is ${endpoint ? JSON.stringify(endpoint) : 'not set'}; wincri listens on ${config.listen}`,
          `set containerRuntimeEndpoint: ${config.listen} in the kubelet config`,
        ),
  );
  if (!(info instanceof Error) && info.osType === 'linux' && info.cgroupVersion === '1')
    results.push(
      kubelet['failCgroupV1'] === false
        ? pass('kubelet on cgroup v1', 'failCgroupV1: false')
        : fail(
            'kubelet on cgroup v1',
            'this host has cgroup v1 and the kubelet refuses it (failCgroupV1 defaults to true since 1.35)',
            'set failCgroupV1: false in the kubelet config, or boot the host with cgroup v2',
          ),
    );
  if (!(info instanceof Error) && info.osType === 'linux') {
    const driver = typeof kubelet['cgroupDriver'] === 'string' ? kubelet['cgroupDriver'] : 'cgroupfs';
    results.push(
      driver === info.cgroupDriver
        ? pass('kubelet cgroup driver', `${driver}, as the engine's`)
        : fail(
            'kubelet cgroup driver',
            `kubelet cgroupDriver ${driver}, engine ${info.cgroupDriver}`,
            `set cgroupDriver: ${info.cgroupDriver} in the kubelet config (or change dockerd's native.cgroupdriver)`,
          ),
    );
  }
  return results;
}

/** The build number of a Windows version string: 20348 of "10.0.20348.2762" or "10.0 20348 (...)". */
export const windowsBuild = (version: string): number | undefined => {
  const build = /^10\.0[. ](\d{5})/.exec(version)?.[1];
  return build === undefined ? undefined : Number(build);
};

/**
 * Windows: a process-isolated container needs an image of the host's own build; Hyper-V isolation
 * runs an image of the host's build or older (docs/windows.md).
 */
export async function pauseBuildCheck(
  env: DoctorEnv,
  info: EngineInfo,
  hyperV: HyperVFinding,
): Promise<CheckResult | undefined> {
  const name = 'pause image build';
  const image = await env.image(env.config.sandboxImage);
  const host = windowsBuild(info.osVersion);
  const built = image && windowsBuild(image.osVersion);
  if (host === undefined || built === undefined) return undefined;
  const detail = `${env.config.sandboxImage} is build ${built}, the host ${host}`;
  if (built === host) return pass(name, `${detail}: process isolation works`);
  if (built < host && hyperV.available)
    return pass(name, `${detail}: needs Hyper-V isolation, which is available`);
  return fail(
    name,
    `${detail}: ${built > host ? 'no isolation runs a newer image' : 'process isolation needs the same build'}`,
    `use a pause image for build ${host} (a multi-arch tag such as mcr.microsoft.com/oss/kubernetes/pause:3.10 has one)`,
  );
}

export async function runChecks(env: DoctorEnv): Promise<CheckResult[]> {
  const info = await env.engineInfo();
  const results = engineChecks(info, env.config);
  if (!(info instanceof Error)) results.push(await sandboxImageCheck(env));
  if (!(info instanceof Error) && info.osType === 'windows') {
    const hyperV = decideHyperV({
      override: env.config.hyperVAvailable,
      features: await env.windowsFeatures(),
      defaultIsolation: info.defaultIsolation,
    });
    results.push(isolationCheck(info, hyperV));
    const build = await pauseBuildCheck(env, info, hyperV);
    if (build) results.push(build);
  }
  if (env.config.networkPlugin === 'cni') results.push(cniCheck(await env.cniSetup()));
  results.push(await endpointCheck(env), await stateDirCheck(env), ...(await diskChecks(env, info)));
  const clock = clockCheck(info, env.now());
  if (clock) results.push(clock);
  if (env.kubeletConfig) results.push(...kubeletChecks(env.kubeletConfig, env.config, info));
  return results;
}

/** 0 every check passed, 1 warnings, 2 failures. */
export function exitCode(results: CheckResult[]): 0 | 1 | 2 {
  if (results.some((r) => r.status === 'fail')) return 2;
  return results.some((r) => r.status === 'warn') ? 1 : 0;
}

export function formatReport(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.map((r) => {
    const head = `${r.status.toUpperCase().padEnd(4)}  ${r.name.padEnd(width)}  ${r.detail}`;
    return r.fix ? `${head}\n${' '.repeat(width + 8)}-> ${r.fix}` : head;
  });
  const counts = (['pass', 'warn', 'fail'] as const).map(
    (s) => `${results.filter((r) => r.status === s).length} ${s}`,
  );
  return `${lines.join('\n')}\n\n${counts.join(', ')}\n`;
}
