import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { DockerClient } from '../docker/client.js';
import type { StreamFrame } from '../docker/multiplex.js';
import { failedPrecondition, hasKind } from '../errors.js';
import type { LogObserver } from '../metrics/metrics.js';
import { MAX_LOG_LINE_BYTES, formatLines, toDockerSince, type LogStream } from './cri-format.js';
import { EngineMessageReader, type EngineMessage } from './engine-messages.js';
import { CriLogFile } from './log-file.js';
import { newestRotatedSibling, readFileTail, type ResumePoint, type StreamMark } from './resume.js';

/**
 * Copies one container's output from the engine's own log store (json-file, read with
 * `GET /containers/{id}/logs?follow=1&timestamps=1`) into its CRI log file.
 *
 * Nothing lost, nothing twice, across a shim restart: the engine keeps every message with its
 * nanosecond time, and the file's tail says, per stream, the last time written and how many lines
 * had it. A (re)started copier asks the engine for messages since the earlier of the two marks and
 * skips what the file already holds (src/logs/resume.ts explains why per stream).
 *
 * The copy ends by itself when the engine's stream ends and the container is no longer running:
 * the engine drains a stopped container's log before ending a follow, so at that moment every
 * line is in the file. `done` resolves then; lifecycle code awaits it (bounded) before reporting
 * a container EXITED, so `crictl logs` right after exit sees every line.
 *
 * Errors (engine gone, disk full) are logged and retried with backoff from the last line written;
 * they never reach the caller. File writes are awaited before the next frame is read, so a slow
 * disk slows the engine's stream instead of growing memory.
 */
export interface LogCopierDeps {
  docker: Pick<DockerClient, 'containerLogs' | 'inspectContainer'>;
  log: Logger;
  /** Longest text per CRI line; see MAX_LOG_LINE_BYTES. */
  maxLineBytes?: number;
  /** First wait before retrying after the stream failed; doubles up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Told of every write (metrics: bytes, and how far behind the engine the copy runs). */
  observer?: LogObserver;
}

export interface LogCopierTarget {
  /** The engine's container id. */
  containerId: string;
  /** Absolute path of the CRI log file (log_directory/log_path). */
  path: string;
  /** A tty container's output is one raw stream (stdout). */
  tty: boolean;
  /**
   * Whether a missing log directory is made (default true). Recovery passes false: a pod log
   * directory that is gone was removed by kubelet with the pod, and must not come back.
   */
  createDirectories?: boolean;
}

export class LogCopier {
  readonly containerId: string;
  readonly path: string;
  /** Resolves when copying has ended: the container stopped and every line is written, or stop(). */
  readonly done: Promise<void>;
  /** Resolves once the log file exists and is open (or copying ended without it). */
  readonly opened: Promise<void>;
  #markOpened: () => void = () => undefined;

  readonly #tty: boolean;
  readonly #createDirectories: boolean;
  readonly #deps: LogCopierDeps;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  #file: CriLogFile | undefined;
  /**
   * What this copier has written, per stream. Trusted alongside the file's tail when the file is
   * reopened after an error: the file may since have been rotated away by kubelet.
   */
  readonly #written: ResumePoint = {};
  #finished = false;
  /** A reopen asked for while no file was open: done as soon as one is. */
  #reopenPending = false;

  constructor(target: LogCopierTarget, deps: LogCopierDeps) {
    this.containerId = target.containerId;
    this.path = target.path;
    this.#tty = target.tty;
    this.#createDirectories = target.createDirectories ?? true;
    this.#deps = deps;
    this.#log = deps.log.child({ container: target.containerId, logPath: target.path });
    this.opened = new Promise((resolve) => {
      this.#markOpened = resolve;
    });
    this.done = this.#run().finally(() => {
      this.#finished = true;
      this.#markOpened();
    });
  }

  /** True once the copy has ended (container stopped and drained, or stopped by the caller). */
  get finished(): boolean {
    return this.#finished;
  }

  /**
   * ReopenContainerLog: writes after this go to a new file at the same path. Lines being written
   * when it is called land whole in the old file or in the new one. Throws FailedPrecondition when
   * the copy has ended, and the open error when the new file cannot be made.
   */
  async reopen(): Promise<void> {
    const file = this.#file;
    if (this.#finished || file === undefined || file.closed) {
      // Between retries there is no file: the file opened next is at the path anyway, but one
      // being opened right now may be the renamed one, so it is reopened once open.
      if (!this.#finished && file === undefined) {
        this.#reopenPending = true;
        return;
      }
      throw failedPrecondition(`the log copy of container ${this.containerId} has ended; nothing to reopen`);
    }
    await file.reopen();
    this.#log.info('log file reopened');
  }

  /** Stops copying and closes the file; resolves when both are done. Idempotent. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.done;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    const initialDelay = this.#deps.retryDelayMs ?? 500;
    const maxDelay = this.#deps.maxRetryDelayMs ?? 5_000;
    let delay = initialDelay;
    let lastFailure = '';
    try {
      while (!signal.aborted) {
        try {
          const file = this.#file ?? (this.#file = await this.#openFile());
          this.#markOpened();
          if (this.#reopenPending) {
            this.#reopenPending = false;
            await file.reopen();
          }
          const wrote = await this.#copyOnce(file, true, signal);
          const details = await this.#deps.docker.inspectContainer(this.containerId, signal);
          const { status, running } = details.state;
          // A created container has no live log yet (the engine ends its follow at once): poll
          // until it runs. A running one lost its stream: resume.
          if (status !== 'created' && status !== 'restarting' && !running) {
            // The engine may end a follow before its last messages (seen with 20.10 when the
            // container exits right after writing): one plain read from the marks takes the rest.
            await this.#copyOnce(file, false, signal);
            this.#log.debug('container stopped and its log is drained');
            return;
          }
          if (wrote) delay = initialDelay;
          lastFailure = '';
        } catch (err) {
          if (signal.aborted) return;
          if (!this.#createDirectories && (err as NodeJS.ErrnoException).code === 'ENOENT') {
            this.#log.info('the log directory is gone (kubelet removed the pod); log copying ends');
            return;
          }
          if (hasKind(err, 'NotFound')) {
            this.#log.info('the container is gone from the engine; log copying ends');
            return;
          }
          // Once per distinct failure: a container whose log cannot be read (driver "none") would
          // otherwise fill the shim's log every few seconds.
          const text = err instanceof Error ? err.message : String(err);
          if (text !== lastFailure)
            this.#log.warn({ err }, 'log copying interrupted; resuming from the last line written');
          lastFailure = text;
          // Reread the file's tail next time: a failed write may have left a torn line.
          await this.#closeFile();
        }
        await sleep(delay, undefined, { signal }).catch(() => undefined);
        delay = Math.min(delay * 2, maxDelay);
      }
    } finally {
      await this.#closeFile();
    }
  }

  async #openFile(): Promise<CriLogFile> {
    const tail = await readFileTail(this.path);
    let found = tail.point;
    if (
      found.stdout === undefined &&
      found.stderr === undefined &&
      this.#written.stdout === undefined &&
      this.#written.stderr === undefined
    ) {
      const rotated = await newestRotatedSibling(this.path);
      if (rotated !== undefined) found = (await readFileTail(rotated)).point;
    }
    for (const stream of ['stdout', 'stderr'] as const) {
      const mark = later(found[stream], this.#written[stream]);
      if (mark === undefined) delete this.#written[stream];
      else this.#written[stream] = { ...mark };
    }
    if (tail.completeLength < tail.size) {
      this.#log.warn(
        { bytes: tail.size - tail.completeLength },
        'cutting a torn last line; it is copied again',
      );
    }
    return CriLogFile.open(this.path, {
      truncateTo: tail.completeLength,
      createDirectories: this.#createDirectories,
    });
  }

  async #closeFile(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    await file?.close().catch((err: unknown) => this.#log.warn({ err }, 'closing the log file failed'));
  }

  /** One read of the engine's log from the marks (following it when `follow`); true when it wrote. */
  async #copyOnce(file: CriLogFile, follow: boolean, signal: AbortSignal): Promise<boolean> {
    const skip = structuredClone(this.#written);
    const since = earliest(skip);
    const frames = await this.#deps.docker.containerLogs(
      this.containerId,
      since === undefined ? { follow } : { follow, since: toDockerSince(since) },
      signal,
    );
    const reader = new EngineMessageReader({ tty: this.#tty });
    const batch = new PendingLines();
    let wrote = false;
    try {
      for await (const frame of frames as AsyncIterable<StreamFrame>) {
        for (const message of reader.push(frame)) this.#collect(message, skip, batch);
        // Write when the engine has nothing more buffered (or the batch is big): one write per
        // burst instead of one per line, and still no reading ahead of the disk.
        if (batch.bytes >= MAX_BATCH_BYTES || frames.readableLength === 0)
          wrote = (await this.#flush(file, batch)) || wrote;
      }
      for (const message of reader.end()) this.#collect(message, skip, batch);
      wrote = (await this.#flush(file, batch)) || wrote;
    } finally {
      frames.destroy();
    }
    return wrote;
  }

  /** Adds the lines of `message` the file does not already hold to `batch`. */
  #collect(message: EngineMessage, skip: ResumePoint, batch: PendingLines): void {
    const { stream, timestamp } = message;
    let lines = formatLines(
      timestamp,
      stream,
      message.text,
      message.complete,
      this.#deps.maxLineBytes ?? MAX_LOG_LINE_BYTES,
    );
    const mark = skip[stream];
    if (mark !== undefined) {
      if (timestamp < mark.timestamp) return;
      if (timestamp === mark.timestamp) {
        const already = Math.min(mark.count, lines.length);
        mark.count -= already;
        lines = lines.slice(already);
      } else {
        delete skip[stream];
      }
    }
    if (lines.length > 0) batch.add(stream, timestamp, lines);
  }

  /** Writes the batch, then (only then) moves the marks; true when something was written. */
  async #flush(file: CriLogFile, batch: PendingLines): Promise<boolean> {
    if (batch.lines.length === 0) return false;
    const { lines, marks } = batch.take();
    const bytes = Buffer.concat(lines);
    await file.write(bytes);
    if (this.#deps.observer) {
      const stamped = Date.parse(marks[marks.length - 1]?.timestamp ?? '');
      this.#deps.observer.written(
        bytes.length,
        Number.isNaN(stamped) ? undefined : (Date.now() - stamped) / 1000,
      );
    }
    for (const { stream, timestamp, count } of marks) {
      const mark = this.#written[stream];
      if (mark !== undefined && mark.timestamp === timestamp) mark.count += count;
      else this.#written[stream] = { timestamp, count };
    }
    return true;
  }
}

/** Largest write the copier makes at once. */
const MAX_BATCH_BYTES = 256 * 1024;

/** Lines read but not yet written, with the marks they will move once written. */
class PendingLines {
  lines: Buffer[] = [];
  marks: { stream: LogStream; timestamp: string; count: number }[] = [];
  bytes = 0;

  add(stream: LogStream, timestamp: string, lines: Buffer[]): void {
    for (const line of lines) {
      this.lines.push(line);
      this.bytes += line.length;
    }
    this.marks.push({ stream, timestamp, count: lines.length });
  }

  take(): { lines: Buffer[]; marks: PendingLines['marks'] } {
    const taken = { lines: this.lines, marks: this.marks };
    this.lines = [];
    this.marks = [];
    this.bytes = 0;
    return taken;
  }
}

/** The mark further along (fixed-width timestamps compare as strings). */
function later(a: StreamMark | undefined, b: StreamMark | undefined): StreamMark | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a.timestamp !== b.timestamp) return b.timestamp > a.timestamp ? b : a;
  // Same time, the larger count: marks move only after a whole write, so a torn line cut from the
  // file was never counted in memory, and lines rotated away are counted only in memory.
  return a.count >= b.count ? a : b;
}

function earliest(point: ResumePoint): string | undefined {
  const times = [point.stdout?.timestamp, point.stderr?.timestamp].filter(
    (t): t is string => t !== undefined,
  );
  return times.sort()[0];
}
