import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { criClient } from '../support/cri-client.js';
import { crictl, startPortForward, type CommandResult } from '../support/crictl.js';
import { loadRig } from '../support/rig.js';
import { startWincri, type WincriProcess } from '../support/wincri-process.js';
import {
  type RecordedRequest,
  type WindowsEngineDouble,
  type WindowsEngineDoubleOptions,
  startWindowsEngineDouble,
} from '../support/windows-engine-double.js';
import { conflist, pluginRig, recordedCalls, writePlugin, type PluginRig } from '../support/cni-plugins.js';

/**
 * wincri against a Windows-shaped engine, end to end: the Windows engine double
 * (test/support/windows-engine-double.ts) on a unix socket, the built wincri talking to it, and
 * crictl driving wincri. What is asserted is what a Windows dockerd would receive: the exact
 * `POST /containers/create` bodies (isolation, CPU, memory, storage, gMSA, user, network mode,
 * DNS, mounts) and that no Linux-only field reaches the engine. Each "node" is one double and one
 * wincri; the isolation decision is taken against the sandbox (pause) image, so nodes differ by
 * Windows build and by the pause image they are configured with (docs/windows.md).
 */

const CRICTL = existsSync('/run/wincri-rig/rig.json') ? loadRig().crictl : '/var/cache/wincri-rig/bin/crictl';

const PAUSE_2025 = 'registry.k8s.io/pause:3.10.2'; // has a 26100 variant
const PAUSE_OLD = 'mcr.microsoft.com/oss/kubernetes/pause:3.10'; // 17763 and 20348 only
const SERVERCORE_2019 = 'mcr.microsoft.com/windows/servercore:ltsc2019';
const SERVERCORE_2022 = 'mcr.microsoft.com/windows/servercore:ltsc2022';
const SERVERCORE_2025 = 'mcr.microsoft.com/windows/servercore:ltsc2025';
const NANOSERVER_2022 = 'mcr.microsoft.com/windows/nanoserver:ltsc2022';

const GMSA_SPEC = {
  CmsPlugins: ['ActiveDirectory'],
  DomainJoinConfig: {
    Sid: 'S-1-5-21-3700119848-2853083131-2094573802',
    MachineAccountName: 'WebApp01',
    Guid: '8665abd4-e947-4dd0-9a51-f8254943c90b',
    DnsTreeName: 'contoso.com',
    DnsName: 'contoso.com',
    NetBiosName: 'CONTOSO',
  },
  ActiveDirectoryConfig: {
    GroupManagedServiceAccounts: [
      { Name: 'WebApp01', Scope: 'contoso.com' },
      { Name: 'WebApp01', Scope: 'CONTOSO' },
    ],
  },
};
const GMSA_RAW = `credentialspec=raw://${JSON.stringify(GMSA_SPEC)}`;

/** What the kubelet sends in PodSandboxConfig.linux on a Windows node too; none of it may reach the engine. */
const KUBELET_LINUX_POD_PART = {
  cgroup_parent: '/kubepods/besteffort/pod1234',
  sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' },
  security_context: {
    // crictl reads proto enums as numbers: POD = 0, CONTAINER = 1; RuntimeDefault = 0.
    namespace_options: { network: 0, pid: 1, ipc: 0 },
    seccomp: { profile_type: 0 },
    run_as_user: { value: 1000 },
    supplemental_groups: [2000],
  },
};
const LINUX_CONTAINER_PART = {
  resources: {
    cpu_period: 100000,
    cpu_quota: 50000,
    cpu_shares: 512,
    memory_limit_in_bytes: 1 << 26,
    oom_score_adj: 1000,
  },
  security_context: {
    capabilities: { add_capabilities: ['NET_ADMIN'], drop_capabilities: ['ALL'] },
    masked_paths: ['/proc/kcore'],
    readonly_paths: ['/proc/sys'],
    seccomp: { profile_type: 0 },
    no_new_privs: true,
    run_as_user: { value: 1000 },
  },
};

/**
 * HostConfig fields a Windows engine refuses, ignores or misreads (moby daemon_windows.go and the
 * Linux-only HostConfig fields), written out here rather than imported from src/platform, so that a
 * gap in wincri's own list would not hide here too.
 */
const LINUX_ONLY_HOST_CONFIG = (
  'CapAdd CapDrop Capabilities Sysctls PidMode IpcMode UTSMode UsernsMode CgroupnsMode Cgroup ' +
  'CgroupParent MaskedPaths ReadonlyPaths Privileged ReadonlyRootfs Tmpfs ShmSize OomScoreAdj ' +
  'OomKillDisable CpusetCpus CpusetMems CpuPeriod CpuQuota CpuRealtimePeriod CpuRealtimeRuntime ' +
  'MemorySwap MemoryReservation MemorySwappiness KernelMemory PidsLimit Ulimits BlkioWeight ' +
  'BlkioWeightDevice Runtime GroupAdd DeviceCgroupRules'
).split(' ');

/** An isolation Windows takes and nothing Linux-only. */
function expectWindowsBody(body: Record<string, unknown>): void {
  expect(['process', 'hyperv']).toContain((body['HostConfig'] as Record<string, unknown>)['Isolation']);
  expectNothingLinux(body);
}

function expectNothingLinux(body: Record<string, unknown>): void {
  const hc = (body['HostConfig'] ?? {}) as Record<string, unknown>;
  expect(LINUX_ONLY_HOST_CONFIG.filter((k) => k in hc)).toEqual([]);
  for (const opt of (hc['SecurityOpt'] as string[] | undefined) ?? [])
    expect(opt).toMatch(/^credentialspec=/);
  for (const m of (hc['Mounts'] as Record<string, unknown>[] | undefined) ?? []) {
    expect(m['Type']).not.toBe('tmpfs');
    expect(m).not.toHaveProperty('BindOptions');
  }
  expect(JSON.stringify(body)).not.toMatch(/seccomp|apparmor|no-new-privileges|NET_ADMIN|\/proc\//i);
}

interface Node {
  double: WindowsEngineDouble;
  wincri: WincriProcess;
  dir: string;
  run(...args: string[]): Promise<CommandResult>;
  /** Writes `value` as JSON into the node's directory and returns the path. */
  file(name: string, value: object): Promise<string>;
  /** The `POST /containers/create` requests recorded so far. */
  creates(): RecordedRequest[];
  /** Stops wincri and starts it again on the same engine and root directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

type NodeOptions = WindowsEngineDoubleOptions & {
  sandboxImage: string;
  /** Whether HCS starts Hyper-V containers, and (unless `findHyperV`) what the config declares. */
  hyperV: boolean;
  /** Leave `hyperVAvailable` out of the config: wincri finds it. */
  findHyperV?: boolean;
  load?: string[];
  /** More keys of wincri's config file (CNI mode). */
  wincriConfig?: Record<string, unknown>;
};

async function startNode(options: NodeOptions): Promise<Node> {
  const dir = await mkdtemp(join(tmpdir(), 'wincri-windows-e2e-'));
  const double = await startWindowsEngineDouble({ ...options, hyperVAvailable: options.hyperV });
  for (const ref of options.load ?? []) double.load(ref);
  const config = join(dir, 'wincri.json');
  await writeFile(
    config,
    JSON.stringify({
      ...(options.findHyperV ? {} : { hyperVAvailable: options.hyperV }),
      sandboxImage: options.sandboxImage,
      statsIntervalMs: 1000,
      ...options.wincriConfig,
    }),
  );
  const wincriDir = join(dir, 'wincri');
  await mkdir(wincriDir);
  const launch = async () => {
    // wincri makes missing bind sources ("C:\data") relative to its working directory when it runs
    // on Linux; start it in the node's directory so that nothing lands in the repository.
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      return await startWincri({
        dockerHost: `unix://${double.socketPath}`,
        extra: ['--config', config],
        dir: wincriDir,
      });
    } finally {
      process.chdir(cwd);
    }
  };
  let n = 0;
  const node: Node = {
    double,
    wincri: await launch(),
    dir,
    run: (...args) => crictl(CRICTL, node.wincri.endpoint, args),
    async file(name, value) {
      const path = join(dir, `${name}-${n++}.json`);
      await writeFile(path, JSON.stringify(value));
      return path;
    },
    creates: () => double.requestsTo('POST', '/containers/create'),
    async restart() {
      await node.wincri.stop();
      node.wincri = await launch();
    },
    async stop() {
      await node.wincri.stop();
      await double.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return node;
}

/** Starts a node before the enclosing describe block's tests (handing it to `set`) and stops it after. */
function useNode(options: NodeOptions, set: (node: Node) => void): void {
  let node: Node | undefined;
  beforeAll(async () => {
    node = await startNode(options);
    set(node);
  });
  afterAll(async () => {
    // Whatever the tests did, no create body the engine received may carry anything Linux-only.
    for (const req of node?.creates() ?? []) expectWindowsBody(req.body as Record<string, unknown>);
    await node?.stop();
  });
}

function podConfig(node: Node, name: string, extra: object = {}): object {
  return {
    metadata: { name, namespace: 'wdouble', uid: `${name}-uid`, attempt: 0 },
    log_directory: join(node.dir, 'logs', name),
    linux: KUBELET_LINUX_POD_PART,
    ...extra,
  };
}

function containerConfig(name: string, image: string, extra: object = {}): object {
  return {
    metadata: { name, attempt: 0 },
    image: { image },
    command: ['cmd.exe', '/c', 'ping -t localhost'],
    log_path: `${name}/0.log`,
    ...extra,
  };
}

/** A pod as crictl knows it: its id and the config file `create` needs again. */
interface Pod {
  id: string;
  config: string;
}

async function runPod(node: Node, handler: string, config: object): Promise<Pod> {
  const path = await node.file('pod', config);
  const out = await node.run('runp', '--runtime', handler, path);
  expect(out.code, out.stderr).toBe(0);
  return { id: out.stdout.trim(), config: path };
}

async function createContainer(node: Node, pod: Pod, config: object): Promise<CommandResult> {
  return node.run('create', pod.id, await node.file('ctr', config), pod.config);
}

async function createAndStart(node: Node, pod: Pod, config: object): Promise<string> {
  const created = await createContainer(node, pod, config);
  expect(created.code, created.stderr).toBe(0);
  const id = created.stdout.trim();
  const started = await node.run('start', id);
  expect(started.code, started.stderr).toBe(0);
  return id;
}

const bodyOf = (node: Node, id: string) => node.double.createBody(id);
const hostConfigOf = (node: Node, id: string) => bodyOf(node, id)['HostConfig'] as Record<string, unknown>;

/** crictl prints "rpc error: code = X desc = ..." for a failed call, quotes escaped; returns it unescaped. */
function expectRpcError(out: CommandResult, code: string): string {
  expect(out.code, out.stdout).not.toBe(0);
  expect(out.stderr).toContain(`code = ${code}`);
  return out.stderr.replaceAll('\\"', '"');
}

/** A runp that must fail with `code` before the engine is asked to create anything; returns the message. */
async function refusedRunp(node: Node, handler: string, config: object, code: string): Promise<string> {
  const before = node.creates().length;
  const out = await node.run('runp', '--runtime', handler, await node.file('pod', config));
  const err = expectRpcError(out, code);
  expect(node.creates().length).toBe(before);
  return err;
}

/** A create that must fail with `code` before the engine is asked to create anything; returns the message. */
async function refusedCreate(node: Node, pod: Pod, config: object, code: string): Promise<string> {
  const before = node.creates().length;
  const err = expectRpcError(await createContainer(node, pod, config), code);
  expect(node.creates().length).toBe(before);
  return err;
}

async function inspectpInfo(node: Node, id: string): Promise<Record<string, unknown>> {
  const out = await node.run('inspectp', id);
  expect(out.code, out.stderr).toBe(0);
  return (JSON.parse(out.stdout) as { info: Record<string, unknown> }).info;
}

const ENGINE_DEFAULTS = { RestartPolicy: { Name: 'no' }, LogConfig: { Type: 'json-file' } };

// ---- Windows Server 2025, pause with a 26100 variant, Hyper-V installed ------------------------

describe('Windows Server 2025 (26100), pause 3.10.2, Hyper-V available', () => {
  let node: Node;
  useNode(
    {
      profile: 'ws2025',
      ncpu: 4,
      sandboxImage: PAUSE_2025,
      hyperV: true,
      images: [SERVERCORE_2025, SERVERCORE_2022, SERVERCORE_2019, NANOSERVER_2022],
      ipPrefix: '127.77',
    },
    (n) => (node = n),
  );

  it('info: a ready Windows engine of build 26100 and every Windows handler', async () => {
    const out = await node.run('info');
    expect(out.code, out.stderr).toBe(0);
    const info = JSON.parse(out.stdout) as {
      status: { conditions: { type: string; status: boolean }[] };
      runtimeHandlers: { name?: string }[];
      engine: Record<string, unknown>;
      config: Record<string, unknown>;
    };
    expect(info.status.conditions).toEqual([
      expect.objectContaining({ type: 'RuntimeReady', status: true }),
      expect.objectContaining({ type: 'NetworkReady', status: true }),
    ]);
    expect(info.engine).toMatchObject({
      osType: 'windows',
      osVersion: '10.0.26100',
      storageDriver: 'windowsfilter',
      defaultIsolation: 'process',
      ncpu: 4,
      ready: true,
    });
    expect(info.runtimeHandlers.map((h) => h.name ?? '')).toEqual([
      '',
      ...'process hyperv auto runhcs-wcow-process runhcs-wcow-hypervisor'.split(' '),
    ]);
    expect(info.config).toMatchObject({ sandboxImage: PAUSE_2025 });
  });

  it('runtime-config: no Linux part (no cgroup driver) for a Windows engine', async () => {
    const out = await node.run('runtime-config');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).not.toMatch(/linux|cgroup/i);
    // crictl prints nothing for an empty answer; the RPC itself says there is no linux part.
    const client = criClient(node.wincri.endpoint);
    try {
      expect(await client.call('runtime', 'RuntimeConfig', {})).toEqual({ linux: null });
    } finally {
      client.close();
    }
  });

  describe('a process-isolated pod with gMSA, DNS, resources and mounts', () => {
    let pod: Pod;
    let app = '';
    let counted = '';

    beforeAll(async () => {
      pod = await runPod(
        node,
        'process',
        podConfig(node, 'web', {
          hostname: 'web-0',
          dns_config: {
            servers: ['10.96.0.10'],
            searches: ['wdouble.svc.cluster.local', 'svc.cluster.local'],
            options: ['ndots:5'],
          },
          port_mappings: [{ protocol: 0, container_port: 80, host_port: 8080 }],
          windows: {
            security_context: {
              run_as_username: 'ContainerUser',
              credential_spec: JSON.stringify(GMSA_SPEC),
            },
          },
        }),
      );
      app = await createAndStart(
        node,
        pod,
        containerConfig('app', SERVERCORE_2025, {
          envs: [{ key: 'GREETING', value: 'hello' }],
          working_dir: 'C:\\app',
          mounts: [
            { container_path: 'C:\\data', host_path: 'C:\\data', readonly: true },
            { container_path: '/logs', host_path: 'D:\\logs\\web' },
            { container_path: '\\\\.\\pipe\\docker_engine', host_path: '\\\\.\\pipe\\docker_engine' },
            // The kubelet's single-file mounts, which Docker cannot bind on Windows.
            {
              container_path: '/dev/termination-log',
              host_path: 'C:\\var\\lib\\kubelet\\pods\\web-uid\\containers\\app\\0a1b',
            },
            {
              container_path: 'C:\\Windows\\System32\\drivers\\etc\\hosts',
              host_path: 'C:\\var\\lib\\kubelet\\pods\\web-uid\\etc-hosts',
            },
          ],
          linux: LINUX_CONTAINER_PART,
          windows: {
            resources: {
              cpu_maximum: 2500,
              memory_limit_in_bytes: 268435456,
              rootfs_size_in_bytes: 21474836480,
            },
            security_context: {
              run_as_username: 'ContainerAdministrator',
              credential_spec: JSON.stringify(GMSA_SPEC),
            },
          },
        }),
      );
      counted = await createAndStart(
        node,
        pod,
        containerConfig('counted', NANOSERVER_2022, {
          windows: { resources: { cpu_count: 2, cpu_maximum: 5000, memory_limit_in_bytes: 134217728 } },
        }),
      );
    });

    it('the sandbox holds the pod network, hostname, DNS, ports and gMSA, process-isolated', () => {
      const body = bodyOf(node, pod.id);
      expect(body['Hostname']).toBe('web-0');
      expect(body['User']).toBe('ContainerUser');
      expect(body['Image']).toMatch(/^sha256:/);
      expect(body['HostConfig']).toEqual({
        Isolation: 'process',
        NetworkMode: 'nat',
        Dns: ['10.96.0.10'],
        DnsSearch: ['wdouble.svc.cluster.local', 'svc.cluster.local'],
        DnsOptions: ['ndots:5'],
        SecurityOpt: [GMSA_RAW],
        PortBindings: { '80/tcp': [{ HostPort: '8080' }] },
        ...ENGINE_DEFAULTS,
      });
      expect(body['ExposedPorts']).toEqual({ '80/tcp': {} });
      expectNothingLinux(body);
    });

    it("an app container joins the sandbox's network compartment with cpu_maximum, memory, rootfs size and mounts", () => {
      const body = bodyOf(node, app);
      expect(body['HostConfig']).toEqual({
        Isolation: 'process',
        // cpu_maximum 2500 of 10000 on 4 CPUs = one CPU: 2500 x 4 x 1e5.
        NanoCpus: 1_000_000_000,
        Memory: 268435456,
        NetworkMode: `container:${pod.id}`,
        StorageOpt: { size: '21474836480' },
        Mounts: [
          { Type: 'bind', Source: 'C:\\data', Target: 'C:\\data', ReadOnly: true },
          { Type: 'bind', Source: 'D:\\logs\\web', Target: 'C:\\logs' },
          { Type: 'npipe', Source: '\\\\.\\pipe\\docker_engine', Target: '\\\\.\\pipe\\docker_engine' },
        ],
        SecurityOpt: [GMSA_RAW],
        ...ENGINE_DEFAULTS,
      });
      expect(body['User']).toBe('ContainerAdministrator');
      expect(body['Env']).toEqual(['GREETING=hello']);
      expect(body['WorkingDir']).toBe('C:\\app');
      // CRI command is the entrypoint, args the Cmd.
      expect(body['Entrypoint']).toEqual(['cmd.exe', '/c', 'ping -t localhost']);
      // Docker refuses a hostname or DNS next to container:<id>; they live on the sandbox.
      expect(body).not.toHaveProperty('Hostname');
      expectNothingLinux(body);
    });

    it('cpu_count wins over cpu_maximum: exactly one CPU control is sent', () => {
      const hc = hostConfigOf(node, counted);
      expect(hc).toEqual({
        Isolation: 'process',
        CpuCount: 2,
        Memory: 134217728,
        NetworkMode: `container:${pod.id}`,
        ...ENGINE_DEFAULTS,
      });
      expect(bodyOf(node, counted)).not.toHaveProperty('User');
      expectNothingLinux(bodyOf(node, counted));
    });

    it('inspectp shows the isolation decision and the pod IP from the nat network', async () => {
      const info = await inspectpInfo(node, pod.id);
      expect(info['isolation']).toEqual({
        handler: 'process',
        resolvedHandler: 'process',
        isolation: 'process',
        hostBuild: 26100,
        imageBuild: 26100,
        reason:
          'handler "process": process isolation as asked; image build 26100 runs process-isolated on host build 26100',
      });
      const status = JSON.parse((await node.run('inspectp', pod.id)).stdout) as {
        status: { state: string; runtimeHandler: string; network: { ip: string } };
      };
      expect(status.status.state).toBe('SANDBOX_READY');
      expect(status.status.runtimeHandler).toBe('process');
      expect(status.status.network.ip).toMatch(/^127\.77\./);
    });

    it('ps and inspect report the containers running', async () => {
      const ps = await node.run('ps', '-o', 'json', '--pod', pod.id);
      expect(ps.code, ps.stderr).toBe(0);
      const listed = (JSON.parse(ps.stdout) as { containers: { id: string; state: string }[] }).containers;
      expect(listed.map((c) => c.id).sort()).toEqual([app, counted].sort());
      expect(listed.every((c) => c.state === 'CONTAINER_RUNNING')).toBe(true);
      const inspect = await node.run('inspect', app);
      expect(inspect.code, inspect.stderr).toBe(0);
      expect(JSON.parse(inspect.stdout)).toMatchObject({ status: { state: 'CONTAINER_RUNNING' } });
    });

    it('stats: Windows stats JSON (privateworkingset, 100 ns CPU units) comes out as CRI stats', async () => {
      let stats:
        | {
            cpu: { usageCoreNanoSeconds?: { value: string }; usageNanoCores?: { value: string } };
            memory: { workingSetBytes?: { value: string } };
            writableLayer?: unknown;
          }
        | undefined;
      for (let i = 0; i < 20; i++) {
        const out = await node.run('stats', '-o', 'json', '--id', app);
        expect(out.code, out.stderr).toBe(0);
        const parsed = JSON.parse(out.stdout) as { stats: (typeof stats & { attributes: { id: string } })[] };
        stats = parsed.stats.find((s) => s?.attributes.id === app);
        if (stats?.cpu.usageNanoCores !== undefined) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(stats).toBeDefined();
      // The double's fixture: privateworkingset 61435904; total_usage 156250000 x 100 ns per sample.
      expect(Number(stats?.memory.workingSetBytes?.value)).toBe(61435904);
      expect(Number(stats?.cpu.usageCoreNanoSeconds?.value) % 15_625_000_000).toBe(0);
      expect(Number(stats?.cpu.usageCoreNanoSeconds?.value)).toBeGreaterThan(0);
      expect(stats?.cpu.usageNanoCores).toBeDefined();
      expect(node.double.requestsTo('GET', `/containers/${app}/stats`).length).toBeGreaterThan(0);
    });

    it('statsp reports the pod under its windows part, not linux', async () => {
      const out = await node.run('statsp', '-o', 'json', '--id', pod.id);
      expect(out.code, out.stderr).toBe(0);
      const [podStats] = (JSON.parse(out.stdout) as { stats: Record<string, unknown>[] }).stats;
      expect(podStats).not.toHaveProperty('linux');
      expect(podStats?.['windows']).toMatchObject({
        cpu: { usageCoreNanoSeconds: { value: expect.any(String) } },
        memory: { workingSetBytes: { value: expect.any(String) } },
      });
    });

    it('logs: what a Windows process prints (CRLF line ends) reaches the CRI log file and crictl logs', async () => {
      node.double.output(app, 'listening on :80\r\nready\r\n');
      node.double.output(app, 'warning: no config\r\n', 'stderr');
      const file = join(node.dir, 'logs', 'web', 'app', '0.log');
      await expect
        .poll(() => (existsSync(file) ? readFileSync(file, 'utf8') : ''), { timeout: 5000 })
        .toMatch(/warning/);
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      expect(lines).toEqual([
        expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F listening on :80\r$/),
        expect.stringMatching(/ stdout F ready\r$/),
        expect.stringMatching(/ stderr F warning: no config\r$/),
      ]);
      const out = await node.run('logs', app);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toBe('listening on :80\r\nready\r\n');
      expect(out.stderr).toBe('warning: no config\r\n');
    });

    it("port-forward dials the pod's IP on the nat network, as wincri does on Windows", async () => {
      const status = JSON.parse((await node.run('inspectp', pod.id)).stdout) as {
        status: { network: { ip: string } };
      };
      const podIp = status.status.network.ip; // 127.77.x.y: the double hands out loopback "nat" addresses
      const service = createServer((socket) => socket.end('inside-the-windows-pod\n'));
      await new Promise<void>((resolve) => service.listen(18090, podIp, resolve));
      const forward = await startPortForward(CRICTL, node.wincri.endpoint, pod.id, {
        local: 0,
        remote: 18090,
      });
      try {
        const localPort = forward.localPort;
        const answer = await new Promise<string>((resolve, reject) => {
          let text = '';
          const socket = connect(localPort, '127.0.0.1');
          socket.on('data', (c: Buffer) => (text += c.toString()));
          socket.on('end', () => resolve(text));
          socket.on('error', reject);
        });
        expect(answer).toBe('inside-the-windows-pod\n');
      } finally {
        forward.stop();
        await new Promise<void>((resolve) => service.close(() => resolve()));
      }
    });

    it('UpdateContainerResources: Docker on Windows cannot change a container, so a change is FAILED_PRECONDITION and the engine is not asked', async () => {
      const client = criClient(node.wincri.endpoint);
      try {
        const err = (await client
          .call('runtime', 'UpdateContainerResources', {
            container_id: app,
            windows: { cpu_maximum: 1000, memory_limit_in_bytes: 268435456 },
          })
          .catch((e: unknown) => e)) as { code: number; details: string };
        expect(err.code).toBe(9);
        expect(err.details).toContain(
          'Docker on Windows cannot change the resources of an existing container',
        );
        // Nothing asked: a request that changes nothing succeeds.
        await client.call('runtime', 'UpdateContainerResources', { container_id: app });
        expect(node.double.requestsTo('POST', `/containers/${app}/update`)).toHaveLength(0);
      } finally {
        client.close();
      }
    });

    it('exec -s runs a Windows command in the container and reports its output and exit code', async () => {
      node.double.execHandler = (r) =>
        r.cmd.at(-1) === 'exit 3'
          ? { stderr: 'boom\r\n', exitCode: 3 }
          : { stdout: 'Microsoft Windows [Version 10.0.26100.2033]\r\n' };
      const ok = await node.run('exec', '-s', app, 'cmd', '/c', 'ver');
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('Microsoft Windows [Version 10.0.26100.2033]');
      const failed = await node.run('exec', '-s', app, 'cmd', '/c', 'exit 3');
      expect(failed.code).not.toBe(0);
      expect(failed.stderr).toContain('exited with 3');
      const execs = node.double.requestsTo('POST', `/containers/${app}/exec`);
      expect(execs.map((r) => r.body)).toEqual([
        expect.objectContaining({ Cmd: ['cmd', '/c', 'ver'], Tty: false }),
        expect.objectContaining({ Cmd: ['cmd', '/c', 'exit 3'], Tty: false }),
      ]);
    });

    it('exec -s past its timeout: wincri ends the process tree with taskkill in the container', async () => {
      node.double.execHandler = (r) => (r.cmd.includes('ping -t localhost') ? { runsUntilKilled: true } : {});
      const out = await node.run('exec', '-s', '--timeout', '1', app, 'cmd', '/c', 'ping -t localhost');
      expect(out.code).not.toBe(0);
      expect(out.stderr).toContain('code = DeadlineExceeded');
      expect(out.stderr).toContain('its process was killed');
      const started = node.double
        .requestsTo('POST', `/containers/${app}/exec`)
        .map((r) => r.body as { Cmd: string[] });
      const hung = started.findIndex((b) => b.Cmd.includes('ping -t localhost'));
      const kill = started.slice(hung + 1).find((b) => b.Cmd[0] === 'taskkill');
      expect(kill?.Cmd).toEqual(['taskkill', '/F', '/T', '/PID', expect.stringMatching(/^\d+$/)]);
    });

    it('a container that exits by itself is reported EXITED with its exit code', async () => {
      node.double.exit(app, 3);
      await expect
        .poll(
          async () => JSON.parse((await node.run('inspect', app)).stdout) as { status: { state: string } },
          {
            timeout: 5000,
          },
        )
        .toMatchObject({ status: { state: 'CONTAINER_EXITED', exitCode: 3 } });
    });

    it('stop, rm, stopp and rmp take the pod down on the engine', async () => {
      expect((await node.run('stop', counted)).code).toBe(0);
      expect((await node.run('rm', counted)).code).toBe(0);
      expect((await node.run('stopp', pod.id)).code).toBe(0);
      expect((await node.run('rmp', pod.id)).code).toBe(0);
      for (const id of [pod.id, app, counted]) {
        expect(node.double.requestsTo('DELETE', `/containers/${id}`).length).toBeGreaterThan(0);
      }
      const pods = await node.run('pods', '-q');
      expect(pods.stdout).not.toContain(pod.id);
    });
  });

  describe('a Hyper-V pod', () => {
    let pod: Pod;
    let app = '';

    beforeAll(async () => {
      pod = await runPod(
        node,
        'hyperv',
        podConfig(node, 'legacy', {
          hostname: 'legacy-0',
          dns_config: { servers: ['10.96.0.10'], searches: ['wdouble.svc.cluster.local'], options: [] },
          windows: { security_context: { run_as_username: '', credential_spec: JSON.stringify(GMSA_SPEC) } },
        }),
      );
    });

    it('the sandbox is a Hyper-V placeholder with no network', () => {
      const body = bodyOf(node, pod.id);
      expect(body['HostConfig']).toEqual({
        Isolation: 'hyperv',
        NetworkMode: 'none',
        SecurityOpt: [GMSA_RAW],
        ...ENGINE_DEFAULTS,
      });
      expect(body).not.toHaveProperty('Hostname');
      expect(body).not.toHaveProperty('User');
      expectNothingLinux(body);
    });

    it('its one app container (an older 17763 image) takes the pod network, hostname and DNS, Hyper-V isolated', async () => {
      app = await createAndStart(
        node,
        pod,
        containerConfig('app', SERVERCORE_2019, {
          windows: { resources: { cpu_maximum: 5000, memory_limit_in_bytes: 1073741824 } },
        }),
      );
      const body = bodyOf(node, app);
      expect(body['Hostname']).toBe('legacy-0');
      expect(body['HostConfig']).toEqual({
        Isolation: 'hyperv',
        NanoCpus: 2_000_000_000,
        Memory: 1073741824,
        NetworkMode: 'nat',
        Dns: ['10.96.0.10'],
        DnsSearch: ['wdouble.svc.cluster.local'],
        ...ENGINE_DEFAULTS,
      });
      expectNothingLinux(body);
    });

    it('a second live container is refused with FAILED_PRECONDITION, and the engine is not asked', async () => {
      const sidecar = containerConfig('sidecar', SERVERCORE_2025);
      const err = await refusedCreate(node, pod, sidecar, 'FailedPrecondition');
      expect(err).toContain('Hyper-V');
      expect(err).toContain('"sidecar" cannot be created while "app"');
    });

    it('once the first container has exited, the next one may be made (init containers, restarts)', async () => {
      expect((await node.run('stop', app)).code).toBe(0);
      const next = await createAndStart(node, pod, containerConfig('app2', SERVERCORE_2025));
      expect(hostConfigOf(node, next)['Isolation']).toBe('hyperv');
    });

    it('inspectp shows the Hyper-V decision', async () => {
      const info = await inspectpInfo(node, pod.id);
      expect(info['isolation']).toMatchObject({
        handler: 'hyperv',
        isolation: 'hyperv',
        hostBuild: 26100,
        imageBuild: 26100,
      });
      expect(String((info['isolation'] as { reason: string }).reason)).toContain(
        'Hyper-V isolation as asked',
      );
    });

    it('after a wincri restart the decision comes back from the labels, and the pod still holds one live container', async () => {
      const before = await inspectpInfo(node, pod.id);
      await node.restart();
      expect((await inspectpInfo(node, pod.id))['isolation']).toEqual(before['isolation']);
      const err = await refusedCreate(
        node,
        pod,
        containerConfig('late', SERVERCORE_2025),
        'FailedPrecondition',
      );
      expect(err).toContain('"late" cannot be created while "app2"');
    });

    it("a Hyper-V pod's port mappings are published by its app container, not by the network-less sandbox", async () => {
      const portsPod = await runPod(
        node,
        'hyperv',
        podConfig(node, 'hvports', {
          port_mappings: [{ container_port: 80, host_port: 18080 }],
        }),
      );
      expect(bodyOf(node, portsPod.id)['HostConfig']).not.toHaveProperty('PortBindings');
      const web = await createAndStart(node, portsPod, containerConfig('web', SERVERCORE_2025));
      const body = bodyOf(node, web);
      expect(body['ExposedPorts']).toEqual({ '80/tcp': {} });
      expect((body['HostConfig'] as Record<string, unknown>)['PortBindings']).toEqual({
        '80/tcp': [{ HostPort: '18080' }],
      });
    });
  });

  it('a start HCS refuses leaves the container EXITED (StartError), so the next attempt in a Hyper-V pod may be made', async () => {
    const pod = await runPod(node, 'hyperv', podConfig(node, 'failstart'));
    node.double.hyperVAvailable = false; // the Hyper-V role went missing after the pod was made
    let first = '';
    try {
      const created = await createContainer(node, pod, containerConfig('app', SERVERCORE_2025));
      expect(created.code, created.stderr).toBe(0);
      first = created.stdout.trim();
      expect((await node.run('start', first)).code).not.toBe(0);
    } finally {
      node.double.hyperVAvailable = true;
    }
    const status = JSON.parse((await node.run('inspect', first)).stdout) as {
      status: Record<string, unknown>;
    };
    expect(status.status).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 128, reason: 'StartError' });
    expect(status.status['message']).toContain('hcs::CreateComputeSystem');
    const retry = containerConfig('app', SERVERCORE_2025, { metadata: { name: 'app', attempt: 1 } });
    expect(hostConfigOf(node, await createAndStart(node, pod, retry))['Isolation']).toBe('hyperv');
  });

  it('auto with an image of the host build picks process isolation', async () => {
    const pod = await runPod(node, 'auto', podConfig(node, 'auto-same'));
    expect(hostConfigOf(node, pod.id)['Isolation']).toBe('process');
    const info = await inspectpInfo(node, pod.id);
    expect(info['isolation']).toMatchObject({ handler: 'auto', isolation: 'process', imageBuild: 26100 });
    expect((info['isolation'] as { reason: string }).reason).toContain('auto chose process isolation');
    const ctr = await createAndStart(node, pod, containerConfig('app', SERVERCORE_2022));
    expect(hostConfigOf(node, ctr)).toMatchObject({
      Isolation: 'process',
      NetworkMode: `container:${pod.id}`,
    });
  });

  it('the containerd handler names work unchanged', async () => {
    const p = await runPod(node, 'runhcs-wcow-process', podConfig(node, 'ctrd-process'));
    const h = await runPod(node, 'runhcs-wcow-hypervisor', podConfig(node, 'ctrd-hyperv'));
    expect(hostConfigOf(node, p.id)['Isolation']).toBe('process');
    expect(hostConfigOf(node, h.id)['Isolation']).toBe('hyperv');
  });

  it('an app image the pod isolation cannot run: FAILED_PRECONDITION naming builds and handler, nothing created', async () => {
    const pod = await runPod(node, 'process', podConfig(node, 'old-app'));
    const err = await refusedCreate(node, pod, containerConfig('app', SERVERCORE_2019), 'FailedPrecondition');
    expect(err).toMatch(/image is built for Windows 10\.0 build 17763/);
    expect(err).toMatch(/this host is 10\.0 build 26100/);
    expect(err).toContain('runtime handler hyperv or runhcs-wcow-hypervisor');
  });

  it('an unknown handler is INVALID_ARGUMENT before anything is pulled or made', async () => {
    const before = node.double.requests.length;
    const err = await refusedRunp(node, 'kata', podConfig(node, 'unknown'), 'InvalidArgument');
    expect(err).toContain('unknown runtime handler "kata"');
    expect(err).toContain('process, hyperv, auto, runhcs-wcow-process, runhcs-wcow-hypervisor');
    const after = node.double.requests.slice(before).filter((r) => r.method !== 'GET');
    expect(after).toEqual([]);
  });

  it('host_process is refused clearly, for a pod and for a container, and nothing is created', async () => {
    const hostProcess = {
      windows: { security_context: { run_as_username: 'NT AUTHORITY\\SYSTEM', host_process: true } },
    };
    const err = await refusedRunp(node, 'process', podConfig(node, 'hpc', hostProcess), 'InvalidArgument');
    expect(err).toContain('HostProcess');
    expect(err).toContain('containerd');

    const pod = await runPod(node, 'process', podConfig(node, 'hpc-ctr'));
    const agent = containerConfig('agent', SERVERCORE_2025, hostProcess);
    expect(await refusedCreate(node, pod, agent, 'InvalidArgument')).toContain('HostProcess');
  });

  it('hostNetwork (namespace_options.network NODE) is refused, since Docker has no host network on Windows', async () => {
    const hostNetwork = podConfig(node, 'hostnet', {
      windows: { security_context: { namespace_options: { network: 2 } } },
    });
    expect(await refusedRunp(node, 'process', hostNetwork, 'InvalidArgument')).toContain('hostNetwork');
  });

  it('the removed dockershim annotation asking for Hyper-V under a process handler is refused', async () => {
    const annotated = podConfig(node, 'legacy-annotation', {
      annotations: { 'experimental.windows.kubernetes.io/isolation-type': 'hyperv' },
    });
    expect(await refusedRunp(node, 'process', annotated, 'InvalidArgument')).toContain('RuntimeClass');
  });

  it('every create body the engine received is fit for Windows', () => {
    const creates = node.creates();
    expect(creates.length).toBeGreaterThan(8);
    for (const req of creates) expectWindowsBody(req.body as Record<string, unknown>);
  });

  it('no start ever failed on the engine (no 0xc0370101 reached HCS)', () => {
    // The double answers 500 with HCS's mismatch text at start; wincri never met one here.
    expect(node.wincri.logs()).not.toContain('0xc0370101)');
  });
});

// ---- Windows Server 2025 with a pinned old pause (no 26100 variant) -----------------------------

describe('Windows Server 2025 (26100), an old pause image (17763 variant pulled)', () => {
  let node: Node;
  useNode({ profile: 'ws2025', sandboxImage: PAUSE_OLD, hyperV: true }, (n) => (node = n));

  it('auto picks Hyper-V for the older image', async () => {
    const pod = await runPod(node, 'auto', podConfig(node, 'auto-old'));
    expect(hostConfigOf(node, pod.id)).toEqual({
      Isolation: 'hyperv',
      NetworkMode: 'none',
      ...ENGINE_DEFAULTS,
    });
    const info = await inspectpInfo(node, pod.id);
    expect(info['isolation']).toMatchObject({
      handler: 'auto',
      resolvedHandler: 'auto',
      isolation: 'hyperv',
      hostBuild: 26100,
      imageBuild: 17763,
    });
    expect((info['isolation'] as { reason: string }).reason).toContain('auto chose Hyper-V isolation');
  });

  it('process is FAILED_PRECONDITION naming host build, image build and the handler to use; nothing created', async () => {
    const err = await refusedRunp(node, 'process', podConfig(node, 'process-old'), 'FailedPrecondition');
    expect(err).toMatch(/image is built for Windows 10\.0 build 17763/);
    expect(err).toMatch(/this host is 10\.0 build 26100/);
    expect(err).toContain('runtime handler hyperv or runhcs-wcow-hypervisor');
  });
});

describe('Windows Server 2025 (26100), an old pause image, no Hyper-V', () => {
  let node: Node;
  useNode({ profile: 'ws2025', sandboxImage: PAUSE_OLD, hyperV: false }, (n) => (node = n));

  it('auto cannot run it: FAILED_PRECONDITION saying to install Hyper-V; nothing created', async () => {
    const err = await refusedRunp(node, 'auto', podConfig(node, 'auto-nohv'), 'FailedPrecondition');
    expect(err).toContain('17763');
    expect(err).toContain('26100');
    expect(err).toContain('install the Hyper-V role');
    expect(node.creates()).toEqual([]);
  });

  it('hyperv is refused up front, pointing at the process handlers', async () => {
    const err = await refusedRunp(node, 'hyperv', podConfig(node, 'hv-nohv'), 'FailedPrecondition');
    expect(err).toContain(
      'Hyper-V is not available on this host (build 26100; found by config: "hyperVAvailable": false in the wincri config)',
    );
    expect(err).toContain('process or runhcs-wcow-process');
    expect(node.creates()).toEqual([]);
  });
});

// ---- Hyper-V found rather than declared: no hyperVAvailable in the config ------------------------

/** `crictl info`'s hyperV entry: whether Hyper-V isolation is available and where that was found. */
async function hyperVInfo(node: Node): Promise<Record<string, unknown>> {
  const out = await node.run('info');
  expect(out.code, out.stderr).toBe(0);
  return (JSON.parse(out.stdout) as { hyperV: Record<string, unknown> }).hyperV;
}

describe('Hyper-V found: an engine whose default isolation is hyperv (dockerd --exec-opt isolation=hyperv)', () => {
  let node: Node;
  useNode(
    {
      profile: 'ws2025',
      sandboxImage: PAUSE_OLD,
      hyperV: true,
      findHyperV: true,
      defaultIsolation: 'hyperv',
    },
    (n) => (node = n),
  );

  it('crictl info shows Hyper-V available, found by the engine, and why the host features were not read', async () => {
    expect(await hyperVInfo(node)).toEqual({
      available: true,
      source: 'engine',
      detail:
        "the engine's default isolation is hyperv (GET /info Isolation); the host's features were not read " +
        "(wincri runs on linux, not on the engine's Windows host)",
    });
  });

  it('so auto runs the older pause image under Hyper-V, and the engine starts it', async () => {
    const pod = await runPod(node, 'auto', podConfig(node, 'found-auto'));
    expect(hostConfigOf(node, pod.id)['Isolation']).toBe('hyperv');
    const ready = await node.run('inspectp', pod.id);
    expect(JSON.parse(ready.stdout)).toMatchObject({ status: { state: 'SANDBOX_READY' } });
  });
});

describe('Hyper-V found: an engine whose default isolation is process', () => {
  let node: Node;
  useNode({ profile: 'ws2025', sandboxImage: PAUSE_OLD, hyperV: true, findHyperV: true }, (n) => (node = n));

  it('crictl info shows Hyper-V not available, found by the engine', async () => {
    expect(await hyperVInfo(node)).toMatchObject({
      available: false,
      source: 'engine',
      detail: expect.stringMatching(/^the engine's default isolation is process \(GET \/info Isolation\)/),
    });
  });

  it('a hyperv pod is refused naming where that was found and what to do; nothing created', async () => {
    const err = await refusedRunp(node, 'hyperv', podConfig(node, 'found-none'), 'FailedPrecondition');
    expect(err).toContain("found by engine: the engine's default isolation is process");
    expect(err).toContain('install the Hyper-V role (Install-WindowsFeature Hyper-V) and restart wincri');
  });
});

describe('Hyper-V declared: the config key overrides what the engine says', () => {
  let node: Node;
  useNode(
    { profile: 'ws2025', sandboxImage: PAUSE_OLD, hyperV: false, defaultIsolation: 'hyperv' },
    (n) => (node = n),
  );

  it('crictl info names the config as the source', async () => {
    expect(await hyperVInfo(node)).toEqual({
      available: false,
      source: 'config',
      detail: '"hyperVAvailable": false in the wincri config',
    });
  });
});

// ---- Windows Server 2022 with a newer (26100) image loaded -------------------------------------

describe('Windows Server 2022 (20348), a newer image on the node (docker load)', () => {
  let node: Node;
  let newerPause: Node;
  useNode(
    {
      profile: 'ws2022',
      sandboxImage: PAUSE_2025,
      hyperV: true,
      load: [SERVERCORE_2025],
    },
    (n) => (node = n),
  );
  useNode(
    {
      profile: 'ws2022',
      sandboxImage: SERVERCORE_2025,
      hyperV: true,
      load: [SERVERCORE_2025],
    },
    (n) => (newerPause = n),
  );

  it('the pause image resolves to the 20348 variant and runs process-isolated', async () => {
    const pod = await runPod(node, 'auto', podConfig(node, 'ws2022-auto'));
    expect(hostConfigOf(node, pod.id)['Isolation']).toBe('process');
    expect((await inspectpInfo(node, pod.id))['isolation']).toMatchObject({
      hostBuild: 20348,
      imageBuild: 20348,
    });
  });

  it('a newer app image in a Hyper-V pod: FAILED_PRECONDITION naming both builds; nothing created', async () => {
    const pod = await runPod(node, 'hyperv', podConfig(node, 'ws2022-hv'));
    const err = await refusedCreate(node, pod, containerConfig('app', SERVERCORE_2025), 'FailedPrecondition');
    expect(err).toMatch(/image is built for Windows 10\.0 build 26100/);
    expect(err).toMatch(/this host is 10\.0 build 20348/);
    expect(err).toContain('Hyper-V isolation cannot run an image newer than the host');
  });

  it.each(['auto', 'hyperv', 'process'])(
    'a newer pause image under %s: FAILED_PRECONDITION naming host build, image build and a fix; nothing created',
    async (handler) => {
      const err = await refusedRunp(
        newerPause,
        handler,
        podConfig(newerPause, `newer-${handler}`),
        'FailedPrecondition',
      );
      expect(err).toMatch(/image is built for Windows 10\.0 build 26100/);
      expect(err).toMatch(/this host is 10\.0 build 20348/);
      expect(err).toContain('node.kubernetes.io/windows-build');
      expect(newerPause.creates()).toEqual([]);
    },
  );

  it("crictl pull takes the host build's variant; an image with none fails with Docker's reason", async () => {
    const ok = await node.run('pull', NANOSERVER_2022);
    expect(ok.code, ok.stderr).toBe(0);
    const inspected = JSON.parse((await node.run('inspecti', NANOSERVER_2022)).stdout) as {
      info: { os: string; osVersion: string };
    };
    expect(inspected.info).toMatchObject({ os: 'windows', osVersion: '10.0.20348.2762' });
    // servercore:ltsc2025 has only a 26100 variant, which a 20348 engine will not pull (the copy on
    // this node came by docker load). The status code wincri gives is left unasserted: see the report.
    const newer = await node.run('pull', SERVERCORE_2025);
    expect(newer.code).not.toBe(0);
    expect(newer.stderr).toContain(
      'no matching manifest for windows(10.0.20348)/amd64 in the manifest list entries',
    );
  });

  it('nothing was left in the repository by bind-source creation', () => {
    expect(readdirSync(process.cwd()).filter((f) => /^[A-Z]:\\/i.test(f))).toEqual([]);
  });
});

/**
 * CNI mode on a Windows engine, the way the HNS plugins (win-bridge, win-overlay) expect it from a
 * Docker runtime (docs/windows.md): the sandbox with NetworkMode none, the plugin called with the
 * sandbox's id and CNI_NETNS=none, app containers in `container:<sandbox>`. The plugin is a
 * recording stand-in for win-bridge that checks nothing itself: every variable and the stdin it
 * was given are asserted here.
 */
describe('a Windows node in CNI mode (win-bridge contract, recording plugin)', () => {
  let node: Node;
  let plugins: PluginRig;
  const hostPlugins = pluginRig().then(async (rig) => {
    await writePlugin(rig, 'win-bridge', {
      addResult: `printf '%s' '{"cniVersion":"1.0.0","interfaces":[{"name":"'$CNI_CONTAINERID'_cbr0","mac":"00-15-5D-00-00-01"}],"ips":[{"address":"10.244.3.7/24","gateway":"10.244.3.2","interface":0}],"dns":{"nameservers":["10.96.0.10"]}}'`,
    });
    await writeFile(
      join(rig.confDir, '10-flannel.conflist'),
      conflist('cbr0', [
        {
          type: 'win-bridge',
          capabilities: { portMappings: true, dns: true },
          ipMasq: true,
          policies: [
            { name: 'EndpointPolicy', value: { Type: 'OutBoundNAT', ExceptionList: ['10.244.0.0/16'] } },
          ],
        },
      ]),
    );
    return rig;
  });
  beforeAll(async () => {
    plugins = await hostPlugins;
  });
  useNode(
    {
      profile: 'ws2022',
      sandboxImage: PAUSE_OLD,
      hyperV: true,
      images: [SERVERCORE_2022],
      get wincriConfig() {
        return {
          networkPlugin: 'cni',
          cniConfDir: plugins.confDir,
          cniBinDir: plugins.binDir,
          cniCacheDir: plugins.cacheDir,
        };
      },
    },
    (n) => (node = n),
  );

  let pod: Pod;
  let app = '';

  it('runs the sandbox with NetworkMode none, no published ports and no engine DNS', async () => {
    pod = await runPod(
      node,
      'process',
      podConfig(node, 'cniweb', {
        hostname: 'cniweb-0',
        dns_config: {
          servers: ['10.96.0.10'],
          searches: ['wdouble.svc.cluster.local'],
          options: ['ndots:5'],
        },
        port_mappings: [
          { protocol: 0, container_port: 80, host_port: 8080 },
          { protocol: 1, container_port: 53, host_port: 5353 },
        ],
      }),
    );
    const body = bodyOf(node, pod.id);
    expect(body['Hostname']).toBe('cniweb-0');
    expect(body['HostConfig']).toEqual({ Isolation: 'process', NetworkMode: 'none', ...ENGINE_DEFAULTS });
    expect(body).not.toHaveProperty('ExposedPorts');
  });

  it('called ADD once, after the sandbox started, with the sandbox id, CNI_NETNS=none and the pod in CNI_ARGS', async () => {
    const calls = await recordedCalls(plugins);
    expect(calls.map((c) => `${c.plugin} ${c.command}`)).toEqual(['win-bridge ADD']);
    const [add] = calls;
    expect(add!.env).toEqual({
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: pod.id,
      CNI_NETNS: 'none',
      CNI_IFNAME: 'eth0',
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=wdouble;K8S_POD_NAME=cniweb;K8S_POD_INFRA_CONTAINER_ID=${pod.id};K8S_POD_UID=cniweb-uid`,
      CNI_PATH: plugins.binDir,
    });
    expect(add!.stdin).toEqual({
      type: 'win-bridge',
      capabilities: { portMappings: true, dns: true },
      ipMasq: true,
      policies: [
        { name: 'EndpointPolicy', value: { Type: 'OutBoundNAT', ExceptionList: ['10.244.0.0/16'] } },
      ],
      name: 'cbr0',
      cniVersion: '1.0.0',
      runtimeConfig: {
        portMappings: [
          { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
          { hostPort: 5353, containerPort: 53, protocol: 'udp' },
        ],
        dns: { servers: ['10.96.0.10'], searches: ['wdouble.svc.cluster.local'], options: ['ndots:5'] },
      },
    });
    // The endpoint is hot-attached to a running compute system: the sandbox had started.
    const started = node.double.requestsTo('POST', `/containers/${pod.id}/start`);
    expect(started.length).toBe(1);
  });

  it('reports the pod IP from the plugin result', async () => {
    const out = await node.run('inspectp', pod.id);
    expect(out.code, out.stderr).toBe(0);
    expect((JSON.parse(out.stdout) as { status: { network: { ip: string } } }).status.network.ip).toBe(
      '10.244.3.7',
    );
  });

  it("puts app containers in the sandbox's compartment and calls no plugin for them", async () => {
    app = await createAndStart(node, pod, containerConfig('app', SERVERCORE_2022));
    expect(hostConfigOf(node, app)['NetworkMode']).toBe(`container:${pod.id}`);
    expect((await recordedCalls(plugins)).length).toBe(1);
  });

  it('calls DEL with the sandbox id and CNI_NETNS=none when the pod stops, once', async () => {
    expect((await node.run('stopp', pod.id)).code).toBe(0);
    expect((await node.run('rmp', pod.id)).code).toBe(0);
    const calls = await recordedCalls(plugins);
    expect(calls.map((c) => c.command)).toEqual(['ADD', 'DEL']);
    expect(calls[1]!.env).toMatchObject({ CNI_CONTAINERID: pod.id, CNI_NETNS: 'none', CNI_IFNAME: 'eth0' });
    expect(calls[1]!.stdin.prevResult).toMatchObject({ ips: [{ address: '10.244.3.7/24' }] });
  });

  it('refuses a Hyper-V pod in CNI mode with FAILED_PRECONDITION, before anything is made', async () => {
    const message = await refusedRunp(node, 'hyperv', podConfig(node, 'cnihv'), 'FailedPrecondition');
    expect(message).toMatch(/Hyper-V pod cannot use CNI networking/);
    expect(message).toMatch(/utility VM of its own and refuses to share one container network/);
  });
});
