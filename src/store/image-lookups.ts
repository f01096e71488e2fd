/**
 * Image inspections by reference, answered from memory while the engine's image event stream
 * vouches for them. RunPodSandbox and CreateContainer each look an image up by name; on Docker 29's
 * containerd image store one such inspect costs 15-20 ms (the engine reads the image's content and
 * snapshots through containerd), about a tenth of a pod's start. Any image event (pull, tag, untag,
 * delete, load, import) forgets everything, as do wincri's own pulls and removals at once; while
 * the stream is not connected nothing is kept, so no answer outlives a change the engine announced.
 */
import type { Logger } from 'pino';
import type { DockerClient, ImageDetails } from '../docker/client.js';
import { sleep } from './engine-events.js';

export class ImageLookups {
  readonly #found = new Map<string, ImageDetails>();
  /** True while the image event stream is open: only then can a kept answer be trusted. */
  #watched = false;
  /** Bumped by every change, so an inspect that raced one is not kept. */
  #generation = 0;

  /** The engine's image under `reference` (a name or an id), from memory when known. */
  async inspect(
    docker: Pick<DockerClient, 'inspectImage'>,
    reference: string,
    signal: AbortSignal,
  ): Promise<ImageDetails | undefined> {
    const kept = this.#watched ? this.#found.get(reference) : undefined;
    if (kept) return kept;
    const generation = this.#generation;
    const found = await docker.inspectImage(reference, signal);
    // Only what exists is kept: a missing image may be pulled by anyone at any time.
    if (found && this.#watched && generation === this.#generation) this.#found.set(reference, found);
    return found;
  }

  /** Something changed the engine's images: ask it again next time. */
  forget(): void {
    this.#generation++;
    this.#found.clear();
  }

  /** The event stream opened (true) or broke (false); either way what was kept is dropped. */
  watched(open: boolean): void {
    this.#watched = open;
    this.forget();
  }
}

/** Keeps `lookups` in step with the engine's image events until `signal` aborts. Never throws. */
export async function watchImageEvents(
  docker: DockerClient,
  lookups: ImageLookups,
  log: Logger,
  signal: AbortSignal,
  retryMs = 500,
  maxRetryMs = 10_000,
): Promise<void> {
  let delay = retryMs;
  while (!signal.aborted) {
    try {
      // The engine answers the subscription before it registers it: asking for the last second
      // again makes a change in between arrive too (a replayed event only forgets once more).
      const events = docker.events(
        {
          types: ['image'],
          sinceSeconds: Math.floor(Date.now() / 1000) - 1,
          onOpen: () => lookups.watched(true),
        },
        signal,
      );
      for await (const event of events) {
        delay = retryMs;
        if (event.type === 'image') lookups.forget();
      }
      if (!signal.aborted) log.warn('the engine closed its image event stream; reconnecting');
    } catch (err) {
      if (!signal.aborted) log.warn({ err, retryInMs: delay }, 'image event stream failed; reconnecting');
    }
    lookups.watched(false);
    if (signal.aborted) return;
    await sleep(delay, signal);
    delay = Math.min(delay * 2, maxRetryMs);
  }
}
