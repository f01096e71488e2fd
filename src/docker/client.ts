import type { Duplex, Readable } from 'node:stream';
import type { DockerStatsJson } from './stats-types.js';
import type { ContainerCreateBody, Resources } from './types.js';

/**
 * The narrow door to the Docker Engine: everything wincri asks of the engine, and nothing more.
 * Every call takes an AbortSignal (the CRI call's cancel/deadline) and throws only CriError:
 * `NotFound` for a missing object, `Unavailable` when the engine does not answer, and so on
 * (src/docker/errors.ts translates once). `src/docker/dockerode-client.ts` implements it over
 * dockerode's docker-modem; tests may implement it where no real engine can exist (a Windows engine).
 */
export interface DockerClient {
  /** The engine's address as configured, for messages. */
  readonly host: string;

  ping(signal: AbortSignal): Promise<void>;
  info(signal: AbortSignal): Promise<EngineInfo>;
  /** Bytes used by image layers and by containers' writable layers (GET /system/df: not cheap). */
  diskUsage(signal: AbortSignal): Promise<{ layersBytes: number; containersBytes: number }>;

  listImages(signal: AbortSignal): Promise<ImageSummary[]>;
  /** Undefined when the engine has no such image. */
  inspectImage(reference: string, signal: AbortSignal): Promise<ImageDetails | undefined>;
  /** Pulls `reference` (name:tag or name@digest); registry errors become CriErrors with the registry's words. */
  pullImage(reference: string, auth: RegistryAuth | undefined, signal: AbortSignal): Promise<void>;
  tagImage(source: string, target: { repo: string; tag: string }, signal: AbortSignal): Promise<void>;
  /** Removes one name, or with an image id every tag; `NotFound` when there is nothing to remove. */
  removeImage(reference: string, options: { force: boolean }, signal: AbortSignal): Promise<void>;

  createContainer(name: string, body: ContainerCreateBody, signal: AbortSignal): Promise<string>;
  startContainer(id: string, signal: AbortSignal): Promise<void>;
  /** SIGTERM (or the image's stop signal), then SIGKILL after `timeoutSeconds`. Already stopped is fine. */
  stopContainer(id: string, timeoutSeconds: number, signal: AbortSignal): Promise<void>;
  removeContainer(id: string, options: { force: boolean }, signal: AbortSignal): Promise<void>;
  inspectContainer(id: string, signal: AbortSignal): Promise<ContainerDetails>;
  /**
   * Whether `path` inside a container (created or running) is there, as the engine sees it with
   * the container's mounts set up (HEAD /containers/{id}/archive): resolves when it is, throws
   * `NotFound` when it is not and `Internal` when a mount cannot be set up (an image volume's
   * missing sub path). Nothing is read or copied.
   */
  statContainerPath(id: string, path: string, signal: AbortSignal): Promise<void>;
  listContainers(
    filter: { labels?: Record<string, string>; all: boolean },
    signal: AbortSignal,
  ): Promise<ContainerSummary[]>;
  updateContainer(id: string, resources: Resources, signal: AbortSignal): Promise<void>;
  containerStats(id: string, signal: AbortSignal): Promise<DockerStatsJson>;
  /**
   * Bytes in the writable layer (SizeRw) of each of `ids` that the engine still has, by container
   * id: one listing with sizes, filtered to those ids (the engine walks only their layers, but it
   * walks them all), so call it rarely.
   */
  containerSizes(ids: string[], signal: AbortSignal): Promise<Map<string, number>>;
  /**
   * The container's output as stored by the engine: an object-mode stream of StreamFrame, one
   * frame per stored message, each payload starting with the engine's RFC3339Nano timestamp.
   */
  containerLogs(id: string, options: LogReadOptions, signal: AbortSignal): Promise<Readable>;

  execCreate(containerId: string, options: ExecOptions, signal: AbortSignal): Promise<string>;
  /** Starts an exec and returns its hijacked stream: raw when tty, else Docker's 8-byte multiplexed frames. */
  execStart(execId: string, options: { tty: boolean; stdin: boolean }, signal: AbortSignal): Promise<Duplex>;
  execInspect(execId: string, signal: AbortSignal): Promise<ExecDetails>;
  execResize(execId: string, size: { width: number; height: number }, signal: AbortSignal): Promise<void>;
  attach(containerId: string, options: AttachOptions, signal: AbortSignal): Promise<Duplex>;
  resizeContainer(
    containerId: string,
    size: { width: number; height: number },
    signal: AbortSignal,
  ): Promise<void>;

  /**
   * Engine events from now (or `sinceSeconds`) until the signal aborts or the engine goes away;
   * `onOpen` runs once the engine has accepted the subscription (every later event will come).
   */
  events(
    options: { sinceSeconds?: number; types: EventType[]; onOpen?: () => void },
    signal: AbortSignal,
  ): AsyncIterable<EngineEvent>;
}

export interface EngineInfo {
  osType: 'linux' | 'windows';
  /** e.g. "Debian GNU/Linux 12" or "10.0 20348 (20348.1.amd64fre.fe_release.210507-1500)". */
  operatingSystem: string;
  /** Windows: "10.0.20348.2340"-like build string from OSVersion; Linux: as reported, may be empty. */
  osVersion: string;
  kernelVersion: string;
  serverVersion: string;
  apiVersion: string;
  cgroupDriver: 'cgroupfs' | 'systemd' | 'none' | '';
  cgroupVersion: string;
  ncpu: number;
  memTotalBytes: number;
  dockerRootDir: string;
  storageDriver: string;
  /**
   * Set when the engine keeps images in containerd's image store (Docker 29's default): the
   * snapshotter's name. Its layers then live in containerd's root, not under `dockerRootDir`.
   */
  snapshotter?: string;
  /** Windows: the engine's default isolation ("process" or "hyperv"). */
  defaultIsolation: string;
  runtimes: string[];
  defaultRuntime: string;
  /** The engine host's clock when it answered (RFC 3339), when it says. */
  systemTime?: string;
}

export interface ImageSummary {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  sizeBytes: number;
}

export interface ImageDetails extends ImageSummary {
  /** The image config's user, e.g. "1002", "www-data:1004" or "". */
  user: string;
  os: string;
  osVersion: string;
  architecture: string;
  createdAt: string;
  env: string[];
  labels: Record<string, string>;
  stopSignal: string;
  workingDir: string;
  entrypoint: string[];
  cmd: string[];
}

/** The credentials a CRI AuthConfig carries, in Docker's X-Registry-Auth shape. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  /** base64 of "user:password" */
  auth?: string;
  identitytoken?: string;
  registrytoken?: string;
  serveraddress?: string;
}

export type ContainerRunState =
  'created' | 'restarting' | 'running' | 'removing' | 'paused' | 'exited' | 'dead';

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  imageId: string;
  createdSeconds: number;
  state: ContainerRunState;
  labels: Record<string, string>;
}

/** One of a container's mounts as the engine set it up (inspect's `Mounts`). */
export interface ContainerMount {
  /** "bind", "volume", "tmpfs", "npipe" or "image" (API 1.48+). */
  type: string;
  /** A bind's host path; for an image mount, where the engine mounted the image on its host. */
  source: string;
  target: string;
  readOnly: boolean;
  propagation: string;
  /** An image mount's image as the create named it (wincri names it by id). */
  image?: string;
  /** An image mount's `ImageOptions.Subpath` (from HostConfig.Mounts). */
  imageSubpath?: string;
}

export interface ContainerDetails {
  id: string;
  name: string;
  image: string;
  imageId: string;
  created: string;
  labels: Record<string, string>;
  state: {
    status: ContainerRunState;
    running: boolean;
    exitCode: number;
    oomKilled: boolean;
    error: string;
    pid: number;
    startedAt: string;
    finishedAt: string;
  };
  config: {
    tty: boolean;
    openStdin: boolean;
    stdinOnce: boolean;
    env: string[];
    hostname: string;
    user: string;
  };
  hostConfig: {
    networkMode: string;
    isolation: string;
    pidMode: string;
    ipcMode: string;
    resources: Resources;
    mounts: ContainerMount[];
  };
  /** IP addresses by network name. */
  networks: Record<string, { ipAddress: string; globalIPv6Address: string }>;
  logPath: string;
  /**
   * The storage driver's name and, for the overlay family, the host directory that holds the
   * container's writable layer (GraphDriver.Data.UpperDir); absent on other drivers and engines.
   */
  graphDriver?: { name: string; upperDir?: string };
}

export interface LogReadOptions {
  /** Unix seconds with fraction, e.g. "1700000000.123456789"; lines at or after it. */
  since?: string;
  follow: boolean;
}

export interface ExecOptions {
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  user?: string;
  env?: string[];
}

export interface ExecDetails {
  running: boolean;
  exitCode: number | null;
  pid: number;
}

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export type EventType = 'container' | 'image';

export interface EngineEvent {
  type: EventType;
  /** e.g. create, start, die, destroy, oom, pull, delete, untag. */
  action: string;
  id: string;
  attributes: Record<string, string>;
  timeNano: bigint;
}
