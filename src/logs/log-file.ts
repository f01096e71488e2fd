import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Permissions of what wincri creates for logs: directories 0755 (kubelet and `kubectl logs` walk
 * them), files 0640 (root and the adm-like group read them; container output may hold secrets, so
 * not world-readable; containerd uses the same mode). Ignored on Windows, where ACLs are inherited.
 */
const DIR_MODE = 0o755;
const FILE_MODE = 0o640;

/**
 * One CRI log file being appended to. Writes and reopens run one at a time in call order, so a
 * reopen falls between two writes: each buffer lands whole in the old file or whole in the new
 * one, never in neither.
 */
export class CriLogFile {
  #handle: FileHandle | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    handle: FileHandle,
  ) {
    this.#handle = handle;
  }

  /**
   * Opens `path` for appending, creating it and (unless `createDirectories` is false) its parent
   * directories. When `truncateTo` is given and shorter than the file, the bytes after it (a torn
   * last line) are cut first.
   */
  static async open(
    path: string,
    options: { truncateTo?: number; createDirectories?: boolean } = {},
  ): Promise<CriLogFile> {
    const handle = await openForAppend(path, options.createDirectories ?? true);
    try {
      if (options.truncateTo !== undefined) {
        const { size } = await handle.stat();
        if (options.truncateTo < size) await handle.truncate(options.truncateTo);
      }
    } catch (err) {
      await handle.close();
      throw err;
    }
    return new CriLogFile(path, handle);
  }

  /** Appends `data` (whole CRI lines) to whichever file is current when its turn comes. */
  write(data: Buffer): Promise<void> {
    return this.#enqueue(async () => {
      const handle = this.#current();
      let offset = 0;
      while (offset < data.length) {
        const { bytesWritten } = await handle.write(data, offset, data.length - offset);
        offset += bytesWritten;
      }
    });
  }

  /**
   * Starts a new file at the same path (the old one was renamed by kubelet) and closes the old
   * handle. When the new file cannot be opened, the old handle stays and the error is thrown.
   */
  reopen(): Promise<void> {
    return this.#enqueue(async () => {
      const old = this.#current();
      this.#handle = await openForAppend(this.path, true);
      await old.close().catch(() => undefined);
    });
  }

  /** Closes the file after the writes already queued. Idempotent. */
  close(): Promise<void> {
    return this.#enqueue(async () => {
      const handle = this.#handle;
      this.#handle = undefined;
      await handle?.close();
    });
  }

  get closed(): boolean {
    return this.#handle === undefined;
  }

  #current(): FileHandle {
    if (this.#handle === undefined) throw new Error(`log file ${this.path} is closed`);
    return this.#handle;
  }

  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

async function openForAppend(path: string, createDirectories: boolean): Promise<FileHandle> {
  if (createDirectories) await mkdir(dirname(path), { recursive: true, mode: DIR_MODE });
  return open(path, 'a', FILE_MODE);
}
