/**
 * A Docker Engine double that answers like a Windows Server engine, over a unix socket, for tests.
 *
 * It serves the part of the Engine API wincri uses (paths with or without a `/v1.xx` prefix):
 * ping, version, info, system df, images (list, inspect, pull, tag, remove), containers (create,
 * start, stop, kill, wait, remove, inspect, list with filters, stats, update, logs), execs (create,
 * start over a hijacked connection, inspect, resize) and a live event stream. It records every
 * request (method, path, query, parsed JSON body) for assertions. What a container prints is up to
 * the test (`output`), as are when it exits (`exit`) and what an exec answers (`execHandler`).
 *
 * It checks what a Windows daemon checks, with Docker's wording where moby has one:
 * - at create (moby daemon/daemon_windows.go verifyContainerResources, volume/mounts/windows_parser.go,
 *   runconfig validateNetContainerMode): Linux-only resources, CPU conflicts, isolation values,
 *   mount shapes, options next to `container:<id>` networking, Hyper-V with `container:<id>`;
 * - at update (container/container_windows.go UpdateContainer): any resource at all, since Windows
 *   cannot change the limits of a container once made;
 * - at start (daemon/oci_windows.go and HCS): SecurityOpt keys, devices under Hyper-V, joining a
 *   container that does not run, Hyper-V missing, and the image/host build mismatch HCS reports as
 *   0xc0370101 (the compatibility rule is written out here on its own, not imported from wincri, so
 *   the double can catch wincri's rule being wrong).
 * Fixtures and their sources: test/fixtures/windows/README.md.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type WindowsProfile = 'ws2019' | 'ws2022' | 'ws2025';

interface ProfileFacts {
  build: number;
  apiVersion: string;
  info: Record<string, unknown>;
}

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/windows/${name}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

const PROFILES: Record<WindowsProfile, () => ProfileFacts> = {
  ws2019: () => ({ build: 17763, apiVersion: '1.41', info: fixture('info-ws2019.json') }),
  ws2022: () => ({ build: 20348, apiVersion: '1.47', info: fixture('info-ws2022.json') }),
  ws2025: () => ({ build: 26100, apiVersion: '1.47', info: fixture('info-ws2025.json') }),
};

export interface CatalogImage {
  reference: string;
  variants: { osVersion: string; size: number }[];
  config?: Record<string, unknown>;
  created?: string;
}

export interface WindowsEngineDoubleOptions {
  profile?: WindowsProfile;
  /** Defaults to a fresh temporary directory. */
  socketPath?: string;
  /** Whether Hyper-V containers can start. Default true. */
  hyperVAvailable?: boolean;
  /**
   * The daemon's default isolation (`GET /info` `Isolation`), as `dockerd --exec-opt isolation=hyperv`
   * sets it. Default: the profile's (process, as on Windows Server).
   */
  defaultIsolation?: 'process' | 'hyperv';
  ncpu?: number;
  memTotalBytes?: number;
  /** References pulled before the first request, as if `docker pull` had run. */
  images?: string[];
  /** What the "registry" holds. Default: test/fixtures/windows/images.json. */
  registry?: CatalogImage[];
  /**
   * First two octets of the container IPs on the nat network. Default "172.28"; "127.x" gives
   * loopback addresses a test can listen on, to reach "pod IPs" (port-forward on Windows dials them).
   */
  ipPrefix?: string;
  /** Exit codes for stop and kill; Windows has no signals, so these are whatever the test says. */
  stopExitCode?: number;
  killExitCode?: number;
}

/** A reply as `WindowsEngineDouble.call` returns it. */
export interface DoubleReply {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface RecordedRequest {
  method: string;
  /** The path without the `/v1.xx` prefix, e.g. "/containers/create". */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, the raw text if it is not JSON, or undefined when empty. */
  body: unknown;
}

interface ImageRecord {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  osVersion: string;
  size: number;
  created: string;
  config: Record<string, unknown>;
}

type Status = 'created' | 'running' | 'exited';

interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  body: Record<string, unknown>;
  hostConfig: Record<string, unknown>;
  image: ImageRecord;
  imageRef: string;
  status: Status;
  pid: number;
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  ipAddress: string;
  endpointId: string;
  statsCalls: number;
  /** State.Error: why the last start failed, "" after a good start. */
  startError: string;
  waiters: ((code: number) => void)[];
  /** What the container printed, as the json-file log driver keeps it. */
  output: LogEntry[];
  logFollowers: Set<LogFollower>;
}

interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** RFC3339Nano with nine digits, as moby's jsonmessage.RFC3339NanoFixed writes log timestamps. */
  time: string;
  /** Nanoseconds since the epoch, for `since`. */
  ns: bigint;
  text: string;
}

/** What an exec's process does, as the test decides: its output and exit code. */
export interface ExecResult {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  /** The process keeps running after its output until `taskkill /PID <its pid>` ends it (exit code 1). */
  runsUntilKilled?: boolean;
}

/** An exec's request as the engine received it (`POST /containers/{id}/exec`). */
export interface ExecRequest {
  containerId: string;
  cmd: string[];
  user: string;
  env: string[];
  tty: boolean;
}

interface ExecRecord {
  id: string;
  container: ContainerRecord;
  request: ExecRequest;
  running: boolean;
  exitCode: number | null;
  pid: number;
  /** Ends a process that runs until killed. */
  kill?: () => void;
}

interface LogFollower {
  write(entry: LogEntry): void;
  end(): void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
/** JSON name -> the Go name moby's "Windows does not support X" uses (daemon_windows.go verifyContainerResources). */
const REFUSED_RESOURCES: Record<string, string> = {
  CpuPeriod: 'CPUPeriod',
  CpusetCpus: 'CpusetCpus',
  CpusetMems: 'CpusetMems',
  KernelMemory: 'KernelMemory',
  MemoryReservation: 'MemoryReservation',
  MemorySwap: 'MemorySwap',
  PidsLimit: 'PidsLimit',
  BlkioWeight: 'BlkioWeight',
  CgroupParent: 'CgroupParent',
};
/**
 * Resources moby's Windows UpdateContainer refuses whatever their value (container/container_windows.go):
 * "resource updating isn't supported on Windows". Pointer fields count when present at all.
 */
const NOT_UPDATABLE = (
  'CpuShares Memory NanoCpus CgroupParent BlkioWeight CpuPeriod CpuQuota CpuRealtimePeriod CpuRealtimeRuntime ' +
  'CpusetCpus CpusetMems KernelMemory MemoryReservation MemorySwap CpuCount CpuPercent IOMaximumIOps IOMaximumBandwidth'
).split(' ');
const NOT_UPDATABLE_LISTS = (
  'BlkioWeightDevice BlkioDeviceReadBps BlkioDeviceWriteBps BlkioDeviceReadIOps BlkioDeviceWriteIOps ' +
  'Devices DeviceCgroupRules Ulimits'
).split(' ');
const REFUSED_LISTS = [
  'Ulimits',
  'BlkioWeightDevice',
  'BlkioDeviceReadBps',
  'BlkioDeviceWriteBps',
  'BlkioDeviceReadIOps',
  'BlkioDeviceWriteIOps',
];

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** Docker's reference normalisation, enough for tests: docker.io/library for short names, :latest. */
function normalize(ref: string): string {
  let name = ref;
  const first = name.split('/')[0] ?? '';
  if (!name.includes('/')) name = `docker.io/library/${name}`;
  else if (!first.includes('.') && !first.includes(':') && first !== 'localhost') name = `docker.io/${name}`;
  const lastSlash = name.lastIndexOf('/');
  if (!name.includes('@') && !name.slice(lastSlash).includes(':')) name += ':latest';
  return name;
}
const familiar = (ref: string) => ref.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
const repoOf = (ref: string) => {
  const at = ref.indexOf('@');
  if (at >= 0) return ref.slice(0, at);
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
};

/** HCS's process-isolation rule, written out independently of src/isolation (see the file comment). */
function processCompatible(hostBuild: number, imageBuild: number): boolean {
  if (hostBuild < 20348) return imageBuild === hostBuild;
  const lowest = hostBuild > 26100 ? 26100 : 20348;
  return imageBuild >= lowest && imageBuild <= hostBuild;
}
const buildOf = (osVersion: string) => Number(osVersion.split('.')[2] ?? 0);
/** A logs `since` ("1700000000" or "1700000000.123456789") in nanoseconds. */
function sinceNs(since: string): bigint {
  const [seconds = '0', fraction = ''] = since.split('.', 2);
  return BigInt(seconds) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0').slice(0, 9) || '0');
}

export class WindowsEngineDouble {
  readonly requests: RecordedRequest[] = [];
  /** Decides what each exec prints and how it exits; by default it prints nothing and exits 0. */
  execHandler: (request: ExecRequest) => ExecResult = () => ({});
  readonly profile: WindowsProfile;
  readonly build: number;
  hyperVAvailable: boolean;

  readonly #facts: ProfileFacts;
  readonly #options: WindowsEngineDoubleOptions;
  readonly #registry: CatalogImage[];
  readonly #images = new Map<string, ImageRecord>();
  readonly #containers = new Map<string, ContainerRecord>();
  readonly #eventStreams = new Set<{ res: ServerResponse; filters: Record<string, string[]> }>();
  readonly #statsStreams = new Set<NodeJS.Timeout>();
  readonly #execs = new Map<string, ExecRecord>();
  #server: Server | undefined;
  #socketDir: string | undefined;
  #nextIp = 2;
  #logSeq = 0;
  #lastCreatedMs = 0;
  socketPath = '';

  private constructor(options: WindowsEngineDoubleOptions) {
    this.#options = options;
    this.profile = options.profile ?? 'ws2022';
    this.#facts = PROFILES[this.profile]();
    if (options.defaultIsolation) this.#facts.info['Isolation'] = options.defaultIsolation;
    this.build = this.#facts.build;
    this.hyperVAvailable = options.hyperVAvailable ?? true;
    this.#registry = options.registry ?? (fixture('images.json')['images'] as CatalogImage[]);
  }

  static async start(options: WindowsEngineDoubleOptions = {}): Promise<WindowsEngineDouble> {
    const double = new WindowsEngineDouble(options);
    for (const ref of options.images ?? []) {
      const outcome = double.#pull(ref);
      if ('error' in outcome) throw new Error(`cannot preload ${ref}: ${outcome.error}`);
    }
    if (options.socketPath) double.socketPath = options.socketPath;
    else {
      double.#socketDir = await mkdtemp(join(tmpdir(), 'wincri-windows-engine-'));
      double.socketPath = join(double.#socketDir, 'docker.sock');
    }
    const server = createServer((req, res) => void double.#handle(req, res));
    // Docker clients start execs (and attaches) with `Upgrade: tcp` and take over the connection.
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      double.#upgrade(req, socket, head),
    );
    double.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(double.socketPath, resolve);
    });
    return double;
  }

  async close(): Promise<void> {
    for (const timer of this.#statsStreams) clearInterval(timer);
    for (const { res } of this.#eventStreams) res.end();
    for (const c of this.#containers.values()) for (const follower of c.logFollowers) follower.end();
    for (const e of this.#execs.values()) e.kill?.();
    this.#eventStreams.clear();
    const server = this.#server;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (this.#socketDir) await rm(this.#socketDir, { recursive: true, force: true });
  }

  /**
   * One plain HTTP call over the socket, as a Docker client makes it (for tests of the double and
   * of code that should produce bodies the engine accepts). Calls are recorded like any other.
   */
  call(method: string, path: string, body?: unknown): Promise<DoubleReply> {
    return new Promise((resolve, reject) => {
      const headers = body === undefined ? {} : { 'Content-Type': 'application/json' };
      const req = request({ socketPath: this.socketPath, method, path, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  /** Requests matching `method` and a path test, for assertions. */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)),
    );
  }

  /** The create body the engine received for a container, by ID or name. */
  createBody(idOrName: string): Record<string, unknown> {
    return this.#container(idOrName).body;
  }

  /**
   * Puts a catalog image on the engine without the pull's platform filter, as `docker load` of an
   * image saved on another host does (a load does not compare os.version with the host's): the way
   * an image newer than the host gets onto a Windows node. `osVersion` picks the variant; the
   * default is the newest. Emits the image `load` event.
   */
  load(reference: string, osVersion?: string): void {
    const normalized = normalize(reference);
    const entry = this.#registry.find((e) => normalize(e.reference) === normalized);
    if (!entry) throw new Error(`${reference} is not in the double's catalog`);
    const variant =
      osVersion === undefined
        ? [...entry.variants].sort((a, b) => buildOf(b.osVersion) - buildOf(a.osVersion))[0]
        : entry.variants.find((v) => v.osVersion === osVersion);
    if (!variant) throw new Error(`${reference} has no variant ${osVersion ?? ''}`);
    const { image } = this.#keep(entry, variant, normalized);
    this.#emit('image', 'load', image.id, { name: familiar(normalized) });
  }

  /**
   * Makes a container print `text` on `stream`, one log entry per line (a trailing newline is kept
   * with its line, as the json-file driver keeps it), for `GET /containers/{id}/logs`.
   */
  output(idOrName: string, text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    const c = this.#container(idOrName);
    for (const line of text.match(/[^\n]*\n|[^\n]+$/g) ?? []) {
      const ms = Date.now();
      const ns = BigInt(ms) * 1_000_000n + BigInt(this.#logSeq++ % 1_000_000);
      const time = `${new Date(ms).toISOString().slice(0, 23)}${String(ns % 1_000_000n).padStart(6, '0')}Z`;
      const entry: LogEntry = { stream, time, ns, text: line };
      c.output.push(entry);
      for (const follower of c.logFollowers) follower.write(entry);
    }
  }

  /** Makes a running container's process exit with `code`, as if it ended by itself. */
  exit(idOrName: string, code: number): void {
    const c = this.#container(idOrName);
    if (c.status === 'running') this.#die(c, code);
  }

  // ---- HTTP plumbing -------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://engine');
    const path = url.pathname.replace(/^\/v\d+\.\d+(?=\/)/, '');
    const query = Object.fromEntries(url.searchParams);
    const text = await new Promise<string>((resolve) => {
      let data = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (data += chunk));
      req.on('end', () => resolve(data));
    });
    let body: unknown;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const method = req.method ?? 'GET';
    this.requests.push({ method, path, query, body });
    try {
      this.#route(method, path, query, body, res);
    } catch (err) {
      if (err instanceof HttpError) this.#json(res, err.status, { message: err.message });
      else this.#json(res, 500, { message: err instanceof Error ? err.message : String(err) });
    }
  }

  #json(res: ServerResponse, status: number, value: unknown): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Api-Version': this.#facts.apiVersion,
      Ostype: 'windows',
    });
    res.end(`${JSON.stringify(value)}\n`);
  }

  #noContent(res: ServerResponse, status = 204): void {
    res.writeHead(status, { 'Api-Version': this.#facts.apiVersion, Ostype: 'windows' });
    res.end();
  }

  #route(
    method: string,
    path: string,
    query: Record<string, string>,
    body: unknown,
    res: ServerResponse,
  ): void {
    const on = (m: string, pattern: RegExp): string[] | undefined => {
      if (m !== method) return undefined;
      const match = pattern.exec(path);
      return match ? match.slice(1).map(decodeURIComponent) : undefined;
    };
    let p: string[] | undefined;
    if (on('GET', /^\/_ping$/) || on('HEAD', /^\/_ping$/)) {
      res.writeHead(200, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Api-Version': this.#facts.apiVersion,
        'Docker-Experimental': 'false',
        Ostype: 'windows',
      });
      res.end(method === 'HEAD' ? undefined : 'OK');
    } else if (on('GET', /^\/version$/)) this.#json(res, 200, this.#version());
    else if (on('GET', /^\/info$/)) this.#json(res, 200, this.#info());
    else if (on('GET', /^\/system\/df$/)) this.#json(res, 200, this.#systemDf());
    else if (on('GET', /^\/events$/)) this.#events(query, res);
    else if (on('GET', /^\/images\/json$/))
      this.#json(
        res,
        200,
        [...this.#images.values()].map((i) => this.#imageSummary(i)),
      );
    else if (on('POST', /^\/images\/create$/)) this.#pullRoute(query, res);
    else if ((p = on('GET', /^\/images\/(.+)\/json$/)))
      this.#json(res, 200, this.#imageInspect(this.#image(p[0]!)));
    else if ((p = on('POST', /^\/images\/(.+)\/tag$/))) this.#tag(p[0]!, query, res);
    else if ((p = on('DELETE', /^\/images\/(.+)$/)))
      this.#json(res, 200, this.#removeImage(p[0]!, query['force'] === '1' || query['force'] === 'true'));
    else if (on('POST', /^\/containers\/create$/))
      this.#json(res, 201, this.#create(query['name'] ?? '', body));
    else if (on('GET', /^\/containers\/json$/)) this.#json(res, 200, this.#list(query));
    else if ((p = on('GET', /^\/containers\/([^/]+)\/json$/)))
      this.#json(res, 200, this.#inspect(this.#container(p[0]!)));
    else if ((p = on('POST', /^\/containers\/([^/]+)\/start$/))) this.#start(this.#container(p[0]!), res);
    else if ((p = on('POST', /^\/containers\/([^/]+)\/stop$/))) this.#stop(this.#container(p[0]!), res);
    else if ((p = on('POST', /^\/containers\/([^/]+)\/kill$/))) this.#kill(this.#container(p[0]!), res);
    else if ((p = on('POST', /^\/containers\/([^/]+)\/wait$/)))
      this.#wait(this.#container(p[0]!), query['condition'] ?? 'not-running', res);
    else if ((p = on('POST', /^\/containers\/([^/]+)\/exec$/)))
      this.#json(res, 201, this.#execCreate(this.#container(p[0]!), body));
    else if ((p = on('GET', /^\/exec\/([^/]+)\/json$/)))
      this.#json(res, 200, this.#execInspect(this.#exec(p[0]!)));
    else if ((p = on('POST', /^\/exec\/([^/]+)\/resize$/))) {
      this.#exec(p[0]!);
      this.#noContent(res, 200);
    } else if ((p = on('POST', /^\/containers\/([^/]+)\/update$/)))
      this.#json(res, 200, this.#update(this.#container(p[0]!), body));
    else if ((p = on('GET', /^\/containers\/([^/]+)\/logs$/))) this.#logs(this.#container(p[0]!), query, res);
    else if ((p = on('GET', /^\/containers\/([^/]+)\/stats$/)))
      this.#stats(this.#container(p[0]!), query, res);
    else if ((p = on('DELETE', /^\/containers\/([^/]+)$/))) this.#remove(this.#container(p[0]!), query, res);
    else throw new HttpError(404, 'page not found');
  }

  // ---- system ----------------------------------------------------------------------------------

  #version(): Record<string, unknown> {
    const info = this.#facts.info;
    const details = {
      ApiVersion: this.#facts.apiVersion,
      Arch: 'amd64',
      BuildTime: '2024-09-20T11:41:19.000000000+00:00',
      Experimental: 'false',
      GitCommit: '41ca978',
      GoVersion: 'go1.22.7',
      KernelVersion: info['KernelVersion'],
      MinAPIVersion: '1.24',
      Os: 'windows',
    };
    return {
      Platform: { Name: 'Docker Engine - Community' },
      Components: [{ Name: 'Engine', Version: info['ServerVersion'], Details: details }],
      Version: info['ServerVersion'],
      ...details,
    };
  }

  #info(): Record<string, unknown> {
    const containers = [...this.#containers.values()];
    const info: Record<string, unknown> = { ...this.#facts.info };
    delete info['_source'];
    return {
      ...info,
      Containers: containers.length,
      ContainersRunning: containers.filter((c) => c.status === 'running').length,
      ContainersStopped: containers.filter((c) => c.status !== 'running').length,
      Images: this.#images.size,
      NCPU: this.#options.ncpu ?? info['NCPU'],
      MemTotal: this.#options.memTotalBytes ?? info['MemTotal'],
      SystemTime: new Date().toISOString(),
    };
  }

  #systemDf(): Record<string, unknown> {
    const images = [...this.#images.values()];
    return {
      LayersSize: images.reduce((sum, i) => sum + i.size, 0),
      Images: images.map((i) => this.#imageSummary(i)),
      Containers: [...this.#containers.values()].map((c) => ({
        ...this.#summary(c),
        SizeRw: 4096,
        SizeRootFs: c.image.size,
      })),
      Volumes: [],
      BuildCache: [],
    };
  }

  // ---- events ----------------------------------------------------------------------------------

  #events(query: Record<string, string>, res: ServerResponse): void {
    const filters = query['filters']
      ? (JSON.parse(query['filters']) as Record<string, string[] | Record<string, boolean>>)
      : {};
    const asLists = Object.fromEntries(
      Object.entries(filters).map(([k, v]) => [k, Array.isArray(v) ? v : Object.keys(v)]),
    );
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Api-Version': this.#facts.apiVersion,
      Ostype: 'windows',
    });
    res.flushHeaders();
    const stream = { res, filters: asLists };
    this.#eventStreams.add(stream);
    res.on('close', () => this.#eventStreams.delete(stream));
  }

  #emit(type: 'container' | 'image', action: string, id: string, attributes: Record<string, string>): void {
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const event: Record<string, unknown> = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    if (type === 'container') Object.assign(event, { status: action, id, from: attributes['image'] });
    const line = `${JSON.stringify(event)}\n`;
    for (const { res, filters } of this.#eventStreams) {
      const pass = (key: string, value: string | undefined) =>
        !filters[key] || (value !== undefined && filters[key].includes(value));
      const labelsPass = (filters['label'] ?? []).every((l) => {
        const [k, v] = l.split('=', 2) as [string, string | undefined];
        return attributes[k] !== undefined && (v === undefined || attributes[k] === v);
      });
      if (pass('type', type) && pass('event', action) && labelsPass) res.write(line);
    }
  }

  #containerAttributes(c: ContainerRecord, extra: Record<string, string> = {}): Record<string, string> {
    const labels = isRecord(c.body['Labels']) ? (c.body['Labels'] as Record<string, string>) : {};
    return { ...labels, image: c.imageRef, name: c.name, ...extra };
  }

  // ---- images ----------------------------------------------------------------------------------

  #image(name: string): ImageRecord {
    const found = this.#findImage(name);
    if (!found) throw new HttpError(404, `No such image: ${name}`);
    return found;
  }

  #findImage(name: string): ImageRecord | undefined {
    const bare = name.replace(/^sha256:/, '');
    if (/^[0-9a-f]{6,64}$/.test(bare)) {
      const byId = [...this.#images.values()].filter((i) => i.id.slice(7).startsWith(bare));
      if (byId.length === 1) return byId[0];
    }
    const wanted = familiar(normalize(name));
    return [...this.#images.values()].find(
      (i) => i.repoTags.includes(wanted) || i.repoDigests.includes(wanted),
    );
  }

  #imageSummary(i: ImageRecord): Record<string, unknown> {
    return {
      Id: i.id,
      ParentId: '',
      RepoTags: i.repoTags,
      RepoDigests: i.repoDigests,
      Created: Math.floor(Date.parse(i.created) / 1000),
      Size: i.size,
      SharedSize: -1,
      Labels: (i.config['Labels'] as Record<string, string> | undefined) ?? {},
      Containers: -1,
    };
  }

  #imageInspect(i: ImageRecord): Record<string, unknown> {
    return {
      Id: i.id,
      RepoTags: i.repoTags,
      RepoDigests: i.repoDigests,
      Parent: '',
      Comment: '',
      Created: i.created,
      DockerVersion: '',
      Author: '',
      Config: { Env: [], Cmd: null, Entrypoint: null, WorkingDir: '', User: '', Labels: null, ...i.config },
      Architecture: 'amd64',
      Os: 'windows',
      OsVersion: i.osVersion,
      Size: i.size,
      GraphDriver: {
        Name: 'windowsfilter',
        Data: { dir: `C:\\ProgramData\\docker\\windowsfilter\\${i.id.slice(7)}` },
      },
      RootFS: {
        Type: 'layers',
        Layers: [`sha256:${sha(`${i.id}/layer0`)}`, `sha256:${sha(`${i.id}/layer1`)}`],
      },
      Metadata: { LastTagTime: ZERO_TIME },
    };
  }

  /**
   * Docker's Windows manifest choice (moby pull_v2_windows.go filterManifests): drop variants newer
   * than the host, prefer one whose os.version starts with the host's "major.minor.build.", else the
   * first one left.
   */
  #pull(ref: string): { image: ImageRecord; fresh: boolean } | { error: string; status?: number } {
    const normalized = normalize(ref);
    const entry = this.#registry.find((e) => normalize(e.reference) === normalized);
    if (!entry)
      return {
        status: 404,
        error: `manifest for ${familiar(normalized)} not found: manifest unknown: manifest unknown`,
      };
    const usable = entry.variants.filter((v) => buildOf(v.osVersion) <= this.build);
    const variant = usable.find((v) => v.osVersion.startsWith(`10.0.${this.build}.`)) ?? usable[0];
    if (!variant)
      return {
        error: `no matching manifest for windows(10.0.${this.build})/amd64 in the manifest list entries`,
      };
    return this.#keep(entry, variant, normalized);
  }

  /** Stores a variant of a catalog entry under the tag `normalized`, as a pull or a load leaves it. */
  #keep(
    entry: CatalogImage,
    variant: CatalogImage['variants'][number],
    normalized: string,
  ): { image: ImageRecord; fresh: boolean } {
    const id = `sha256:${sha(`${entry.reference}@${variant.osVersion}`)}`;
    const tag = familiar(normalized);
    const digest = `${familiar(repoOf(normalized))}@sha256:${sha(`${entry.reference}/index`)}`;
    const existing = this.#images.get(id);
    const image: ImageRecord = existing ?? {
      id,
      repoTags: [],
      repoDigests: [],
      osVersion: variant.osVersion,
      size: variant.size,
      created: entry.created ?? '2024-10-08T00:00:00Z',
      config: entry.config ?? {},
    };
    const fresh = !image.repoTags.includes(tag);
    for (const other of this.#images.values())
      other.repoTags = other.repoTags.filter((t) => t !== tag || other === image);
    if (fresh) image.repoTags.push(tag);
    if (!image.repoDigests.includes(digest)) image.repoDigests.push(digest);
    this.#images.set(id, image);
    return { image, fresh };
  }

  #pullRoute(query: Record<string, string>, res: ServerResponse): void {
    const from = query['fromImage'] ?? '';
    const tag = query['tag'];
    const ref = !tag ? from : tag.startsWith('sha256:') ? `${from}@${tag}` : `${repoOf(from)}:${tag}`;
    const outcome = this.#pull(ref);
    if ('error' in outcome && outcome.status) throw new HttpError(outcome.status, outcome.error);
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Api-Version': this.#facts.apiVersion,
      Ostype: 'windows',
    });
    const normalized = familiar(normalize(ref));
    const lines: Record<string, unknown>[] = [
      { status: `Pulling from ${repoOf(normalized)}`, id: normalized.slice(repoOf(normalized).length + 1) },
    ];
    if ('error' in outcome) {
      lines.push({ errorDetail: { message: outcome.error }, error: outcome.error });
    } else {
      const layer = outcome.image.id.slice(7, 19);
      if (outcome.fresh) {
        lines.push(
          { status: 'Pulling fs layer', progressDetail: {}, id: layer },
          {
            status: 'Downloading',
            progressDetail: { current: outcome.image.size, total: outcome.image.size },
            id: layer,
          },
          { status: 'Pull complete', progressDetail: {}, id: layer },
        );
      }
      lines.push(
        { status: `Digest: ${outcome.image.repoDigests[0]?.split('@')[1] ?? ''}` },
        {
          status: `Status: ${outcome.fresh ? 'Downloaded newer image' : 'Image is up to date'} for ${normalized}`,
        },
      );
      this.#emit('image', 'pull', normalized, { name: normalized });
    }
    res.end(lines.map((l) => `${JSON.stringify(l)}\r\n`).join(''));
  }

  #tag(name: string, query: Record<string, string>, res: ServerResponse): void {
    const image = this.#image(name);
    const repo = query['repo'] ?? '';
    if (repo === '') throw new HttpError(400, 'repository name must have at least one component');
    const tag = familiar(normalize(query['tag'] ? `${repo}:${query['tag']}` : repo));
    for (const other of this.#images.values()) other.repoTags = other.repoTags.filter((t) => t !== tag);
    image.repoTags.push(tag);
    this.#emit('image', 'tag', image.id, { name: tag });
    this.#noContent(res, 201);
  }

  #removeImage(name: string, force: boolean): Record<string, string>[] {
    const image = this.#image(name);
    const byTag = image.repoTags.find((t) => t === familiar(normalize(name)));
    if (byTag && image.repoTags.length > 1) {
      image.repoTags = image.repoTags.filter((t) => t !== byTag);
      this.#emit('image', 'untag', image.id, { name: byTag });
      return [{ Untagged: byTag }];
    }
    const user = [...this.#containers.values()].find((c) => c.image === image);
    if (user && (user.status === 'running' || !force)) {
      const how = user.status === 'running' ? 'cannot be forced' : 'must be forced';
      throw new HttpError(
        409,
        `conflict: unable to delete ${image.id.slice(7, 19)} (${how}) - image is being used by ${user.status === 'running' ? 'running' : 'stopped'} container ${user.id.slice(0, 12)}`,
      );
    }
    this.#images.delete(image.id);
    this.#emit('image', 'delete', image.id, { name: image.id });
    return [
      ...image.repoTags.map((t) => ({ Untagged: t })),
      ...image.repoDigests.map((d) => ({ Untagged: d })),
      { Deleted: image.id },
    ];
  }

  // ---- containers: create ----------------------------------------------------------------------

  #container(idOrName: string): ContainerRecord {
    const exact = this.#containers.get(idOrName);
    if (exact) return exact;
    const name = idOrName.replace(/^\//, '');
    const byName = [...this.#containers.values()].find((c) => c.name === name);
    if (byName) return byName;
    const byPrefix = [...this.#containers.values()].filter((c) => c.id.startsWith(idOrName));
    if (byPrefix.length === 1 && byPrefix[0]) return byPrefix[0];
    throw new HttpError(404, `No such container: ${idOrName}`);
  }

  #create(name: string, body: unknown): Record<string, unknown> {
    if (!isRecord(body)) throw new HttpError(400, 'config cannot be empty in order to create a container');
    if (name !== '' && !/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) {
      throw new HttpError(
        400,
        `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
      );
    }
    const cleanName = name.replace(/^\//, '') || `double_${randomBytes(4).toString('hex')}`;
    const taken = [...this.#containers.values()].find((c) => c.name === cleanName);
    if (taken) {
      throw new HttpError(
        409,
        `Conflict. The container name "/${cleanName}" is already in use by container "${taken.id}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    const imageRef = typeof body['Image'] === 'string' ? body['Image'] : '';
    const image = this.#image(imageRef);
    const hostConfig = isRecord(body['HostConfig']) ? { ...body['HostConfig'] } : {};
    this.#verifyHostConfig(body, hostConfig);
    const isolation =
      typeof hostConfig['Isolation'] === 'string' ? hostConfig['Isolation'].toLowerCase() : '';
    // daemon/create_windows.go stores the effective isolation; the default on Windows Server is process.
    hostConfig['Isolation'] =
      isolation === '' || isolation === 'default' ? String(this.#facts.info['Isolation']) : isolation;
    if (
      hostConfig['NetworkMode'] === undefined ||
      hostConfig['NetworkMode'] === '' ||
      hostConfig['NetworkMode'] === 'default'
    ) {
      hostConfig['NetworkMode'] = 'nat';
    }
    const id = randomBytes(32).toString('hex');
    const record: ContainerRecord = {
      id,
      name: cleanName,
      // Strictly increasing, as Docker's nanosecond Created is, so lists sort newest first reliably.
      created: new Date((this.#lastCreatedMs = Math.max(Date.now(), this.#lastCreatedMs + 1))).toISOString(),
      body,
      hostConfig,
      image,
      imageRef,
      status: 'created',
      pid: 0,
      exitCode: 0,
      startedAt: ZERO_TIME,
      finishedAt: ZERO_TIME,
      ipAddress: '',
      endpointId: '',
      statsCalls: 0,
      startError: '',
      waiters: [],
      output: [],
      logFollowers: new Set(),
    };
    this.#containers.set(id, record);
    this.#emit('container', 'create', id, this.#containerAttributes(record));
    return { Id: id, Warnings: [] };
  }

  /** What a Windows daemon refuses at create time (HTTP 400). */
  #verifyHostConfig(body: Record<string, unknown>, hc: Record<string, unknown>): void {
    const bad = (message: string) => new HttpError(400, message);
    this.#verifyNetwork(body, hc);
    const isolation = hc['Isolation'];
    if (
      isolation !== undefined &&
      (typeof isolation !== 'string' ||
        !['', 'default', 'process', 'hyperv'].includes(isolation.toLowerCase()))
    ) {
      throw bad(
        `invalid isolation (${String(isolation)}): Windows supports 'default', 'process', or 'hyperv'`,
      );
    }
    // moby runconfig hostconfig_windows.go, then daemon_windows.go verifyContainerResources.
    if (num(hc['CpuRealtimePeriod']) !== 0)
      throw bad('invalid option: CPU real-time period is not supported for Windows containers');
    if (num(hc['CpuRealtimeRuntime']) !== 0)
      throw bad('invalid option: CPU real-time runtime is not supported for Windows containers');
    if (hc['Privileged'] === true)
      throw bad('invalid option: privileged mode is not supported for Windows containers');
    if (hc['ReadonlyRootfs'] === true)
      throw bad('invalid option: read-only mode is not supported for Windows containers');
    for (const [field, goName] of Object.entries(REFUSED_RESOURCES)) {
      const v = hc[field];
      if (v !== undefined && v !== null && v !== 0 && v !== '')
        throw bad(`invalid option: Windows does not support ${goName}`);
    }
    if (
      hc['MemorySwappiness'] !== undefined &&
      hc['MemorySwappiness'] !== null &&
      hc['MemorySwappiness'] !== -1
    ) {
      throw bad('invalid option: Windows does not support MemorySwappiness');
    }
    for (const field of REFUSED_LISTS) {
      if (Array.isArray(hc[field]) && hc[field].length > 0)
        throw bad(`invalid option: Windows does not support ${field}`);
    }
    if (hc['OomKillDisable'] === true) throw bad('invalid option: Windows does not support OomKillDisable');
    const shares = num(hc['CpuShares']);
    const percent = num(hc['CpuPercent']);
    const nano = num(hc['NanoCpus']);
    const ncpu = num(this.#info()['NCPU']);
    if (shares < 0 || shares > 10000) throw bad('range of CPUShares is from 1 to 10000');
    if (percent < 0 || percent > 100) throw bad('range of CPUPercent is from 1 to 100');
    if (num(hc['CpuCount']) < 0) throw bad('invalid CPUCount: CPUCount cannot be negative');
    if (nano > 0 && percent > 0)
      throw bad('conflicting options: Nano CPUs and CPU Percent cannot both be set');
    if (nano > 0 && shares > 0) throw bad('conflicting options: Nano CPUs and CPU Shares cannot both be set');
    if (nano < 0 || nano > ncpu * 1e9)
      throw bad(`range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`);
    this.#verifyMounts(hc['Mounts']);
  }

  #verifyMounts(mounts: unknown): void {
    if (!Array.isArray(mounts)) return;
    const hostDir = /^(?:\\\\\?\\)?[a-z]:[\\/](?:[^\\/:*?"<>|\r\n]+[\\/]?)*$/i;
    const pipe = /^[/\\]{2}.[/\\]pipe[/\\][^:*?"<>|\r\n]+$/i;
    const destination = /^((?:\\\\\?\\)?([a-z]):((?:[\\/][^\\/:*?"<>\r\n]+)*[\\/]?))$/i;
    for (const m of mounts as Record<string, unknown>[]) {
      const type = m['Type'];
      const target = String(m['Target'] ?? '');
      const source = String(m['Source'] ?? '');
      const fail = (why: string) =>
        new HttpError(400, `invalid mount config for type "${String(type)}": ${why}`);
      if (type === 'tmpfs') throw new HttpError(400, 'windows does not support tmpfs');
      if (/^c:\\?$/i.test(target.replaceAll('/', '\\')))
        throw fail(`destination path cannot be \`c:\` or \`c:\\\`: ${target.toLowerCase()}`);
      if (type === 'bind') {
        if (!destination.test(target)) throw fail(`invalid mount path: '${target}'`);
        if (isRecord(m['BindOptions']) && m['BindOptions']['Propagation'])
          throw fail(`invalid propagation mode: ${String(m['BindOptions']['Propagation'])}`);
        if (!hostDir.test(source)) throw fail(`invalid mount path: '${source}' mount path must be absolute`);
      } else if (type === 'npipe') {
        if (m['ReadOnly'] !== undefined) throw fail('field ReadOnly must not be specified');
        if (!source.startsWith('\\\\.\\pipe\\') || !pipe.test(source))
          throw fail(`'${source}' is not a valid pipe path`);
        if (!target.startsWith('\\\\.\\pipe\\') || !pipe.test(target))
          throw fail(`'${target}' is not a valid pipe path`);
      } else if (type !== 'volume') throw fail('mount type unknown');
    }
  }

  #verifyNetwork(body: Record<string, unknown>, hc: Record<string, unknown>): void {
    const mode = String(hc['NetworkMode'] ?? '');
    if (mode === 'host') throw new HttpError(400, 'invalid network mode: host is not supported on Windows');
    if (!mode.startsWith('container:')) return;
    const bad = (what: string) => new HttpError(400, `conflicting options: ${what} and the network mode`);
    if (typeof body['Hostname'] === 'string' && body['Hostname'] !== '') throw bad('hostname');
    if (Array.isArray(hc['Dns']) && hc['Dns'].length > 0) throw bad('dns');
    if (Array.isArray(hc['ExtraHosts']) && hc['ExtraHosts'].length > 0)
      throw bad('custom host-to-IP mapping');
    if (isRecord(hc['PortBindings']) && Object.keys(hc['PortBindings']).length > 0)
      throw bad('port publishing');
    if (String(hc['Isolation'] ?? '').toLowerCase() === 'hyperv') {
      throw new HttpError(
        400,
        'invalid network-mode: using the network stack of another container is not supported while using Hyper-V Containers',
      );
    }
  }

  // ---- containers: lifecycle -------------------------------------------------------------------

  /** What the daemon and HCS refuse at start (moby maps these to 400 or 500). */
  #verifyStart(c: ContainerRecord): void {
    const hc = c.hostConfig;
    for (const opt of Array.isArray(hc['SecurityOpt']) ? (hc['SecurityOpt'] as unknown[]) : []) {
      const [key, value = ''] = String(opt).split('=', 2) as [string, string?];
      if (!String(opt).includes('='))
        throw new HttpError(400, `invalid security option: no equals sign in supplied value ${String(opt)}`);
      if (key.toLowerCase() !== 'credentialspec')
        throw new HttpError(400, `security option not supported: ${key}`);
      if (!/^(file|registry|raw):\/\/./i.test(value)) {
        throw new HttpError(
          400,
          "invalid credential spec security option - value must be prefixed by 'file://', 'registry://', or 'raw://' followed by a non-empty value",
        );
      }
    }
    const hyperV = hc['Isolation'] === 'hyperv';
    if (hyperV && Array.isArray(hc['Devices']) && hc['Devices'].length > 0) {
      throw new HttpError(500, 'device assignment is not supported for HyperV containers');
    }
    const mode = String(hc['NetworkMode']);
    if (mode.startsWith('container:')) {
      const target = [...this.#containers.values()].find(
        (o) => o.id === mode.slice(10) || o.name === mode.slice(10),
      );
      if (!target || target.status !== 'running') {
        throw new HttpError(409, `cannot join network of a non running container: ${mode.slice(10)}`);
      }
    }
    const imageBuild = buildOf(c.image.osVersion);
    const hcsError = (what: string) => new HttpError(500, `hcs::CreateComputeSystem ${c.id}: ${what}`);
    if (hyperV && !this.hyperVAvailable) {
      // The wording HCS uses when the Hyper-V role is missing is commonly reported as this; it is not from the reference.
      throw hcsError('The virtual machine could not be started because a required feature is not installed.');
    }
    const fits = hyperV ? imageBuild <= this.build : processCompatible(this.build, imageBuild);
    if (!fits) {
      // Reference section 1.2: the message HCS gives for an image/host mismatch.
      throw new HttpError(
        500,
        `container ${c.id} encountered an error during CreateContainer: failure in a Windows system call: The operating system of the container does not match the operating system of the host. (0xc0370101)`,
      );
    }
  }

  #start(c: ContainerRecord, res: ServerResponse): void {
    if (c.status === 'running') return this.#noContent(res, 304);
    try {
      this.#verifyStart(c);
    } catch (err) {
      // moby daemon/start.go: a failed start leaves the error in State.Error and, if nothing set
      // one, exit code 128; the status stays what it was ("created" for a first start).
      c.startError = err instanceof Error ? err.message : String(err);
      if (c.exitCode === 0) c.exitCode = 128;
      throw err;
    }
    c.startError = '';
    c.exitCode = 0;
    const mode = String(c.hostConfig['NetworkMode']);
    if (!mode.startsWith('container:') && mode !== 'none' && c.ipAddress === '') {
      const prefix = this.#options.ipPrefix ?? '172.28';
      c.ipAddress = `${prefix}.${Math.floor(this.#nextIp / 250)}.${(this.#nextIp % 250) + 2}`;
      c.endpointId = sha(`${c.id}/endpoint`).slice(0, 36);
      this.#nextIp++;
    }
    c.status = 'running';
    c.pid = 1000 + Math.floor(Math.random() * 9000);
    c.startedAt = new Date().toISOString();
    c.finishedAt = ZERO_TIME;
    this.#emit('container', 'start', c.id, this.#containerAttributes(c));
    this.#noContent(res);
  }

  #die(c: ContainerRecord, code: number): void {
    c.status = 'exited';
    c.exitCode = code;
    c.pid = 0;
    c.finishedAt = new Date().toISOString();
    this.#emit('container', 'die', c.id, this.#containerAttributes(c, { exitCode: String(code) }));
    for (const waiter of c.waiters.splice(0)) waiter(code);
    for (const follower of c.logFollowers) follower.end();
    c.logFollowers.clear();
    // The container's end ends its exec processes too.
    for (const e of this.#execs.values()) if (e.container === c) e.kill?.();
  }

  #stop(c: ContainerRecord, res: ServerResponse): void {
    if (c.status !== 'running') return this.#noContent(res, 304);
    this.#die(c, this.#options.stopExitCode ?? 0);
    this.#emit('container', 'stop', c.id, this.#containerAttributes(c));
    this.#noContent(res);
  }

  #kill(c: ContainerRecord, res: ServerResponse): void {
    if (c.status !== 'running') throw new HttpError(409, `Container ${c.id} is not running`);
    this.#emit('container', 'kill', c.id, this.#containerAttributes(c, { signal: '' }));
    this.#die(c, this.#options.killExitCode ?? 1);
    this.#noContent(res);
  }

  #wait(c: ContainerRecord, condition: string, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Api-Version': this.#facts.apiVersion,
      Ostype: 'windows',
    });
    res.flushHeaders();
    const answer = (code: number) => res.end(`${JSON.stringify({ StatusCode: code, Error: null })}\n`);
    if (condition === 'not-running' && c.status !== 'running') answer(c.exitCode);
    else c.waiters.push(answer);
  }

  #remove(c: ContainerRecord, query: Record<string, string>, res: ServerResponse): void {
    const force = query['force'] === '1' || query['force'] === 'true';
    if (c.status === 'running') {
      if (!force) {
        throw new HttpError(
          409,
          `You cannot remove a running container ${c.id}. Stop the container before attempting removal or force remove`,
        );
      }
      this.#emit('container', 'kill', c.id, this.#containerAttributes(c, { signal: '' }));
      this.#die(c, this.#options.killExitCode ?? 1);
    }
    this.#containers.delete(c.id);
    this.#emit('container', 'destroy', c.id, this.#containerAttributes(c));
    this.#noContent(res);
  }

  /** moby ContainerUpdate on Windows: Linux-only fields are refused first (400), then every resource (500). */
  #update(c: ContainerRecord, body: unknown): Record<string, unknown> {
    const update = isRecord(body) ? body : {};
    this.#verifyHostConfig({}, { ...update, Isolation: c.hostConfig['Isolation'] });
    const present = (v: unknown) => v !== undefined && v !== null && v !== 0 && v !== '';
    const refused =
      NOT_UPDATABLE.some((k) => present(update[k])) ||
      NOT_UPDATABLE_LISTS.some((k) => Array.isArray(update[k]) && update[k].length > 0) ||
      (update['MemorySwappiness'] !== undefined && update['MemorySwappiness'] !== null) ||
      (update['OomKillDisable'] !== undefined && update['OomKillDisable'] !== null) ||
      present(update['PidsLimit']);
    if (refused) {
      throw new HttpError(
        500,
        `Cannot update container ${c.id}: resource updating isn't supported on Windows`,
      );
    }
    const policy = update['RestartPolicy'];
    if (isRecord(policy) && typeof policy['Name'] === 'string' && policy['Name'] !== '') {
      c.hostConfig['RestartPolicy'] = policy;
    }
    this.#emit('container', 'update', c.id, this.#containerAttributes(c));
    return { Warnings: null };
  }

  /**
   * The container's output as `GET /containers/{id}/logs` streams it: stdcopy frames (8-byte
   * header: stream 1 or 2, three zero bytes, big-endian length) unless the container has a TTY;
   * with `timestamps`, each message starts with its RFC3339Nano time and a space; `since` in
   * seconds with an optional fraction; `follow` keeps the stream open until the container exits.
   */
  #logs(c: ContainerRecord, query: Record<string, string>, res: ServerResponse): void {
    const yes = (k: string) => query[k] === '1' || query[k] === 'true';
    if (!yes('stdout') && !yes('stderr'))
      throw new HttpError(400, 'Bad parameters: you must choose at least one stream');
    const since = query['since'] ? sinceNs(query['since']) : undefined;
    const tty = c.body['Tty'] === true;
    const wanted = (e: LogEntry) => yes(e.stream) && (since === undefined || e.ns > since);
    const frame = (e: LogEntry): Buffer => {
      const payload = Buffer.from(yes('timestamps') ? `${e.time} ${e.text}` : e.text);
      if (tty) return payload;
      const header = Buffer.alloc(8);
      header[0] = e.stream === 'stdout' ? 1 : 2;
      header.writeUInt32BE(payload.length, 4);
      return Buffer.concat([header, payload]);
    };
    res.writeHead(200, {
      'Content-Type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream',
      'Api-Version': this.#facts.apiVersion,
      Ostype: 'windows',
    });
    res.flushHeaders();
    for (const e of c.output) if (wanted(e)) res.write(frame(e));
    if (!yes('follow') || c.status !== 'running') {
      res.end();
      return;
    }
    const follower: LogFollower = {
      write: (e) => {
        if (wanted(e)) res.write(frame(e));
      },
      end: () => res.end(),
    };
    c.logFollowers.add(follower);
    res.on('close', () => c.logFollowers.delete(follower));
  }

  // ---- execs -----------------------------------------------------------------------------------

  #exec(id: string): ExecRecord {
    const found = this.#execs.get(id);
    if (!found) throw new HttpError(404, `No such exec instance: ${id}`);
    return found;
  }

  #execCreate(c: ContainerRecord, body: unknown): Record<string, unknown> {
    const b = isRecord(body) ? body : {};
    const cmd = Array.isArray(b['Cmd']) ? b['Cmd'].map(String) : [];
    if (cmd.length === 0) throw new HttpError(400, 'No exec command specified');
    if (c.status !== 'running') throw new HttpError(409, `Container ${c.id} is not running`);
    const id = randomBytes(32).toString('hex');
    const request: ExecRequest = {
      containerId: c.id,
      cmd,
      user: typeof b['User'] === 'string' ? b['User'] : '',
      env: Array.isArray(b['Env']) ? b['Env'].map(String) : [],
      tty: b['Tty'] === true,
    };
    this.#execs.set(id, { id, container: c, request, running: false, exitCode: null, pid: 0 });
    this.#emit(
      'container',
      `exec_create: ${cmd.join(' ')}`,
      c.id,
      this.#containerAttributes(c, { execID: id }),
    );
    return { Id: id };
  }

  #execInspect(e: ExecRecord): Record<string, unknown> {
    return {
      ID: e.id,
      ContainerID: e.container.id,
      Running: e.running,
      ExitCode: e.exitCode,
      Pid: e.pid,
      OpenStdin: false,
      OpenStdout: true,
      OpenStderr: true,
      ProcessConfig: {
        tty: e.request.tty,
        entrypoint: e.request.cmd[0],
        arguments: e.request.cmd.slice(1),
        user: e.request.user,
      },
    };
  }

  /**
   * A hijacked request: only `POST /exec/{id}/start` is served. Docker answers "101 UPGRADED" and
   * then writes the process's output on the raw connection (stdcopy frames without a TTY) and
   * closes it when the process ends.
   */
  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://engine');
    const path = url.pathname.replace(/^\/v\d+\.\d+(?=\/)/, '');
    const length = Number(req.headers['content-length'] ?? 0);
    let data = head;
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= length) proceed();
    };
    const proceed = () => {
      socket.off('data', onData);
      const text = data.subarray(0, length).toString('utf8');
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      this.requests.push({
        method: req.method ?? 'POST',
        path,
        query: Object.fromEntries(url.searchParams),
        body,
      });
      const refuse = (status: number, message: string) => {
        const json = `${JSON.stringify({ message })}\n`;
        socket.end(
          `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Conflict'}\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${Buffer.byteLength(json)}\r\nApi-Version: ${this.#facts.apiVersion}\r\nOstype: windows\r\n\r\n${json}`,
        );
      };
      const match = /^\/exec\/([^/]+)\/start$/.exec(path);
      const e = match ? this.#execs.get(decodeURIComponent(match[1]!)) : undefined;
      if (req.method !== 'POST' || !match) return refuse(404, 'page not found');
      if (!e) return refuse(404, `No such exec instance: ${match[1]!}`);
      if (e.running || e.exitCode !== null) return refuse(409, `Error: Exec command ${e.id} has already run`);
      if (e.container.status !== 'running') return refuse(409, `Container ${e.container.id} is not running`);
      const tty = isRecord(body) ? body['Tty'] === true : e.request.tty;
      socket.write(
        `HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.${tty ? 'raw' : 'multiplexed'}-stream\r\n` +
          `Connection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: ${this.#facts.apiVersion}\r\nOstype: windows\r\n\r\n`,
      );
      e.running = true;
      e.pid = 1000 + Math.floor(Math.random() * 9000);
      const result = this.#taskkill(e) ?? this.execHandler(e.request);
      const frame = (stream: 1 | 2, text: string | undefined): Buffer => {
        const payload = Buffer.from(text ?? '');
        if (tty || payload.length === 0) return payload;
        const header = Buffer.alloc(8);
        header[0] = stream;
        header.writeUInt32BE(payload.length, 4);
        return Buffer.concat([header, payload]);
      };
      socket.write(Buffer.concat([frame(1, result.stdout), frame(2, result.stderr)]));
      if (result.runsUntilKilled) {
        e.kill = () => this.#endExec(e, socket, 1);
        socket.on('close', () => e.kill?.());
        return;
      }
      this.#endExec(e, socket, result.exitCode ?? 0);
    };
    if (data.length >= length) proceed();
    else socket.on('data', onData);
  }

  /**
   * `taskkill /F /T /PID <pid>` as Windows answers it, for execs of this double: it ends an exec
   * process that runs until killed in the same container.
   */
  #taskkill(e: ExecRecord): ExecResult | undefined {
    const cmd = e.request.cmd.map((a) => a.toLowerCase());
    if (cmd[0] !== 'taskkill' && cmd[0] !== 'taskkill.exe') return undefined;
    const pid = Number(cmd[cmd.indexOf('/pid') + 1]);
    const target = [...this.#execs.values()].find(
      (o) => o.container === e.container && o.pid === pid && o.running && o.kill,
    );
    if (!target) return { stderr: `ERROR: The process "${pid}" not found.\r\n`, exitCode: 128 };
    target.kill?.();
    return { stdout: `SUCCESS: The process with PID ${pid} has been terminated.\r\n`, exitCode: 0 };
  }

  #endExec(e: ExecRecord, socket: Duplex, exitCode: number): void {
    if (!e.running) return;
    e.kill = undefined;
    e.running = false;
    e.exitCode = exitCode;
    this.#emit(
      'container',
      'exec_die',
      e.container.id,
      this.#containerAttributes(e.container, { execID: e.id, exitCode: String(exitCode) }),
    );
    socket.end();
  }

  // ---- containers: reads -----------------------------------------------------------------------

  #networks(c: ContainerRecord): Record<string, unknown> {
    const mode = String(c.hostConfig['NetworkMode']);
    if (mode.startsWith('container:')) return {};
    const endpoint = (ip: string, id: string) => ({
      IPAMConfig: null,
      Links: null,
      Aliases: null,
      NetworkID: sha(`network/${mode}`),
      EndpointID: id,
      Gateway: ip === '' ? '' : ip.replace(/\.\d+$/, '.1'),
      IPAddress: ip,
      IPPrefixLen: ip === '' ? 0 : 16,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      MacAddress: ip === '' ? '' : '00:15:5d:4a:3b:2c',
      DriverOpts: null,
    });
    return { [mode]: c.status === 'running' ? endpoint(c.ipAddress, c.endpointId) : endpoint('', '') };
  }

  #inspect(c: ContainerRecord): Record<string, unknown> {
    const body = c.body;
    const mounts = Array.isArray(c.hostConfig['Mounts'])
      ? (c.hostConfig['Mounts'] as Record<string, unknown>[])
      : [];
    return {
      Id: c.id,
      Created: c.created,
      Path: Array.isArray(body['Cmd']) ? (body['Cmd'][0] ?? '') : '',
      Args: Array.isArray(body['Cmd']) ? body['Cmd'].slice(1) : [],
      State: {
        Status: c.status,
        Running: c.status === 'running',
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: c.pid,
        ExitCode: c.exitCode,
        Error: c.startError,
        StartedAt: c.startedAt,
        FinishedAt: c.finishedAt,
      },
      Image: c.image.id,
      ResolvConfPath: '',
      HostnamePath: '',
      HostsPath: '',
      LogPath: `C:\\ProgramData\\docker\\containers\\${c.id}\\${c.id}-json.log`,
      Name: `/${c.name}`,
      RestartCount: 0,
      Driver: 'windowsfilter',
      Platform: 'windows',
      MountLabel: '',
      ProcessLabel: '',
      AppArmorProfile: '',
      HostConfig: {
        LogConfig: { Type: 'json-file', Config: {} },
        RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
        ...c.hostConfig,
      },
      GraphDriver: {
        Name: 'windowsfilter',
        Data: { dir: `C:\\ProgramData\\docker\\windowsfilter\\${c.id}` },
      },
      Mounts: mounts.map((m) => ({
        Type: m['Type'],
        Source: m['Source'],
        Destination: m['Target'],
        Mode: '',
        RW: m['ReadOnly'] !== true,
        Propagation: '',
      })),
      Config: {
        Hostname:
          typeof body['Hostname'] === 'string' && body['Hostname'] !== ''
            ? body['Hostname']
            : c.id.slice(0, 12),
        Domainname: '',
        User: body['User'] ?? '',
        AttachStdin: false,
        AttachStdout: false,
        AttachStderr: false,
        Tty: body['Tty'] ?? false,
        OpenStdin: body['OpenStdin'] ?? false,
        StdinOnce: body['StdinOnce'] ?? false,
        Env: body['Env'] ?? [],
        Cmd: body['Cmd'] ?? c.image.config['Cmd'] ?? null,
        Image: c.imageRef,
        WorkingDir: body['WorkingDir'] ?? '',
        Entrypoint: body['Entrypoint'] ?? c.image.config['Entrypoint'] ?? null,
        Labels: body['Labels'] ?? {},
      },
      NetworkSettings: {
        Bridge: '',
        SandboxID: c.status === 'running' ? sha(`${c.id}/sandbox`) : '',
        Ports: {},
        SandboxKey: c.status === 'running' ? sha(`${c.id}/sandbox`) : '',
        Networks: this.#networks(c),
      },
    };
  }

  #summary(c: ContainerRecord): Record<string, unknown> {
    const inspect = this.#inspect(c);
    const cmd = (inspect['Config'] as Record<string, unknown>)['Cmd'];
    return {
      Id: c.id,
      Names: [`/${c.name}`],
      Image: c.imageRef,
      ImageID: c.image.id,
      Command: Array.isArray(cmd) ? cmd.join(' ') : '',
      Created: Math.floor(Date.parse(c.created) / 1000),
      Ports: [],
      Labels: c.body['Labels'] ?? {},
      State: c.status,
      Status:
        c.status === 'running'
          ? 'Up Less than a second'
          : c.status === 'created'
            ? 'Created'
            : `Exited (${c.exitCode}) Less than a second ago`,
      HostConfig: { NetworkMode: c.hostConfig['NetworkMode'] },
      NetworkSettings: { Networks: this.#networks(c) },
      Mounts: inspect['Mounts'],
    };
  }

  #list(query: Record<string, string>): Record<string, unknown>[] {
    const all = query['all'] === '1' || query['all'] === 'true';
    const raw = query['filters']
      ? (JSON.parse(query['filters']) as Record<string, string[] | Record<string, boolean>>)
      : {};
    const filters = Object.fromEntries(
      Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v : Object.keys(v)]),
    );
    return [...this.#containers.values()]
      .filter((c) => all || c.status === 'running' || filters['status'] !== undefined)
      .filter((c) => {
        const labels = (c.body['Labels'] ?? {}) as Record<string, string>;
        const labelOk = (filters['label'] ?? []).every((l) => {
          const [k, v] = l.split('=', 2) as [string, string | undefined];
          return labels[k] !== undefined && (v === undefined || labels[k] === v);
        });
        const idOk = !filters['id'] || filters['id'].some((id) => c.id.startsWith(id));
        const nameOk = !filters['name'] || filters['name'].some((n) => c.name.includes(n.replace(/^\//, '')));
        const statusOk = !filters['status'] || filters['status'].includes(c.status);
        return labelOk && idOk && nameOk && statusOk;
      })
      .sort((a, b) => b.created.localeCompare(a.created))
      .map((c) => this.#summary(c));
  }

  #statsSample(c: ContainerRecord, oneShot: boolean): Record<string, unknown> {
    const sample = fixture('stats-windows.json');
    delete sample['_source'];
    if (c.status !== 'running') {
      return {
        ...sample,
        read: ZERO_TIME,
        preread: ZERO_TIME,
        id: c.id,
        name: `/${c.name}`,
        cpu_stats: {
          cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
          throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
        },
        memory_stats: {},
        networks: {},
      };
    }
    c.statsCalls++;
    const scale = (value: unknown) => num(value) * c.statsCalls;
    const cpu = (sample['cpu_stats'] as Record<string, Record<string, unknown>>)['cpu_usage'] ?? {};
    const hyperV = c.hostConfig['Isolation'] === 'hyperv';
    const now = new Date();
    const network = (sample['networks'] as Record<string, Record<string, unknown>>)['ENDPOINT'] ?? {};
    return {
      ...sample,
      id: c.id,
      name: `/${c.name}`,
      read: now.toISOString(),
      preread: oneShot ? ZERO_TIME : new Date(now.getTime() - 1000).toISOString(),
      num_procs: num(this.#info()['NCPU']),
      cpu_stats: {
        cpu_usage: {
          total_usage: scale(cpu['total_usage']),
          // "Not populated for Hyper-V Containers" (moby api/types/container/stats.go).
          usage_in_kernelmode: hyperV ? 0 : scale(cpu['usage_in_kernelmode']),
          usage_in_usermode: hyperV ? 0 : scale(cpu['usage_in_usermode']),
        },
        throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
      },
      networks:
        c.endpointId === ''
          ? {}
          : {
              [c.endpointId]: { ...network, endpoint_id: c.endpointId, instance_id: sha(c.id).slice(0, 36) },
            },
    };
  }

  #stats(c: ContainerRecord, query: Record<string, string>, res: ServerResponse): void {
    const stream = !(query['stream'] === '0' || query['stream'] === 'false');
    const oneShot = query['one-shot'] === '1' || query['one-shot'] === 'true';
    if (!stream) return this.#json(res, 200, this.#statsSample(c, oneShot));
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Api-Version': this.#facts.apiVersion,
      Ostype: 'windows',
    });
    const write = () => res.write(`${JSON.stringify(this.#statsSample(c, false))}\n`);
    write();
    const timer = setInterval(write, 1000);
    this.#statsStreams.add(timer);
    res.on('close', () => {
      clearInterval(timer);
      this.#statsStreams.delete(timer);
    });
  }
}

/** Starts a double; shorthand for `WindowsEngineDouble.start`. */
export const startWindowsEngineDouble = (
  options: WindowsEngineDoubleOptions = {},
): Promise<WindowsEngineDouble> => WindowsEngineDouble.start(options);
