/**
 * The engine's JSON answers read into the DockerClient's types (src/docker/client.ts): every field
 * read defensively, as the engine omits what it has not got.
 */
import type {
  ContainerDetails,
  ContainerMount,
  ContainerRunState,
  ContainerSummary,
  EngineEvent,
  EngineInfo,
  EventType,
  ImageDetails,
  ImageSummary,
} from './client.js';
import type { Resources } from './types.js';

export type Json = Record<string, unknown>;

export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
export const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
export const record = (v: unknown): Record<string, string> =>
  v !== null && typeof v === 'object' ? (v as Record<string, string>) : {};
export const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});

/** Tags and digests as the engine lists them, without its "<none>" placeholders. */
export const realNames = (v: unknown) => strings(v).filter((name) => !name.startsWith('<none>'));

export function toEngineEvent(e: Json): EngineEvent {
  const actor = obj(e['Actor']);
  return {
    type: str(e['Type']) as EventType,
    // "exec_start: sh -c ..." carries the command after the colon.
    action: str(e['Action']).split(':')[0] ?? '',
    id: str(actor['ID']),
    attributes: record(actor['Attributes']),
    timeNano: BigInt(num(e['timeNano'])),
  };
}

export function toContainerDetails(c: Json): ContainerDetails {
  const state = obj(c['State']);
  const config = obj(c['Config']);
  const hostConfig = obj(c['HostConfig']);
  const networks = obj(obj(c['NetworkSettings'])['Networks']);
  const mounts = Array.isArray(c['Mounts']) ? (c['Mounts'] as Json[]) : [];
  return {
    id: str(c['Id']),
    name: str(c['Name']).replace(/^\//, ''),
    image: str(config['Image']),
    imageId: str(c['Image']),
    created: str(c['Created']),
    labels: record(config['Labels']),
    state: {
      status: str(state['Status']) as ContainerRunState,
      running: state['Running'] === true,
      exitCode: num(state['ExitCode']),
      oomKilled: state['OOMKilled'] === true,
      error: str(state['Error']),
      pid: num(state['Pid']),
      startedAt: str(state['StartedAt']),
      finishedAt: str(state['FinishedAt']),
    },
    config: {
      tty: config['Tty'] === true,
      openStdin: config['OpenStdin'] === true,
      stdinOnce: config['StdinOnce'] === true,
      env: strings(config['Env']),
      hostname: str(config['Hostname']),
      user: str(config['User']),
    },
    hostConfig: {
      networkMode: str(hostConfig['NetworkMode']),
      isolation: str(hostConfig['Isolation']),
      pidMode: str(hostConfig['PidMode']),
      ipcMode: str(hostConfig['IpcMode']),
      resources: hostConfig as Resources,
      mounts: mounts.map((m) => toContainerMount(m, hostConfig)),
    },
    networks: Object.fromEntries(
      Object.entries(networks).map(([name, n]) => [
        name,
        { ipAddress: str(obj(n)['IPAddress']), globalIPv6Address: str(obj(n)['GlobalIPv6Address']) },
      ]),
    ),
    logPath: str(c['LogPath']),
    graphDriver: graphDriverOf(obj(c['GraphDriver'])),
  };
}

/** One inspect `Mounts` entry; an image mount's name and sub path from its HostConfig.Mounts twin. */
function toContainerMount(m: Json, hostConfig: Json): ContainerMount {
  const mount: ContainerMount = {
    type: str(m['Type']),
    source: str(m['Source']),
    target: str(m['Destination']),
    readOnly: m['RW'] === false,
    propagation: str(m['Propagation']),
  };
  if (mount.type !== 'image') return mount;
  mount.image = str(m['Name']);
  const specs = Array.isArray(hostConfig['Mounts']) ? (hostConfig['Mounts'] as Json[]) : [];
  const spec = specs.find((s) => str(s['Type']) === 'image' && str(s['Target']) === mount.target);
  const subpath = str(obj(spec?.['ImageOptions'])['Subpath']);
  if (subpath !== '') mount.imageSubpath = subpath;
  return mount;
}

function graphDriverOf(driver: Json): ContainerDetails['graphDriver'] {
  const upperDir = obj(driver['Data'])['UpperDir'];
  const name = str(driver['Name']);
  return typeof upperDir === 'string' && upperDir !== '' ? { name, upperDir } : { name };
}

/** `GET /info` and `GET /version` as EngineInfo. */
export function toEngineInfo(info: Json, version: Json): EngineInfo {
  const engine: EngineInfo = {
    osType: str(info['OSType']) === 'windows' ? 'windows' : 'linux',
    operatingSystem: str(info['OperatingSystem']),
    osVersion: str(info['OSVersion']),
    kernelVersion: str(info['KernelVersion']),
    serverVersion: str(info['ServerVersion']),
    apiVersion: str(version['ApiVersion']),
    cgroupDriver: str(info['CgroupDriver']) as EngineInfo['cgroupDriver'],
    cgroupVersion: str(info['CgroupVersion']),
    ncpu: num(info['NCPU']),
    memTotalBytes: num(info['MemTotal']),
    dockerRootDir: str(info['DockerRootDir']),
    storageDriver: str(info['Driver']),
    defaultIsolation: str(info['Isolation']),
    systemTime: str(info['SystemTime']),
    runtimes: Object.keys(obj(info['Runtimes'])),
    defaultRuntime: str(info['DefaultRuntime']),
  };
  if (isSnapshotterStore(info['DriverStatus'])) engine.snapshotter = str(info['Driver']);
  return engine;
}

/**
 * On the containerd image store `Driver` names a snapshotter (`overlayfs`) and DriverStatus says so
 * with `["driver-type", "io.containerd.snapshotter.v1"]`; a graph driver's DriverStatus never does.
 */
function isSnapshotterStore(status: unknown): boolean {
  return (
    Array.isArray(status) &&
    status.some(
      (row) => Array.isArray(row) && row[0] === 'driver-type' && row[1] === 'io.containerd.snapshotter.v1',
    )
  );
}

/** A `GET /images/json` entry as ImageSummary. */
export function toImageSummary(image: Json): ImageSummary {
  return {
    id: str(image['Id']),
    repoTags: realNames(image['RepoTags']),
    repoDigests: realNames(image['RepoDigests']),
    sizeBytes: num(image['Size']),
  };
}

/** `GET /images/{name}/json` as ImageDetails. */
export function toImageDetails(image: Json): ImageDetails {
  const config = obj(image['Config']);
  return {
    id: str(image['Id']),
    repoTags: realNames(image['RepoTags']),
    repoDigests: realNames(image['RepoDigests']),
    sizeBytes: num(image['Size']),
    user: str(config['User']),
    os: str(image['Os']),
    osVersion: str(image['OsVersion']),
    architecture: str(image['Architecture']),
    createdAt: str(image['Created']),
    env: strings(config['Env']),
    labels: record(config['Labels']),
    stopSignal: str(config['StopSignal']),
    workingDir: str(config['WorkingDir']),
    entrypoint: strings(config['Entrypoint']),
    cmd: strings(config['Cmd']),
  };
}

/** `GET /system/df` as the two sizes ImageFsInfo reports. */
export function toDiskUsage(df: Json): { layersBytes: number; containersBytes: number } {
  const containers = Array.isArray(df['Containers']) ? (df['Containers'] as Json[]) : [];
  return {
    layersBytes: num(df['LayersSize']),
    containersBytes: containers.reduce((sum, c) => sum + num(c['SizeRw']), 0),
  };
}

/** A `GET /containers/json` entry as ContainerSummary. */
export function toContainerSummary(c: Json): ContainerSummary {
  return {
    id: str(c['Id']),
    name: strings(c['Names'])[0]?.replace(/^\//, '') ?? '',
    image: str(c['Image']),
    imageId: str(c['ImageID']),
    createdSeconds: num(c['Created']),
    state: str(c['State']) as ContainerRunState,
    labels: record(c['Labels']),
  };
}
