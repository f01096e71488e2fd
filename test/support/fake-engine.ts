import { randomBytes } from 'node:crypto';
import type {
  ContainerDetails,
  ContainerMount,
  ContainerSummary,
  EngineEvent,
} from '../../src/docker/client.js';
import type { ContainerCreateBody, MountSpec, Resources } from '../../src/docker/types.js';
import { containerLabels, sandboxLabels } from '../../src/store/labels.js';
import { CriError } from '../../src/errors.js';
import { FakeDocker } from './fake-docker.js';

const ZERO = '0001-01-01T00:00:00Z';

/**
 * FakeDocker plus a container model: enough of the engine for the lifecycle (create with name
 * uniqueness, start, stop, remove, inspect, list, update) and an event stream tests can push to.
 */
export class FakeEngine extends FakeDocker {
  readonly containers = new Map<string, ContainerDetails>();
  readonly bodies = new Map<string, ContainerCreateBody>();
  readonly #eventQueue: EngineEvent[] = [];
  #wake: (() => void) | undefined;
  /** Makes the next start fail with this error. */
  failStart: CriError | undefined;
  /** The directories inside each image (by id), for image mounts' sub paths; none by default. */
  readonly imageDirs = new Map<string, string[]>();
  #clock = 0;

  constructor() {
    super();
    // FakeDocker declares these as "not modelled"; this model replaces them.
    Object.assign(this, {
      createContainer: this.createContainerImpl,
      startContainer: this.startContainerImpl,
      stopContainer: this.stopContainerImpl,
      removeContainer: this.removeContainerImpl,
      inspectContainer: this.inspectContainerImpl,
      statContainerPath: this.statContainerPathImpl,
      listContainers: this.listContainersImpl,
      updateContainer: this.updateContainerImpl,
      events: this.eventsImpl.bind(this),
    });
  }

  #now(): string {
    this.#clock += 1;
    return `2024-01-01T00:00:${String(this.#clock).padStart(2, '0')}.123456789Z`;
  }

  #find(idOrName: string): ContainerDetails {
    const c = this.containers.get(idOrName) ?? [...this.containers.values()].find((x) => x.name === idOrName);
    if (!c) throw new CriError('NotFound', `No such container: ${idOrName}`);
    return c;
  }

  /** Forgets queued events: what happened "while nobody listened" (an engine restart loses them). */
  dropQueuedEvents(): void {
    this.#eventQueue.length = 0;
  }

  emit(action: string, c: ContainerDetails): void {
    this.#eventQueue.push({
      type: 'container',
      action,
      id: c.id,
      attributes: { ...c.labels, name: c.name },
      timeNano: BigInt(this.#clock) * 1_000_000_000n,
    });
    this.#wake?.();
  }

  readonly createContainerImpl = async (
    name: string,
    body: ContainerCreateBody,
    _signal?: AbortSignal,
  ): Promise<string> => {
    this.calls.push(`createContainer ${name}`);
    if ([...this.containers.values()].some((c) => c.name === name))
      throw new CriError('AlreadyExists', `Conflict. The container name "/${name}" is already in use`);
    const id = randomBytes(32).toString('hex');
    const host = body.HostConfig ?? {};
    const details: ContainerDetails = {
      id,
      name,
      image: body.Image,
      imageId: body.Image,
      created: this.#now(),
      labels: body.Labels ?? {},
      state: {
        status: 'created',
        running: false,
        exitCode: 0,
        oomKilled: false,
        error: '',
        pid: 0,
        startedAt: ZERO,
        finishedAt: ZERO,
      },
      config: {
        tty: body.Tty ?? false,
        openStdin: body.OpenStdin ?? false,
        stdinOnce: body.StdinOnce ?? false,
        env: body.Env ?? [],
        hostname: body.Hostname ?? '',
        user: body.User ?? '',
      },
      hostConfig: {
        networkMode: host.NetworkMode ?? 'bridge',
        isolation: '',
        pidMode: host.PidMode ?? '',
        ipcMode: host.IpcMode ?? '',
        resources: { ...host },
        mounts: (host.Mounts ?? []).map(fakeMount),
      },
      networks: host.NetworkMode === 'bridge' ? { bridge: { ipAddress: '', globalIPv6Address: '' } } : {},
      logPath: `/engine/${id}-json.log`,
    };
    this.containers.set(id, details);
    this.bodies.set(id, body);
    this.emit('create', details);
    return id;
  };

  readonly startContainerImpl = async (id: string, _signal?: AbortSignal): Promise<void> => {
    this.calls.push(`startContainer ${id}`);
    const c = this.#find(id);
    if (this.failStart) {
      const err = this.failStart;
      this.failStart = undefined;
      c.state = { ...c.state, error: err.message, exitCode: 127 };
      throw err;
    }
    c.state = { ...c.state, status: 'running', running: true, pid: 42, startedAt: this.#now() };
    if (c.networks['bridge']) c.networks['bridge'].ipAddress = '172.17.0.2';
    this.emit('start', c);
  };

  readonly stopContainerImpl = async (
    id: string,
    _timeoutSeconds?: number,
    _signal?: AbortSignal,
  ): Promise<void> => {
    this.calls.push(`stopContainer ${id}`);
    const c = this.#find(id);
    if (!c.state.running) return;
    c.state = {
      ...c.state,
      status: 'exited',
      running: false,
      pid: 0,
      exitCode: 137,
      finishedAt: this.#now(),
    };
    this.emit('die', c);
  };

  readonly removeContainerImpl = async (
    id: string,
    _options?: { force: boolean },
    _signal?: AbortSignal,
  ): Promise<void> => {
    this.calls.push(`removeContainer ${id}`);
    const c = this.#find(id);
    this.containers.delete(c.id);
    this.emit('destroy', c);
  };

  readonly inspectContainerImpl = async (id: string): Promise<ContainerDetails> =>
    structuredClone(this.#find(id));

  /** As the engine: an image mount whose sub path the image lacks cannot be set up (500). */
  readonly statContainerPathImpl = async (id: string, path: string): Promise<void> => {
    this.calls.push(`statContainerPath ${id} ${path}`);
    for (const m of this.#find(id).hostConfig.mounts) {
      if (m.type !== 'image' || m.imageSubpath === undefined) continue;
      if (!(this.imageDirs.get(m.image ?? '') ?? []).includes(m.imageSubpath))
        throw new CriError(
          'Internal',
          `cannot access path ${m.source}/${m.imageSubpath}: no such file or directory`,
        );
    }
  };

  readonly listContainersImpl = async (): Promise<ContainerSummary[]> =>
    [...this.containers.values()].map((c) => ({
      id: c.id,
      name: c.name,
      image: c.image,
      imageId: c.imageId,
      createdSeconds: 0,
      state: c.state.status,
      labels: c.labels,
    }));

  readonly updateContainerImpl = async (id: string, resources: Resources): Promise<void> => {
    this.calls.push(`updateContainer ${id}`);
    const c = this.#find(id);
    c.hostConfig.resources = { ...c.hostConfig.resources, ...resources };
  };

  /** The event stream: yields what emit() queued, until the signal aborts. */
  async *eventsImpl(_options: unknown, signal: AbortSignal): AsyncIterable<EngineEvent> {
    while (!signal.aborted) {
      const next = this.#eventQueue.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }
}

const NO_SIGNAL = new AbortController().signal;
const POD_NAMESPACES = { network: 'POD', pid: 'POD', ipc: 'POD', targetId: '' } as const;

/** A pod sandbox as wincri labels it, made (and by default started) in the fake engine. */
export async function fakeSandbox(docker: FakeEngine, name: string, start = true): Promise<string> {
  const labels = sandboxLabels({
    metadata: { name, namespace: 'n', uid: 'u', attempt: 0 },
    labels: {},
    annotations: {},
    logDirectory: '',
    createdAt: 1n,
    namespaceOptions: POD_NAMESPACES,
    decision: undefined,
    hostname: '',
    dns: null,
    portMappings: [],
  });
  const id = await docker.createContainerImpl(
    `k8s_POD_${name}_n_u_0`,
    { Image: 'pause', Labels: labels, HostConfig: { NetworkMode: 'bridge' } },
    NO_SIGNAL,
  );
  if (start) await docker.startContainerImpl(id, NO_SIGNAL);
  return id;
}

/** A container of `sandboxId` as wincri labels it, created (not started) in the fake engine. */
export async function fakeContainer(docker: FakeEngine, sandboxId: string, name: string): Promise<string> {
  const labels = containerLabels({
    sandboxId,
    metadata: { name, attempt: 0 },
    labels: {},
    annotations: {},
    imageVolumes: {},
    logPath: '',
    createdAt: 2n,
    image: 'busybox',
  });
  return docker.createContainerImpl(`k8s_${name}_p_n_u_0`, { Image: 'busybox', Labels: labels }, NO_SIGNAL);
}

/** A create body's mount as inspect shows it: an image mount lands at a host path of the engine's. */
function fakeMount(m: MountSpec): ContainerMount {
  const mount: ContainerMount = {
    type: m.Type,
    source: m.Source ?? '',
    target: m.Target,
    readOnly: m.ReadOnly ?? false,
    propagation: m.BindOptions?.Propagation ?? '',
  };
  if (m.Type !== 'image') return mount;
  const subpath = m.ImageOptions?.Subpath;
  return {
    ...mount,
    source: `/engine/image-mounts/${m.Source ?? ''}`,
    readOnly: true,
    propagation: 'rprivate',
    image: m.Source ?? '',
    ...(subpath ? { imageSubpath: subpath } : {}),
  };
}
