/**
 * Each container's writable layer use, for ContainerStats.writable_layer, refreshed every
 * `intervalMs` (six stats intervals by default: a minute) and served from memory in between.
 *
 * Two ways to know it, cheapest first:
 * - The layer is a directory on this host (the engine is local and its driver is overlay2: inspect
 *   names the upper dir, already in the store; or, on the containerd image store, the container's
 *   root overlay names it, src/stats/upper-dir.ts): one walk of it gives bytes as Docker counts them
 *   AND inodes, which Docker does not count (src/stats/layer-walk.ts). At most `walkConcurrency` walks at
 *   a time: each holds the event loop for short slices, two of them leave most turns to the RPCs.
 * - Otherwise (a remote or Windows engine, another driver, a directory wincri cannot read): one
 *   listing with sizes for just those containers, which makes the engine walk their layers. Bytes
 *   only; inodes stay unset, never 0, so the kubelet does not read "no inodes used".
 *
 * A reading that cannot be taken this round (engine away, a walk that failed) keeps the last one; a
 * container gone from the store is dropped.
 */
import { stat, statfs } from 'node:fs/promises';
import { eachAtMost } from '../concurrency.js';
import { LayerNotHere, walkLayer, type ByteCount, type LayerUsage } from './layer-walk.js';
import type { LayerFilesystem } from './sample.js';
import { upperDirOfProcess, type UpperDir } from './upper-dir.js';

export interface ContainerSizesSource {
  containerSizes(ids: string[], signal: AbortSignal): Promise<Map<string, number>>;
}

/**
 * A container as the store knows it: the host directory of its writable layer when inspect names
 * one, else the pid of its init process while it runs (to find the layer through its mounts).
 */
export interface LayerLocation {
  id: string;
  upperDir?: string | undefined;
  pid?: number | undefined;
}

export interface WritableLayerReading {
  usedBytes: bigint;
  /** Only from a walk of the layer; the engine does not count inodes. */
  inodesUsed?: bigint;
  timestampNs: bigint;
  /** The filesystem holding the layer when it is not the engine's data root (a containerd snapshot). */
  mountpoint?: string;
  /** Only from a walk of the layer: the filesystem that holds it. */
  filesystem?: LayerFilesystem;
}

export interface WritableLayersOptions {
  source: ContainerSizesSource;
  /** The containers to measure, asked at every round. */
  containers: () => Iterable<LayerLocation>;
  intervalMs: number;
  log: { warn(obj: object, msg: string): void; debug(obj: object, msg: string): void };
  walkConcurrency?: number;
  walk?: (dir: string, signal: AbortSignal, count: ByteCount) => Promise<LayerUsage>;
  upperDirOf?: (pid: number) => UpperDir | undefined;
  filesystemOf?: (dir: string) => Promise<LayerFilesystem>;
}

export const DEFAULT_WALK_CONCURRENCY = 2;

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

export class WritableLayers {
  #readings = new Map<string, WritableLayerReading>();
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  readonly #options: WritableLayersOptions;
  readonly #walk: (dir: string, signal: AbortSignal, count: ByteCount) => Promise<LayerUsage>;
  readonly #upperDirOf: (pid: number) => UpperDir | undefined;
  /** Upper dirs found through a container's mounts, kept after it stops (the snapshot stays). */
  #found = new Map<string, UpperDir>();
  #saidNotFound = false;
  /** The last containerd snapshotter root a found snapshot showed; kept while no container runs. */
  #snapshotterRoot: string | undefined;
  readonly #filesystemOf: (dir: string) => Promise<LayerFilesystem>;
  /** Containers `measure` took since the current round began. */
  readonly #measured = new Set<string>();

  constructor(options: WritableLayersOptions) {
    this.#options = options;
    this.#walk = options.walk ?? walkLayer;
    this.#upperDirOf = options.upperDirOf ?? upperDirOfProcess;
    this.#filesystemOf = options.filesystemOf ?? filesystemOf;
  }

  start(): void {
    void this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.#options.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  get(id: string): WritableLayerReading | undefined {
    return this.#readings.get(id);
  }

  /**
   * The root of the containerd snapshotter holding the layers (`<root>/snapshots/<n>/fs` -> `<root>`),
   * once a container's snapshot has been found; undefined on overlay2 or before any container ran.
   */
  snapshotterRoot(): string | undefined {
    return this.#snapshotterRoot;
  }

  /**
   * Walks one container's layer now (a container that just started, so that its metrics do not wait
   * for the next round); nothing when its layer is not a directory this host can find.
   */
  async measure(location: LayerLocation): Promise<void> {
    const where =
      location.upperDir !== undefined
        ? { upperDir: location.upperDir, mountpoint: location.upperDir, count: 'apparent' as const }
        : location.pid
          ? this.#upperDirOf(location.pid)
          : undefined;
    if (!where) return;
    this.#remember(location.id, where);
    const signal = AbortSignal.timeout(this.#options.intervalMs);
    try {
      this.#readings.set(location.id, await this.#walkOne(where, signal));
      this.#measured.add(location.id);
    } catch (err) {
      if (!(err instanceof LayerNotHere))
        this.#options.log.debug({ err, containerId: location.id }, 'could not walk a new writable layer');
    }
  }

  /** One round; a round still running (a slow engine, a huge layer) is joined, not doubled. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#round().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #round(): Promise<void> {
    this.#measured.clear();
    const signal = AbortSignal.timeout(this.#options.intervalMs);
    const next = new Map<string, WritableLayerReading>();
    const toList: string[] = [];
    const walked: (UpperDir & { id: string })[] = [];
    for (const c of this.#locate([...this.#options.containers()])) {
      if (c.where) walked.push({ id: c.id, ...c.where });
      else toList.push(c.id);
    }
    await eachAtMost(this.#options.walkConcurrency ?? DEFAULT_WALK_CONCURRENCY, walked, async (c) => {
      try {
        next.set(c.id, await this.#walkOne(c, signal));
      } catch (err) {
        if (err instanceof LayerNotHere) toList.push(c.id);
        else this.#keepLast(next, c.id, err, 'could not walk a writable layer; keeping the last reading');
      }
    });
    await this.#list(toList, next, signal);
    // Keep what `measure` took meanwhile of containers this round did not know yet.
    for (const id of this.#measured) {
      const reading = this.#readings.get(id);
      if (reading && !next.has(id)) next.set(id, reading);
    }
    this.#readings = next;
  }

  async #walkOne(where: UpperDir, signal: AbortSignal): Promise<WritableLayerReading> {
    const usage = await this.#walk(where.upperDir, signal, where.count);
    const reading: WritableLayerReading = {
      usedBytes: usage.bytes,
      inodesUsed: usage.inodes,
      timestampNs: nowNs(),
    };
    if (where.mountpoint !== where.upperDir) reading.mountpoint = where.mountpoint;
    const filesystem = await this.#filesystemOf(where.upperDir).catch(() => undefined);
    if (filesystem) reading.filesystem = filesystem;
    return reading;
  }

  /**
   * Each container's layer directory: inspect's, else one found through its running process's
   * mounts (kept for later rounds). A running container whose layer cannot be found is said once.
   */
  #locate(containers: LayerLocation[]): { id: string; where?: UpperDir }[] {
    const found = new Map<string, UpperDir>();
    const located = containers.map((c) => {
      if (c.upperDir !== undefined)
        return {
          id: c.id,
          where: { upperDir: c.upperDir, mountpoint: c.upperDir, count: 'apparent' as const },
        };
      const where = this.#found.get(c.id) ?? (c.pid ? this.#upperDirOf(c.pid) : undefined);
      if (where) {
        found.set(c.id, where);
        this.#noteSnapshot(where);
      } else if (c.pid && !this.#saidNotFound) {
        this.#saidNotFound = true;
        this.#options.log.warn(
          { containerId: c.id },
          "a running container's writable layer is not a directory this host can find (not overlay2, not an overlay root): its layer is reported in bytes from the engine, without inodes",
        );
      }
      return where ? { id: c.id, where } : { id: c.id };
    });
    this.#found = found;
    return located;
  }

  /** A snapshot found through a new container's mounts serves the next rounds too, even once it stopped. */
  #remember(id: string, where: UpperDir): void {
    if (where.mountpoint === where.upperDir) return;
    this.#found.set(id, where);
    this.#snapshotterRoot = where.mountpoint;
  }

  #noteSnapshot(where: UpperDir): void {
    if (where.mountpoint !== where.upperDir) this.#snapshotterRoot = where.mountpoint;
  }

  /** One listing with sizes for the containers no walk could measure. */
  async #list(ids: string[], next: Map<string, WritableLayerReading>, signal: AbortSignal): Promise<void> {
    if (ids.length === 0) return;
    try {
      const sizes = await this.#options.source.containerSizes(ids, signal);
      const timestampNs = nowNs();
      for (const [id, bytes] of sizes) next.set(id, { usedBytes: BigInt(bytes), timestampNs });
    } catch (err) {
      for (const id of ids) this.#keepLast(next, id);
      this.#options.log.warn({ err }, 'could not read the writable layer sizes; keeping the last ones');
    }
  }

  #keepLast(next: Map<string, WritableLayerReading>, id: string, err?: unknown, msg?: string): void {
    const last = this.#readings.get(id);
    if (last) next.set(id, last);
    if (msg) this.#options.log.warn({ err, containerId: id }, msg);
  }
}

/** statfs of the filesystem holding `dir`, named by its device number as Linux splits it. */
export async function filesystemOf(dir: string): Promise<LayerFilesystem> {
  const [fs, st] = await Promise.all([statfs(dir, { bigint: true }), stat(dir, { bigint: true })]);
  const dev = st.dev;
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return {
    device: `${major}:${minor}`,
    capacityBytes: fs.blocks * fs.bsize,
    inodesTotal: fs.files,
    inodesFree: fs.ffree,
  };
}
