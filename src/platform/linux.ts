/**
 * The Linux engine's side of the platform contract (src/platform/contract.ts): CRI Linux pod and
 * container config -> Docker create bodies. Pure: no file, no engine, no clock. What a mapper
 * cannot do itself (read a localhost seccomp profile) the handler does first and hands in. Values
 * Docker (or this host) cannot apply but a kubelet routinely sends are dropped with a note the
 * handler logs (negative oom_score_adj, hugepages, cgroup v2 `unified`), never failed: the kubelet
 * would retry the pod forever. Values that make no sense are INVALID_ARGUMENT naming the field.
 */
import { invalidArgument } from '../errors.js';
import type { ContainerCreateBody, HostConfig, Resources } from '../docker/types.js';
import type { LinuxContainerSecurityContext__Output } from '../generated/runtime/v1/LinuxContainerSecurityContext.js';
import type { HostFacts } from '../types/host.js';
import type { NamespaceOptions } from '../types/pod.js';
import type { ContainerRequest, Mapped, PlatformModule, SandboxRequest } from './contract.js';
import { linuxMounts, checkAbsolute, linuxResources } from './linux-resources.js';
import { seccompOptions, seccompProfileFile, user, withinGrantable } from './linux-security.js';
import { engineDefaults, namespaceOptions, neutralContainerBody, publishPorts } from './neutral.js';

/** Joins the sandbox's namespaces (or the host's) as the CRI namespace modes say. */
function containerNamespaces(
  ns: NamespaceOptions,
  sandboxId: string,
): Pick<HostConfig, 'NetworkMode' | 'PidMode' | 'IpcMode'> {
  const inSandbox = `container:${sandboxId}`;
  let pid: string;
  if (ns.pid === 'NODE') pid = 'host';
  else if (ns.pid === 'CONTAINER') pid = '';
  else if (ns.pid === 'TARGET') {
    if (!ns.targetId)
      throw invalidArgument('security_context.namespace_options.target_id is required when pid is TARGET');
    pid = `container:${ns.targetId}`;
  } else pid = inSandbox;
  return {
    NetworkMode: ns.network === 'NODE' ? 'host' : inSandbox,
    PidMode: pid,
    IpcMode: ns.ipc === 'NODE' ? 'host' : inSandbox,
  };
}

/** The pause container: holds the pod's network, IPC and (POD mode) PID namespaces. */
export function sandboxCreateBody(input: SandboxRequest): Mapped<ContainerCreateBody> {
  const { config } = input;
  const notes: string[] = [];
  const linux = config.linux;
  const sc = linux?.security_context;
  const ns = namespaceOptions(sc?.namespace_options);
  const hostNetwork = ns.network === 'NODE';
  const cni = input.podNetwork === 'cni';
  const host: HostConfig = {
    // In CNI mode the plugins give the pod its network: the engine adds only loopback.
    NetworkMode: hostNetwork ? 'host' : cni ? 'none' : 'bridge',
    // shareable: containers join it with IpcMode container:<sandbox>.
    IpcMode: ns.ipc === 'NODE' ? 'host' : 'shareable',
    PidMode: ns.pid === 'NODE' ? 'host' : '',
    ...engineDefaults(),
    Privileged: sc?.privileged === true,
    ReadonlyRootfs: sc?.readonly_rootfs === true,
  };
  if (linux?.cgroup_parent) host.CgroupParent = linux.cgroup_parent;
  if (linux && Object.keys(linux.sysctls).length > 0) host.Sysctls = { ...linux.sysctls };
  if (input.decision.dockerRuntime) host.Runtime = input.decision.dockerRuntime;
  const securityOpt = seccompOptions(
    sc?.seccomp,
    sc?.seccomp_profile_path ?? '',
    host.Privileged === true,
    input.securityProfileJson,
  );
  if (securityOpt.length > 0) host.SecurityOpt = securityOpt;

  const body: ContainerCreateBody = { Image: input.image, Labels: input.labels, HostConfig: host };
  if (!hostNetwork) {
    if (config.hostname) body.Hostname = config.hostname;
    const dns = config.dns_config;
    if (dns) {
      if (dns.servers.length > 0) host.Dns = [...dns.servers];
      if (dns.searches.length > 0) host.DnsSearch = [...dns.searches];
      if (dns.options.length > 0) host.DnsOptions = [...dns.options];
    }
    // The portmap plugin publishes host ports in CNI mode.
    if (!cni) publishPorts(body, config.port_mappings);
  } else if (config.port_mappings.some((pm) => pm.host_port > 0 && pm.host_port !== pm.container_port)) {
    notes.push(
      'port mappings are ignored for a host-network pod: its containers listen on the host directly',
    );
  }
  return { value: body, notes };
}

export function containerCreateBody(input: ContainerRequest, facts: HostFacts): Mapped<ContainerCreateBody> {
  const { config, pod } = input;
  const notes: string[] = [];
  const sc = config.linux?.security_context;
  const resources = linuxResources(config.linux?.resources, 'config.linux.resources');
  const mounts = linuxMounts(config.mounts, facts);
  notes.push(...resources.notes, ...mounts.notes);

  const containerNs = sc?.namespace_options ? namespaceOptions(sc.namespace_options) : pod.namespaceOptions;
  // Network and IPC are the pod's, whatever the container asks: it lives in the sandbox's.
  const ns: NamespaceOptions = {
    ...containerNs,
    network: pod.namespaceOptions.network,
    ipc: pod.namespaceOptions.ipc,
  };
  const host: HostConfig = {
    ...resources.value,
    ...containerNamespaces(ns, pod.id),
    ...engineDefaults(),
    Privileged: sc?.privileged === true,
    ReadonlyRootfs: sc?.readonly_rootfs === true,
  };
  if (ns.network !== 'NODE') host.NetworkMode = `container:${pod.id}`;
  if (pod.cgroupParent) host.CgroupParent = pod.cgroupParent;
  if (pod.decision?.dockerRuntime) host.Runtime = pod.decision.dockerRuntime;
  if (mounts.value.length > 0) host.Mounts = mounts.value;
  if (config.devices.length > 0) {
    host.Devices = config.devices.map((d, i) => {
      checkAbsolute(d.host_path, `config.devices[${i}].host_path`);
      checkAbsolute(d.container_path, `config.devices[${i}].container_path`);
      return {
        PathOnHost: d.host_path,
        PathInContainer: d.container_path,
        CgroupPermissions: d.permissions || 'rwm',
      };
    });
  }
  applySecurity(host, sc, input.securityProfileJson, notes);
  if (facts.grantableCapabilities)
    withinGrantable(host, facts.grantableCapabilities, sc?.no_new_privs === true, notes);

  const body = neutralContainerBody(config, input.image, input.labels, host);
  const who = user(sc);
  if (who !== undefined) body.User = who;
  return { value: body, notes };
}

/** Capabilities, groups, masked paths, seccomp, no-new-privileges and AppArmor of a container. */
function applySecurity(
  host: HostConfig,
  sc: LinuxContainerSecurityContext__Output | null | undefined,
  securityProfileJson: string | undefined,
  notes: string[],
): void {
  if (sc) {
    const caps = sc.capabilities;
    if (caps && caps.add_capabilities.length > 0) host.CapAdd = [...caps.add_capabilities];
    if (caps && caps.drop_capabilities.length > 0) host.CapDrop = [...caps.drop_capabilities];
    if (caps && caps.add_ambient_capabilities.length > 0)
      notes.push('capabilities.add_ambient_capabilities ignored: Docker cannot set ambient capabilities');
    if (sc.supplemental_groups.length > 0) host.GroupAdd = sc.supplemental_groups.map(String);
    if (sc.masked_paths.length > 0) host.MaskedPaths = [...sc.masked_paths];
    if (sc.readonly_paths.length > 0) host.ReadonlyPaths = [...sc.readonly_paths];
  }
  const securityOpt = seccompOptions(
    sc?.seccomp,
    sc?.seccomp_profile_path ?? '',
    host.Privileged === true,
    securityProfileJson,
  );
  if (sc?.no_new_privs) securityOpt.push('no-new-privileges');
  if (sc?.apparmor?.profile_type === 'Unconfined') securityOpt.push('apparmor=unconfined');
  else if (sc?.apparmor?.profile_type === 'Localhost')
    securityOpt.push(`apparmor=${sc.apparmor.localhost_ref.replace(/^localhost\//, '')}`);
  if (securityOpt.length > 0) host.SecurityOpt = securityOpt;
}

/** The engine's update takes the Linux resources, except oom_score_adj (left as created, noted). */
function resourcesUpdate(req: { linux: Parameters<typeof linuxResources>[0] }): Mapped<Resources> {
  const { value, notes } = linuxResources(req.linux, 'linux');
  const { OomScoreAdj, ...resources } = value;
  if (OomScoreAdj !== undefined)
    notes.push('linux.oom_score_adj not changed: the engine cannot update it on a live container');
  return { value: resources, notes };
}

export const linuxPlatform: PlatformModule = {
  sandboxCreateBody,
  containerCreateBody,
  podNamespaces: (config) => namespaceOptions(config.linux?.security_context?.namespace_options),
  securityProfileFile: (config) => {
    const sc = config.linux?.security_context;
    return sc ? seccompProfileFile(sc.seccomp, sc.seccomp_profile_path) : undefined;
  },
  resourcesUpdate,
  // The enum's zero value is SYSTEMD, so cgroupfs is said explicitly.
  runtimeConfig: (info) => ({
    linux: { cgroup_driver: info.cgroupDriver === 'systemd' ? 'SYSTEMD' : 'CGROUPFS' },
  }),
  // The plugins configure the pause process's namespace (held by a bind mount, src/network/netns.ts).
  cniTarget: (pid) => ({ kind: 'netns', pid }),
  statsShape: 'linux',
  // The pause only holds namespaces the members' processes keep alive themselves.
  pauseStopsLast: false,
};
