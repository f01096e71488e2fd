import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Attachments on disk, under `<cache dir>/results/<network>-<container id>-<ifname>`, in libcni's
 * `cniCacheV1` format (so `cnitool` and libcni read ours and we read theirs). What libcni does not
 * do, we do: the entry is written **before** ADD runs, without a result, so that a runtime killed
 * in the middle of an ADD finds the attachment after its restart and can DEL it (freeing an IP a
 * plugin may already have reserved); the result is added when ADD succeeds. Writes go through a
 * temporary file and a rename, so a crash leaves the old entry or the new one, never half of one.
 * Only that first entry is flushed to disk (`durable`): a killed runtime finds what it wrote in the
 * page cache anyway, and after a power loss the entry written before ADD is enough to DEL; the
 * result is written as libcni writes every entry, without an fsync, which costs 2-4 ms and tails
 * of 30 ms on the pod's critical path.
 */

export const CACHE_KIND = 'cniCacheV1';

export interface AttachmentKey {
  readonly networkName: string;
  readonly containerId: string;
  readonly ifName: string;
}

export interface CachedAttachment extends AttachmentKey {
  /** The network config list as it was used for ADD (DEL uses it even if the file changed since). */
  readonly config: string;
  readonly netns?: string;
  readonly cniArgs: ReadonlyArray<readonly [string, string]>;
  readonly capabilityArgs: Readonly<Record<string, unknown>>;
  /** Absent while ADD runs (and forever if it never finished). */
  readonly result?: Readonly<Record<string, unknown>>;
}

interface OnDisk {
  kind: string;
  containerId: string;
  config: string; // base64, as Go marshals []byte
  ifName: string;
  networkName: string;
  netns?: string;
  cniArgs?: [string, string][];
  capabilityArgs?: Record<string, unknown>;
  result?: Record<string, unknown>;
}

export class ResultCache {
  readonly resultsDir: string;

  constructor(readonly cacheDir: string) {
    this.resultsDir = join(cacheDir, 'results');
  }

  fileOf(key: AttachmentKey): string {
    return join(this.resultsDir, `${key.networkName}-${key.containerId}-${key.ifName}`);
  }

  async write(entry: CachedAttachment, options: { durable: boolean } = { durable: true }): Promise<void> {
    const data: OnDisk = {
      kind: CACHE_KIND,
      containerId: entry.containerId,
      config: Buffer.from(entry.config, 'utf8').toString('base64'),
      ifName: entry.ifName,
      networkName: entry.networkName,
      ...(entry.netns ? { netns: entry.netns } : {}),
      ...(entry.cniArgs.length > 0
        ? { cniArgs: entry.cniArgs.map(([k, v]) => [k, v] as [string, string]) }
        : {}),
      ...(Object.keys(entry.capabilityArgs).length > 0
        ? { capabilityArgs: { ...entry.capabilityArgs } }
        : {}),
      ...(entry.result ? { result: { ...entry.result } } : {}),
    };
    await mkdir(this.resultsDir, { recursive: true, mode: 0o700 });
    const file = this.fileOf(entry);
    const temp = join(this.resultsDir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(data));
      if (options.durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  }

  /** The entry, or undefined when there is none or it is unreadable (libcni then DELs without). */
  async read(key: AttachmentKey): Promise<CachedAttachment | undefined> {
    return this.readFile(this.fileOf(key));
  }

  async remove(key: AttachmentKey): Promise<void> {
    await rm(this.fileOf(key), { force: true });
  }

  /** Every attachment on disk (for GC and for recovery after a restart). */
  async list(): Promise<CachedAttachment[]> {
    let names: string[];
    try {
      names = await readdir(this.resultsDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const entries = await Promise.all(
      names.filter((n) => !n.startsWith('.')).map((n) => this.readFile(join(this.resultsDir, n))),
    );
    return entries.filter((e): e is CachedAttachment => e !== undefined);
  }

  /** The entry of a container's interface whatever network it was made on (the config may have changed). */
  async find(containerId: string, ifName: string): Promise<CachedAttachment | undefined> {
    return (await this.list()).find((e) => e.containerId === containerId && e.ifName === ifName);
  }

  private async readFile(file: string): Promise<CachedAttachment | undefined> {
    let data: OnDisk;
    try {
      data = JSON.parse(await readFile(file, 'utf8')) as OnDisk;
    } catch {
      return undefined;
    }
    if (
      data.kind !== CACHE_KIND ||
      typeof data.containerId !== 'string' ||
      typeof data.networkName !== 'string'
    )
      return undefined;
    return {
      networkName: data.networkName,
      containerId: data.containerId,
      ifName: data.ifName,
      config: Buffer.from(data.config ?? '', 'base64').toString('utf8'),
      ...(data.netns ? { netns: data.netns } : {}),
      cniArgs: data.cniArgs ?? [],
      capabilityArgs: data.capabilityArgs ?? {},
      ...(data.result ? { result: data.result } : {}),
    };
  }
}
