import { statfs } from 'node:fs/promises';
import type { DockerClient, EngineInfo } from '../docker/client.js';
import type { EngineState } from './engine-state.js';

/** The image and container filesystems' usage, as ImageFsInfo answers it. */
export interface FilesystemsUsage {
  timestampNs: bigint;
  mountpoint: string;
  imageBytes: number;
  containerBytes: number;
  inodesUsed?: number;
}

export interface FilesystemUsageOptions {
  /** The containerd snapshotter root a container's snapshot showed (WritableLayers), once known. */
  snapshotterRoot?: () => string | undefined;
  log?: { info(obj: object, msg: string): void };
  maxAgeMs?: number;
}

/**
 * ImageFsInfo's numbers. The engine's disk-usage walk is slow on a busy node, and kubelet asks
 * every ~10 s, so one result serves every caller for `maxAgeMs` and a single walk runs at a time.
 */
export class FilesystemUsageCache {
  #last: { at: number; usage: FilesystemsUsage } | undefined;
  #inFlight: Promise<FilesystemsUsage> | undefined;
  /** The image filesystem last logged, so that each change of answer is said once. */
  #said: string | undefined;
  readonly #maxAgeMs: number;

  constructor(
    private readonly docker: DockerClient,
    private readonly engine: EngineState,
    private readonly options: FilesystemUsageOptions = {},
  ) {
    this.#maxAgeMs = options.maxAgeMs ?? 10_000;
  }

  get(signal: AbortSignal): Promise<FilesystemsUsage> {
    if (this.#last && Date.now() - this.#last.at < this.#maxAgeMs) return Promise.resolve(this.#last.usage);
    this.#inFlight ??= this.#measure().finally(() => (this.#inFlight = undefined));
    // A caller that gives up does not cancel the walk the next caller will use.
    return abortable(this.#inFlight, signal);
  }

  /** The filesystem holding the layers as last known, for a writable layer that names none of its own. */
  mountpoint(): string {
    return this.#mountpoint(this.engine.lastInfo);
  }

  async #measure(): Promise<FilesystemsUsage> {
    const engine = await this.engine.current();
    const mountpoint = this.#mountpoint(engine.info);
    const disk = await this.docker.diskUsage(AbortSignal.timeout(60_000));
    const usage: FilesystemsUsage = {
      timestampNs: BigInt(Date.now()) * 1_000_000n,
      mountpoint,
      imageBytes: disk.layersBytes,
      containerBytes: disk.containersBytes,
    };
    const inodesUsed = await filesystemInodesUsed(mountpoint);
    if (inodesUsed !== undefined) usage.inodesUsed = inodesUsed;
    this.#last = { at: Date.now(), usage };
    return usage;
  }

  /**
   * Where the layers live. A graph driver (overlay2) keeps them under the engine's data root. The
   * containerd image store keeps them in containerd's snapshotter root, which /info does not name
   * (containerd's own CRI answers its snapshotter plugin's root); a running container's snapshot
   * shows it. Until one has, the data root stands in, said once.
   */
  #mountpoint(info: EngineInfo | undefined): string {
    const dataRoot = info?.dockerRootDir ?? '';
    if (info?.snapshotter === undefined) return dataRoot;
    const root = this.options.snapshotterRoot?.();
    const mountpoint = root ?? dataRoot;
    if (mountpoint !== this.#said) {
      this.#said = mountpoint;
      this.options.log?.info(
        { mountpoint, snapshotter: info.snapshotter },
        root
          ? "image filesystem: the containerd snapshotter's root, found through a container's snapshot"
          : "image filesystem: the engine's data root for now; on the containerd image store the layers are in containerd's snapshotter root, which shows once a container runs",
      );
    }
    return mountpoint;
  }
}

/** Inodes in use on the filesystem holding the layers, when that directory is local and readable. */
async function filesystemInodesUsed(path: string): Promise<number | undefined> {
  if (path === '') return undefined;
  const fs = await statfs(path).catch(() => undefined);
  return fs && fs.files > 0 ? fs.files - fs.ffree : undefined;
}

function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
