import type { DockerClient } from '../../docker/client.js';
import type { HandlerTable } from '../../isolation/handlers.js';
import type { EngineState } from '../../store/engine-state.js';
import type { LogCopiers } from '../../logs/copiers.js';
import type { RuntimeStore } from '../../store/runtime-store.js';
import type { ImageDeps } from '../image/deps.js';
import type { MirrorTable } from '../image/mirrors.js';
import type { KeyedLock } from '../keyed-lock.js';
import type { ExecKiller } from '../../exec/killer.js';
import type { Platform } from '../../platform/index.js';
import type { ContainerEventHub } from '../container-event-hub.js';
import type { StatsDeps } from './stats-views.js';
import type { StreamRequest } from '../../streaming/requests.js';
import type { CniPodNetwork } from '../../network/cni-pod-network.js';

/** The settings the handlers read (Status shows them; RunPodSandbox runs the sandbox image). */
export interface HandlerConfig {
  listen: string;
  sandboxImage: string;
  registryMirrors: MirrorTable;
  rootDir: string;
  streamingAddress: string;
}

/** What the runtime service handlers share; built once in main.ts. */
export interface RuntimeDeps {
  /** What the handlers read of wincri's configuration (src/config/config.ts has it all). */
  config: HandlerConfig;
  docker: DockerClient;
  engine: EngineState;
  /**
   * The engine's platform (src/platform/contract.ts), bound to the host's facts: the handlers'
   * only view of the engine's OS. Throws UNAVAILABLE until the engine has answered once.
   */
  platform(): Platform;
  /** wincri's own version, from package.json. */
  version: string;
  /** Names of the configured runtime handlers ("" is the default). */
  runtimeHandlerNames: readonly string[];
  /** Settings kubelet pushes with UpdateRuntimeConfig; kept for the life of the process. */
  runtimeSettings: { podCidr: string };
  /** The pod and container lifecycle; without it those RPCs answer UNIMPLEMENTED. */
  lifecycle?: LifecycleDeps;
  /** The stats collector's readings; with the lifecycle, the stats RPCs are served. */
  monitoring?: Omit<StatsDeps, 'store'>;
  /** The streaming server; with the lifecycle, Exec/Attach/PortForward are served. */
  streaming?: { issueUrl(request: StreamRequest): string };
  /** CNI mode (`--network-plugin cni`): the pod network; absent, pods use the engine's network. */
  network?: CniPodNetwork;
}

/** What the pod and container lifecycle handlers share besides RuntimeDeps. */
export interface LifecycleDeps {
  /** Pods and containers as last read from the engine (List/Status answer from it). */
  store: RuntimeStore;
  /** GetContainerEvents subscribers. */
  events: ContainerEventHub;
  /** What each RuntimeClass handler means on this engine. */
  handlerTable: HandlerTable;
  /** The image service's dependencies: the sandbox image is found and pulled through them. */
  images: ImageDeps;
  /** One change at a time per pod name or object id; unrelated pods proceed in parallel. */
  locks: KeyedLock;
  /** CRI log files: one copier per started container with a log path. */
  logs: LogCopiers;
  /** Kills a timed-out ExecSync's process. */
  execKiller: ExecKiller;
}

/** The lifecycle handlers' view: RuntimeDeps with the lifecycle parts present. */
export type PodDeps = Omit<RuntimeDeps, 'lifecycle'> & LifecycleDeps;
