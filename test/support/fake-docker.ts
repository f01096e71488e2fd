import type {
  ContainerDetails,
  DockerClient,
  EngineInfo,
  ImageDetails,
  RegistryAuth,
} from '../../src/docker/client.js';
import { CriError, unimplemented } from '../../src/errors.js';

/**
 * An in-memory DockerClient for contract tests of handler logic. It models images (names,
 * ids, pulls from a set of "registry" contents) and records calls; everything else is
 * unimplemented, so a test can never pass by accident through a path the fake does not model.
 */
export interface FakeImage {
  id: string;
  user?: string;
}

export class FakeDocker implements DockerClient {
  readonly host = 'fake://docker';
  readonly calls: string[] = [];
  readonly pullAuth: (RegistryAuth | undefined)[] = [];
  /** name -> image id, as the engine holds them. */
  readonly names = new Map<string, string>();
  readonly images = new Map<string, FakeImage>();
  /** What registries serve: full name -> image. */
  readonly registry = new Map<string, FakeImage>();
  failNext: CriError | undefined;
  info_: EngineInfo = {
    osType: 'linux',
    operatingSystem: 'Fake',
    osVersion: '',
    kernelVersion: '6',
    serverVersion: '20.10.24',
    apiVersion: '1.41',
    cgroupDriver: 'cgroupfs',
    cgroupVersion: '1',
    ncpu: 2,
    memTotalBytes: 1 << 30,
    dockerRootDir: '/var/lib/docker',
    storageDriver: 'overlay2',
    defaultIsolation: '',
    runtimes: ['runc'],
    defaultRuntime: 'runc',
  };

  #record(call: string): void {
    this.calls.push(call);
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
  }

  async ping(): Promise<void> {
    this.#record('ping');
  }
  async info(): Promise<EngineInfo> {
    this.#record('info');
    return this.info_;
  }
  async diskUsage() {
    this.#record('diskUsage');
    return { layersBytes: 100, containersBytes: 10 };
  }
  async listImages() {
    this.#record('listImages');
    return [...this.images.values()].map((image) => this.#summary(image));
  }
  #summary(image: FakeImage) {
    const names = [...this.names].filter(([, id]) => id === image.id).map(([name]) => name);
    return {
      id: image.id,
      repoTags: names.filter((n) => !n.includes('@')),
      repoDigests: names.filter((n) => n.includes('@')),
      sizeBytes: 1000,
    };
  }
  async inspectImage(reference: string): Promise<ImageDetails | undefined> {
    this.#record(`inspectImage ${reference}`);
    const image = this.images.get(reference) ?? this.images.get(this.names.get(reference) ?? '');
    if (!image) return undefined;
    return {
      ...this.#summary(image),
      user: image.user ?? '',
      os: 'linux',
      osVersion: '',
      architecture: 'amd64',
      createdAt: '',
      env: [],
      labels: {},
      stopSignal: '',
      workingDir: '',
      entrypoint: [],
      cmd: [],
    };
  }
  async pullImage(reference: string, auth: RegistryAuth | undefined): Promise<void> {
    this.#record(`pullImage ${reference}`);
    this.pullAuth.push(auth);
    const image = this.registry.get(reference);
    if (!image) throw new CriError('NotFound', `pull image ${reference}: manifest unknown`);
    this.images.set(image.id, image);
    this.names.set(reference, image.id);
  }
  async tagImage(source: string, target: { repo: string; tag: string }): Promise<void> {
    this.#record(`tagImage ${source} ${target.repo}:${target.tag}`);
    const id = this.names.get(source) ?? source;
    if (!this.images.has(id)) throw new CriError('NotFound', `No such image: ${source}`);
    this.names.set(`${target.repo}:${target.tag}`, id);
  }
  async removeImage(reference: string): Promise<void> {
    this.#record(`removeImage ${reference}`);
    if (this.names.delete(reference)) {
      const id = [...this.images.keys()].find((i) => ![...this.names.values()].includes(i));
      if (id) this.images.delete(id);
      return;
    }
    if (!this.images.has(reference)) throw new CriError('NotFound', `No such image: ${reference}`);
    if ([...this.names.values()].includes(reference))
      throw new CriError('FailedPrecondition', 'image is referenced in multiple repositories');
    this.images.delete(reference);
  }

  createContainer = notModelled('createContainer');
  startContainer = notModelled('startContainer');
  stopContainer = notModelled('stopContainer');
  removeContainer = notModelled('removeContainer');
  inspectContainer = notModelled('inspectContainer') as () => Promise<ContainerDetails>;
  statContainerPath = notModelled('statContainerPath');
  listContainers = notModelled('listContainers');
  updateContainer = notModelled('updateContainer');
  containerStats = notModelled('containerStats');
  containerSizes = notModelled('containerSizes');
  containerLogs = notModelled('containerLogs');
  execCreate = notModelled('execCreate');
  execStart = notModelled('execStart');
  execInspect = notModelled('execInspect');
  execResize = notModelled('execResize');
  attach = notModelled('attach');
  resizeContainer = notModelled('resizeContainer');
  // eslint-disable-next-line require-yield
  async *events(): AsyncIterable<never> {
    throw unimplemented('FakeDocker does not model events');
  }
}

function notModelled(name: string) {
  return (): Promise<never> => Promise.reject(unimplemented(`FakeDocker does not model ${name}`));
}
