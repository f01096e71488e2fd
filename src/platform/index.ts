/**
 * The platform mapper for the engine at hand, chosen at run time from the engine's `OSType`: one
 * wincri binary serves a Linux or a Windows engine. Each mapper turns a CRI config into a whole
 * Docker create body; the Windows one composes the Windows fragments (src/platform/windows.ts) with
 * the platform-neutral parts and checks the result with `assertWindowsSafe` before it leaves.
 */
import type { ContainerCreateBody, HostConfig } from '../docker/types.js';
import type { ContainerConfig__Output } from '../generated/runtime/v1/ContainerConfig.js';
import type { PodSandboxConfig__Output } from '../generated/runtime/v1/PodSandboxConfig.js';
import type { IsolationDecision } from '../isolation/select.js';
import type { NamespaceOptions, PodDns, PodPortMapping } from '../cri/labels.js';
import type { HostFacts, HostOs } from './host-facts.js';
import * as linux from './linux.js';
import { windowsContainerCreateOptions, windowsSandboxCreateOptions } from './windows.js';
import { assertWindowsSafe } from './windows-safety.js';

export interface SandboxRequest {
  config: PodSandboxConfig__Output;
  /** The engine image (id or name) of the sandbox image. */
  image: string;
  labels: Record<string, string>;
  decision: IsolationDecision;
  facts: HostFacts;
  seccompProfileJson?: string | undefined;
}

/** What a container's mapping needs to know of its pod (from the sandbox's record). */
export interface SandboxRef {
  id: string;
  namespaceOptions: NamespaceOptions;
  cgroupParent: string;
  decision: IsolationDecision | undefined;
  hostname: string;
  dns: PodDns | null;
  portMappings: PodPortMapping[];
}

export interface ContainerRequest {
  config: ContainerConfig__Output;
  image: string;
  labels: Record<string, string>;
  sandbox: SandboxRef;
  facts: HostFacts;
  seccompProfileJson?: string | undefined;
  /** Linux: set only when the host cannot grant every capability (linux.grantableCapabilities). */
  grantableCapabilities?: readonly string[] | undefined;
}

export interface PlatformMapper {
  os: HostOs;
  sandboxCreateBody(req: SandboxRequest): linux.Mapped<ContainerCreateBody>;
  containerCreateBody(req: ContainerRequest): linux.Mapped<ContainerCreateBody>;
}

const LINUX: PlatformMapper = {
  os: 'linux',
  sandboxCreateBody: (req) =>
    linux.sandboxCreateBody({
      config: req.config,
      image: req.image,
      labels: req.labels,
      dockerRuntime: req.decision.dockerRuntime,
      seccompProfileJson: req.seccompProfileJson,
    }),
  containerCreateBody: (req) =>
    linux.containerCreateBody({
      config: req.config,
      image: req.image,
      labels: req.labels,
      sandbox: {
        id: req.sandbox.id,
        namespaceOptions: req.sandbox.namespaceOptions,
        cgroupParent: req.sandbox.cgroupParent,
        dockerRuntime: req.sandbox.decision?.dockerRuntime,
      },
      seccompProfileJson: req.seccompProfileJson,
      grantableCapabilities: req.grantableCapabilities,
    }),
};

/** The engine's default network on Windows: the pod network until CNI arrives. */
export const WINDOWS_POD_NETWORK = 'nat';

/** Settings every wincri-made container carries on Windows too. */
const engineDefaults = (): Pick<HostConfig, 'RestartPolicy' | 'LogConfig'> => ({
  RestartPolicy: { Name: 'no' },
  LogConfig: { Type: 'json-file' },
});

const WINDOWS: PlatformMapper = {
  os: 'windows',
  sandboxCreateBody(req) {
    const { body: fragment, notes } = windowsSandboxCreateOptions(
      req.config,
      req.facts,
      req.decision,
      WINDOWS_POD_NETWORK,
    );
    const body: ContainerCreateBody = {
      ...fragment,
      Image: req.image,
      Labels: req.labels,
      HostConfig: { ...fragment.HostConfig, ...engineDefaults() },
    };
    // Ports are published where the pod network lives: a Hyper-V pod's app container holds it.
    if (req.decision.isolation === 'process') linux.publishPorts(body, req.config.port_mappings);
    assertWindowsSafe(body);
    return { value: body, notes };
  },
  containerCreateBody(req) {
    const { sandbox } = req;
    if (sandbox.decision?.isolation === undefined) {
      // A sandbox without a Windows isolation was not made by this wincri on this engine.
      throw new Error(`pod sandbox ${sandbox.id} has no Windows isolation recorded in its labels`);
    }
    const ref = {
      id: sandbox.id,
      isolation: sandbox.decision.isolation,
      podNetworkMode: WINDOWS_POD_NETWORK,
      hostname: sandbox.hostname,
      dnsConfig: sandbox.dns,
    };
    const { body: fragment, notes } = windowsContainerCreateOptions(req.config, ref, req.facts);
    const body = linux.neutralContainerBody(req.config, req.image, req.labels, {
      ...fragment.HostConfig,
      ...engineDefaults(),
    });
    if (fragment.User !== undefined) body.User = fragment.User;
    if (fragment.Hostname !== undefined) body.Hostname = fragment.Hostname;
    // A Hyper-V pod's network lives in its one app container, so its ports are published there.
    if (sandbox.decision.isolation === 'hyperv') linux.publishPorts(body, sandbox.portMappings);
    assertWindowsSafe(body);
    return { value: body, notes };
  },
};

export function platformFor(os: HostOs): PlatformMapper {
  return os === 'windows' ? WINDOWS : LINUX;
}
