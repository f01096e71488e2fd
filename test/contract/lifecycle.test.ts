import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { pino } from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/config.js';
import type { ImageDeps } from '../../src/cri/image/deps.js';
import { KeyedLock } from '../../src/cri/keyed-lock.js';
import { LogCopiers } from '../../src/logs/copiers.js';
import { ContainerEventHub } from '../../src/cri/container-event-hub.js';
import { runtimeRpcs } from '../../src/cri/runtime/index.js';
import { CriError } from '../../src/errors.js';
import { defaultHandlerTable } from '../../src/isolation/handlers.js';
import { EngineState } from '../../src/store/engine-state.js';
import { RuntimeStore } from '../../src/store/runtime-store.js';
import { startTestServer, type TestServer } from '../support/cri-server.js';
import { FakeEngine } from '../support/fake-engine.js';
import { enginePlatform } from '../../src/platform/index.js';
import { ImageLookups } from '../../src/store/image-lookups.js';

const PAUSE = 'sha256:' + 'a'.repeat(64);
const BUSYBOX = 'sha256:' + 'b'.repeat(64);
const log = pino({ level: 'silent' });

let docker: FakeEngine;
let t: TestServer;
let store: RuntimeStore;
let engine: EngineState;
let logDir: string;

beforeEach(async () => {
  docker = new FakeEngine();
  docker.registry.set('127.0.0.1:5000/pause:3.10', { id: PAUSE });
  docker.images.set(BUSYBOX, { id: BUSYBOX });
  docker.names.set('docker.io/library/busybox:latest', BUSYBOX);
  engine = new EngineState(docker, log, 60_000);
  await engine.refresh();
  store = new RuntimeStore(docker, log);
  await store.resync(AbortSignal.timeout(5_000));
  const config = resolveConfig('linux', { registryMirrors: ['registry.k8s.io=http://127.0.0.1:5000'] });
  const images: ImageDeps = {
    docker,
    mirrors: config.registryMirrors,
    pinnedNames: new Set(),
    usersById: new Map(),
    lookups: new ImageLookups(),
    filesystems: async () => ({ timestampNs: 1n, mountpoint: '/', imageBytes: 0, containerBytes: 0 }),
  };
  const runtime = runtimeRpcs({
    config,
    docker,
    engine,
    platform: enginePlatform(() => engine.lastInfo, { hyperVAvailable: config.hyperVAvailable }),
    version: '0.1.0',
    runtimeHandlerNames: ['', 'runc'],
    runtimeSettings: { podCidr: '' },
    lifecycle: {
      store,
      events: new ContainerEventHub(store),
      handlerTable: defaultHandlerTable('linux'),
      images,
      locks: new KeyedLock(),
      logs: new LogCopiers({ docker, log }),
      execKiller: { kill: async () => undefined },
    },
  });
  t = await startTestServer(docker, { runtime });
  logDir = await mkdtemp(join(tmpdir(), 'wincri-lifecycle-'));
});
afterEach(async () => {
  await t.close();
  engine.stop();
  await rm(logDir, { recursive: true, force: true });
});

const call = <T = Record<string, unknown>>(rpc: string, req: object) => t.client.call<T>('runtime', rpc, req);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as ServiceError,
  );

const podConfig = (name = 'web') => ({
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, attempt: 0 },
  log_directory: logDir,
  linux: {},
});
const runPod = async (name = 'web') =>
  (await call<{ pod_sandbox_id: string }>('RunPodSandbox', { config: podConfig(name) })).pod_sandbox_id;
const ctrConfig = (over: object = {}) => ({
  metadata: { name: 'app' },
  image: { image: 'busybox' },
  command: ['sleep', '100'],
  log_path: 'app/0.log',
  ...over,
});
const createCtr = async (pod: string, over: object = {}, name = 'web') =>
  (
    await call<{ container_id: string }>('CreateContainer', {
      pod_sandbox_id: pod,
      config: ctrConfig(over),
      sandbox_config: podConfig(name),
    })
  ).container_id;

describe('pod sandbox lifecycle over gRPC', () => {
  it('runs a ready pod, pulling the sandbox image through the mirror, and reports it', async () => {
    const id = await runPod();
    expect(docker.calls).toContain('pullImage 127.0.0.1:5000/pause:3.10');
    const { status, info } = await call<{ status: Record<string, unknown>; info: Record<string, string> }>(
      'PodSandboxStatus',
      { pod_sandbox_id: id.slice(0, 12), verbose: true },
    );
    expect(status).toMatchObject({
      id,
      state: 'SANDBOX_READY',
      metadata: { name: 'web', namespace: 'ns', uid: 'uid-web', attempt: 0 },
      network: { ip: '172.17.0.2' },
    });
    expect(BigInt(status['created_at'] as string) > 0n).toBe(true);
    expect(JSON.parse(info['info'] ?? '{}')).toMatchObject({ name: 'k8s_POD_web_ns_uid-web_0' });
    const list = await call<{ items: { id: string }[] }>('ListPodSandbox', {
      filter: { label_selector: {} },
    });
    expect(list.items.map((i) => i.id)).toEqual([id]);
  });

  it('the same pod attempt twice, even concurrently, is one pod and one ALREADY_EXISTS', async () => {
    const results = await Promise.allSettled([runPod(), runPod()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as ServiceError).code).toBe(grpcStatus.ALREADY_EXISTS);
    expect(docker.containers.size).toBe(1);
  });

  it.each([
    [{}, 'config is required'],
    [{ config: { linux: {} } }, 'config.metadata is required'],
    [{ config: { metadata: { name: 'a', namespace: 'b' } } }, 'config.metadata.uid is required'],
    [
      { config: { metadata: { name: 'a', namespace: '', uid: 'u' } } },
      'config.metadata.namespace is required',
    ],
    [
      { config: { metadata: { name: 'a', namespace: 'b', uid: 'u' } }, runtime_handler: 'kata' },
      'unknown runtime handler "kata"',
    ],
  ])('refuses bad input with INVALID_ARGUMENT before making anything (%#)', async (req, message) => {
    const err = await failure(call('RunPodSandbox', req));
    expect(err.code).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(err.details).toContain(message);
    expect(docker.containers.size).toBe(0);
  });

  it('undoes the sandbox when it cannot start', async () => {
    docker.images.set(PAUSE, { id: PAUSE });
    docker.names.set('registry.k8s.io/pause:3.10', PAUSE);
    docker.failStart = new CriError('Internal', 'start container: OCI runtime create failed');
    const err = await failure(runPod());
    expect(err.code).toBe(grpcStatus.INTERNAL);
    expect(docker.containers.size).toBe(0);
    expect((await call<{ items: unknown[] }>('ListPodSandbox', {})).items).toEqual([]);
  });

  it('stop and remove are idempotent, and remove takes the containers with it', async () => {
    const pod = await runPod();
    await createCtr(pod);
    await call('StopPodSandbox', { pod_sandbox_id: pod });
    await call('StopPodSandbox', { pod_sandbox_id: pod });
    const { status } = await call<{ status: { state: string } }>('PodSandboxStatus', { pod_sandbox_id: pod });
    expect(status.state).toBe('SANDBOX_NOTREADY');
    await call('RemovePodSandbox', { pod_sandbox_id: pod });
    await call('RemovePodSandbox', { pod_sandbox_id: pod });
    await call('StopPodSandbox', { pod_sandbox_id: 'nope' });
    expect(docker.containers.size).toBe(0);
    expect((await failure(call('PodSandboxStatus', { pod_sandbox_id: pod }))).code).toBe(
      grpcStatus.NOT_FOUND,
    );
  });
});

describe('container lifecycle over gRPC', () => {
  it('create, start, status, list with filters, stop, remove', async () => {
    const pod = await runPod();
    const id = await createCtr(pod, { labels: { tier: 'front' }, annotations: { a: 'b' } });
    const created = await call<{ status: Record<string, unknown> }>('ContainerStatus', { container_id: id });
    expect(created.status).toMatchObject({
      state: 'CONTAINER_CREATED',
      image: { image: 'busybox' },
      image_ref: BUSYBOX,
      log_path: join(logDir, 'app/0.log'),
      labels: { tier: 'front' },
      annotations: { a: 'b' },
    });
    expect(docker.bodies.get(id)?.HostConfig).toMatchObject({
      NetworkMode: `container:${pod}`,
      IpcMode: `container:${pod}`,
      PidMode: `container:${pod}`,
    });
    await call('StartContainer', { container_id: id });
    const ps = (filter: object) =>
      call<{ containers: { id: string }[] }>('ListContainers', { filter }).then((r) =>
        r.containers.map((c) => c.id),
      );
    expect(await ps({ state: { state: 'CONTAINER_RUNNING' } })).toEqual([id]);
    expect(await ps({ state: { state: 'CONTAINER_EXITED' } })).toEqual([]);
    expect(await ps({ pod_sandbox_id: pod, label_selector: { tier: 'front' } })).toEqual([id]);
    expect(await ps({ label_selector: { tier: 'back' } })).toEqual([]);
    await call('StopContainer', { container_id: id, timeout: 1 });
    await call('StopContainer', { container_id: id, timeout: 1 });
    const exited = await call<{ status: Record<string, unknown> }>('ContainerStatus', { container_id: id });
    expect(exited.status).toMatchObject({ state: 'CONTAINER_EXITED', exit_code: 137, reason: 'Error' });
    expect(exited.status['finished_at']).toMatch(/^17\d{17}$/);
    await call('RemoveContainer', { container_id: id });
    await call('RemoveContainer', { container_id: id });
    expect((await failure(call('ContainerStatus', { container_id: id }))).code).toBe(grpcStatus.NOT_FOUND);
  });

  it.each([
    [{ image: { image: 'nope:1' } }, grpcStatus.NOT_FOUND, 'pull it first'],
    [
      { mounts: [{ host_path: 'rel', container_path: '/x' }] },
      grpcStatus.INVALID_ARGUMENT,
      'must be an absolute path',
    ],
    [
      { mounts: [{ host_path: '/tmp/../etc', container_path: '/x' }] },
      grpcStatus.INVALID_ARGUMENT,
      "must not contain '..'",
    ],
    [{ log_path: '../../escape.log' }, grpcStatus.INVALID_ARGUMENT, "leaves the pod's log_directory"],
    [{ log_path: '/abs.log' }, grpcStatus.INVALID_ARGUMENT, 'must be relative'],
    [
      { linux: { resources: { memory_limit_in_bytes: -1 } } },
      grpcStatus.INVALID_ARGUMENT,
      'must not be negative',
    ],
    [{ metadata: null }, grpcStatus.INVALID_ARGUMENT, 'config.metadata is required'],
  ])('refuses bad container config %# and leaves nothing behind', async (over, code, message) => {
    const pod = await runPod();
    const err = await failure(createCtr(pod, over));
    expect(err.code).toBe(code);
    expect(err.details).toContain(message);
    expect(docker.containers.size).toBe(1);
  });

  it('unknown ids: NOT_FOUND for status and create, success for stop/remove', async () => {
    expect((await failure(call('ContainerStatus', { container_id: 'f00' }))).code).toBe(grpcStatus.NOT_FOUND);
    expect(
      (await failure(call('CreateContainer', { pod_sandbox_id: 'f00', config: ctrConfig() }))).code,
    ).toBe(grpcStatus.NOT_FOUND);
    await call('StopContainer', { container_id: 'f00' });
    await call('RemoveContainer', { container_id: 'f00' });
  });

  it('CreateContainer racing RemovePodSandbox leaves no container behind its pod', async () => {
    for (let round = 0; round < 5; round++) {
      const pod = await runPod(`race${round}`);
      const [created, removed] = await Promise.allSettled([
        createCtr(pod, {}, `race${round}`),
        call('RemovePodSandbox', { pod_sandbox_id: pod }),
      ]);
      expect(removed.status).toBe('fulfilled');
      if (created.status === 'rejected')
        expect([grpcStatus.FAILED_PRECONDITION, grpcStatus.NOT_FOUND]).toContain(
          (created.reason as ServiceError).code,
        );
      expect(docker.containers.size).toBe(0);
    }
  });

  it('a duplicate container name is ALREADY_EXISTS', async () => {
    const pod = await runPod();
    await createCtr(pod);
    const err = await failure(createCtr(pod));
    expect(err.code).toBe(grpcStatus.ALREADY_EXISTS);
  });

  it('updates Linux resources through the engine', async () => {
    const pod = await runPod();
    const id = await createCtr(pod);
    await call('UpdateContainerResources', {
      container_id: id,
      linux: { memory_limit_in_bytes: 67108864, cpu_shares: 256 },
    });
    const { status } = await call<{ status: { resources: { linux: Record<string, string> } } }>(
      'ContainerStatus',
      { container_id: id },
    );
    expect(status.resources.linux).toMatchObject({ memory_limit_in_bytes: '67108864', cpu_shares: '256' });
  });
});

describe('image volumes (Mount.image) over gRPC', () => {
  const volume = (over: object = {}) => ({
    container_path: '/mnt/iv',
    readonly: true,
    image: { image: 'busybox' },
    ...over,
  });
  type Statused = { status: { mounts: Record<string, unknown>[] } };
  const onApi = async (apiVersion: string) => {
    docker.info_ = { ...docker.info_, apiVersion };
    await engine.refresh();
  };

  it('API 1.41: UNIMPLEMENTED naming the API the engine speaks and the one it lacks; nothing made, not even a bind source', async () => {
    const pod = await runPod();
    const bindSource = join(logDir, 'never-made');
    const err = await failure(
      createCtr(pod, {
        mounts: [{ host_path: bindSource, container_path: '/data' }, volume()],
      }),
    );
    expect(err.code).toBe(grpcStatus.UNIMPLEMENTED);
    expect(err.details).toContain('config.mounts[1].image');
    expect(err.details).toContain('the Docker engine speaks API 1.41');
    expect(err.details).toContain('mounts of type "image", which Docker offers from API 1.48');
    expect(docker.containers.size).toBe(1);
    expect(docker.calls.filter((c) => c.startsWith('createContainer k8s_app'))).toEqual([]);
    await expect(rm(bindSource)).rejects.toThrow(/ENOENT/);
  });

  it('API 1.56: an image mount of the resolved id, reported with the name asked for and the id as image_ref', async () => {
    await onApi('1.56');
    const pod = await runPod();
    const id = await createCtr(pod, { mounts: [volume()] });
    expect(docker.bodies.get(id)?.HostConfig?.Mounts).toEqual([
      { Type: 'image', Source: BUSYBOX, Target: '/mnt/iv', ReadOnly: true },
    ]);
    const { status } = await call<Statused>('ContainerStatus', { container_id: id });
    expect(status.mounts).toEqual([
      expect.objectContaining({
        container_path: '/mnt/iv',
        host_path: '',
        readonly: true,
        image: expect.objectContaining({ image: 'busybox', image_ref: BUSYBOX }),
        image_sub_path: '',
      }),
    ]);
  });

  it('API 1.56: image_sub_path goes to ImageOptions.Subpath and comes back in the status', async () => {
    await onApi('1.56');
    docker.imageDirs.set(BUSYBOX, ['etc']);
    const pod = await runPod();
    const id = await createCtr(pod, { mounts: [volume({ image_sub_path: 'etc' })] });
    expect(docker.bodies.get(id)?.HostConfig?.Mounts?.[0]).toMatchObject({
      ImageOptions: { Subpath: 'etc' },
    });
    const { status } = await call<Statused>('ContainerStatus', { container_id: id });
    expect(status.mounts[0]).toMatchObject({ image_sub_path: 'etc', image: { image_ref: BUSYBOX } });
  });

  it('API 1.56: a sub path the image lacks is NOT_FOUND at create, and the created container is removed again', async () => {
    await onApi('1.56');
    const pod = await runPod();
    const err = await failure(createCtr(pod, { mounts: [volume({ image_sub_path: 'not-existing' })] }));
    expect(err.code).toBe(grpcStatus.NOT_FOUND);
    expect(err.details).toContain(`"not-existing" of image ${BUSYBOX} at /mnt/iv`);
    expect(docker.calls.some((c) => c.startsWith('removeContainer'))).toBe(true);
    expect(docker.containers.size).toBe(1);
  });

  it.each([
    [volume({ image: { image: 'nope:1' } }), grpcStatus.NOT_FOUND, 'image "nope:1" is not on this node'],
    [volume({ readonly: false }), grpcStatus.INVALID_ARGUMENT, 'readonly must be true'],
    [volume({ host_path: '/srv' }), grpcStatus.INVALID_ARGUMENT, 'a mount is a host path or an image volume'],
    [volume({ image_sub_path: '../etc' }), grpcStatus.INVALID_ARGUMENT, "must not contain '..'"],
    [volume({ image_sub_path: '/etc' }), grpcStatus.INVALID_ARGUMENT, "relative to the image's root"],
  ])('API 1.56: refuses %# before anything is made', async (mount, code, message) => {
    await onApi('1.56');
    const pod = await runPod();
    const err = await failure(createCtr(pod, { mounts: [mount] }));
    expect(err.code).toBe(code);
    expect(err.details).toContain(message);
    expect(docker.containers.size).toBe(1);
  });
});

describe("a pod's container statuses, as the kubelet's evented PLEG reads them", () => {
  // The kubelet (EventedPLEG) builds a pod's status from PodSandboxStatus.containers_statuses as
  // given, and takes the first status of a name as that container's latest attempt.
  const attempts = async (pod: string) => {
    const ids: string[] = [];
    for (const attempt of [0, 1, 2])
      ids.push(await createCtr(pod, { metadata: { name: 'app', attempt }, log_path: `app/${attempt}.log` }));
    return ids;
  };
  type Statuses = { containers_statuses: { id: string; created_at: string }[]; timestamp: string };
  type Event = Pick<Statuses, 'containers_statuses'> & {
    container_id: string;
    container_event_type: string;
    created_at: string;
  };

  it('PodSandboxStatus lists the newest attempt first, stamped no earlier than what it shows', async () => {
    const pod = await runPod();
    const ids = await attempts(pod);
    const first = await call<Statuses>('PodSandboxStatus', { pod_sandbox_id: pod });
    expect(first.containers_statuses.map((c) => c.id)).toEqual([...ids].reverse());
    const newest = first.containers_statuses[0]!.created_at;
    expect(BigInt(first.timestamp)).toBeGreaterThanOrEqual(BigInt(newest));
    const second = await call<Statuses>('PodSandboxStatus', { pod_sandbox_id: pod });
    expect(BigInt(second.timestamp)).toBeGreaterThan(BigInt(first.timestamp));
  });

  it('GetContainerEvents carries the newest attempt first, stamped no earlier than a status already given', async () => {
    const client = t.client.runtime as unknown as Record<string, (req: object) => NodeJS.EventEmitter>;
    const stream = client['GetContainerEvents']!.call(t.client.runtime, {}) as NodeJS.EventEmitter & {
      cancel(): void;
    };
    const events: Event[] = [];
    stream.on('data', (e: Event) => events.push(e));
    stream.on('error', () => undefined);
    try {
      const pod = await runPod();
      const ids = await attempts(pod);
      const newest = ids[2]!;
      await call('StartContainer', { container_id: newest });
      const before = await call<Statuses>('PodSandboxStatus', { pod_sandbox_id: pod });
      // The engine saw the exit just before that answer; its event reaches wincri just after. The
      // kubelet drops an event stamped earlier than the pod status it holds, and would miss the exit.
      await docker.stopContainerImpl(newest, 0, AbortSignal.timeout(5_000));
      await store.applyEvent(
        {
          type: 'container',
          action: 'die',
          id: newest,
          attributes: docker.bodies.get(newest)?.Labels ?? {},
          timeNano: BigInt(before.timestamp) - 1_000_000n,
        },
        AbortSignal.timeout(5_000),
      );
      await expect.poll(() => events.length).toBe(1);
      expect(events[0]).toMatchObject({
        container_id: newest,
        container_event_type: 'CONTAINER_STOPPED_EVENT',
      });
      expect(events[0]!.containers_statuses.map((c) => c.id)).toEqual([...ids].reverse());
      expect(BigInt(events[0]!.created_at)).toBeGreaterThanOrEqual(BigInt(before.timestamp));
    } finally {
      stream.cancel();
    }
  });
});
