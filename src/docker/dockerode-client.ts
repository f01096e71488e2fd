import type { IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Duplex, Readable } from 'node:stream';
import { CriError, type ErrorKind } from '../errors.js';
import type {
  AttachOptions,
  ContainerDetails,
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
import { classifyPullError, fromEngineError, isRemovalInProgress } from './errors.js';
import {
  num,
  str,
  toContainerDetails,
  toContainerSummary,
  toDiskUsage,
  toEngineEvent,
  toEngineInfo,
  toImageDetails,
  toImageSummary,
  type Json,
} from './engine-json.js';
import { dial, openModem, type DialRequest, type Modem } from './connect.js';
import { readPullProgress } from './pull-progress.js';
import { Demultiplexer, TtyFramer } from './multiplex.js';
import { engineOperation } from './operations.js';
import type { EngineObserver } from '../metrics/metrics.js';
import type { DockerStatsJson } from './stats-types.js';
import type { ContainerCreateBody, Resources } from './types.js';

/** How long a container removal waits on another removal of it: 300 × 100 ms, 30 s at most. */
const REMOVAL_WAIT_ATTEMPTS = 300;
const REMOVAL_WAIT_MS = 100;

/** The DockerClient over dockerode's modem: one request function, every call cancellable. */
export class DockerodeClient implements DockerClient {
  readonly #modem: Modem;
  readonly #observer: EngineObserver | undefined;

  /** `observer` times every call and pull (metrics); none by default. */
  constructor(
    readonly host: string,
    observer?: EngineObserver,
  ) {
    this.#modem = openModem(host);
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
    const observer = this.#observer;
    if (!observer) return dial<T>(this.#modem, request, signal, translate);
    const started = performance.now();
    const operation = engineOperation(request.method, request.path);
    const seconds = () => (performance.now() - started) / 1000;
    return dial<T>(this.#modem, request, signal, translate).then(
      (data) => {
        observer.call(operation, seconds(), undefined);
        return data;
      },
      (failure: CriError) => {
        observer.call(operation, seconds(), failure.kind);
        throw failure;
      },
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
    return toEngineInfo(info, version);
  }

  async diskUsage(signal: AbortSignal): Promise<{ layersBytes: number; containersBytes: number }> {
    const df = await this.#dial<Json>(
      'read engine disk usage',
      { method: 'GET', path: '/system/df' },
      signal,
    );
    return toDiskUsage(df);
  }

  async listImages(signal: AbortSignal): Promise<ImageSummary[]> {
    const images = await this.#dial<Json[]>('list images', { method: 'GET', path: '/images/json' }, signal);
    return images.map(toImageSummary);
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
    return toImageDetails(image);
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
      await readPullProgress(progress, layerBytes, (failure) =>
        classifyPullError(Object.assign(new Error(failure), { json: { message: failure } }), what, this.host),
      );
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

  async statContainerPath(id: string, path: string, signal: AbortSignal): Promise<void> {
    await this.#dial(
      `stat ${path} in container ${id}`,
      { method: 'HEAD', path: `/containers/${id}/archive`, query: { path } },
      signal,
    );
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
    return list.map(toContainerSummary);
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
    options: { sinceSeconds?: number; types: EventType[]; onOpen?: () => void },
    signal: AbortSignal,
  ): AsyncIterable<EngineEvent> {
    const query: Json = { filters: JSON.stringify({ type: options.types }) };
    if (options.sinceSeconds !== undefined) query['since'] = options.sinceSeconds;
    const request: DialRequest = { method: 'GET', path: '/events', query, isStream: true };
    const stream = await this.#dial<Readable>('watch engine events', request, signal);
    options.onOpen?.();
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
