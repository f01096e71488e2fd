import type { IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Duplex, Readable } from 'node:stream';
import Docker from 'dockerode';
import { CriError, type ErrorKind } from '../errors.js';
import type {
  AttachOptions,
  ContainerDetails,
  ContainerRunState,
  ContainerSummary,
  DockerClient,
  EngineEvent,
  EngineInfo,
  EventType,
  ExecDetails,
  ExecOptions,
  ImageDetails,
  ImageSummary,
  LogReadOptions,
  RegistryAuth,
} from './client.js';
import { engineMessage, fromEngineError, isRemovalInProgress } from './errors.js';
import { Demultiplexer, TtyFramer } from './multiplex.js';
import { engineOperation } from './operations.js';
import type { EngineObserver } from '../metrics/metrics.js';
import type { DockerStatsJson } from './stats-types.js';
import type { ContainerCreateBody, Resources } from './types.js';

/** Where dockerode connects, from a DOCKER_HOST-style address. */
export function dockerConnectOptions(host: string): Docker.DockerOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('npipe://')) {
    // npipe:////./pipe/docker_engine -> //./pipe/docker_engine, which Node opens as a named pipe.
    return { socketPath: '//' + host.slice('npipe://'.length).replace(/^\/+/, '') };
  }
  const tcp = /^(?:tcp|http):\/\/([^:/]+):(\d+)\/?$/.exec(host);
  if (tcp?.[1] && tcp[2]) return { host: tcp[1], port: Number(tcp[2]), protocol: 'http' };
  throw new CriError(
    'InvalidArgument',
    `docker host ${JSON.stringify(host)}: use unix:///var/run/docker.sock, npipe:////./pipe/docker_engine or tcp://host:port`,
  );
}

interface DialRequest {
  method: 'GET' | 'POST' | 'DELETE' | 'HEAD';
  path: string;
  query?: Record<string, unknown>;
  body?: unknown;
  isStream?: boolean;
  hijack?: boolean;
  authconfig?: RegistryAuth;
}

// Every 2xx/304 is success; any other status reaches errors.ts with its statusCode.
const OK_STATUSES = { 200: true, 201: true, 204: true, 304: true };

/** How long a container removal waits on another removal of it: 300 × 100 ms, 30 s at most. */
const REMOVAL_WAIT_ATTEMPTS = 300;
const REMOVAL_WAIT_MS = 100;

interface Modem {
  dial(options: Record<string, unknown>, callback: (err: unknown, data: unknown) => void): void;
}

type Json = Record<string, unknown>;

/** One line of the engine's pull progress stream. */
interface PullProgress {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
const record = (v: unknown): Record<string, string> =>
  v !== null && typeof v === 'object' ? (v as Record<string, string>) : {};
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});

/** Tags and digests as the engine lists them, without its "<none>" placeholders. */
const realNames = (v: unknown) => strings(v).filter((name) => !name.startsWith('<none>'));

/** The DockerClient over dockerode's modem: one request function, every call cancellable. */
export class DockerodeClient implements DockerClient {
  readonly #modem: Modem;
  readonly #observer: EngineObserver | undefined;

  /** `observer` times every call and pull (metrics); none by default. */
  constructor(
    readonly host: string,
    observer?: EngineObserver,
  ) {
    this.#modem = (new Docker(dockerConnectOptions(host)) as unknown as { modem: Modem }).modem;
    this.#observer = observer;
  }

  #dial<T>(
    what: string,
    request: DialRequest,
    signal: AbortSignal,
    overrides?: Partial<Record<number, ErrorKind>>,
    translate: (err: unknown) => CriError = (err) => fromEngineError(err, what, this.host, overrides),
  ): Promise<T> {
    if (signal.aborted) return Promise.reject(fromEngineError(signal.reason, what, this.host));
    const options: Json = {
      method: request.method,
      path: `${request.path}?`,
      // docker-modem sends `_query` as the query string and `_body` as the JSON body.
      options: { _query: request.query ?? {}, _body: request.body ?? {} },
      statusCodes: OK_STATUSES,
      abortSignal: signal,
      isStream: request.isStream ?? false,
      hijack: request.hijack ?? false,
      // Never hold the request body open: docker-modem would then not send the headers until
      // a first write, and a body-less hijack (attach) would never reach the engine. After the
      // upgrade, stdin travels on the hijacked socket itself.
      openStdin: false,
    };
    if (request.authconfig) options['authconfig'] = request.authconfig;
    const observer = this.#observer;
    if (!observer)
      return new Promise<T>((resolve, reject) =>
        this.#modem.dial(options, (err, data) => (err ? reject(translate(err)) : resolve(data as T))),
      );
    const started = performance.now();
    const operation = engineOperation(request.method, request.path);
    return new Promise<T>((resolve, reject) =>
      this.#modem.dial(options, (err, data) => {
        const failure = err ? translate(err) : undefined;
        observer.call(operation, (performance.now() - started) / 1000, failure?.kind);
        if (failure) reject(failure);
        else resolve(data as T);
      }),
    );
  }

  async ping(signal: AbortSignal): Promise<void> {
    await this.#dial('ping the Docker engine', { method: 'GET', path: '/_ping' }, signal);
  }

  async info(signal: AbortSignal): Promise<EngineInfo> {
    const [info, version] = await Promise.all([
      this.#dial<Json>('read engine info', { method: 'GET', path: '/info' }, signal),
      this.#dial<Json>('read engine version', { method: 'GET', path: '/version' }, signal),
    ]);
    return {
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
      runtimes: Object.keys(obj(info['Runtimes'])),
      defaultRuntime: str(info['DefaultRuntime']),
    };
  }

  async diskUsage(signal: AbortSignal): Promise<{ layersBytes: number; containersBytes: number }> {
    const df = await this.#dial<Json>(
      'read engine disk usage',
      { method: 'GET', path: '/system/df' },
      signal,
    );
    const containers = Array.isArray(df['Containers']) ? (df['Containers'] as Json[]) : [];
    return {
      layersBytes: num(df['LayersSize']),
      containersBytes: containers.reduce((sum, c) => sum + num(c['SizeRw']), 0),
    };
  }

  async listImages(signal: AbortSignal): Promise<ImageSummary[]> {
    const images = await this.#dial<Json[]>('list images', { method: 'GET', path: '/images/json' }, signal);
    return images.map((image) => ({
      id: str(image['Id']),
      repoTags: realNames(image['RepoTags']),
      repoDigests: realNames(image['RepoDigests']),
      sizeBytes: num(image['Size']),
    }));
  }

  async inspectImage(reference: string, signal: AbortSignal): Promise<ImageDetails | undefined> {
    const what = `inspect image ${reference}`;
    const image = await this.#dial<Json>(
      what,
      { method: 'GET', path: `/images/${encodeURIComponent(reference)}/json` },
      signal,
    ).catch((err: unknown) => {
      if (err instanceof CriError && err.kind === 'NotFound') return undefined;
      throw err;
    });
    if (image === undefined) return undefined;
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

  async pullImage(reference: string, auth: RegistryAuth | undefined, signal: AbortSignal): Promise<void> {
    const what = `pull image ${reference}`;
    const request: DialRequest = {
      method: 'POST',
      path: '/images/create',
      query: { fromImage: reference },
      isStream: true,
    };
    if (auth) request.authconfig = auth;
    const started = performance.now();
    // Each layer's size as its download progress states it; layers already present send none.
    const layerBytes = new Map<string, number>();
    let ok = false;
    try {
      const progress = await this.#dial<IncomingMessage>(what, request, signal, undefined, (err) =>
        classifyPullError(err, what, this.host),
      );
      // The engine answers 200 at once and reports failures inside the progress stream.
      for await (const line of createInterface({ input: progress, crlfDelay: Infinity })) {
        if (!line.trim()) continue;
        const message = JSON.parse(line) as PullProgress;
        const failure = message.errorDetail?.message ?? message.error;
        if (failure)
          throw classifyPullError(
            Object.assign(new Error(failure), { json: { message: failure } }),
            what,
            this.host,
          );
        const total = message.progressDetail?.total;
        if (message.status === 'Downloading' && message.id && typeof total === 'number' && total > 0)
          layerBytes.set(message.id, total);
      }
      if (signal.aborted) throw fromEngineError(signal.reason, what, this.host);
      ok = true;
    } finally {
      let bytes = 0;
      for (const size of layerBytes.values()) bytes += size;
      this.#observer?.pull((performance.now() - started) / 1000, bytes, ok);
    }
  }

  async tagImage(source: string, target: { repo: string; tag: string }, signal: AbortSignal): Promise<void> {
    await this.#dial(
      `tag image ${source} as ${target.repo}:${target.tag}`,
      { method: 'POST', path: `/images/${encodeURIComponent(source)}/tag`, query: target },
      signal,
    );
  }

  async removeImage(reference: string, options: { force: boolean }, signal: AbortSignal): Promise<void> {
    await this.#dial(
      `remove image ${reference}`,
      { method: 'DELETE', path: `/images/${encodeURIComponent(reference)}`, query: { force: options.force } },
      signal,
      // 409: "image is being used by a running container" / "referenced in multiple repositories".
      { 409: 'FailedPrecondition' },
    );
  }

  async createContainer(name: string, body: ContainerCreateBody, signal: AbortSignal): Promise<string> {
    const created = await this.#dial<Json>(
      `create container ${name}`,
      { method: 'POST', path: '/containers/create', query: { name }, body },
      signal,
      { 404: 'NotFound' },
    );
    return str(created['Id']);
  }

  async startContainer(id: string, signal: AbortSignal): Promise<void> {
    await this.#dial(`start container ${id}`, { method: 'POST', path: `/containers/${id}/start` }, signal);
  }

  async stopContainer(id: string, timeoutSeconds: number, signal: AbortSignal): Promise<void> {
    // 304 (already stopped) counts as success.
    await this.#dial(
      `stop container ${id}`,
      { method: 'POST', path: `/containers/${id}/stop`, query: { t: timeoutSeconds } },
      signal,
    );
  }

  async removeContainer(id: string, options: { force: boolean }, signal: AbortSignal): Promise<void> {
    // Another removal of the same container under way (a call the kubelet gave up on, start-up
    // recovery) ends with the container gone or refused: ask again until one of those is the answer.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#dial(
          `remove container ${id}`,
          { method: 'DELETE', path: `/containers/${id}`, query: { force: options.force, v: true } },
          signal,
          { 409: 'FailedPrecondition' },
        );
        return;
      } catch (err) {
        if (!isRemovalInProgress(err) || attempt === REMOVAL_WAIT_ATTEMPTS) throw err;
        await sleep(REMOVAL_WAIT_MS, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  async inspectContainer(id: string, signal: AbortSignal): Promise<ContainerDetails> {
    const c = await this.#dial<Json>(
      `inspect container ${id}`,
      { method: 'GET', path: `/containers/${id}/json` },
      signal,
    );
    return toContainerDetails(c);
  }

  async listContainers(
    filter: { labels?: Record<string, string>; all: boolean },
    signal: AbortSignal,
  ): Promise<ContainerSummary[]> {
    const labels = Object.entries(filter.labels ?? {}).map(([k, v]) => `${k}=${v}`);
    const query: Json = { all: filter.all };
    if (labels.length > 0) query['filters'] = JSON.stringify({ label: labels });
    const list = await this.#dial<Json[]>(
      'list containers',
      { method: 'GET', path: '/containers/json', query },
      signal,
    );
    return list.map((c) => ({
      id: str(c['Id']),
      name: strings(c['Names'])[0]?.replace(/^\//, '') ?? '',
      image: str(c['Image']),
      imageId: str(c['ImageID']),
      createdSeconds: num(c['Created']),
      state: str(c['State']) as ContainerRunState,
      labels: record(c['Labels']),
    }));
  }

  async updateContainer(id: string, resources: Resources, signal: AbortSignal): Promise<void> {
    await this.#dial(
      `update container ${id}`,
      { method: 'POST', path: `/containers/${id}/update`, body: resources },
      signal,
    );
  }

  containerStats(id: string, signal: AbortSignal): Promise<DockerStatsJson> {
    return this.#dial<DockerStatsJson>(
      `read stats of container ${id}`,
      // one-shot skips the engine's second sample (a 1 s wait per call); the collector keeps its own.
      { method: 'GET', path: `/containers/${id}/stats`, query: { stream: false, 'one-shot': true } },
      signal,
    );
  }

  async containerSizes(ids: string[], signal: AbortSignal): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    // The engine sizes only the containers that pass the filters; an id filter is a pattern, and a
    // full 64-hex id matches only itself.
    const filters = JSON.stringify({ label: ['io.wincri.kind'], id: ids });
    const list = await this.#dial<Json[]>(
      'list container sizes',
      { method: 'GET', path: '/containers/json', query: { all: true, size: true, filters } },
      signal,
    );
    return new Map(
      list.filter((c) => typeof c['SizeRw'] === 'number').map((c) => [str(c['Id']), num(c['SizeRw'])]),
    );
  }

  async containerLogs(id: string, options: LogReadOptions, signal: AbortSignal): Promise<Readable> {
    const details = await this.inspectContainer(id, signal);
    const query: Json = { stdout: true, stderr: true, timestamps: true, follow: options.follow };
    if (options.since !== undefined) query['since'] = options.since;
    const raw = await this.#dial<Readable>(
      `read logs of container ${id}`,
      { method: 'GET', path: `/containers/${id}/logs`, query, isStream: true },
      signal,
    );
    const framer = details.config.tty ? new TtyFramer() : new Demultiplexer();
    raw.on('error', (err) => framer.destroy(err));
    return raw.pipe(framer);
  }

  async execCreate(containerId: string, options: ExecOptions, signal: AbortSignal): Promise<string> {
    const body: Json = {
      Cmd: options.cmd,
      Tty: options.tty,
      AttachStdin: options.stdin,
      AttachStdout: options.stdout,
      AttachStderr: options.stderr,
    };
    if (options.user) body['User'] = options.user;
    if (options.env) body['Env'] = options.env;
    const created = await this.#dial<Json>(
      `exec in container ${containerId}`,
      { method: 'POST', path: `/containers/${containerId}/exec`, body },
      signal,
      // 409: the container is not running (or paused).
      { 409: 'FailedPrecondition' },
    );
    return str(created['Id']);
  }

  execStart(execId: string, options: { tty: boolean; stdin: boolean }, signal: AbortSignal): Promise<Duplex> {
    return this.#dial<Duplex>(
      `start exec ${execId}`,
      {
        method: 'POST',
        path: `/exec/${execId}/start`,
        body: { Detach: false, Tty: options.tty },
        isStream: true,
        hijack: true,
      },
      signal,
      { 409: 'FailedPrecondition' },
    );
  }

  async execInspect(execId: string, signal: AbortSignal): Promise<ExecDetails> {
    const e = await this.#dial<Json>(
      `inspect exec ${execId}`,
      { method: 'GET', path: `/exec/${execId}/json` },
      signal,
    );
    const exitCode = e['ExitCode'];
    return {
      running: e['Running'] === true,
      exitCode: typeof exitCode === 'number' ? exitCode : null,
      pid: num(e['Pid']),
    };
  }

  async execResize(
    execId: string,
    size: { width: number; height: number },
    signal: AbortSignal,
  ): Promise<void> {
    await this.#dial(
      `resize exec ${execId}`,
      { method: 'POST', path: `/exec/${execId}/resize`, query: { h: size.height, w: size.width } },
      signal,
    );
  }

  attach(containerId: string, options: AttachOptions, signal: AbortSignal): Promise<Duplex> {
    return this.#dial<Duplex>(
      `attach to container ${containerId}`,
      {
        method: 'POST',
        path: `/containers/${containerId}/attach`,
        query: { stream: true, stdin: options.stdin, stdout: options.stdout, stderr: options.stderr },
        isStream: true,
        hijack: true,
      },
      signal,
    );
  }

  async resizeContainer(
    containerId: string,
    size: { width: number; height: number },
    signal: AbortSignal,
  ): Promise<void> {
    await this.#dial(
      `resize container ${containerId}`,
      { method: 'POST', path: `/containers/${containerId}/resize`, query: { h: size.height, w: size.width } },
      signal,
    );
  }

  async *events(
    options: { sinceSeconds?: number; types: EventType[] },
    signal: AbortSignal,
  ): AsyncIterable<EngineEvent> {
    const query: Json = { filters: JSON.stringify({ type: options.types }) };
    if (options.sinceSeconds !== undefined) query['since'] = options.sinceSeconds;
    const stream = await this.#dial<Readable>(
      'watch engine events',
      { method: 'GET', path: '/events', query, isStream: true },
      signal,
    );
    try {
      for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
        if (line.trim()) yield toEngineEvent(JSON.parse(line) as Json);
      }
    } catch (err) {
      throw fromEngineError(err, 'watch engine events', this.host);
    } finally {
      stream.destroy();
    }
  }
}

function toEngineEvent(e: Json): EngineEvent {
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

function toContainerDetails(c: Json): ContainerDetails {
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
      mounts: mounts.map((m) => ({
        source: str(m['Source']),
        target: str(m['Destination']),
        readOnly: m['RW'] === false,
        propagation: str(m['Propagation']),
      })),
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

function graphDriverOf(driver: Json): ContainerDetails['graphDriver'] {
  const upperDir = obj(driver['Data'])['UpperDir'];
  const name = str(driver['Name']);
  return typeof upperDir === 'string' && upperDir !== '' ? { name, upperDir } : { name };
}

/**
 * Registry failures reach the engine's API as text only (a 404 or 500, or an error line in the
 * progress stream), so this is the one place that reads their words to pick a status.
 */
function classifyPullError(err: unknown, what: string, host: string): CriError {
  const message = engineMessage(err);
  const kind: ErrorKind | undefined =
    /unauthorized|authentication required|no basic auth credentials|incorrect username or password|denied/i.test(
      message,
    )
      ? 'Unauthenticated'
      : /manifest unknown|not found|repository does not exist|no such host/i.test(message)
        ? 'NotFound'
        : /connection refused|i\/o timeout|dial tcp|TLS handshake|EOF/i.test(message)
          ? 'Unavailable'
          : undefined;
  if (kind === undefined) return fromEngineError(err, what, host);
  const hint: Record<string, string> = {
    Unauthenticated:
      "check the pull credentials (crictl pull --creds USER:PASS, or the pod's imagePullSecrets)",
    NotFound: 'check the image name and tag, and the registry mirror configured for its registry',
    Unavailable:
      'the registry (or its configured mirror) does not answer; check that it is up and reachable from the engine',
  };
  return new CriError(kind, `${what}: ${message}; ${hint[kind]}`, { cause: err });
}
