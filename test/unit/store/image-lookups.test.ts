import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { DockerClient, EngineEvent, ImageDetails } from '../../../src/docker/client.js';
import { ImageLookups, watchImageEvents } from '../../../src/store/image-lookups.js';

const image = (id: string) => ({ id }) as ImageDetails;

/** An engine whose inspect answers from `images` and counts the calls; `gate` holds an answer back. */
function engine(images: Map<string, ImageDetails>) {
  const calls: string[] = [];
  let gate: Promise<void> | undefined;
  return {
    calls,
    hold(until: Promise<void>) {
      gate = until;
    },
    async inspectImage(reference: string): Promise<ImageDetails | undefined> {
      calls.push(reference);
      const answer = images.get(reference);
      if (gate) await gate;
      return answer;
    },
  };
}

const signal = new AbortController().signal;

describe('ImageLookups', () => {
  it('asks the engine every time while no image event stream vouches for the answers', async () => {
    const docker = engine(new Map([['pause:3.10', image('sha256:a')]]));
    const lookups = new ImageLookups();
    await lookups.inspect(docker, 'pause:3.10', signal);
    await lookups.inspect(docker, 'pause:3.10', signal);
    expect(docker.calls).toEqual(['pause:3.10', 'pause:3.10']);
  });

  it('answers a name seen before from memory while watched, and asks again after a change', async () => {
    const images = new Map([['pause:3.10', image('sha256:a')]]);
    const docker = engine(images);
    const lookups = new ImageLookups();
    lookups.watched(true);
    expect((await lookups.inspect(docker, 'pause:3.10', signal))?.id).toBe('sha256:a');
    expect((await lookups.inspect(docker, 'pause:3.10', signal))?.id).toBe('sha256:a');
    expect(docker.calls).toHaveLength(1);

    images.set('pause:3.10', image('sha256:b'));
    lookups.forget();
    expect((await lookups.inspect(docker, 'pause:3.10', signal))?.id).toBe('sha256:b');
    expect(docker.calls).toHaveLength(2);
  });

  it('never keeps a missing image: it may be pulled at any time', async () => {
    const images = new Map<string, ImageDetails>();
    const docker = engine(images);
    const lookups = new ImageLookups();
    lookups.watched(true);
    expect(await lookups.inspect(docker, 'busybox:1', signal)).toBeUndefined();
    images.set('busybox:1', image('sha256:c'));
    expect((await lookups.inspect(docker, 'busybox:1', signal))?.id).toBe('sha256:c');
  });

  it('does not keep an answer that raced a change', async () => {
    const docker = engine(new Map([['pause:3.10', image('sha256:a')]]));
    const lookups = new ImageLookups();
    lookups.watched(true);
    let release!: () => void;
    docker.hold(new Promise<void>((r) => (release = r)));
    const pending = lookups.inspect(docker, 'pause:3.10', signal);
    lookups.forget();
    release();
    await pending;
    await lookups.inspect(docker, 'pause:3.10', signal);
    expect(docker.calls).toHaveLength(2);
  });

  it('drops what it kept when the stream breaks, and keeps nothing until it is back', async () => {
    const docker = engine(new Map([['pause:3.10', image('sha256:a')]]));
    const lookups = new ImageLookups();
    lookups.watched(true);
    await lookups.inspect(docker, 'pause:3.10', signal);
    lookups.watched(false);
    await lookups.inspect(docker, 'pause:3.10', signal);
    await lookups.inspect(docker, 'pause:3.10', signal);
    expect(docker.calls).toHaveLength(3);
  });
});

describe('watchImageEvents', () => {
  it('trusts the cache once the stream is open, forgets on each image event, distrusts it when the stream ends', async () => {
    const lookups = new ImageLookups();
    const docker = engine(new Map([['pause:3.10', image('sha256:a')]]));
    const stop = new AbortController();
    const asked: unknown[] = [];
    let emit!: (e: EngineEvent | undefined) => void;
    const fake = {
      async *events(options: { types: string[]; sinceSeconds?: number; onOpen?: () => void }) {
        asked.push(options.types, typeof options.sinceSeconds);
        options.onOpen?.();
        for (;;) {
          const next = await new Promise<EngineEvent | undefined>((r) => (emit = r));
          if (!next) return;
          yield next;
        }
      },
    } as unknown as DockerClient;
    const watching = watchImageEvents(fake, lookups, pino({ level: 'silent' }), stop.signal, 60_000);
    await new Promise((r) => setImmediate(r));
    expect(asked).toEqual([['image'], 'number']);

    await lookups.inspect(docker, 'pause:3.10', signal);
    await lookups.inspect(docker, 'pause:3.10', signal);
    expect(docker.calls).toHaveLength(1);

    emit({ type: 'image', action: 'tag', id: 'sha256:b', attributes: {}, timeNano: 1n });
    await new Promise((r) => setImmediate(r));
    await lookups.inspect(docker, 'pause:3.10', signal);
    expect(docker.calls).toHaveLength(2);

    emit(undefined); // the engine closes the stream: the watcher waits (60 s here) before reconnecting
    await new Promise((r) => setImmediate(r));
    await lookups.inspect(docker, 'pause:3.10', signal);
    await lookups.inspect(docker, 'pause:3.10', signal);
    expect(docker.calls).toHaveLength(4);
    stop.abort();
    await watching;
  });
});
