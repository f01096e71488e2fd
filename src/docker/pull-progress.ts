import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** One line of the engine's pull progress stream. */
interface PullProgress {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Reads a pull's progress stream to its end. The engine answers 200 at once and reports failures
 * inside the stream: the first one is thrown, as `fail` makes it. Each layer's size is put in
 * `layerBytes` as its download progress states it (layers already present send none).
 */
export async function readPullProgress(
  progress: Readable,
  layerBytes: Map<string, number>,
  fail: (message: string) => Error,
): Promise<void> {
  for await (const line of createInterface({ input: progress, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    const message = JSON.parse(line) as PullProgress;
    const failure = message.errorDetail?.message ?? message.error;
    if (failure) throw fail(failure);
    const total = message.progressDetail?.total;
    if (message.status === 'Downloading' && message.id && typeof total === 'number' && total > 0)
      layerBytes.set(message.id, total);
  }
}
