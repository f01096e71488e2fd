import { statfs } from 'node:fs/promises';
import type { DockerClient } from '../docker/client.js';
import type { EngineState } from './engine-state.js';

/** The image and container filesystems' usage, as ImageFsInfo answers it. */
export interface FilesystemsUsage {
  timestampNs: bigint;
  mountpoint: string;
  imageBytes: number;
  containerBytes: number;
  inodesUsed?: number;
}

/**
 * ImageFsInfo's numbers. The engine's disk-usage walk is slow on a busy node, and kubelet asks
 * every ~10 s, so one result serves every caller for `maxAgeMs` and a single walk runs at a time.
 */
export class FilesystemUsageCache {
  #last: { at: number; usage: FilesystemsUsage } | undefined;
  #inFlight: Promise<FilesystemsUsage> | undefined;

  constructor(
    private readonly docker: DockerClient,
    private readonly engine: EngineState,
    private readonly maxAgeMs = 10_000,
  ) {}

  get(signal: AbortSignal): Promise<FilesystemsUsage> {
    if (this.#last && Date.now() - this.#last.at < this.maxAgeMs) return Promise.resolve(this.#last.usage);
    this.#inFlight ??= this.#measure().finally(() => (this.#inFlight = undefined));
    // A caller that gives up does not cancel the walk the next caller will use.
    return abortable(this.#inFlight, signal);
  }

  async #measure(): Promise<FilesystemsUsage> {
    const engine = await this.engine.current();
    const mountpoint = engine.info?.dockerRootDir ?? '';
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
}

/** Inodes in use on the filesystem holding the data root, when the engine's root is local and readable. */
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
