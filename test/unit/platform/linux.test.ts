import { describe, expect, it } from 'vitest';
import type { ContainerConfig__Output } from '../../../src/generated/runtime/v1/ContainerConfig.js';
import type { LinuxContainerResources__Output } from '../../../src/generated/runtime/v1/LinuxContainerResources.js';
import type { LinuxContainerSecurityContext__Output } from '../../../src/generated/runtime/v1/LinuxContainerSecurityContext.js';
import type { Mount__Output } from '../../../src/generated/runtime/v1/Mount.js';
import type { PodSandboxConfig__Output } from '../../../src/generated/runtime/v1/PodSandboxConfig.js';
import type { IsolationDecision } from '../../../src/isolation/select.js';
import type { ContainerRequest } from '../../../src/platform/contract.js';
import { containerCreateBody, linuxPlatform, sandboxCreateBody } from '../../../src/platform/linux.js';
import { linuxMounts, linuxResources } from '../../../src/platform/linux-resources.js';
import { dockerSignal } from '../../../src/platform/neutral.js';
import {
  grantableCapabilities,
  seccompOptions,
  seccompProfileFile,
} from '../../../src/platform/linux-security.js';
import type { HostFacts } from '../../../src/types/host.js';
import type { NamespaceOptions } from '../../../src/types/pod.js';
import { containerConfig, mount as criMount } from '../../fixtures/windows/cri-builders.js';
import type { CriError } from '../../../src/errors.js';
import type { ImageSpec__Output } from '../../../src/generated/runtime/v1/ImageSpec.js';

const imageSpec = (image: string): ImageSpec__Output => ({
  image,
  annotations: {},
  user_specified_image: '',
  runtime_handler: '',
  image_ref: '',
});

const POD_NS: NamespaceOptions = { network: 'POD', pid: 'POD', ipc: 'POD', targetId: '' };

function resources(over: Partial<LinuxContainerResources__Output> = {}): LinuxContainerResources__Output {
  return {
    cpu_period: '0',
    cpu_quota: '0',
    cpu_shares: '0',
    memory_limit_in_bytes: '0',
    oom_score_adj: '0',
    cpuset_cpus: '',
    cpuset_mems: '',
    hugepage_limits: [],
    unified: {},
    memory_swap_limit_in_bytes: '0',
    ...over,
  };
}

function security(
  over: Partial<LinuxContainerSecurityContext__Output> = {},
): LinuxContainerSecurityContext__Output {
  return {
    capabilities: null,
    privileged: false,
    namespace_options: null,
    selinux_options: null,
    run_as_user: null,
    run_as_username: '',
    readonly_rootfs: false,
    supplemental_groups: [],
    apparmor_profile: '',
    seccomp_profile_path: '',
    no_new_privs: false,
    run_as_group: null,
    masked_paths: [],
    readonly_paths: [],
    seccomp: null,
    apparmor: null,
    supplemental_groups_policy: 'Merge',
    ...over,
  };
}

const mount = (over: Partial<Mount__Output> = {}): Mount__Output =>
  criMount({ container_path: '/data', host_path: '/srv/data', ...over });

const container = (over: Partial<ContainerConfig__Output> = {}): ContainerConfig__Output =>
  containerConfig({ metadata: { name: 'c', attempt: 0 }, ...over });

const LINUX: HostFacts = { os: 'linux', ncpu: 2, memTotalBytes: 2 ** 30, hyperVAvailable: false };
const decision = (dockerRuntime?: string): IsolationDecision => ({
  handler: '',
  resolvedHandler: '',
  isolation: undefined,
  reason: 'test',
  ...(dockerRuntime ? { dockerRuntime } : {}),
});

function input(config: ContainerConfig__Output, sandboxNs: NamespaceOptions = POD_NS): ContainerRequest {
  return {
    config,
    image: 'sha256:img',
    labels: { l: '1' },
    pod: {
      id: 'sbx',
      namespaceOptions: sandboxNs,
      cgroupParent: '/kubepods/pod1',
      decision: undefined,
      hostname: '',
      dns: null,
      portMappings: [],
    },
  };
}

const body = (config: ContainerConfig__Output, sandboxNs?: NamespaceOptions) =>
  containerCreateBody(input(config, sandboxNs), LINUX).value;

describe('containerCreateBody: ContainerConfig -> Docker create body', () => {
  it.each([
    [{ command: [], args: [] }, {}],
    [{ command: ['/bin/sh', '-c'], args: [] }, { Entrypoint: ['/bin/sh', '-c'] }],
    [{ command: [], args: ['echo', 'hi'] }, { Cmd: ['echo', 'hi'] }],
    [
      { command: ['sh'], args: ['-c', 'x'] },
      { Entrypoint: ['sh'], Cmd: ['-c', 'x'] },
    ],
  ])('command/args %j -> %j (command replaces ENTRYPOINT, args replace CMD)', (config, expected) => {
    const b = body(container(config));
    expect({ Entrypoint: b.Entrypoint, Cmd: b.Cmd }).toEqual({
      Entrypoint: undefined,
      Cmd: undefined,
      ...expected,
    });
  });

  it('maps working dir, envs (bytes or string), tty, stdin, labels, image and the sandbox cgroup parent', () => {
    const b = body(
      container({
        working_dir: '/w',
        envs: [
          { key: 'A', value: Buffer.from('x=y') },
          { key: 'B', value: Buffer.from('') },
          { key: 'C', value: 'plain' as unknown as Buffer },
        ],
        tty: true,
        stdin: true,
        stdin_once: true,
      }),
    );
    expect(b).toMatchObject({
      Image: 'sha256:img',
      WorkingDir: '/w',
      Env: ['A=x=y', 'B=', 'C=plain'],
      Tty: true,
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      Labels: { l: '1' },
      HostConfig: {
        CgroupParent: '/kubepods/pod1',
        LogConfig: { Type: 'json-file' },
        RestartPolicy: { Name: 'no' },
      },
    });
  });

  it.each([
    ['POD', { PidMode: 'container:sbx' }],
    ['CONTAINER', { PidMode: '' }],
    ['NODE', { PidMode: 'host' }],
    ['TARGET', { PidMode: 'container:other' }],
  ] as const)('pid namespace %s', (pid, expected) => {
    const b = body(
      container({
        linux: {
          resources: null,
          security_context: security({
            namespace_options: { network: 'POD', pid, ipc: 'POD', target_id: 'other', userns_options: null },
          }),
        },
      }),
    );
    expect(b.HostConfig).toMatchObject({
      ...expected,
      NetworkMode: 'container:sbx',
      IpcMode: 'container:sbx',
    });
  });

  it('a host-network, host-IPC pod puts its containers on the host network and IPC', () => {
    const b = body(container(), { network: 'NODE', pid: 'POD', ipc: 'NODE', targetId: '' });
    expect(b.HostConfig).toMatchObject({ NetworkMode: 'host', IpcMode: 'host', PidMode: 'container:sbx' });
  });

  it('TARGET without a target id is INVALID_ARGUMENT', () => {
    const sc = security({
      namespace_options: { network: 'POD', pid: 'TARGET', ipc: 'POD', target_id: '', userns_options: null },
    });
    expect(() => body(container({ linux: { resources: null, security_context: sc } }))).toThrow(
      'target_id is required',
    );
  });

  it.each([
    [{ run_as_user: { value: '1000' } }, '1000'],
    [{ run_as_user: { value: '1000' }, run_as_group: { value: '2000' } }, '1000:2000'],
    [{ run_as_username: 'nobody' }, 'nobody'],
    [{ run_as_username: 'nobody', run_as_group: { value: '7' } }, 'nobody:7'],
    [{ run_as_user: { value: '0' } }, '0'],
    [{}, undefined],
  ])('user %j -> %s', (sc, user) => {
    expect(body(container({ linux: { resources: null, security_context: security(sc) } })).User).toBe(user);
  });

  it('run_as_group without a user is INVALID_ARGUMENT', () => {
    expect(() =>
      body(
        container({
          linux: { resources: null, security_context: security({ run_as_group: { value: '1' } }) },
        }),
      ),
    ).toThrow('needs run_as_user');
  });

  it('maps capabilities (ALL too), groups, privileged, read-only rootfs, masked and read-only paths, no_new_privs', () => {
    const sc = security({
      capabilities: { add_capabilities: ['ALL'], drop_capabilities: ['CHOWN'], add_ambient_capabilities: [] },
      supplemental_groups: ['1234', '5678'],
      readonly_rootfs: true,
      masked_paths: ['/proc/kcore'],
      readonly_paths: ['/proc/sys'],
      no_new_privs: true,
    });
    const b = body(container({ linux: { resources: null, security_context: sc } }));
    expect(b.HostConfig).toMatchObject({
      CapAdd: ['ALL'],
      CapDrop: ['CHOWN'],
      GroupAdd: ['1234', '5678'],
      ReadonlyRootfs: true,
      MaskedPaths: ['/proc/kcore'],
      ReadonlyPaths: ['/proc/sys'],
      SecurityOpt: ['seccomp=unconfined', 'no-new-privileges'],
      Privileged: false,
    });
    expect(
      body(container({ linux: { resources: null, security_context: security({ privileged: true }) } }))
        .HostConfig,
    ).toMatchObject({ Privileged: true });
  });

  it('mounts are bind mounts with propagation and read-only; devices default to rwm', () => {
    const b = body(
      container({
        mounts: [
          mount({ readonly: true, propagation: 'PROPAGATION_HOST_TO_CONTAINER' }),
          mount({ host_path: '/a', container_path: '/b', propagation: 'PROPAGATION_BIDIRECTIONAL' }),
        ],
        devices: [{ host_path: '/dev/null', container_path: '/dev/x', permissions: '' }],
      }),
    );
    expect(b.HostConfig?.Mounts).toEqual([
      {
        Type: 'bind',
        Source: '/srv/data',
        Target: '/data',
        ReadOnly: true,
        BindOptions: { Propagation: 'rslave' },
      },
      { Type: 'bind', Source: '/a', Target: '/b', ReadOnly: false, BindOptions: { Propagation: 'rshared' } },
    ]);
    expect(b.HostConfig?.Devices).toEqual([
      { PathOnHost: '/dev/null', PathInContainer: '/dev/x', CgroupPermissions: 'rwm' },
    ]);
  });

  it('a stop signal other than the default is passed on under its Docker name', () => {
    expect(body(container({ stop_signal: 'SIGNAL_SIGINT' })).StopSignal).toBe('SIGINT');
    expect(body(container({ stop_signal: 'SIGNAL_RUNTIME_DEFAULT' })).StopSignal).toBeUndefined();
    expect(body(container()).StopSignal).toBeUndefined();
  });

  it.each([
    ['SIGNAL_SIGTERM', 'SIGTERM'],
    ['SIGNAL_SIGRTMIN', 'SIGRTMIN'],
    ['SIGNAL_SIGRTMINPLUS15', 'SIGRTMIN+15'],
    ['SIGNAL_SIGRTMAXMINUS1', 'SIGRTMAX-1'],
    ['SIGNAL_SIGRTMAX', 'SIGRTMAX'],
  ] as const)('signal %s is %s to Docker', (signal, name) => {
    expect(dockerSignal(signal)).toBe(name);
  });
});

describe('linuxMounts validation', () => {
  it.each([
    [mount({ host_path: 'relative/dir' }), 'host_path "relative/dir" must be an absolute path'],
    [mount({ host_path: '/srv/../etc' }), "must not contain '..'"],
    [mount({ container_path: 'data' }), 'container_path "data" must be an absolute path'],
    [mount({ host_path: '' }), 'host_path is required'],
    [mount({ recursive_read_only: true, readonly: true }), 'has not said which API it speaks'],
    [
      mount({ mount_options: ['noexec', 'nosuid'] }),
      'config.mounts[0].mount_options ["noexec","nosuid"]: wincri does not apply mount options',
    ],
  ])('refuses %#', (m, message) => {
    expect(() => linuxMounts([m])).toThrow(message);
  });

  it('notes an ignored SELinux relabel', () => {
    expect(linuxMounts([mount({ selinux_relabel: true })]).notes[0]).toContain('selinux_relabel ignored');
  });
});

describe('linuxMounts by the engine API version', () => {
  const api141 = { apiVersion: '1.41', recursiveReadOnlyMounts: false };
  const api156 = { apiVersion: '1.56', recursiveReadOnlyMounts: true };
  const ro = mount({ readonly: true });

  it('API 1.41: a read-only bind as it was (the engine keeps it non-recursive by itself)', () => {
    expect(linuxMounts([ro], api141).value[0]?.BindOptions).toEqual({ Propagation: 'rprivate' });
  });

  it('API 1.44+: a read-only bind says ReadOnlyNonRecursive (the engine would make it recursive); a writable one nothing', () => {
    expect(linuxMounts([ro], api156).value[0]).toMatchObject({
      ReadOnly: true,
      BindOptions: { Propagation: 'rprivate', ReadOnlyNonRecursive: true },
    });
    expect(linuxMounts([mount()], api156).value[0]?.BindOptions).toEqual({ Propagation: 'rprivate' });
  });

  it('recursive_read_only on an engine that can: ReadOnlyForceRecursive, read-only, rprivate', () => {
    const [spec] = linuxMounts([mount({ readonly: true, recursive_read_only: true })], api156).value;
    expect(spec).toMatchObject({
      ReadOnly: true,
      BindOptions: { Propagation: 'rprivate', ReadOnlyForceRecursive: true },
    });
    expect(spec?.BindOptions).not.toHaveProperty('ReadOnlyNonRecursive');
  });

  it.each([
    [mount({ recursive_read_only: true }), api156, 'needs readonly: true'],
    [
      mount({ readonly: true, recursive_read_only: true, propagation: 'PROPAGATION_HOST_TO_CONTAINER' }),
      api156,
      'needs PROPAGATION_PRIVATE, not PROPAGATION_HOST_TO_CONTAINER',
    ],
    [
      mount({ readonly: true, recursive_read_only: true, propagation: 'PROPAGATION_BIDIRECTIONAL' }),
      api156,
      'needs PROPAGATION_PRIVATE',
    ],
    [
      mount({ readonly: true, recursive_read_only: true }),
      api141,
      'speaks API 1.41, and recursively read-only binds need API 1.44 (Docker 25) or newer',
    ],
    [
      mount({ readonly: true, recursive_read_only: true }),
      { apiVersion: '1.47', recursiveReadOnlyMounts: false },
      'needs Linux 5.12 or newer',
    ],
  ])('refuses recursive_read_only where it cannot hold %#', (m, engine, message) => {
    expect(() => linuxMounts([m], engine)).toThrow(message);
  });

  it('the refusal on an old engine names its own API version, never a product version', () => {
    expect(() =>
      linuxMounts([mount({ readonly: true, recursive_read_only: true })], { apiVersion: '1.43' }),
    ).toThrow(/speaks API 1\.43[^]*Status reports recursive_read_only_mounts false/);
    expect(() => linuxMounts([mount({ readonly: true, recursive_read_only: true })], api141)).not.toThrow(
      /20\.10/,
    );
  });
});

describe('linuxMounts: image volumes (Mount.image)', () => {
  const volume = (over: Partial<Mount__Output> = {}): Mount__Output =>
    mount({ host_path: '', container_path: '/mnt/iv', readonly: true, image: imageSpec('busybox'), ...over });
  const kindOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (err) {
      return (err as CriError).kind;
    }
    return undefined;
  };

  it('API 1.48+: a read-only mount of type image, the sub path as ImageOptions.Subpath', () => {
    expect(linuxMounts([volume()], { apiVersion: '1.48' }).value).toEqual([
      { Type: 'image', Source: 'busybox', Target: '/mnt/iv', ReadOnly: true },
    ]);
    expect(linuxMounts([volume({ image_sub_path: 'etc/ssl' })], { apiVersion: '1.56' }).value[0]).toEqual({
      Type: 'image',
      Source: 'busybox',
      Target: '/mnt/iv',
      ReadOnly: true,
      ImageOptions: { Subpath: 'etc/ssl' },
    });
  });

  it('beside binds, each keeps its own kind', () => {
    const specs = linuxMounts([mount(), volume()], { apiVersion: '1.56' }).value;
    expect(specs.map((m) => m.Type)).toEqual(['bind', 'image']);
  });

  it.each([
    [{ apiVersion: '1.47' }, 'the Docker engine speaks API 1.47'],
    [{ apiVersion: '1.41' }, 'the Docker engine speaks API 1.41'],
    [{}, 'the Docker engine has not said which API it speaks'],
  ])('an engine without image mounts: UNIMPLEMENTED, saying what is missing %#', (engine, speaks) => {
    const ask = () => linuxMounts([volume()], engine);
    expect(kindOf(ask)).toBe('Unimplemented');
    expect(ask).toThrow(speaks);
    expect(ask).toThrow(
      'config.mounts[0].image: the image volume "busybox" needs mounts of type "image", which Docker offers from API 1.48',
    );
  });

  it.each([
    [volume({ readonly: false }), 'config.mounts[0].readonly must be true for the image volume "busybox"'],
    [volume({ host_path: '/srv' }), 'host_path "/srv" and image "busybox" are both set'],
    [volume({ propagation: 'PROPAGATION_HOST_TO_CONTAINER' }), 'propagation PROPAGATION_HOST_TO_CONTAINER'],
    [volume({ image_sub_path: '/etc' }), 'image_sub_path "/etc" must be relative'],
    [volume({ image_sub_path: 'a/../../etc' }), 'image_sub_path "a/../../etc" must not contain \'..\''],
    [volume({ container_path: 'rel' }), 'container_path "rel" must be an absolute path'],
    [volume({ uidMappings: [{ host_id: 1, container_id: 0, length: 1 }] }), 'ID-mapped mounts'],
    [volume({ mount_options: ['noexec'] }), 'mount_options ["noexec"]'],
    [
      mount({ image_sub_path: 'etc' }),
      'image_sub_path "etc" names a path inside config.mounts[0].image, which is not set',
    ],
  ])('INVALID_ARGUMENT for what no engine could do, checked before the engine %#', (m, message) => {
    // API 1.41: the CRI's rules are reported even where the engine could not mount images at all.
    expect(() => linuxMounts([m], { apiVersion: '1.41' })).toThrow(message);
    expect(kindOf(() => linuxMounts([m], { apiVersion: '1.41' }))).toBe('InvalidArgument');
  });
});

describe('linuxResources', () => {
  it('maps CPU, cpuset and memory (swap = memory unless given)', () => {
    expect(
      linuxResources(
        resources({
          cpu_shares: '512',
          cpu_quota: '50000',
          cpu_period: '100000',
          cpuset_cpus: '0',
          cpuset_mems: '0',
          memory_limit_in_bytes: '67108864',
        }),
      ).value,
    ).toEqual({
      CpuShares: 512,
      CpuQuota: 50000,
      CpuPeriod: 100000,
      CpusetCpus: '0',
      CpusetMems: '0',
      Memory: 67108864,
      MemorySwap: 67108864,
    });
    expect(
      linuxResources(resources({ memory_limit_in_bytes: '100', memory_swap_limit_in_bytes: '200' })).value,
    ).toMatchObject({ Memory: 100, MemorySwap: 200 });
  });

  it.each([
    ['-997', 0, 'clamped to 0'],
    ['500', 500, undefined],
  ])('oom_score_adj %s -> %s', (oom, value, note) => {
    const mapped = linuxResources(resources({ oom_score_adj: oom }));
    expect(mapped.value.OomScoreAdj).toBe(value);
    if (note) expect(mapped.notes.join()).toContain(note);
  });

  it('notes ignored hugepages and unified', () => {
    const { notes } = linuxResources(
      resources({ hugepage_limits: [{ page_size: '2MB', limit: '0' }], unified: { 'memory.high': '1' } }),
    );
    expect(notes.join('\n')).toMatch(/hugepage_limits ignored[\s\S]*unified ignored/);
  });

  it.each([
    [{ cpu_shares: '-1' }, 'cpu_shares -1 must not be negative'],
    [{ memory_limit_in_bytes: '-5' }, 'memory_limit_in_bytes -5 must not be negative'],
    [{ oom_score_adj: '1001' }, 'outside -1000..1000'],
    [{ cpu_quota: 'x' }, 'is not an integer'],
  ])('refuses %j', (over, message) => {
    expect(() => linuxResources(resources(over))).toThrow(message);
  });
});

describe('seccomp', () => {
  it.each([
    [null, '', false, ['seccomp=unconfined']],
    [null, 'unconfined', false, ['seccomp=unconfined']],
    [null, 'runtime/default', false, []],
    [null, 'docker/default', false, []],
    [{ profile_type: 'RuntimeDefault', localhost_ref: '' }, '', false, []],
    [{ profile_type: 'Unconfined', localhost_ref: '' }, '', false, ['seccomp=unconfined']],
    [{ profile_type: 'Localhost', localhost_ref: '/p.json' }, '', false, ['seccomp={"x":1}']],
    [null, 'localhost//p.json', false, ['seccomp={"x":1}']],
    [{ profile_type: 'Unconfined', localhost_ref: '' }, '', true, []],
  ] as const)('profile %j path %j privileged %s -> %j', (profile, path, privileged, expected) => {
    expect(seccompOptions(profile, path, privileged, '{"x":1}')).toEqual(expected);
  });

  it('names the file a localhost profile needs read', () => {
    expect(seccompProfileFile({ profile_type: 'Localhost', localhost_ref: '/etc/p.json' }, '')).toBe(
      '/etc/p.json',
    );
    expect(seccompProfileFile(null, 'localhost//etc/q.json')).toBe('/etc/q.json');
    expect(seccompProfileFile(null, 'unconfined')).toBeUndefined();
  });

  it.each([
    [{ profile_type: 'Localhost', localhost_ref: 'rel.json' } as const, ''],
    [null, 'bogus'],
  ])('refuses %j %j', (profile, path) => {
    expect(() => seccompProfileFile(profile, path)).toThrow();
  });
});

describe('sandboxCreateBody', () => {
  function pod(over: Partial<PodSandboxConfig__Output> = {}): PodSandboxConfig__Output {
    return {
      metadata: { name: 'p', namespace: 'n', uid: 'u', attempt: 0 },
      hostname: 'h',
      log_directory: '/logs',
      dns_config: { servers: ['10.10.10.10'], searches: ['google.com'], options: ['ndots:8'] },
      port_mappings: [
        { protocol: 'TCP', container_port: 80, host_port: 12000, host_ip: '127.0.0.1' },
        { protocol: 'UDP', container_port: 53, host_port: 0, host_ip: '' },
      ],
      labels: {},
      annotations: {},
      linux: {
        cgroup_parent: '/kubepods/p',
        sysctls: { 'kernel.shm_rmid_forced': '1' },
        overhead: null,
        resources: null,
        security_context: null,
      },
      windows: null,
      ...over,
    };
  }

  it('bridge network with hostname, DNS, ports, sysctls, cgroup parent and a shareable IPC', () => {
    const { value } = sandboxCreateBody({
      config: pod(),
      image: 'sha256:pause',
      labels: { k: 'v' },
      decision: decision('runc'),
    });
    expect(value).toMatchObject({
      Image: 'sha256:pause',
      Hostname: 'h',
      Labels: { k: 'v' },
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      HostConfig: {
        NetworkMode: 'bridge',
        IpcMode: 'shareable',
        PidMode: '',
        CgroupParent: '/kubepods/p',
        Runtime: 'runc',
        Dns: ['10.10.10.10'],
        DnsSearch: ['google.com'],
        DnsOptions: ['ndots:8'],
        Sysctls: { 'kernel.shm_rmid_forced': '1' },
        PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '12000' }] },
        SecurityOpt: ['seccomp=unconfined'],
      },
    });
  });

  it('CNI mode: no engine network and no published ports (the plugins do both); hostname and DNS stay', () => {
    const { value } = sandboxCreateBody({
      config: pod(),
      image: 'sha256:pause',
      labels: {},
      decision: decision('runc'),
      podNetwork: 'cni',
    });
    expect(value.HostConfig).toMatchObject({
      NetworkMode: 'none',
      Dns: ['10.10.10.10'],
      DnsOptions: ['ndots:8'],
    });
    expect(value.HostConfig?.PortBindings).toBeUndefined();
    expect(value.ExposedPorts).toBeUndefined();
    expect(value.Hostname).toBe('h');
    expect(linuxPlatform.cniTarget(4242)).toEqual({ kind: 'netns', pid: 4242 });
  });

  it('host namespaces: no hostname, DNS or ports on the host network', () => {
    const sc = {
      namespace_options: { network: 'NODE', pid: 'NODE', ipc: 'NODE', target_id: '', userns_options: null },
    } as const;
    const { value } = sandboxCreateBody({
      config: pod({
        linux: {
          cgroup_parent: '',
          sysctls: {},
          overhead: null,
          resources: null,
          security_context: { ...securityBase(), ...sc },
        },
      }),
      image: 'i',
      labels: {},
      decision: decision(),
    });
    expect(value.HostConfig).toMatchObject({ NetworkMode: 'host', IpcMode: 'host', PidMode: 'host' });
    expect(value.Hostname).toBeUndefined();
    expect(value.HostConfig?.PortBindings).toBeUndefined();
  });

  it.each([
    [{ protocol: 'TCP', container_port: 0, host_port: 0, host_ip: '' }, 'container_port 0'],
    [{ protocol: 'TCP', container_port: 80, host_port: 70000, host_ip: '' }, 'host_port 70000'],
  ] as const)('refuses port mapping %j', (pm, message) => {
    expect(() =>
      sandboxCreateBody({
        config: pod({ port_mappings: [pm] }),
        image: 'i',
        labels: {},
        decision: decision(),
      }),
    ).toThrow(message);
  });
});

function securityBase() {
  return {
    namespace_options: null,
    selinux_options: null,
    run_as_user: null,
    readonly_rootfs: false,
    supplemental_groups: [],
    privileged: false,
    seccomp_profile_path: '',
    run_as_group: null,
    seccomp: null,
    apparmor: null,
    supplemental_groups_policy: 'Merge' as const,
  };
}

describe('capabilities on a host that withholds some (no CAP_SYS_RESOURCE, as on the rig)', () => {
  const RIG_BOUND = 0x000001fffeffffffn;

  it.each([
    [0x1ffffffffffn, 40, undefined],
    [0x3fffffffffn, 37, undefined],
  ])('a full bounding set %s (last cap %d) needs nothing', (mask, last, expected) => {
    expect(grantableCapabilities(mask, last)).toBe(expected);
  });

  it('lists what the bounding set holds, up to the names Docker 20.10 knows', () => {
    const caps = grantableCapabilities(RIG_BOUND, 40) ?? [];
    expect(caps).toContain('CAP_SYS_ADMIN');
    expect(caps).not.toContain('CAP_SYS_RESOURCE');
    expect(caps).toHaveLength(37);
    expect(caps.at(-1)).toBe('CAP_AUDIT_READ');
  });

  const grantable = ['CAP_CHOWN', 'CAP_SYS_ADMIN'];
  it('privileged becomes the grantable capabilities, unconfined, nothing masked', () => {
    const sc = security({
      privileged: true,
      capabilities: { add_capabilities: [], drop_capabilities: ['NET_RAW'], add_ambient_capabilities: [] },
    });
    const { value, notes } = containerCreateBody(
      input(container({ linux: { resources: null, security_context: sc } })),
      { ...LINUX, grantableCapabilities: grantable },
    );
    expect(value.HostConfig).toMatchObject({
      Privileged: false,
      CapAdd: grantable,
      MaskedPaths: [],
      ReadonlyPaths: [],
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    });
    expect(value.HostConfig?.CapDrop).toBeUndefined();
    expect(notes.join()).toContain('privileged given as every capability this host can grant');
  });

  it('ALL is spelled out; other settings are left alone', () => {
    const sc = security({
      capabilities: {
        add_capabilities: ['ALL', 'NET_ADMIN'],
        drop_capabilities: [],
        add_ambient_capabilities: [],
      },
    });
    const { value } = containerCreateBody(
      input(container({ linux: { resources: null, security_context: sc } })),
      { ...LINUX, grantableCapabilities: grantable },
    );
    expect(value.HostConfig?.CapAdd).toEqual(['NET_ADMIN', ...grantable]);
    expect(value.HostConfig?.Privileged).toBe(false);
    const plain = containerCreateBody(input(container()), {
      ...LINUX,
      grantableCapabilities: grantable,
    }).value;
    expect(plain.HostConfig?.CapAdd).toBeUndefined();
  });
});
