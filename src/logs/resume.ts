import { open, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseLineHead, type LogStream } from './cri-format.js';

/**
 * Where a CRI log file left off, per stream: the timestamp of the stream's last line and how many
 * lines of that stream carry exactly that timestamp (one Docker message may become several P
 * lines, and Docker gives all 16 KiB pieces of one long line the same time).
 *
 * Why per stream: Docker stamps stdout and stderr in two goroutines and then writes them under one
 * lock, so across streams the engine's file order and time order may differ by microseconds;
 * within one stream times never go backwards. Resuming each stream from its own mark is exact.
 */
export interface StreamMark {
  timestamp: string;
  count: number;
}

export type ResumePoint = Partial<Record<LogStream, StreamMark>>;

export interface FileTail {
  point: ResumePoint;
  /**
   * Bytes of the file up to and including its last "\n". A shim killed mid-write may leave a torn
   * last line; the copier truncates to this length and writes the line again.
   */
  completeLength: number;
  /** File size as found (0 when the file does not exist). */
  size: number;
  /** How many bytes from the end were read to find the marks. */
  scannedBytes: number;
}

const CHUNK_BYTES = 64 * 1024;
/**
 * How far back to look for a stream's last line. kubelet rotates at 10 MiB by default; past this
 * a stream not seen is taken as never written (its lines since the other stream's mark are copied).
 */
const MAX_SCAN_BYTES = 64 * 1024 * 1024;

/** Reads the end of `path` backwards until both streams' marks are known or the start is reached. */
export async function readFileTail(path: string): Promise<FileTail> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { point: {}, completeLength: 0, size: 0, scannedBytes: 0 };
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const scan = new BackwardScan();
    let position = size;
    let carry = Buffer.alloc(0); // bytes after the last "\n" seen so far, i.e. the start of a line
    let completeLength = -1;
    while (position > 0 && size - position < MAX_SCAN_BYTES && !scan.finished) {
      const length = Math.min(CHUNK_BYTES, position);
      position -= length;
      const chunk = Buffer.alloc(length);
      await handle.read(chunk, 0, length, position);
      const data = Buffer.concat([chunk, carry]);
      // `end` is where the newest line not yet taken ends (its "\n" excluded).
      let end = data.length;
      if (completeLength < 0) {
        const lastNewline = data.lastIndexOf(0x0a);
        if (lastNewline < 0) {
          carry = data;
          continue;
        }
        completeLength = position + lastNewline + 1;
        end = lastNewline;
      }
      // Lines wholly inside `data`, newest first; the part before the first "\n" may be cut.
      for (let i = end - 1; i >= 0 && !scan.finished; i--) {
        if (data[i] !== 0x0a) continue;
        scan.take(data.subarray(i + 1, end).toString('utf8'));
        end = i;
      }
      carry = data.subarray(0, end);
    }
    if (position === 0 && carry.length > 0 && completeLength >= 0 && !scan.finished) {
      scan.take(carry.toString('utf8'));
    }
    // No "\n" at all: the whole file is one torn line, unless we gave up scanning before its start.
    if (completeLength < 0) completeLength = position === 0 ? 0 : size;
    return { point: scan.point, completeLength, size, scannedBytes: size - position };
  } finally {
    await handle.close();
  }
}

class BackwardScan {
  readonly point: ResumePoint = {};
  readonly #closed = new Set<LogStream>();
  #gaveUp = false;

  get finished(): boolean {
    return this.#closed.size === 2 || this.#gaveUp;
  }

  /** Takes one line, lines arriving newest first. Lines that are not CRI lines are ignored. */
  take(line: string): void {
    const head = parseLineHead(line);
    if (head === undefined) return;
    const { stream, timestamp } = head;
    if (!this.#closed.has(stream)) {
      const mark = this.point[stream];
      if (mark === undefined) this.point[stream] = { timestamp, count: 1 };
      else if (mark.timestamp === timestamp) mark.count++;
      else this.#closed.add(stream);
    }
    // A stream not met by the time lines are a second older than the other stream's mark has
    // nothing the engine will send again (it is asked from that mark on): stop looking for it,
    // rather than read a whole file for a stream that never wrote. The second covers the
    // microseconds by which Docker's file order and time order may differ across streams.
    const other: LogStream = stream === 'stdout' ? 'stderr' : 'stdout';
    const mark = this.point[stream];
    if (
      this.#closed.has(stream) &&
      this.point[other] === undefined &&
      mark !== undefined &&
      timestamp < secondEarlier(mark.timestamp)
    ) {
      this.#gaveUp = true;
    }
  }
}

/** The fixed-width timestamp one second before `fixed`. */
function secondEarlier(fixed: string): string {
  const ms = Date.parse(`${fixed.slice(0, 19)}Z`) - 1000;
  return `${new Date(ms).toISOString().slice(0, 19)}${fixed.slice(19)}`;
}

/**
 * kubelet rotates `<path>` by renaming it to `<path>.<YYYYMMDD-hhmmss>` (older ones are gzipped)
 * and then calls ReopenContainerLog. A shim restarted before the new file got a line would find it
 * empty and copy the container's whole history again; the newest rotated file says where copying
 * really stopped. Undefined when there is none.
 */
export async function newestRotatedSibling(path: string): Promise<string | undefined> {
  const prefix = `${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return undefined;
  }
  const rotated = names
    .filter((name) => name.startsWith(prefix) && !name.endsWith('.gz') && !name.endsWith('.tmp'))
    .sort();
  const newest = rotated[rotated.length - 1];
  return newest === undefined ? undefined : join(dirname(path), newest);
}
