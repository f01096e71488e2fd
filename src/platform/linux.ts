/**
 * CRI Linux pod and container config -> Docker create bodies. Pure: no file, no engine, no clock.
 * What a mapper cannot do itself (read a localhost seccomp profile) the handler does first and hands
 * in. Values Docker (or this host) cannot apply but a kubelet routinely sends are dropped with a note
 * the handler logs (negative oom_score_adj, hugepages, cgroup v2 `unified`), never failed: the
 * kubelet would retry the pod forever. Values that make no sense are INVALID_ARGUMENT naming the field.
 */
import { invalidArgument } from '../errors.js';
import type { ContainerConfig__Output } from '../generated/runtime/v1/ContainerConfig.js';
import type { LinuxContainerResources__Output } from '../generated/runtime/v1/LinuxContainerResources.js';
import type { LinuxContainerSecurityContext__Output } from '../generated/runtime/v1/LinuxContainerSecurityContext.js';
import type { Mount__Output } from '../generated/runtime/v1/Mount.js';
import type { NamespaceOption__Output } from '../generated/runtime/v1/NamespaceOption.js';
import type { PodSandboxConfig__Output } from '../generated/runtime/v1/PodSandboxConfig.js';
import type { SecurityProfile__Output } from '../generated/runtime/v1/SecurityProfile.js';
import type { ContainerCreateBody, HostConfig, MountSpec, Resources } from '../docker/types.js';
import type { NamespaceOptions } from '../cri/labels.js';

export interface Mapped<T> {
  value: T;
  /** Things dropped or adjusted, for the handler to log. */
  notes: string[];
}

export interface SandboxInput {
  config: PodSandboxConfig__Output;
  /** The engine image (id or name) of the sandbox image. */
  image: string;
  labels: Record<string, string>;
  /** HostConfig.Runtime from the runtime handler; undefined = engine default. */
  dockerRuntime?: string | undefined;
  /** The JSON of a localhost seccomp profile the config names, read by the caller. */
  seccompProfileJson?: string | undefined;
}

export interface ContainerInput {
  config: ContainerConfig__Output;
  image: string;
  labels: Record<string, string>;
  sandbox: {
    id: string;
    namespaceOptions: NamespaceOptions;
    cgroupParent: string;
    dockerRuntime?: string | undefined;
  };
  seccompProfileJson?: string | undefined;
  /** Set only when the host cannot grant every capability: see `grantableCapabilities`. */
  grantableCapabilities?: readonly string[] | undefined;
}

export function namespaceOptions(option: NamespaceOption__Output | null | undefined): NamespaceOptions {
  return {
    network: option?.network ?? 'POD',
    pid: option?.pid ?? 'POD',
    ipc: option?.ipc ?? 'POD',
    targetId: option?.target_id ?? '',
  };
}

/** The pause container: holds the pod's network, IPC and (POD mode) PID namespaces. */
export function sandboxCreateBody(input: SandboxInput): Mapped<ContainerCreateBody> {
  const { config } = input;
  const notes: string[] = [];
  const linux = config.linux;
  const sc = linux?.security_context;
  const ns = namespaceOptions(sc?.namespace_options);
  const hostNetwork = ns.network === 'NODE';
  const host: HostConfig = {
    NetworkMode: hostNetwork ? 'host' : 'bridge',
    // shareable: containers join it with IpcMode container:<sandbox>.
    IpcMode: ns.ipc === 'NODE' ? 'host' : 'shareable',
    PidMode: ns.pid === 'NODE' ? 'host' : '',
    RestartPolicy: { Name: 'no' },
    LogConfig: { Type: 'json-file' },
    Privileged: sc?.privileged === true,
    ReadonlyRootfs: sc?.readonly_rootfs === true,
  };
  if (linux?.cgroup_parent) host.CgroupParent = linux.cgroup_parent;
  if (linux && Object.keys(linux.sysctls).length > 0) host.Sysctls = { ...linux.sysctls };
  if (input.dockerRuntime) host.Runtime = input.dockerRuntime;
  const securityOpt = seccompOptions(
    sc?.seccomp,
    sc?.seccomp_profile_path ?? '',
    host.Privileged === true,
    input.seccompProfileJson,
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
    publishPorts(body, config.port_mappings);
  } else if (config.port_mappings.some((pm) => pm.host_port > 0 && pm.host_port !== pm.container_port)) {
    notes.push(
      'port mappings are ignored for a host-network pod: its containers listen on the host directly',
    );
  }
  return { value: body, notes };
}

/** The pod's port mappings as Docker's ExposedPorts and PortBindings (host_port 0: exposed only). */
export function publishPorts(
  body: ContainerCreateBody,
  // Structural: the CRI's PortMapping, or the copy a Windows Hyper-V pod keeps in its labels.
  mappings: readonly { protocol: string; container_port: number; host_port: number; host_ip: string }[],
): void {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp?: string; HostPort?: string }[]> = {};
  for (const [i, pm] of mappings.entries()) {
    if (!Number.isInteger(pm.container_port) || pm.container_port <= 0 || pm.container_port > 65535) {
      throw invalidArgument(
        `config.port_mappings[${i}].container_port ${pm.container_port} is not a port (1-65535)`,
      );
    }
    if (pm.host_port < 0 || pm.host_port > 65535) {
      throw invalidArgument(`config.port_mappings[${i}].host_port ${pm.host_port} is not a port (0-65535)`);
    }
    const key = `${pm.container_port}/${pm.protocol.toLowerCase()}`;
    exposed[key] = {};
    if (pm.host_port > 0) {
      const binding: { HostIp?: string; HostPort?: string } = { HostPort: String(pm.host_port) };
      if (pm.host_ip) binding.HostIp = pm.host_ip;
      (bindings[key] ??= []).push(binding);
    }
  }
  if (Object.keys(exposed).length > 0) body.ExposedPorts = exposed;
  if (Object.keys(bindings).length > 0) (body.HostConfig ??= {}).PortBindings = bindings;
}

const PROPAGATION = {
  PROPAGATION_PRIVATE: 'rprivate',
  PROPAGATION_HOST_TO_CONTAINER: 'rslave',
  PROPAGATION_BIDIRECTIONAL: 'rshared',
} as const;

/** CRI mounts as Docker bind mounts; host paths must be absolute and free of `..`. */
export function bindMounts(mounts: readonly Mount__Output[]): Mapped<MountSpec[]> {
  const notes: string[] = [];
  const value = mounts.map((m, i): MountSpec => {
    const field = `config.mounts[${i}]`;
    checkAbsolute(m.host_path, `${field}.host_path`);
    checkAbsolute(m.container_path, `${field}.container_path`);
    if (m.image && m.image.image)
      throw invalidArgument(`${field}.image: image volumes are not supported by the Docker engine`);
    if (m.recursive_read_only) {
      throw invalidArgument(
        `${field}.recursive_read_only: Docker 20.10 cannot make a bind mount recursively read-only (no runtime handler advertises it)`,
      );
    }
    if (m.uidMappings.length > 0 || m.gidMappings.length > 0)
      throw invalidArgument(`${field}: ID-mapped mounts are not supported by the Docker engine`);
    if (m.selinux_relabel)
      notes.push(`${field}.selinux_relabel ignored: SELinux is not managed through Docker here`);
    return {
      Type: 'bind',
      Source: m.host_path,
      Target: m.container_path,
      ReadOnly: m.readonly,
      BindOptions: { Propagation: PROPAGATION[m.propagation] },
    };
  });
  return { value, notes };
}

function checkAbsolute(path: string, field: string): void {
  if (path === '') throw invalidArgument(`${field} is required`);
  if (!path.startsWith('/'))
    throw invalidArgument(`${field} ${JSON.stringify(path)} must be an absolute path`);
  if (path.split('/').includes('..'))
    throw invalidArgument(`${field} ${JSON.stringify(path)} must not contain '..'`);
}

const int = (text: string | undefined, field: string): number => {
  const n = Number(text ?? '0');
  if (!Number.isSafeInteger(n)) throw invalidArgument(`${field} ${JSON.stringify(text)} is not an integer`);
  return n;
};

/** LinuxContainerResources -> Docker resources (create and update share it). */
export function linuxResources(
  r: LinuxContainerResources__Output | null | undefined,
  field = 'resources',
): Mapped<Resources & { OomScoreAdj?: number }> {
  const notes: string[] = [];
  const out: Resources & { OomScoreAdj?: number } = {};
  if (!r) return { value: out, notes };
  const shares = int(r.cpu_shares, `${field}.cpu_shares`);
  const quota = int(r.cpu_quota, `${field}.cpu_quota`);
  const period = int(r.cpu_period, `${field}.cpu_period`);
  const memory = int(r.memory_limit_in_bytes, `${field}.memory_limit_in_bytes`);
  const swap = int(r.memory_swap_limit_in_bytes, `${field}.memory_swap_limit_in_bytes`);
  const oom = int(r.oom_score_adj, `${field}.oom_score_adj`);
  if (shares < 0) throw invalidArgument(`${field}.cpu_shares ${shares} must not be negative`);
  if (memory < 0) throw invalidArgument(`${field}.memory_limit_in_bytes ${memory} must not be negative`);
  if (period < 0) throw invalidArgument(`${field}.cpu_period ${period} must not be negative`);
  if (oom > 1000 || oom < -1000)
    throw invalidArgument(`${field}.oom_score_adj ${oom} is outside -1000..1000`);
  if (shares > 0) out.CpuShares = shares;
  if (quota !== 0) out.CpuQuota = quota;
  if (period > 0) out.CpuPeriod = period;
  if (r.cpuset_cpus) out.CpusetCpus = r.cpuset_cpus;
  if (r.cpuset_mems) out.CpusetMems = r.cpuset_mems;
  if (memory > 0) {
    out.Memory = memory;
    // Kubernetes runs without swap unless it says otherwise: swap limit = memory limit means none.
    out.MemorySwap = swap > 0 ? swap : memory;
  }
  if (oom < 0) {
    notes.push(
      `${field}.oom_score_adj ${oom} clamped to 0: a negative score needs CAP_SYS_RESOURCE that this host refuses`,
    );
    out.OomScoreAdj = 0;
  } else if (oom > 0) out.OomScoreAdj = oom;
  if (r.hugepage_limits.length > 0)
    notes.push(`${field}.hugepage_limits ignored: Docker has no hugetlb limits`);
  if (Object.keys(r.unified).length > 0)
    notes.push(`${field}.unified ignored: Docker has no raw cgroup v2 settings`);
  return { value: out, notes };
}

/**
 * The seccomp SecurityOpt. The CRI's "no profile" means unconfined (as in containerd), unlike
 * Docker's own default; runtime/default is Docker's default profile (no option needed).
 */
export function seccompOptions(
  profile: SecurityProfile__Output | null | undefined,
  legacyPath: string,
  privileged: boolean,
  localhostJson: string | undefined,
): string[] {
  if (privileged) return [];
  const kind = seccompKind(profile, legacyPath);
  if (kind === 'default') return [];
  if (kind === 'unconfined') return ['seccomp=unconfined'];
  if (localhostJson === undefined) throw invalidArgument(`seccomp profile ${kind.path} was not read`);
  return [`seccomp=${localhostJson}`];
}

type SeccompKind = 'default' | 'unconfined' | { path: string };

function seccompKind(profile: SecurityProfile__Output | null | undefined, legacyPath: string): SeccompKind {
  if (profile) {
    if (profile.profile_type === 'RuntimeDefault') return 'default';
    if (profile.profile_type === 'Unconfined') return 'unconfined';
    return { path: localhostPath(profile.localhost_ref, 'seccomp.localhost_ref') };
  }
  if (legacyPath === '' || legacyPath === 'unconfined') return 'unconfined';
  if (legacyPath === 'runtime/default' || legacyPath === 'docker/default') return 'default';
  if (legacyPath.startsWith('localhost/'))
    return { path: localhostPath(legacyPath.slice('localhost/'.length), 'seccomp_profile_path') };
  throw invalidArgument(
    `seccomp_profile_path ${JSON.stringify(legacyPath)}: use runtime/default, unconfined or localhost/<absolute path>`,
  );
}

function localhostPath(path: string, field: string): string {
  if (!path.startsWith('/'))
    throw invalidArgument(
      `${field} ${JSON.stringify(path)} must be an absolute path to a seccomp profile on the node`,
    );
  return path;
}

/** The host file a localhost seccomp profile names, for the handler to read; undefined if none. */
export function seccompProfileFile(
  profile: SecurityProfile__Output | null | undefined,
  legacyPath: string,
): string | undefined {
  const kind = seccompKind(profile, legacyPath);
  return typeof kind === 'object' ? kind.path : undefined;
}

function user(sc: LinuxContainerSecurityContext__Output | null | undefined): string | undefined {
  if (!sc) return undefined;
  const uid = sc.run_as_user ? sc.run_as_user.value : undefined;
  const name = sc.run_as_username;
  const gid = sc.run_as_group ? sc.run_as_group.value : undefined;
  const who = uid ?? (name || undefined);
  if (gid !== undefined && who === undefined) {
    throw invalidArgument(
      'security_context.run_as_group needs run_as_user or run_as_username: a group alone names no user',
    );
  }
  if (who === undefined) return undefined;
  return gid === undefined ? String(who) : `${who}:${gid}`;
}

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

export function containerCreateBody(input: ContainerInput): Mapped<ContainerCreateBody> {
  const { config, sandbox } = input;
  const notes: string[] = [];
  const sc = config.linux?.security_context;
  const resources = linuxResources(config.linux?.resources, 'config.linux.resources');
  const mounts = bindMounts(config.mounts);
  notes.push(...resources.notes, ...mounts.notes);

  const containerNs = sc?.namespace_options
    ? namespaceOptions(sc.namespace_options)
    : sandbox.namespaceOptions;
  // Network and IPC are the pod's, whatever the container asks: it lives in the sandbox's.
  const ns: NamespaceOptions = {
    ...containerNs,
    network: sandbox.namespaceOptions.network,
    ipc: sandbox.namespaceOptions.ipc,
  };
  const privileged = sc?.privileged === true;
  const host: HostConfig = {
    ...resources.value,
    ...containerNamespaces(ns, sandbox.id),
    RestartPolicy: { Name: 'no' },
    // The CRI log copier reads the engine's own log store through the API.
    LogConfig: { Type: 'json-file' },
    Privileged: privileged,
    ReadonlyRootfs: sc?.readonly_rootfs === true,
  };
  if (ns.network !== 'NODE') host.NetworkMode = `container:${sandbox.id}`;
  if (sandbox.cgroupParent) host.CgroupParent = sandbox.cgroupParent;
  if (sandbox.dockerRuntime) host.Runtime = sandbox.dockerRuntime;
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
    privileged,
    input.seccompProfileJson,
  );
  if (sc?.no_new_privs) securityOpt.push('no-new-privileges');
  if (sc?.apparmor?.profile_type === 'Unconfined') securityOpt.push('apparmor=unconfined');
  else if (sc?.apparmor?.profile_type === 'Localhost')
    securityOpt.push(`apparmor=${sc.apparmor.localhost_ref.replace(/^localhost\//, '')}`);
  if (securityOpt.length > 0) host.SecurityOpt = securityOpt;
  if (input.grantableCapabilities)
    withinGrantable(host, input.grantableCapabilities, sc?.no_new_privs === true, notes);

  const body = neutralContainerBody(config, input.image, input.labels, host);
  const who = user(sc);
  if (who !== undefined) body.User = who;
  return { value: body, notes };
}

/** Capability names by number (linux/capability.h), as Docker spells them without the CAP_ prefix. */
const CAPABILITY_NAMES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
] as const;

/**
 * The capabilities a container may be given here, from the host's capability bounding set
 * (`CapBnd` of /proc/self/status) and the kernel's last capability; undefined when the host can
 * grant them all (the usual case). Docker's `Privileged` and `CapAdd: ["ALL"]` ask runc for every
 * capability the kernel knows, and runc fails ("unable to apply caps: operation not permitted")
 * where the bounding set withholds one; containerd gives "all" as the bounding set instead. Names
 * stop at AUDIT_READ, the last one Docker 20.10 accepts.
 */
export function grantableCapabilities(boundingMask: bigint, lastCap: number): string[] | undefined {
  const all = (1n << BigInt(lastCap + 1)) - 1n;
  if ((boundingMask & all) === all) return undefined;
  return CAPABILITY_NAMES.filter(
    (_, bit) => bit <= lastCap && ((boundingMask >> BigInt(bit)) & 1n) === 1n,
  ).map((n) => `CAP_${n}`);
}

/**
 * On a host that withholds capabilities, "all capabilities" becomes the ones it can grant: `ALL` in
 * CapAdd is spelled out, and privileged becomes every grantable capability with no seccomp, AppArmor,
 * masked or read-only paths (what remains of privileged that Docker lets a caller say; host
 * devices and a writable /sys are not given, and a note says so).
 */
function withinGrantable(
  host: HostConfig,
  grantable: readonly string[],
  noNewPrivs: boolean,
  notes: string[],
): void {
  const all = (c: string) => c.toUpperCase() === 'ALL' || c.toUpperCase() === 'CAP_ALL';
  if (host.Privileged) {
    host.Privileged = false;
    host.CapAdd = [...grantable];
    delete host.CapDrop;
    host.MaskedPaths = [];
    host.ReadonlyPaths = [];
    host.SecurityOpt = [
      'seccomp=unconfined',
      'apparmor=unconfined',
      ...(noNewPrivs ? ['no-new-privileges'] : []),
    ];
    notes.push(
      'privileged given as every capability this host can grant, unconfined, nothing masked: the host withholds some ' +
        "capabilities, and Docker's privileged mode fails there; host devices and a writable /sys are not given",
    );
  } else if (host.CapAdd?.some(all)) {
    host.CapAdd = [...new Set([...host.CapAdd.filter((c) => !all(c)), ...grantable])];
    notes.push('capability ALL spelled out as the capabilities this host can grant (it withholds some)');
  }
}

/**
 * What a container body holds on every OS: image, labels, command, environment, working directory,
 * terminal and stdin, stop signal. `host` is the OS mapper's HostConfig.
 */
export function neutralContainerBody(
  config: ContainerConfig__Output,
  image: string,
  labels: Record<string, string>,
  host: HostConfig,
): ContainerCreateBody {
  const body: ContainerCreateBody = {
    Image: image,
    Labels: labels,
    Tty: config.tty,
    OpenStdin: config.stdin,
    StdinOnce: config.stdin_once,
    AttachStdin: config.stdin,
    AttachStdout: true,
    AttachStderr: true,
    Env: config.envs.map((kv) => `${kv.key}=${envValue(kv.value)}`),
    HostConfig: host,
  };
  // CRI: command replaces the image's ENTRYPOINT, args its CMD (Docker drops the image CMD too when
  // ENTRYPOINT is given, which is the Kubernetes rule for "command without args").
  if (config.command.length > 0) body.Entrypoint = [...config.command];
  if (config.args.length > 0) body.Cmd = [...config.args];
  if (config.working_dir) body.WorkingDir = config.working_dir;
  if (config.stop_signal && config.stop_signal !== 'RUNTIME_DEFAULT') body.StopSignal = config.stop_signal;
  return body;
}

/** `KeyValue.value` is bytes since CRI v0.36.3 (a Buffer), a string before. */
function envValue(value: Buffer | string | null | undefined): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : value.toString('utf8');
}
