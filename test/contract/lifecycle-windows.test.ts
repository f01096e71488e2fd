/**
 * The lifecycle handlers on a Windows engine: wincri's real Docker client against the Windows
 * engine double (test/support/windows-engine-double.ts), which refuses what a Windows daemon and HCS
 * refuse. Process pods share the sandbox's network compartment; Hyper-V pods hold one container
 * that takes the pod network itself.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/config.js';
import type { CallContext } from '../../src/cri/context.js';
import type { ImageDeps } from '../../src/cri/image/deps.js';
import { KeyedLock } from '../../src/cri/keyed-lock.js';
import { ContainerEventHub } from '../../src/cri/container-event-hub.js';
import { runtimeRpcs } from '../../src/cri/runtime/index.js';
import type { RuntimeRpcs } from '../../src/cri/rpc-types.js';
import { DockerodeClient } from '../../src/docker/dockerode-client.js';
import { CriError } from '../../src/errors.js';
import { defaultHandlerTable } from '../../src/isolation/handlers.js';
import { LogCopiers } from '../../src/logs/copiers.js';
import { EngineState } from '../../src/store/engine-state.js';
import { RuntimeStore } from '../../src/store/runtime-store.js';
import { containerConfig } from '../fixtures/windows/cri-builders.js';
import { WindowsEngineDouble } from '../support/windows-engine-double.js';
import { enginePlatform } from '../../src/platform/index.js';
import { ImageLookups } from '../../src/store/image-lookups.js';

const log = pino({ level: 'silent' });
const ctx: CallContext = { rpc: 'test', signal: new AbortController().signal, log };
const PAUSE = 'mcr.microsoft.com/oss/kubernetes/pause:3.10';
const NANO = 'mcr.microsoft.com/windows/nanoserver:ltsc2022';
const CORE_2019 = 'mcr.microsoft.com/windows/servercore:ltsc2019';

let engine: WindowsEngineDouble | undefined;
let state: EngineState | undefined;
afterEach(async () => {
  state?.stop();
  await engine?.close();
  engine = undefined;
});

async function setup(): Promise<RuntimeRpcs> {
  engine = await WindowsEngineDouble.start({ profile: 'ws2022', images: [PAUSE, NANO, CORE_2019] });
  const docker = new DockerodeClient(`unix://${engine.socketPath}`);
  state = new EngineState(docker, log, 60_000);
  await state.refresh();
  const config = resolveConfig('windows', { listen: 'npipe:////./pipe/wincri-test', hyperVAvailable: true });
  const store = new RuntimeStore(docker, log);
  await store.resync(AbortSignal.timeout(5_000));
  const images: ImageDeps = {
    docker,
    mirrors: config.registryMirrors,
    pinnedNames: new Set(),
    usersById: new Map(),
    lookups: new ImageLookups(),
    filesystems: async () => ({ timestampNs: 1n, mountpoint: 'C:\\', imageBytes: 0, containerBytes: 0 }),
  };
  return runtimeRpcs({
    config,
    docker,
    engine: state,
    platform: enginePlatform(() => state?.lastInfo, { hyperVAvailable: config.hyperVAvailable }),
    version: '0.1.0',
    runtimeHandlerNames: [''],
    runtimeSettings: { podCidr: '' },
    lifecycle: {
      store,
      events: new ContainerEventHub(store),
      handlerTable: defaultHandlerTable('windows'),
      images,
      locks: new KeyedLock(),
      logs: new LogCopiers({ docker, log }),
      execKiller: { kill: async () => undefined },
    },
  });
}

const pod = (name: string) => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 },
  hostname: name,
  log_directory: '',
  dns_config: { servers: ['10.0.0.10'], searches: ['default.svc.cluster.local'], options: [] },
  port_mappings: [],
  labels: {},
  annotations: {},
  linux: null,
  windows: null,
});

const container = (name: string, image: string) =>
  containerConfig({
    metadata: { name, attempt: 0 },
    image: { image, annotations: {}, user_specified_image: image, runtime_handler: '', image_ref: '' },
    command: ['cmd', '/c', 'ping -t localhost'],
  });

async function runPod(rpcs: RuntimeRpcs, name: string, handler = '') {
  const { pod_sandbox_id } = await rpcs.RunPodSandbox(
    { config: pod(name) as never, runtime_handler: handler },
    ctx,
  );
  return pod_sandbox_id as string;
}

async function create(rpcs: RuntimeRpcs, podId: string, name: string, image = NANO) {
  const { container_id } = await rpcs.CreateContainer(
    { pod_sandbox_id: podId, config: container(name, image) as never, sandbox_config: null },
    ctx,
  );
  return container_id as string;
}

async function failure(p: Promise<unknown>): Promise<CriError> {
  try {
    await p;
  } catch (err) {
    return err as CriError;
  }
  throw new Error('expected a failure');
}

describe('lifecycle on a Windows engine', () => {
  it('a process pod: sandbox on nat, containers join its network compartment, all process-isolated', async () => {
    const rpcs = await setup();
    const podId = await runPod(rpcs, 'web');
    const sandboxBody = engine!.createBody(podId) as {
      HostConfig: Record<string, unknown>;
      Hostname?: string;
    };
    expect(sandboxBody.HostConfig).toMatchObject({
      Isolation: 'process',
      NetworkMode: 'nat',
      Dns: ['10.0.0.10'],
    });
    expect(sandboxBody.Hostname).toBe('web');
    const a = await create(rpcs, podId, 'app');
    const b = await create(rpcs, podId, 'sidecar');
    await rpcs.StartContainer({ container_id: a }, ctx);
    await rpcs.StartContainer({ container_id: b }, ctx);
    expect(engine!.createBody(a)).toMatchObject({
      HostConfig: { Isolation: 'process', NetworkMode: `container:${podId}` },
    });
    const { status } = await rpcs.PodSandboxStatus({ pod_sandbox_id: podId, verbose: false }, ctx);
    expect(status).toMatchObject({ state: 'SANDBOX_READY', runtime_handler: '' });
    const list = await rpcs.ListContainers(
      {
        filter: { id: '', state: { state: 'CONTAINER_RUNNING' }, pod_sandbox_id: podId, label_selector: {} },
      },
      ctx,
    );
    expect(list.containers).toHaveLength(2);
    await rpcs.RemovePodSandbox({ pod_sandbox_id: podId }, ctx);
    expect((await rpcs.ListPodSandbox({ filter: null }, ctx)).items).toEqual([]);
  });

  it('a Hyper-V pod: placeholder sandbox, one app container that takes network, hostname and DNS; a second is FAILED_PRECONDITION', async () => {
    const rpcs = await setup();
    const podId = await runPod(rpcs, 'iso', 'hyperv');
    expect(engine!.createBody(podId)).toMatchObject({
      HostConfig: { Isolation: 'hyperv', NetworkMode: 'none' },
    });
    const app = await create(rpcs, podId, 'app');
    expect(engine!.createBody(app)).toMatchObject({
      Hostname: 'iso',
      HostConfig: { Isolation: 'hyperv', NetworkMode: 'nat', Dns: ['10.0.0.10'] },
    });
    const err = await failure(create(rpcs, podId, 'sidecar'));
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toContain('Hyper-V isolation');
  });

  it('an image the pod isolation cannot run is FAILED_PRECONDITION before anything is made; an unknown handler is INVALID_ARGUMENT', async () => {
    const rpcs = await setup();
    const podId = await runPod(rpcs, 'old');
    const err = await failure(create(rpcs, podId, 'app', CORE_2019));
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toMatch(/17763/);
    const unknown = await failure(runPod(rpcs, 'nohandler', 'kata'));
    expect(unknown.kind).toBe('InvalidArgument');
    expect(engine!.requestsTo('POST', '/containers/create')).toHaveLength(1);
  });
});
