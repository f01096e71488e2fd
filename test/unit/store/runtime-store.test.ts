import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ContainerEventHub } from '../../../src/cri/container-event-hub.js';
import type { ContainerEventResponse } from '../../../src/generated/runtime/v1/ContainerEventResponse.js';
import { watchEngineEvents } from '../../../src/store/engine-events.js';
import { recover } from '../../../src/store/recover.js';
import { RuntimeStore } from '../../../src/store/runtime-store.js';
import { FakeEngine, fakeContainer as container, fakeSandbox as sandbox } from '../../support/fake-engine.js';

const log = pino({ level: process.env['DEBUG_TEST'] ? 'debug' : 'silent' });
const signal = new AbortController().signal;
describe('RuntimeStore', () => {
  it('resolves full ids and unique prefixes; NOT_FOUND for none, INVALID_ARGUMENT for an ambiguous prefix', async () => {
    const docker = new FakeEngine();
    const store = new RuntimeStore(docker, log);
    const a = await sandbox(docker, 'a');
    const b = await sandbox(docker, 'b');
    await store.resync(signal);
    expect(store.resolveSandbox(a).id).toBe(a);
    const common = [...a].findIndex((ch, i) => ch !== b[i]);
    expect(store.resolveSandbox(a.slice(0, common + 1)).id).toBe(a);
    if (common > 0) expect(() => store.resolveSandbox(a.slice(0, common))).toThrow(/ambiguous/);
    expect(() => store.resolveSandbox('')).toThrow(/ambiguous|required/);
    expect(() => store.resolveSandbox('zzz')).toThrow(/not found/);
    expect(store.findSandbox('zzz')).toBeUndefined();
    expect(() => store.resolveContainer(a)).toThrow(/not found/);
  });

  it('ignores containers without wincri labels and drops what the engine no longer has', async () => {
    const docker = new FakeEngine();
    const store = new RuntimeStore(docker, log);
    await docker.createContainerImpl('someone-else', { Image: 'x', Labels: {} }, signal);
    const a = await sandbox(docker, 'a');
    await store.resync(signal);
    expect([...store.sandboxes].map((s) => s.id)).toEqual([a]);
    docker.containers.delete(a);
    await store.resync(signal);
    expect([...store.sandboxes]).toEqual([]);
  });

  it('rebuilds from the listing with a few inspects in flight, not one per container at once', async () => {
    const docker = new FakeEngine();
    const store = new RuntimeStore(docker, log);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await sandbox(docker, `s${i}`));
    let inFlight = 0;
    let most = 0;
    const inspect = docker.inspectContainerImpl;
    Object.assign(docker, {
      inspectContainer: async (id: string) => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        return inspect(id).finally(() => inFlight--);
      },
    });
    await store.resync(signal);
    expect([...store.sandboxes].map((s) => s.id).sort()).toEqual(ids.sort());
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(8);
  });

  it("lists each sandbox's containers, following refreshes and removals", async () => {
    const docker = new FakeEngine();
    const store = new RuntimeStore(docker, log);
    const a = await sandbox(docker, 'a');
    const b = await sandbox(docker, 'b');
    const a1 = await container(docker, a, 'one');
    const a2 = await container(docker, a, 'two');
    const b1 = await container(docker, b, 'three');
    await store.resync(signal);
    const ids = (sandboxId: string) => store.containersOf(sandboxId).map((c) => c.id);
    expect(ids(a)).toEqual([a1, a2]);
    expect(ids(b)).toEqual([b1]);
    await docker.startContainerImpl(a1, signal);
    await store.refresh(a1, signal);
    expect(store.containersOf(a).find((c) => c.id === a1)?.details.state.running).toBe(true);
    expect(ids(a)).toEqual([a1, a2]);
    store.forget(a2);
    expect(ids(a)).toEqual([a1]);
    docker.containers.delete(b1);
    await store.resync(signal);
    expect(ids(b)).toEqual([]);
    expect(ids('no-such-sandbox')).toEqual([]);
  });

  it('a stale inspect answer cannot bring back a container forgotten after it was asked', async () => {
    const docker = new FakeEngine();
    const store = new RuntimeStore(docker, log);
    const a = await sandbox(docker, 'a');
    const slow = store.refresh(a, signal);
    store.forget(a);
    await slow;
    expect(store.sandbox(a)).toBeUndefined();
  });
});

describe('recovery at start', () => {
  it('removes a sandbox never started and containers without a sandbox; keeps the rest', async () => {
    const docker = new FakeEngine();
    const ready = await sandbox(docker, 'ready');
    const keep = await container(docker, ready, 'app');
    const cut = await sandbox(docker, 'cut', false);
    const orphan = await container(docker, 'f'.repeat(64), 'lost');
    const store = new RuntimeStore(docker, log);
    const report = await recover(docker, store, log, signal);
    expect(report.removed.map((r) => r.id).sort()).toEqual([cut, orphan].sort());
    expect([...docker.containers.keys()].sort()).toEqual([ready, keep].sort());
    expect(report).toMatchObject({ sandboxes: 1, containers: 1 });
  });
});

describe('engine events feed the store and GetContainerEvents', () => {
  it('created, started, stopped, deleted with the pod status; an overflowing subscriber is dropped without blocking others', async () => {
    const docker = new FakeEngine();
    const store = new RuntimeStore(docker, log);
    const hub = new ContainerEventHub(store, 2);
    const watching = new AbortController();
    void watchEngineEvents(docker, store, log, watching.signal);

    const got: ContainerEventResponse[] = [];
    const fast = new AbortController();
    const fastDone = hub.serve(async (e) => void got.push(e), fast.signal);
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const slowDone = hub.serve(() => stuck, new AbortController().signal);

    const pod = await sandbox(docker, 'p');
    const id = await container(docker, pod, 'c');
    const seen = (n: number) => vi_waitFor(() => got.filter((e) => e.container_id === id).length === n);
    // One step at a time, as a real engine paces them: each event re-reads the container.
    await seen(1);
    await docker.startContainerImpl(id, signal);
    await seen(2);
    await docker.stopContainerImpl(id, 0, signal);
    await seen(3);
    // As RemoveContainer does: remove, forget at once; the engine's destroy event comes after.
    await docker.removeContainerImpl(id, { force: true }, signal);
    store.forget(id);
    await seen(4);

    expect(got.filter((e) => e.container_id === id).map((e) => e.container_event_type)).toEqual([
      'CONTAINER_CREATED_EVENT',
      'CONTAINER_STARTED_EVENT',
      'CONTAINER_STOPPED_EVENT',
      'CONTAINER_DELETED_EVENT',
    ]);
    const started = got.find(
      (e) => e.container_id === id && e.container_event_type === 'CONTAINER_STARTED_EVENT',
    );
    expect(started?.pod_sandbox_status).toMatchObject({ id: pod, state: 'SANDBOX_READY' });
    expect(started?.containers_statuses?.[0]).toMatchObject({ id, state: 'CONTAINER_RUNNING' });
    expect(store.findContainer(id)).toBeUndefined();

    release();
    await expect(slowDone).rejects.toThrow(/fell 2 events behind/);
    fast.abort();
    await fastDone;
    watching.abort();
    expect(hub.subscriberCount).toBe(0);
  });
});

async function vi_waitFor(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the engine event stream breaking', () => {
  it('reconnects from the last event time and resyncs the store (an engine restart loses its event log)', async () => {
    const docker = new FakeEngine();
    const store = new RuntimeStore(docker, log);
    const a = await sandbox(docker, 'a');
    await store.resync(signal);
    const calls: { sinceSeconds?: number }[] = [];
    let failures = 1;
    const original = docker.eventsImpl.bind(docker);
    Object.assign(docker, {
      events: (options: { sinceSeconds?: number }, s: AbortSignal) => {
        calls.push(options);
        if (failures-- > 0) {
          return (async function* () {
            yield* [];
            throw new Error('engine went away');
          })();
        }
        return original(options, s);
      },
    });
    // What the engine did while the stream was down: the store learns it from the resync.
    docker.containers.delete(a);
    const b = await sandbox(docker, 'b');
    docker.dropQueuedEvents();
    const watching = new AbortController();
    void watchEngineEvents(docker, store, log, watching.signal, { retryMs: 5 });
    await vi_waitFor(() => store.sandbox(b) !== undefined && calls.length >= 2);
    expect(store.sandbox(a)).toBeUndefined();
    expect(calls[1]?.sinceSeconds).toBeTypeOf('number');
    watching.abort();
  });
});
