/**
 * The Windows engine's side of the platform contract (src/platform/contract.ts): CRI pod and
 * container config -> fragments of Docker create bodies, merged with the platform-neutral parts
 * (src/platform/neutral.ts: image, command, env, labels, logging) and checked by
 * `assertWindowsSafe` before they leave.
 *
 * Pure: host facts and the pod's isolation decision come in as arguments.
 *
 * Networking follows the pod's isolation (docs/windows.md):
 * - process pod: the sandbox holds the pod network and every app container joins its network
 *   compartment with `NetworkMode: container:<sandboxId>`, so containers of a pod reach each other
 *   on localhost (the 2016 alpha's "one container per pod" gap, closed since Windows Server 1709);
 * - Hyper-V pod: Docker cannot share a Hyper-V container's network, so the sandbox is a placeholder
 *   (`NetworkMode: none`) and the pod's single app container takes the pod network, hostname and DNS
 *   itself (src/isolation/hyperv-pod.ts enforces the single container).
 */
import { failedPrecondition, internal, invalidArgument } from '../errors.js';
import type { ContainerCreateBody, DeviceMapping, HostConfig, Resources } from '../docker/types.js';
import type { ContainerConfig__Output } from '../generated/runtime/v1/ContainerConfig.js';
import type { DNSConfig__Output } from '../generated/runtime/v1/DNSConfig.js';
import type { Device__Output } from '../generated/runtime/v1/Device.js';
import type { PodSandboxConfig__Output } from '../generated/runtime/v1/PodSandboxConfig.js';
import type { IsolationDecision, WindowsIsolation } from '../isolation/select.js';
import type { UpdateContainerResourcesRequest__Output } from '../generated/runtime/v1/UpdateContainerResourcesRequest.js';
import type { HostFacts } from '../types/host.js';
import type {
  ContainerRequest,
  Mapped,
  PlatformModule,
  ResourcesTarget,
  SandboxRequest,
} from './contract.js';
import { engineDefaults, namespaceOptions, neutralContainerBody, publishPorts } from './neutral.js';
import { windowsMounts } from './windows-mounts.js';
import { windowsCpuChoice, windowsResources, windowsStorageOpt } from './windows-resources.js';
import { assertWindowsSafe } from './windows-safety.js';

/** The part of a create body a Windows mapper fills. */
export type WindowsBodyFragment = Pick<ContainerCreateBody, 'User' | 'Hostname'> & { HostConfig: HostConfig };

export interface WindowsCreateOptions {
  body: WindowsBodyFragment;
  /** Settings left out or changed on the way, in words, for a log line. */
  notes: string[];
}

/** What a container's mapping needs to know about its pod. */
export interface WindowsSandboxRef {
  /** The sandbox's Docker container ID. */
  id: string;
  isolation: WindowsIsolation;
  /** The NetworkMode that carries the pod network: "nat", a named network, or "none" when CNI attaches it. */
  podNetworkMode: string;
  /** The pod's hostname and DNS, which a Hyper-V pod's app container takes itself. */
  hostname?: string;
  dnsConfig?: DNSConfig__Output | null;
}

interface WindowsSecurity {
  run_as_username: string;
  credential_spec: string;
  host_process: boolean;
}

function refuseHostProcess(security: WindowsSecurity | null | undefined, what: string): void {
  if (!security?.host_process) return;
  throw invalidArgument(
    `${what} asks for a HostProcess container (securityContext.windowsOptions.hostProcess), which the Docker engine ` +
      'cannot run; wincri refuses it rather than run an ordinary container. HostProcess pods need containerd 1.6 or newer',
  );
}

/**
 * gMSA: the CRI carries the credential spec JSON itself. wincri hands it to Docker inline as
 * `credentialspec=raw://<json>` (moby PR #38777, Docker 19.03+) instead of writing it to the
 * registry or to `<docker root>\CredentialSpecs` and passing `registry://` or `file://` as
 * cri-dockerd does: nothing is written on the host, so nothing needs cleaning up after a crash, and
 * the mapping stays pure. The spec holds account names and SIDs, no secret, so its appearing in
 * `docker inspect` discloses nothing new.
 */
function credentialSpecOpt(spec: string, field: string): string[] {
  if (spec === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(spec);
  } catch {
    throw invalidArgument(`${field}: the gMSA credential spec is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidArgument(`${field}: the gMSA credential spec must be a JSON object`);
  }
  return [`credentialspec=raw://${JSON.stringify(parsed)}`];
}

function applySecurity(
  body: WindowsBodyFragment,
  security: WindowsSecurity | null | undefined,
  field: string,
): void {
  if (!security) return;
  if (security.run_as_username !== '') body.User = security.run_as_username;
  const opts = credentialSpecOpt(security.credential_spec, `${field}.credential_spec`);
  if (opts.length > 0) body.HostConfig.SecurityOpt = opts;
}

function applyDns(hostConfig: HostConfig, dns: DNSConfig__Output | null | undefined): void {
  if (!dns) return;
  if (dns.servers.length > 0) hostConfig.Dns = [...dns.servers];
  if (dns.searches.length > 0) hostConfig.DnsSearch = [...dns.searches];
  if (dns.options.length > 0) hostConfig.DnsOptions = [...dns.options];
}

function requireWindowsIsolation(decision: IsolationDecision): WindowsIsolation {
  if (decision.isolation === undefined) {
    throw internal(
      `the pod's isolation decision (handler "${decision.resolvedHandler}") has no Windows isolation`,
    );
  }
  return decision.isolation;
}

/**
 * The sandbox (pause) container's fragment. `podNetworkMode` is where the pod network lives (see
 * WindowsSandboxRef); a Hyper-V sandbox gets "none" whatever it is. `PodSandboxConfig.linux`, which
 * the kubelet sends on Windows too, is not read.
 */
export function windowsSandboxCreateOptions(
  config: PodSandboxConfig__Output,
  _facts: HostFacts,
  decision: IsolationDecision,
  podNetworkMode: string,
): WindowsCreateOptions {
  const isolation = requireWindowsIsolation(decision);
  const security = config.windows?.security_context;
  refuseHostProcess(security, 'the pod');
  const network = security?.namespace_options?.network ?? 'POD';
  if (network !== 'POD') {
    throw invalidArgument(
      network === 'NODE'
        ? 'the pod asks for host networking (hostNetwork), which Docker does not offer on Windows'
        : `windows.security_context.namespace_options.network ${network} is not supported; Windows pods share one network`,
    );
  }
  const body: WindowsBodyFragment = { HostConfig: { Isolation: isolation } };
  const notes: string[] = [];
  if (isolation === 'hyperv') {
    body.HostConfig.NetworkMode = 'none';
    notes.push("Hyper-V pod: the sandbox holds no network; the pod's app container takes it");
  } else {
    body.HostConfig.NetworkMode = podNetworkMode;
    if (config.hostname !== '') body.Hostname = config.hostname;
    applyDns(body.HostConfig, config.dns_config);
  }
  applySecurity(body, security, 'windows.security_context');
  return { body, notes };
}

/**
 * Windows devices are interface classes, `class/<GUID>` or `<type>://<id>` (e.g. the DirectX class
 * for GPUs); Docker assigns them only to process-isolated containers.
 */
function windowsDevices(devices: readonly Device__Output[], isolation: WindowsIsolation): DeviceMapping[] {
  return devices.map((d, i) => {
    if (!/^(class\/|[A-Za-z][-A-Za-z0-9]*:\/\/)./.test(d.host_path)) {
      throw invalidArgument(
        `devices[${i}]: ${JSON.stringify(d.host_path)} is not a Windows device (class/<GUID> or <type>://<id>)`,
      );
    }
    if (isolation === 'hyperv') {
      throw invalidArgument(`devices[${i}]: Docker cannot assign devices to Hyper-V isolated containers`);
    }
    return { PathOnHost: d.host_path, PathInContainer: '', CgroupPermissions: '' };
  });
}

/** An app container's fragment, for a container of the pod `sandbox`. */
export function windowsContainerCreateOptions(
  config: ContainerConfig__Output,
  sandbox: WindowsSandboxRef,
  facts: HostFacts,
): WindowsCreateOptions {
  const windows = config.windows;
  refuseHostProcess(windows?.security_context, `container ${config.metadata?.name ?? ''}`.trim());

  const hostConfig: HostConfig = {
    Isolation: sandbox.isolation,
    ...windowsResources(windows?.resources, facts),
  };
  const body: WindowsBodyFragment = { HostConfig: hostConfig };
  const notes: string[] = [];

  if (sandbox.isolation === 'process') {
    hostConfig.NetworkMode = `container:${sandbox.id}`;
  } else {
    hostConfig.NetworkMode = sandbox.podNetworkMode;
    if (sandbox.hostname) body.Hostname = sandbox.hostname;
    applyDns(hostConfig, sandbox.dnsConfig);
  }

  const storage = windowsStorageOpt(windows?.resources);
  if (storage) hostConfig.StorageOpt = storage;
  const cpu = windowsCpuChoice(windows?.resources);
  if (cpu.control && cpu.dropped.length > 0) {
    notes.push(
      `${cpu.dropped.join(', ')} dropped: Windows takes one CPU control and ${cpu.control} comes first`,
    );
  }

  const mounts = windowsMounts(config.mounts, config.annotations);
  if (mounts.mounts.length > 0) hostConfig.Mounts = mounts.mounts;
  notes.push(...mounts.notes);

  const devices = windowsDevices(config.devices, sandbox.isolation);
  if (devices.length > 0) hostConfig.Devices = devices;
  if (config.CDI_devices.length > 0)
    throw invalidArgument('CDI devices are a Linux feature; use class/<GUID> devices on Windows');

  applySecurity(body, windows?.security_context, 'windows.security_context');
  return { body, notes };
}

/** The engine's default network on Windows: the pod network until CNI arrives. */
export const WINDOWS_POD_NETWORK = 'nat';

export function sandboxCreateBody(req: SandboxRequest, facts: HostFacts): Mapped<ContainerCreateBody> {
  const cni = req.podNetwork === 'cni';
  if (cni && req.decision.isolation === 'hyperv') {
    throw failedPrecondition(
      'a Hyper-V pod cannot use CNI networking: Docker runs each Hyper-V container in a utility VM of its own ' +
        'and refuses to share one container network between them, so an endpoint the plugin attaches to the ' +
        'sandbox cannot reach the app container (docs/windows.md, "Pod networking with CNI"); ' +
        'use a process-isolated RuntimeClass, or run wincri without --network-plugin cni',
    );
  }
  // In CNI mode the sandbox has no engine network: the plugin attaches an HNS endpoint to it.
  const { body: fragment, notes } = windowsSandboxCreateOptions(
    req.config,
    facts,
    req.decision,
    cni ? 'none' : WINDOWS_POD_NETWORK,
  );
  const body: ContainerCreateBody = {
    ...fragment,
    Image: req.image,
    Labels: req.labels,
    HostConfig: { ...fragment.HostConfig, ...engineDefaults() },
  };
  // Ports are published where the pod network lives: a Hyper-V pod's app container holds it; in
  // CNI mode the plugin publishes them (HNS NAT policies from the portMappings capability).
  if (req.decision.isolation === 'process' && !cni) publishPorts(body, req.config.port_mappings);
  // DNS goes to the endpoint through the dns capability; Docker's options do not apply to `none`.
  if (cni) {
    delete body.HostConfig?.Dns;
    delete body.HostConfig?.DnsSearch;
    delete body.HostConfig?.DnsOptions;
  }
  assertWindowsSafe(body);
  return { value: body, notes };
}

export function containerCreateBody(req: ContainerRequest, facts: HostFacts): Mapped<ContainerCreateBody> {
  const { pod } = req;
  if (pod.decision?.isolation === undefined) {
    // A sandbox without a Windows isolation was not made by this wincri on this engine.
    throw new Error(`pod sandbox ${pod.id} has no Windows isolation recorded in its labels`);
  }
  const ref: WindowsSandboxRef = {
    id: pod.id,
    isolation: pod.decision.isolation,
    podNetworkMode: WINDOWS_POD_NETWORK,
    hostname: pod.hostname,
    dnsConfig: pod.dns,
  };
  const { body: fragment, notes } = windowsContainerCreateOptions(req.config, ref, facts);
  const body = neutralContainerBody(req.config, req.image, req.labels, {
    ...fragment.HostConfig,
    ...engineDefaults(),
  });
  if (fragment.User !== undefined) body.User = fragment.User;
  if (fragment.Hostname !== undefined) body.Hostname = fragment.Hostname;
  // A Hyper-V pod's network lives in its one app container, so its ports are published there.
  if (pod.decision.isolation === 'hyperv') publishPorts(body, pod.portMappings);
  assertWindowsSafe(body);
  return { value: body, notes };
}

/**
 * Docker on Windows refuses every resource update of an existing container with a 500 ("resource
 * updating isn't supported on Windows", moby container/container_windows.go), so the engine is not
 * asked: a request that changes nothing succeeds (undefined: nothing to send), any change is
 * refused with what to do instead.
 */
function resourcesUpdate(
  req: UpdateContainerResourcesRequest__Output,
  target: ResourcesTarget,
  facts: HostFacts,
): Mapped<Resources> | undefined {
  const requested = windowsResources(req.windows, facts);
  const current = target.resources as Record<string, unknown>;
  const changed = Object.entries(requested).filter(([key, value]) => (current[key] ?? 0) !== value);
  if (changed.length === 0) return undefined;
  throw failedPrecondition(
    `container ${target.id}: Docker on Windows cannot change the resources of an existing container ` +
      `(${changed.map(([key]) => key).join(', ')}); recreate the container with the new resources`,
  );
}

export const windowsPlatform: PlatformModule = {
  sandboxCreateBody,
  containerCreateBody,
  // Windows pods share one network and have no PID or IPC namespaces to choose.
  podNamespaces: () => namespaceOptions(null),
  // Seccomp is a Linux kernel feature: a Windows engine has no profile to read.
  securityProfileFile: () => undefined,
  resourcesUpdate,
  // A Windows engine has no linux part, which the kubelet ignores.
  runtimeConfig: () => ({ linux: null }),
  // The HNS plugins attach an endpoint to the sandbox container itself (docs/windows.md).
  cniTarget: () => ({ kind: 'sandbox-container' }),
  statsShape: 'windows',
  // The pause container may host the pod's utility VM.
  pauseStopsLast: true,
};
