import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/config.js';
import type { EngineInfo } from '../../../src/docker/client.js';
import {
  exitCode,
  formatReport,
  runChecks,
  type CheckResult,
  type DoctorEnv,
} from '../../../src/doctor/checks.js';

/** The rig's engine as `docker info` answered it (Docker 20.10.24 on Debian 12, cgroup v1). */
const LINUX: EngineInfo = {
  osType: 'linux',
  operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
  osVersion: '12',
  kernelVersion: '6.18.0',
  serverVersion: '20.10.24+dfsg1',
  apiVersion: '1.41',
  cgroupDriver: 'cgroupfs',
  cgroupVersion: '1',
  ncpu: 2,
  memTotalBytes: 24e9,
  dockerRootDir: '/var/lib/docker',
  storageDriver: 'overlay2',
  defaultIsolation: '',
  runtimes: ['runc'],
  defaultRuntime: 'runc',
  systemTime: '2026-12-04T15:50:05.319743672Z',
};
/** Docker 25 on Windows Server 2022, as the Windows engine double answers. */
const WINDOWS: EngineInfo = {
  ...LINUX,
  osType: 'windows',
  operatingSystem: 'Windows Server 2022 Datacenter',
  osVersion: '10.0 20348 (20348.1.amd64fre.fe_release.210507-1500)',
  serverVersion: '25.0.3',
  apiVersion: '1.44',
  cgroupDriver: '',
  cgroupVersion: '',
  storageDriver: 'windowsfilter',
  defaultIsolation: 'process',
  dockerRootDir: 'C:\\ProgramData\\docker',
};
const NOW = Date.parse('2026-12-04T15:50:05.500Z');
const GiB = 1024 ** 3;

function env(overrides: Partial<DoctorEnv> = {}, config = {}): DoctorEnv {
  return {
    config: resolveConfig('linux', { listen: 'unix:///run/wincri/wincri.sock', ...config }),
    engineInfo: async () => LINUX,
    image: async () => ({ osVersion: '' }),
    registryManifest: async () => 200,
    stat: async () => ({ mode: 0o140660, isSocket: true, uid: 0 }),
    listens: async (path) => path.endsWith('wincri.sock'),
    diskSpace: async () => ({ freeBytes: 60 * GiB, totalBytes: 250 * GiB }),
    lockPath: '/var/lib/wincri/instance.sock',
    now: () => NOW,
    cniSetup: async () => {
      throw new Error('the CNI dir is read only in CNI mode');
    },
    windowsFeatures: async () => "wincri runs on linux, not on the engine's Windows host",
    ...overrides,
  };
}

const byName = (results: CheckResult[], name: string) => results.find((r) => r.name === name);

describe('wincri doctor checks', () => {
  it('a node set up right passes every check: exit 0', async () => {
    const results = await runChecks(env());
    expect(results.filter((r) => r.status !== 'pass')).toEqual([]);
    expect(exitCode(results)).toBe(0);
    expect(results.map((r) => r.name)).toEqual([
      'engine reachable',
      'engine API version',
      'engine OS',
      'storage driver',
      'cgroups',
      'sandbox image',
      'CRI endpoint',
      'state directory',
      'disk space: state directory',
      'disk space: engine data root',
      'clock',
    ]);
  });

  it('an engine that does not answer fails with what to do, and skips what needs it: exit 2', async () => {
    const results = await runChecks(
      env({ engineInfo: async () => new Error('connect ENOENT /var/run/docker.sock') }),
    );
    expect(byName(results, 'engine reachable')).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/--docker-host/),
    });
    expect(byName(results, 'sandbox image')).toBeUndefined();
    expect(exitCode(results)).toBe(2);
  });

  it('an engine older than API 1.41 fails; vfs warns', async () => {
    const results = await runChecks(
      env({ engineInfo: async () => ({ ...LINUX, apiVersion: '1.40', storageDriver: 'vfs' }) }),
    );
    expect(byName(results, 'engine API version')?.status).toBe('fail');
    expect(byName(results, 'storage driver')).toMatchObject({
      status: 'warn',
      fix: expect.stringMatching(/overlay2/),
    });
  });

  it.each([
    [0o140666, 'fail', /anyone on the node/],
    [0o140660, 'pass', /mode 0660, serving/],
    [0o140600, 'pass', /mode 0600/],
  ] as const)('a CRI socket of mode %o: %s', async (mode, status, detail) => {
    const result = byName(
      await runChecks(env({ stat: async () => ({ mode, isSocket: true, uid: 0 }) })),
      'CRI endpoint',
    );
    expect(result).toMatchObject({ status, detail: expect.stringMatching(detail) });
  });

  it('a missing socket warns; a regular file there fails; a socket nobody answers warns', async () => {
    expect(byName(await runChecks(env({ stat: async () => undefined })), 'CRI endpoint')?.status).toBe(
      'warn',
    );
    const file = env({ stat: async () => ({ mode: 0o100644, isSocket: false, uid: 0 }) });
    expect(byName(await runChecks(file), 'CRI endpoint')?.status).toBe('fail');
    expect(byName(await runChecks(env({ listens: async () => false })), 'CRI endpoint')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/answers nobody/),
    });
  });

  it('says whether another wincri holds the state directory', async () => {
    const held = byName(await runChecks(env({ listens: async () => true })), 'state directory');
    expect(held?.detail).toMatch(/held by a running wincri/);
    expect(byName(await runChecks(env()), 'state directory')?.detail).toMatch(/free/);
  });

  it('a missing sandbox image: warn when its registry (through the mirror) has it, fail when not or when nothing answers', async () => {
    const asked: string[] = [];
    const at = (answer: number | Error) =>
      env(
        { image: async () => undefined, registryManifest: async (url) => (asked.push(url), answer) },
        { registryMirrors: ['registry.k8s.io=http://127.0.0.1:5000'] },
      );
    expect(byName(await runChecks(at(200)), 'sandbox image')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/registry has it \(through the mirror 127\.0\.0\.1:5000\/pause:3\.10\)/),
    });
    expect(asked).toEqual(['http://127.0.0.1:5000/v2/pause/manifests/3.10']);
    expect(byName(await runChecks(at(404)), 'sandbox image')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/answers HTTP 404/),
      fix: expect.stringMatching(/--registry-mirror for registry\.k8s\.io/),
    });
    expect(byName(await runChecks(at(401)), 'sandbox image')?.status).toBe('warn');
    const down = env({
      image: async () => undefined,
      registryManifest: async () => new Error('ECONNREFUSED'),
    });
    expect(byName(await runChecks(down), 'sandbox image')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /https:\/\/registry\.k8s\.io\/v2\/pause\/manifests\/3\.10 does not answer \(ECONNREFUSED\)/,
      ),
    });
  });

  it('free space: pass above 15 %, warn below, fail below 5 %', async () => {
    const at = (free: number) =>
      env({ diskSpace: async () => ({ freeBytes: free * GiB, totalBytes: 100 * GiB }) });
    expect(byName(await runChecks(at(20)), 'disk space: engine data root')?.status).toBe('pass');
    expect(byName(await runChecks(at(10)), 'disk space: engine data root')?.status).toBe('warn');
    expect(byName(await runChecks(at(3)), 'disk space: state directory')?.status).toBe('fail');
  });

  it('a remote engine’s data root is not read here', async () => {
    const remote = await runChecks(env({}, { dockerHost: 'tcp://10.0.0.5:2375' }));
    expect(byName(remote, 'disk space: engine data root')).toBeUndefined();
  });

  it('a clock 30 s off the engine’s warns', async () => {
    expect(byName(await runChecks(env({ now: () => NOW + 30_000 })), 'clock')).toMatchObject({
      status: 'warn',
    });
  });

  it('on Windows: the build and the isolation facts, no cgroups', async () => {
    const results = await runChecks(env({ engineInfo: async () => WINDOWS }));
    expect(byName(results, 'engine OS')?.detail).toMatch(
      /windows: Windows Server 2022 Datacenter \(10\.0 20348/,
    );
    expect(byName(results, 'isolation')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(
        /engine default process; Hyper-V isolation not available \(engine: the engine's default isolation is process/,
      ),
      fix: expect.stringMatching(/Install-WindowsFeature Hyper-V/),
    });
    expect(byName(results, 'storage driver')?.detail).toBe('windowsfilter');
    expect(byName(results, 'cgroups')).toBeUndefined();
  });

  it.each([
    [
      { hyperV: 'Enabled', containers: 'Enabled' },
      'pass',
      /available \(Win32_OptionalFeature: Microsoft-Hyper-V Enabled, Containers Enabled\)/,
    ],
    [
      { hyperV: 'Disabled', containers: 'Enabled' },
      'warn',
      /not available \(Win32_OptionalFeature: Microsoft-Hyper-V Disabled/,
    ],
    [{ hyperV: 'Absent', containers: 'Enabled' }, 'warn', /Microsoft-Hyper-V Absent/],
  ] as const)('on Windows, Hyper-V from the host features %o: %s', async (features, status, detail) => {
    const results = await runChecks(
      env({ engineInfo: async () => WINDOWS, windowsFeatures: async () => features }),
    );
    expect(byName(results, 'isolation')).toMatchObject({ status, detail: expect.stringMatching(detail) });
  });

  it('on Windows, the config key overrides what the host says, and the report names it', async () => {
    const results = await runChecks(
      env(
        {
          engineInfo: async () => WINDOWS,
          windowsFeatures: async () => undefined,
        },
        { hyperVAvailable: false },
      ),
    );
    expect(byName(results, 'isolation')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(
        /not available \(config: "hyperVAvailable": false in the wincri config\)/,
      ),
      fix: expect.stringMatching(/remove the key/),
    });
  });

  it.each([
    ['10.0.20348.2762', false, 'pass', /process isolation works/],
    ['10.0.17763.6414', true, 'pass', /needs Hyper-V isolation, which is available/],
    ['10.0.17763.6414', false, 'fail', /process isolation needs the same build/],
    ['10.0.26100.1', true, 'fail', /no isolation runs a newer image/],
  ] as const)('Windows pause image %s (Hyper-V %s): %s', async (osVersion, hyperV, status, detail) => {
    const windows = env(
      {
        engineInfo: async () => ({
          ...WINDOWS,
          osVersion: '10.0 20348 (20348.1.amd64fre.fe_release.210507-1500)',
        }),
        image: async () => ({ osVersion }),
      },
      { hyperVAvailable: hyperV },
    );
    expect(byName(await runChecks(windows), 'pause image build')).toMatchObject({
      status,
      detail: expect.stringMatching(detail),
    });
  });

  describe('with --kubelet-config', () => {
    const kubelet = (config: Record<string, unknown>) => env({ kubeletConfig: config });

    it('matching endpoint and cgroup driver pass, and cgroup v1 needs failCgroupV1: false', async () => {
      const results = await runChecks(
        kubelet({
          containerRuntimeEndpoint: 'unix:///run/wincri/wincri.sock',
          cgroupDriver: 'cgroupfs',
          failCgroupV1: false,
        }),
      );
      expect(exitCode(results)).toBe(0);
      expect(byName(results, 'kubelet endpoint')?.status).toBe('pass');
      expect(byName(results, 'kubelet cgroup driver')?.status).toBe('pass');
    });

    it('another endpoint, another cgroup driver and cgroup v1 refused each fail with the fix', async () => {
      const results = await runChecks(
        kubelet({
          containerRuntimeEndpoint: 'unix:///run/containerd/containerd.sock',
          cgroupDriver: 'systemd',
        }),
      );
      expect(byName(results, 'kubelet endpoint')).toMatchObject({
        status: 'fail',
        fix: 'set containerRuntimeEndpoint: unix:///run/wincri/wincri.sock in the kubelet config',
      });
      expect(byName(results, 'kubelet cgroup driver')).toMatchObject({
        status: 'fail',
        fix: expect.stringMatching(/cgroupDriver: cgroupfs/),
      });
      expect(byName(results, 'kubelet on cgroup v1')?.status).toBe('fail');
      expect(exitCode(results)).toBe(2);
    });
  });

  it('the report lists each check, what to do, and the counts', () => {
    const text = formatReport([
      { name: 'a', status: 'pass', detail: 'fine' },
      { name: 'bb', status: 'warn', detail: 'meh', fix: 'do this' },
    ]);
    expect(text).toBe('PASS  a   fine\nWARN  bb  meh\n          -> do this\n\n1 pass, 1 warn, 0 fail\n');
  });
});
