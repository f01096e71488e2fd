/**
 * The platform contract: what differs between a Linux and a Windows engine, behind one interface,
 * so that the handlers ask for the platform once (`deps.platform()`) and never branch on the OS.
 * `linux.ts` and `windows.ts` each implement `PlatformModule` over the same request types;
 * `platformFor` (index.ts) binds one of them to the host facts. The mappers are pure: host facts
 * are injected, and what needs the host (reading a seccomp profile) the handler does and hands in.
 *
 * A per-platform concern added later is one more member here, implemented by both modules, as the
 * pod network's CNI target is.
 */
import type { ContainerCreateBody, Resources } from '../docker/types.js';
import type { EngineInfo } from '../docker/client.js';
import type { ContainerConfig__Output } from '../generated/runtime/v1/ContainerConfig.js';
import type { PodSandboxConfig__Output } from '../generated/runtime/v1/PodSandboxConfig.js';
import type { SecurityProfile__Output } from '../generated/runtime/v1/SecurityProfile.js';
import type { RuntimeConfigResponse } from '../generated/runtime/v1/RuntimeConfigResponse.js';
import type { UpdateContainerResourcesRequest__Output } from '../generated/runtime/v1/UpdateContainerResourcesRequest.js';
import type { IsolationDecision } from '../isolation/select.js';
import type { StatsPlatform } from '../stats/sample.js';
import type { HostFacts, HostOs } from '../types/host.js';
import type { NamespaceOptions, PodDns, PodPortMapping } from '../types/pod.js';
import type { CniTarget } from '../network/cni-pod-network.js';

/** Where pods get their network: the engine's default network, or CNI plugins (`--network-plugin`). */
export type PodNetworkMode = 'engine' | 'cni';

export interface Mapped<T> {
  value: T;
  /** Things dropped or adjusted, for the handler to log. */
  notes: string[];
}

export interface SandboxRequest {
  config: PodSandboxConfig__Output;
  /** The engine image (id or name) of the sandbox image. */
  image: string;
  labels: Record<string, string>;
  decision: IsolationDecision;
  /** The JSON of the localhost security profile the config names (`securityProfileFile`), read by the handler. */
  securityProfileJson?: string | undefined;
  /** In CNI mode the sandbox gets no engine network (`none`) and publishes no ports: the plugins do both (default engine). */
  podNetwork?: PodNetworkMode;
}

/**
 * What a container's mapping reads of its pod. The store's `SandboxRecord` is one, so a handler
 * passes the record itself.
 */
export interface PodRef {
  /** The sandbox's engine container id. */
  id: string;
  namespaceOptions: NamespaceOptions;
  /** The sandbox's cgroup parent ("" for the engine's default). */
  cgroupParent: string;
  decision: IsolationDecision | undefined;
  /** The pod's hostname and DNS, which a Windows Hyper-V pod's app container takes itself. */
  hostname: string;
  dns: PodDns | null;
  /** The pod's port mappings, which a Windows Hyper-V pod's app container publishes itself. */
  portMappings: readonly PodPortMapping[];
}

export interface ContainerRequest {
  config: ContainerConfig__Output;
  image: string;
  labels: Record<string, string>;
  pod: PodRef;
  securityProfileJson?: string | undefined;
}

/** The container a resources update is for, as the engine last described it. */
export interface ResourcesTarget {
  id: string;
  resources: Resources;
}

/** A security context that may name a localhost security profile (pod or container config). */
export interface SecurityConfig {
  linux?: {
    security_context?: {
      seccomp?: SecurityProfile__Output | null;
      seccomp_profile_path: string;
    } | null;
  } | null;
}

/** One platform's implementation, with the host facts passed in. */
export interface PlatformModule {
  /** The sandbox (pause) container's create body. */
  sandboxCreateBody(req: SandboxRequest, facts: HostFacts): Mapped<ContainerCreateBody>;
  /** An app container's create body, in its pod. */
  containerCreateBody(req: ContainerRequest, facts: HostFacts): Mapped<ContainerCreateBody>;
  /** The namespace modes a pod records (its containers join them). */
  podNamespaces(config: PodSandboxConfig__Output): NamespaceOptions;
  /** The host file of the localhost security profile the config names, for the handler to read. */
  securityProfileFile(config: SecurityConfig): string | undefined;
  /**
   * What UpdateContainerResources sends to the engine; undefined when there is nothing to send.
   * Throws when the platform cannot apply the change.
   */
  resourcesUpdate(
    req: UpdateContainerResourcesRequest__Output,
    target: ResourcesTarget,
    facts: HostFacts,
  ): Mapped<Resources> | undefined;
  /** The RuntimeConfig answer for this engine. */
  runtimeConfig(info: Pick<EngineInfo, 'cgroupDriver'>): RuntimeConfigResponse;
  /**
   * The network setup: what CNI plugins are pointed at for a started sandbox (Linux: the pause
   * process's network namespace; Windows: the sandbox container, as the HNS plugins expect).
   */
  cniTarget(sandboxPid: number): CniTarget;
  /** Which CRI stats parts (linux or windows) the stats replies fill. */
  statsShape: StatsPlatform;
  /**
   * StopPodSandbox stops the pause container only after the pod's containers (Windows: it may host
   * the pod's utility VM); otherwise all of them stop side by side.
   */
  pauseStopsLast: boolean;
}

/** A platform bound to this host's facts: what the handlers use. */
export interface Platform {
  readonly os: HostOs;
  readonly facts: HostFacts;
  readonly statsShape: StatsPlatform;
  readonly pauseStopsLast: boolean;
  sandboxCreateBody(req: SandboxRequest): Mapped<ContainerCreateBody>;
  containerCreateBody(req: ContainerRequest): Mapped<ContainerCreateBody>;
  podNamespaces(config: PodSandboxConfig__Output): NamespaceOptions;
  securityProfileFile(config: SecurityConfig): string | undefined;
  resourcesUpdate(
    req: UpdateContainerResourcesRequest__Output,
    target: ResourcesTarget,
  ): Mapped<Resources> | undefined;
  runtimeConfig(info: Pick<EngineInfo, 'cgroupDriver'>): RuntimeConfigResponse;
  cniTarget(sandboxPid: number): CniTarget;
}
