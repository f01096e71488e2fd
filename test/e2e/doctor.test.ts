import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/doctor/checks.js';
import { PACKAGE_ROOT } from '../../src/package-info.js';
import { loadRig, type Rig } from '../support/rig.js';
import { WindowsEngineDouble } from '../support/windows-engine-double.js';
import { cniModeFlags, startWincri, type WincriProcess } from '../support/wincri-process.js';

/**
 * `wincri doctor` (the built CLI) on the rig beside a running wincri, then with one thing wrong at
 * a time, and against the Windows engine double. It must never change the node: the engine's
 * images and the socket are as they were.
 */
let rig: Rig;
let wincri: WincriProcess;
let dir: string;

async function doctor(
  ...args: string[]
): Promise<{ code: number | null; results: CheckResult[]; text: string }> {
  const child = spawn(process.execPath, [
    join(PACKAGE_ROOT, 'dist', 'src', 'main.js'),
    'doctor',
    '--json',
    ...args,
  ]);
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (!out) throw new Error(`doctor printed nothing (exit ${code}): ${err}`);
  return { code, results: (JSON.parse(out) as { results: CheckResult[] }).results, text: out };
}

/** The flags of the wincri under test, as an operator would repeat them. */
const sameAsServe = () => [
  '--docker-host',
  rig.dockerHost,
  '--listen',
  wincri.endpoint,
  '--root-dir',
  wincri.rootDir,
  ...rig.mirrors.flatMap((m) => ['--registry-mirror', m]),
];
const named = (results: CheckResult[], name: string) => results.find((r) => r.name === name);

beforeAll(async () => {
  rig = loadRig();
  dir = await mkdtemp(join(tmpdir(), 'wincri-doctor-e2e-'));
  wincri = await startWincri({ dockerHost: rig.dockerHost, mirrors: rig.mirrors });
});
afterAll(async () => {
  await wincri?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('wincri doctor on the rig', () => {
  it('beside a running wincri: every check passes, exit 0', async () => {
    const { code, results } = await doctor(...sameAsServe());
    expect(results.filter((r) => r.status !== 'pass')).toEqual([]);
    expect(code).toBe(0);
    expect(named(results, 'CRI endpoint')?.detail).toMatch(/mode 0660, serving/);
    expect(named(results, 'state directory')?.detail).toMatch(/held by a running wincri/);
    expect(named(results, 'engine reachable')?.detail).toMatch(/API 1\.\d+/);
  });

  it('engine not reachable (a wrong --docker-host): fails, exit 2', async () => {
    const { code, results } = await doctor(
      ...sameAsServe(),
      '--docker-host',
      `unix://${join(dir, 'none.sock')}`,
    );
    expect(named(results, 'engine reachable')).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/--docker-host/),
    });
    expect(code).toBe(2);
  });

  it('a CRI socket anyone can use: fails, exit 2 (and doctor did not touch it)', async () => {
    await chmod(wincri.socketPath, 0o666);
    try {
      const { code, results } = await doctor(...sameAsServe());
      expect(named(results, 'CRI endpoint')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/mode 0666/),
      });
      expect(code).toBe(2);
    } finally {
      await chmod(wincri.socketPath, 0o660);
    }
  });

  it('a sandbox image neither present nor in the registry (through the mirror): fails, exit 2', async () => {
    const missing = await doctor(...sameAsServe(), '--sandbox-image', 'registry.k8s.io/pause:no-such-tag');
    expect(named(missing.results, 'sandbox image')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/HTTP 404/),
    });
    expect(missing.code).toBe(2);
  });

  it('--kubelet-config: a kubelet pointed elsewhere with another cgroup driver fails with both fixes', async () => {
    const file = join(dir, 'kubelet.yaml');
    await writeFile(
      file,
      [
        'apiVersion: kubelet.config.k8s.io/v1beta1',
        'kind: KubeletConfiguration',
        'containerRuntimeEndpoint: unix:///run/containerd/containerd.sock',
        'cgroupDriver: systemd',
        'failCgroupV1: false',
        '',
      ].join('\n'),
    );
    const { code, results } = await doctor(...sameAsServe(), '--kubelet-config', file);
    expect(named(results, 'kubelet endpoint')).toMatchObject({
      status: 'fail',
      fix: `set containerRuntimeEndpoint: ${wincri.endpoint} in the kubelet config`,
    });
    expect(named(results, 'kubelet cgroup driver')?.status).toBe('fail');
    expect(code).toBe(2);
  });
});

describe('wincri doctor in CNI mode (--network-plugin cni)', () => {
  const cniMode = (confDir: string) => [
    ...sameAsServe(),
    ...cniModeFlags({ confDir, binDirs: [rig.cniBinDir] }),
  ];

  it('an empty CNI config dir: fails saying pods get no network, exit 2', async () => {
    const empty = join(dir, 'empty-net.d');
    await mkdir(empty);
    const { code, results } = await doctor(...cniMode(empty));
    expect(named(results, 'CNI network')).toMatchObject({
      status: 'fail',
      detail: `no network config (.conflist, .conf or .json) in ${empty}: pods cannot get a network (NetworkReady false)`,
      fix: expect.stringContaining(`install your network's CNI config in ${empty}`),
    });
    expect(code).toBe(2);
  });

  it("the rig's CNI config and Debian's plugins: every check passes, exit 0", async () => {
    const { code, results } = await doctor(...cniMode(rig.cniConfDir));
    expect(results.filter((r) => r.status !== 'pass')).toEqual([]);
    expect(code).toBe(0);
    expect(named(results, 'CNI network')?.detail).toMatch(
      /10-wincri-rig\.conflist: network "wincri-rig" \(CNI 1\.0\.0\), plugins bridge \(\/usr\/lib\/cni\/bridge\), host-local/,
    );
  });
});

describe('wincri doctor against the Windows engine double', () => {
  const doctorOn = (double: WindowsEngineDouble, ...args: string[]) =>
    doctor(
      '--docker-host',
      `unix://${double.socketPath}`,
      '--root-dir',
      join(dir, 'win-root'),
      '--listen',
      `unix://${join(dir, 'win.sock')}`,
      ...args,
    );

  it('reports the Windows build, the storage driver and the isolation facts', async () => {
    const double = await WindowsEngineDouble.start();
    try {
      const { results } = await doctorOn(double);
      expect(named(results, 'engine OS')?.detail).toMatch(/^windows: .*Windows Server/);
      expect(named(results, 'engine OS')?.detail).toMatch(/\(10\.0\.20348/);
      expect(named(results, 'storage driver')?.detail).toBe('windowsfilter');
      // Doctor runs on Linux here: the host's feature table is not the engine's, so the engine decides.
      expect(named(results, 'isolation')).toMatchObject({
        status: 'warn',
        detail: expect.stringMatching(
          /Hyper-V isolation not available \(engine: the engine's default isolation is process .*not on the engine's Windows host\)/,
        ),
        fix: expect.stringMatching(/Install-WindowsFeature Hyper-V/),
      });
      expect(named(results, 'cgroups')).toBeUndefined();
    } finally {
      await double.close();
    }
  });

  it('Hyper-V found from an engine whose default isolation is hyperv, or declared in the config', async () => {
    const double = await WindowsEngineDouble.start({ defaultIsolation: 'hyperv' });
    try {
      expect(named((await doctorOn(double)).results, 'isolation')).toMatchObject({
        status: 'pass',
        detail: expect.stringMatching(/engine default hyperv; Hyper-V isolation available \(engine: /),
      });
      const config = join(dir, 'no-hyperv.json');
      await writeFile(config, JSON.stringify({ hyperVAvailable: false }));
      expect(named((await doctorOn(double, '--config', config)).results, 'isolation')).toMatchObject({
        status: 'warn',
        detail: expect.stringMatching(
          /not available \(config: "hyperVAvailable": false in the wincri config\)/,
        ),
      });
    } finally {
      await double.close();
    }
  });
});
