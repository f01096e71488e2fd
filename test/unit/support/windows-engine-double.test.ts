import { type IncomingMessage, request } from 'node:http';

import { afterEach, describe, expect, it } from 'vitest';

import { type WindowsEngineDoubleOptions, WindowsEngineDouble } from '../../support/windows-engine-double.js';

let double: WindowsEngineDouble | undefined;
afterEach(async () => {
  await double?.close();
  double = undefined;
});

async function start(options: WindowsEngineDoubleOptions = {}): Promise<WindowsEngineDouble> {
  double = await WindowsEngineDouble.start(options);
  return double;
}

/** One HTTP call over the double's unix socket, as a Docker client makes it. */
const call = (method: string, path: string, body?: unknown) => double!.call(method, path, body);

const json = async (method: string, path: string, body?: unknown) =>
  (await call(method, path, body)).json as Record<string, unknown>;
const message = async (method: string, path: string, body?: unknown) => {
  const reply = await call(method, path, body);
  return { status: reply.status, message: (reply.json as { message?: string } | undefined)?.message };
};

const SERVERCORE_2022 = 'mcr.microsoft.com/windows/servercore:ltsc2022';
const SERVERCORE_2019 = 'mcr.microsoft.com/windows/servercore:ltsc2019';
const PAUSE = 'registry.k8s.io/pause:3.10.2';

/** Starts an exec as Docker clients do (`Upgrade: tcp`); resolves with all it wrote once it ends. */
function startExec(socketPath: string, execId: string): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const body = JSON.stringify({ Detach: false, Tty: false });
    const req = request({
      socketPath,
      method: 'POST',
      path: `/v1.41/exec/${execId}/start`,
      headers: {
        'Content-Type': 'application/json',
        Connection: 'Upgrade',
        Upgrade: 'tcp',
        'Content-Length': body.length,
      },
    });
    req.on('upgrade', (res, socket, head: Buffer) => {
      if (res.statusCode !== 101) reject(new Error(`exec start answered ${res.statusCode}`));
      const chunks: Buffer[] = [head];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks)));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function createAndStart(name: string, body: Record<string, unknown>): Promise<string> {
  const created = await call('POST', `/v1.41/containers/create?name=${name}`, body);
  expect(created.status, created.text).toBe(201);
  const id = (created.json as { Id: string }).Id;
  const started = await call('POST', `/containers/${id}/start`);
  expect(started.status, started.text).toBe(204);
  return id;
}

describe('system endpoints', () => {
  it.each([
    ['ws2019', '10.0.17763', '10.0 17763 (17763.1.amd64fre.rs5_release.180914-1434)'],
    ['ws2022', '10.0.20348', '10.0 20348 (20348.1.amd64fre.fe_release.210507-1500)'],
    ['ws2025', '10.0.26100', '10.0 26100 (26100.1.amd64fre.ge_release.240331-1435)'],
  ] as const)('%s answers /info like a Windows engine', async (profile, osVersion, kernelVersion) => {
    await start({ profile, ncpu: 16 });
    const info = await json('GET', '/v1.41/info');
    expect(info).toMatchObject({
      OSType: 'windows',
      OSVersion: osVersion,
      KernelVersion: kernelVersion,
      Isolation: 'process',
      NCPU: 16,
      DockerRootDir: 'C:\\ProgramData\\docker',
      Driver: 'windowsfilter',
    });
    expect(info).not.toHaveProperty('CgroupDriver');
    expect(info).not.toHaveProperty('_source');
  });

  it('answers ping and version', async () => {
    await start();
    const ping = await call('GET', '/_ping');
    expect(ping.status).toBe(200);
    expect(ping.text).toBe('OK');
    expect(ping.headers['ostype']).toBe('windows');
    expect(ping.headers['api-version']).toBe('1.47');
    expect(await json('GET', '/version')).toMatchObject({
      Os: 'windows',
      Arch: 'amd64',
      ApiVersion: '1.47',
      MinAPIVersion: '1.24',
    });
  });

  it('records every request with its parsed body, without the version prefix', async () => {
    const d = await start({ images: [SERVERCORE_2022] });
    await call('POST', '/v1.44/containers/create?name=ctr', {
      Image: SERVERCORE_2022,
      HostConfig: { Isolation: 'process' },
    });
    await call('GET', '/nope');
    expect(d.requests).toEqual([
      {
        method: 'POST',
        path: '/containers/create',
        query: { name: 'ctr' },
        body: { Image: SERVERCORE_2022, HostConfig: { Isolation: 'process' } },
      },
      { method: 'GET', path: '/nope', query: {}, body: undefined },
    ]);
    expect(d.requestsTo('POST', /^\/containers\//)).toHaveLength(1);
    expect(await message('GET', '/nope')).toEqual({ status: 404, message: 'page not found' });
  });
});

describe('images', () => {
  it('pulls the variant for the host build and reports Windows OsVersion', async () => {
    await start({ profile: 'ws2025' });
    const pull = await call(
      'POST',
      `/images/create?fromImage=${encodeURIComponent('registry.k8s.io/pause')}&tag=3.10.2`,
    );
    expect(pull.status).toBe(200);
    const lines = pull.text
      .trim()
      .split('\r\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ status: 'Pulling from registry.k8s.io/pause', id: '3.10.2' });
    expect(lines.at(-1)).toEqual({ status: `Status: Downloaded newer image for ${PAUSE}` });
    const image = await json('GET', `/images/${encodeURIComponent(PAUSE)}/json`);
    expect(image).toMatchObject({
      Os: 'windows',
      OsVersion: '10.0.26100.6899',
      Architecture: 'amd64',
      RepoTags: [PAUSE],
    });
    const again = await call('POST', `/images/create?fromImage=${encodeURIComponent(PAUSE)}`);
    expect(again.text).toContain('Image is up to date');
  });

  it('falls back to an older variant where the host build has none, as Docker does', async () => {
    await start({ profile: 'ws2025', images: ['mcr.microsoft.com/oss/kubernetes/pause:3.10'] });
    expect((await json('GET', '/images/mcr.microsoft.com/oss/kubernetes/pause:3.10/json'))['OsVersion']).toBe(
      '10.0.17763.6414',
    );
  });

  it('reports no matching manifest in the stream when every variant is newer than the host', async () => {
    await start({ profile: 'ws2019' });
    const pull = await call('POST', `/images/create?fromImage=${encodeURIComponent(SERVERCORE_2022)}`);
    expect(pull.status).toBe(200);
    expect(pull.text).toContain(
      '"error":"no matching manifest for windows(10.0.17763)/amd64 in the manifest list entries"',
    );
  });

  it('loads a newer-than-host image as docker load does, which then fails to start under either isolation', async () => {
    const d = await start({ profile: 'ws2022' });
    d.load('mcr.microsoft.com/windows/servercore:ltsc2025');
    expect(
      (await json('GET', '/images/mcr.microsoft.com/windows/servercore:ltsc2025/json'))['OsVersion'],
    ).toBe('10.0.26100.2033');
    d.load('registry.k8s.io/pause:3.10.2', '10.0.17763.6414');
    expect((await json('GET', `/images/${PAUSE}/json`))['OsVersion']).toBe('10.0.17763.6414');
    expect(() => d.load('example.com/nothing:1')).toThrow(/not in the double's catalog/);
    for (const isolation of ['process', 'hyperv']) {
      const { Id } = (await json('POST', `/containers/create?name=new-${isolation}`, {
        Image: 'mcr.microsoft.com/windows/servercore:ltsc2025',
        HostConfig: { Isolation: isolation },
      })) as { Id: string };
      const reply = await message('POST', `/containers/${Id}/start`);
      expect(reply.status).toBe(500);
      expect(reply.message).toContain('(0xc0370101)');
    }
  });

  it('answers 404 for an unknown repository', async () => {
    await start();
    expect(await message('POST', '/images/create?fromImage=example.com/nothing&tag=1')).toEqual({
      status: 404,
      message: 'manifest for example.com/nothing:1 not found: manifest unknown: manifest unknown',
    });
    expect(await message('GET', '/images/example.com/nothing:1/json')).toEqual({
      status: 404,
      message: 'No such image: example.com/nothing:1',
    });
  });

  it('lists, tags, finds by ID and removes', async () => {
    await start({ images: [SERVERCORE_2022] });
    const [summary] = (await call('GET', '/images/json')).json as Record<string, unknown>[];
    expect(summary).toMatchObject({ RepoTags: [SERVERCORE_2022], Containers: -1 });
    const id = String(summary!['Id']);
    expect((await call('POST', `/images/${id}/tag?repo=example.com/mine&tag=v1`)).status).toBe(201);
    expect((await json('GET', `/images/${id.slice(7, 19)}/json`))['RepoTags']).toEqual([
      SERVERCORE_2022,
      'example.com/mine:v1',
    ]);
    expect((await call('DELETE', '/images/example.com/mine:v1')).json).toEqual([
      { Untagged: 'example.com/mine:v1' },
    ]);
    const removed = (await call('DELETE', `/images/${encodeURIComponent(SERVERCORE_2022)}`)).json as Record<
      string,
      string
    >[];
    expect(removed.at(-1)).toEqual({ Deleted: id });
    expect((await call('GET', '/images/json')).json).toEqual([]);
  });

  it('refuses to remove an image a container uses', async () => {
    await start({ images: [SERVERCORE_2022] });
    await call('POST', '/containers/create?name=user', { Image: SERVERCORE_2022 });
    const reply = await message('DELETE', `/images/${encodeURIComponent(SERVERCORE_2022)}`);
    expect(reply.status).toBe(409);
    expect(reply.message).toMatch(
      /^conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is being used by stopped container/,
    );
  });
});

describe('containers', () => {
  it('creates, starts and inspects a Windows-shaped container', async () => {
    await start({ images: [PAUSE] });
    const id = await createAndStart('k8s_POD_web', {
      Image: PAUSE,
      Labels: { 'io.wincri.isolation': 'process' },
      HostConfig: { Isolation: 'process', NetworkMode: 'nat' },
    });
    const inspect = await json('GET', `/containers/${id}/json`);
    expect(inspect).toMatchObject({
      Id: id,
      Name: '/k8s_POD_web',
      Platform: 'windows',
      Driver: 'windowsfilter',
      State: { Status: 'running', Running: true },
    });
    expect(inspect['HostConfig']).toMatchObject({ Isolation: 'process', NetworkMode: 'nat' });
    const nat = (
      (inspect['NetworkSettings'] as Record<string, unknown>)['Networks'] as Record<
        string,
        Record<string, string>
      >
    )['nat']!;
    expect(nat['IPAddress']).toMatch(/^172\.28\.\d+\.\d+$/);
  });

  it('stores the effective isolation when the body leaves it to the daemon', async () => {
    await start({ images: [PAUSE] });
    const { Id } = (await json('POST', '/containers/create?name=ctr', { Image: PAUSE })) as { Id: string };
    expect(
      ((await json('GET', `/containers/${Id}/json`))['HostConfig'] as Record<string, unknown>)['Isolation'],
    ).toBe('process');
  });

  it('refuses a duplicate name with 409 like Docker', async () => {
    await start({ images: [PAUSE] });
    const first = (await json('POST', '/containers/create?name=dup', { Image: PAUSE })) as { Id: string };
    expect(await message('POST', '/containers/create?name=dup', { Image: PAUSE })).toEqual({
      status: 409,
      message: `Conflict. The container name "/dup" is already in use by container "${first.Id}". You have to remove (or rename) that container to be able to reuse that name.`,
    });
  });

  it('shares the sandbox network with container:<id>, giving the joiner no network of its own', async () => {
    await start({ images: [PAUSE, SERVERCORE_2022] });
    const sandbox = await createAndStart('pod', {
      Image: PAUSE,
      HostConfig: { Isolation: 'process', NetworkMode: 'nat' },
    });
    const app = await createAndStart('app', {
      Image: SERVERCORE_2022,
      HostConfig: { Isolation: 'process', NetworkMode: `container:${sandbox}` },
    });
    const inspect = await json('GET', `/containers/${app}/json`);
    expect((inspect['NetworkSettings'] as Record<string, unknown>)['Networks']).toEqual({});
  });

  it.each([
    [
      { Isolation: 'hyperv', NetworkMode: 'container:abc' },
      'invalid network-mode: using the network stack of another container is not supported while using Hyper-V Containers',
    ],
    [{ NetworkMode: 'container:abc', Dns: ['10.0.0.10'] }, 'conflicting options: dns and the network mode'],
    [{ Isolation: 'vm' }, "invalid isolation (vm): Windows supports 'default', 'process', or 'hyperv'"],
    [{ Privileged: true }, 'invalid option: privileged mode is not supported for Windows containers'],
    [{ ReadonlyRootfs: true }, 'invalid option: read-only mode is not supported for Windows containers'],
    [{ CpuPeriod: 100000 }, 'invalid option: Windows does not support CPUPeriod'],
    [{ CpusetCpus: '0-1' }, 'invalid option: Windows does not support CpusetCpus'],
    [{ PidsLimit: 100 }, 'invalid option: Windows does not support PidsLimit'],
    [
      { NanoCpus: 500000000, CpuShares: 512 },
      'conflicting options: Nano CPUs and CPU Shares cannot both be set',
    ],
    [
      { NanoCpus: 500000000, CpuPercent: 50 },
      'conflicting options: Nano CPUs and CPU Percent cannot both be set',
    ],
    [{ NanoCpus: 5e9 }, 'range of CPUs is from 0.01 to 4.00, as there are only 4 CPUs available'],
    [
      { Mounts: [{ Type: 'bind', Source: 'C:\\data', Target: 'C:\\' }] },
      'destination path cannot be `c:` or `c:\\`',
    ],
    [
      { Mounts: [{ Type: 'bind', Source: 'data', Target: 'C:\\data' }] },
      "invalid mount path: 'data' mount path must be absolute",
    ],
    [
      {
        Mounts: [
          { Type: 'bind', Source: 'C:\\data', Target: 'C:\\data', BindOptions: { Propagation: 'rslave' } },
        ],
      },
      'invalid propagation mode: rslave',
    ],
    [
      { Mounts: [{ Type: 'npipe', Source: '\\\\.\\pipe\\x', Target: '\\\\.\\pipe\\x', ReadOnly: true }] },
      'field ReadOnly must not be specified',
    ],
    [{ Mounts: [{ Type: 'tmpfs', Target: 'C:\\tmp' }] }, 'windows does not support tmpfs'],
  ])('refuses %j at create with 400', async (hostConfig, text) => {
    await start({ images: [SERVERCORE_2022] });
    const reply = await message('POST', '/containers/create?name=ctr', {
      Image: SERVERCORE_2022,
      HostConfig: hostConfig,
    });
    expect(reply.status).toBe(400);
    expect(reply.message).toContain(text);
  });

  it('answers 404 for a missing image or container', async () => {
    await start();
    expect(await message('POST', '/containers/create?name=ctr', { Image: SERVERCORE_2022 })).toEqual({
      status: 404,
      message: `No such image: ${SERVERCORE_2022}`,
    });
    expect(await message('POST', '/containers/deadbeef/start')).toEqual({
      status: 404,
      message: 'No such container: deadbeef',
    });
  });
});

describe('start-time failures a Windows host produces', () => {
  it.each([
    ['ws2022', SERVERCORE_2019, 'process', 500, '(0xc0370101)'],
    ['ws2025', SERVERCORE_2019, 'process', 500, 'does not match the operating system of the host'],
    ['ws2019', SERVERCORE_2019, 'process', 204, undefined],
    ['ws2025', SERVERCORE_2022, 'process', 204, undefined],
    ['ws2022', SERVERCORE_2019, 'hyperv', 204, undefined],
  ] as const)('%s host, %s, %s -> %i', async (profile, image, isolation, status, text) => {
    await start({ profile, images: [image] });
    const { Id } = (await json('POST', '/containers/create?name=ctr', {
      Image: image,
      HostConfig: { Isolation: isolation },
    })) as { Id: string };
    const reply = await message('POST', `/containers/${Id}/start`);
    expect(reply.status).toBe(status);
    if (text) expect(reply.message).toContain(text);
  });

  it('fails Hyper-V containers on a host without Hyper-V', async () => {
    await start({ images: [SERVERCORE_2022], hyperVAvailable: false });
    const { Id } = (await json('POST', '/containers/create?name=ctr', {
      Image: SERVERCORE_2022,
      HostConfig: { Isolation: 'hyperv' },
    })) as { Id: string };
    const reply = await message('POST', `/containers/${Id}/start`);
    expect(reply.status).toBe(500);
    expect(reply.message).toContain('a required feature is not installed');
    // As moby leaves a failed start: still "created", the error kept, exit code 128.
    expect(await json('GET', `/containers/${Id}/json`)).toMatchObject({
      State: { Status: 'created', Running: false, ExitCode: 128, Error: reply.message },
    });
  });

  it.each([
    [{ SecurityOpt: ['seccomp=unconfined'] }, 400, 'security option not supported: seccomp'],
    [
      { SecurityOpt: ['credentialspec=ftp://x'] },
      400,
      "value must be prefixed by 'file://', 'registry://', or 'raw://'",
    ],
    [{ SecurityOpt: ['credentialspec=raw://{"CmsPlugins":["ActiveDirectory"]}'] }, 204, undefined],
    [
      {
        Isolation: 'hyperv',
        Devices: [
          {
            PathOnHost: 'class/5B45201D-F2F2-4F3B-85BB-30FF1F953599',
            PathInContainer: '',
            CgroupPermissions: '',
          },
        ],
      },
      500,
      'device assignment is not supported for HyperV containers',
    ],
    [{ NetworkMode: 'container:nothere' }, 409, 'cannot join network of a non running container: nothere'],
  ])('%j -> %i', async (hostConfig, status, text) => {
    await start({ images: [SERVERCORE_2022] });
    const { Id } = (await json('POST', '/containers/create?name=ctr', {
      Image: SERVERCORE_2022,
      HostConfig: hostConfig,
    })) as { Id: string };
    const reply = await message('POST', `/containers/${Id}/start`);
    expect(reply.status).toBe(status);
    if (text) expect(reply.message).toContain(text);
  });
});

describe('lifecycle', () => {
  it('stops, waits, kills and removes with Docker status codes', async () => {
    await start({ images: [SERVERCORE_2022], stopExitCode: 1067 });
    const id = await createAndStart('app', { Image: SERVERCORE_2022 });
    const waiting = call('POST', `/containers/${id}/wait?condition=next-exit`);
    expect((await message('DELETE', `/containers/${id}`)).status).toBe(409);
    expect((await call('POST', `/containers/${id}/stop?t=5`)).status).toBe(204);
    expect((await waiting).json).toEqual({ StatusCode: 1067, Error: null });
    expect((await call('POST', `/containers/${id}/stop`)).status).toBe(304);
    expect((await message('POST', `/containers/${id}/kill`)).status).toBe(409);
    expect(await json('POST', `/containers/${id}/wait`)).toEqual({ StatusCode: 1067, Error: null });
    expect((await call('DELETE', `/containers/${id}`)).status).toBe(204);
    expect((await call('GET', `/containers/${id}/json`)).status).toBe(404);
  });

  it('lets a test end a container, as its process exiting would', async () => {
    const d = await start({ images: [SERVERCORE_2022] });
    const id = await createAndStart('app', { Image: SERVERCORE_2022 });
    d.exit(id, 3);
    expect(await json('GET', `/containers/${id}/json`)).toMatchObject({
      State: { Status: 'exited', ExitCode: 3, Running: false },
    });
    expect(d.createBody('app')).toEqual({ Image: SERVERCORE_2022 });
  });

  it('refuses any resource update as Windows does, and takes a restart policy', async () => {
    await start({ images: [SERVERCORE_2022] });
    const id = await createAndStart('app', { Image: SERVERCORE_2022, HostConfig: { Isolation: 'process' } });
    for (const update of [{ Memory: 1 << 28 }, { NanoCpus: 1e9 }, { CpuCount: 2 }, { CpuShares: 512 }]) {
      expect(await message('POST', `/containers/${id}/update`, update)).toEqual({
        status: 500,
        message: `Cannot update container ${id}: resource updating isn't supported on Windows`,
      });
    }
    expect(await message('POST', `/containers/${id}/update`, { CpuPeriod: 100000 })).toEqual({
      status: 400,
      message: 'invalid option: Windows does not support CPUPeriod',
    });
    expect(await json('POST', `/containers/${id}/update`, {})).toEqual({ Warnings: null });
    await json('POST', `/containers/${id}/update`, {
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 },
    });
    expect(await json('GET', `/containers/${id}/json`)).toMatchObject({
      HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } },
    });
  });

  it('serves what a container printed as multiplexed, timestamped log frames, following until it exits', async () => {
    const d = await start({ images: [SERVERCORE_2022] });
    const id = await createAndStart('app', { Image: SERVERCORE_2022 });
    d.output(id, 'one\r\ntwo\r\n');
    d.output(id, 'oops\r\n', 'stderr');
    const frames = (raw: Buffer) => {
      const out: { stream: number; text: string }[] = [];
      for (let at = 0; at + 8 <= raw.length;) {
        const size = raw.readUInt32BE(at + 4);
        out.push({ stream: raw[at]!, text: raw.subarray(at + 8, at + 8 + size).toString() });
        at += 8 + size;
      }
      return out;
    };
    const read = (query: string) =>
      new Promise<Buffer>((resolve) => {
        request({ socketPath: d.socketPath, path: `/containers/${id}/logs?${query}` }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        }).end();
      });
    expect(frames(await read('stdout=1&stderr=1'))).toEqual([
      { stream: 1, text: 'one\r\n' },
      { stream: 1, text: 'two\r\n' },
      { stream: 2, text: 'oops\r\n' },
    ]);
    const stamped = frames(await read('stdout=1&timestamps=1'));
    expect(stamped.map((f) => f.text)).toEqual([
      expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one\r\n$/),
      expect.stringMatching(/ two\r\n$/),
    ]);
    const [seconds, fraction] = [stamped[0]!.text.slice(0, 19), stamped[0]!.text.slice(20, 29)];
    const since = `${Date.parse(`${seconds}Z`) / 1000}.${fraction}`;
    expect(frames(await read(`stdout=1&since=${since}`)).map((f) => f.text)).toEqual(['two\r\n']);
    const following = read('stdout=1&follow=1');
    await new Promise((r) => setTimeout(r, 50));
    d.output(id, 'three\r\n');
    d.exit(id, 0);
    expect(frames(await following).map((f) => f.text)).toEqual(['one\r\n', 'two\r\n', 'three\r\n']);
    expect((await message('GET', `/containers/${id}/logs`)).status).toBe(400);
  });

  it('runs execs over a hijacked connection with the output and exit code the test decides', async () => {
    const d = await start({ images: [SERVERCORE_2022] });
    const id = await createAndStart('app', { Image: SERVERCORE_2022 });
    d.execHandler = (r) => ({
      stdout: `${r.cmd.join(' ')} as ${r.user}\r\n`,
      stderr: 'warn\r\n',
      exitCode: 2,
    });
    const { Id: execId } = (await json('POST', `/containers/${id}/exec`, {
      Cmd: ['cmd', '/c', 'ver'],
      User: 'ContainerUser',
      AttachStdout: true,
      AttachStderr: true,
    })) as { Id: string };
    const raw = await startExec(d.socketPath, execId);
    expect(raw[0]).toBe(1);
    expect(raw.subarray(8, 8 + raw.readUInt32BE(4)).toString()).toBe('cmd /c ver as ContainerUser\r\n');
    expect(raw.subarray(raw.length - 'warn\r\n'.length).toString()).toBe('warn\r\n');
    expect(await json('GET', `/exec/${execId}/json`)).toMatchObject({ Running: false, ExitCode: 2 });
    d.exit(id, 0);
    expect(await message('POST', `/containers/${id}/exec`, { Cmd: ['cmd'] })).toEqual({
      status: 409,
      message: `Container ${id} is not running`,
    });
    expect((await message('GET', '/exec/nothing/json')).status).toBe(404);
  });

  it('keeps a process that runs until killed going until taskkill names its pid', async () => {
    const d = await start({ images: [SERVERCORE_2022] });
    const id = await createAndStart('app', { Image: SERVERCORE_2022 });
    d.execHandler = () => ({ stdout: 'Pinging\r\n', runsUntilKilled: true });
    const { Id: hung } = (await json('POST', `/containers/${id}/exec`, {
      Cmd: ['ping', '-t', 'localhost'],
    })) as {
      Id: string;
    };
    const ended = startExec(d.socketPath, hung);
    await expect.poll(async () => (await json('GET', `/exec/${hung}/json`))['Running']).toBe(true);
    const pid = (await json('GET', `/exec/${hung}/json`))['Pid'] as number;
    d.execHandler = () => ({});
    const { Id: killer } = (await json('POST', `/containers/${id}/exec`, {
      Cmd: ['taskkill', '/F', '/T', '/PID', String(pid)],
    })) as { Id: string };
    await startExec(d.socketPath, killer);
    await ended;
    expect(await json('GET', `/exec/${hung}/json`)).toMatchObject({ Running: false, ExitCode: 1 });
    expect(await json('GET', `/exec/${killer}/json`)).toMatchObject({ ExitCode: 0 });
  });

  it('hands out nat addresses under ipPrefix, so a test can listen on a "pod IP"', async () => {
    await start({ images: [SERVERCORE_2022], ipPrefix: '127.77' });
    const id = await createAndStart('app', { Image: SERVERCORE_2022 });
    const inspect = (await json('GET', `/containers/${id}/json`)) as {
      NetworkSettings: { Networks: { nat: { IPAddress: string; Gateway: string } } };
    };
    expect(inspect.NetworkSettings.Networks.nat.IPAddress).toMatch(/^127\.77\.\d+\.\d+$/);
    expect(inspect.NetworkSettings.Networks.nat.Gateway).toMatch(/^127\.77\.\d+\.1$/);
  });

  it('lists with label, status and name filters as Docker reads the filters parameter', async () => {
    await start({ images: [PAUSE] });
    const a = await createAndStart('pod-a', {
      Image: PAUSE,
      Labels: { 'io.wincri.kind': 'sandbox', pod: 'web' },
    });
    await call('POST', '/containers/create?name=pod-b', {
      Image: PAUSE,
      Labels: { 'io.wincri.kind': 'sandbox', pod: 'db' },
    });
    const list = async (query: string) =>
      ((await call('GET', `/containers/json?${query}`)).json as { Id: string; Names: string[] }[]).map(
        (c) => c.Names[0],
      );
    expect(await list('')).toEqual(['/pod-a']);
    expect(await list('all=1')).toEqual(['/pod-b', '/pod-a']);
    expect(
      await list(
        `all=1&filters=${encodeURIComponent(JSON.stringify({ label: ['io.wincri.kind=sandbox', 'pod=db'] }))}`,
      ),
    ).toEqual(['/pod-b']);
    expect(await list(`filters=${encodeURIComponent(JSON.stringify({ label: { pod: true } }))}`)).toEqual([
      '/pod-a',
    ]);
    expect(await list(`filters=${encodeURIComponent(JSON.stringify({ status: ['created'] }))}`)).toEqual([
      '/pod-b',
    ]);
    expect(
      await list(`all=1&filters=${encodeURIComponent(JSON.stringify({ id: [a.slice(0, 12)] }))}`),
    ).toEqual(['/pod-a']);
  });
});

describe('stats', () => {
  it('answers Windows stats, one-shot without a previous sample, counters rising', async () => {
    await start({ images: [PAUSE], ncpu: 8 });
    const id = await createAndStart('pod', {
      Image: PAUSE,
      HostConfig: { Isolation: 'process', NetworkMode: 'nat' },
    });
    const first = await json('GET', `/containers/${id}/stats?stream=false&one-shot=true`);
    expect(first).toMatchObject({
      id,
      name: '/pod',
      preread: '0001-01-01T00:00:00Z',
      num_procs: 8,
      memory_stats: { privateworkingset: 61435904 },
    });
    expect(first).not.toHaveProperty('_source');
    const second = await json('GET', `/containers/${id}/stats?stream=false`);
    const total = (s: Record<string, unknown>) =>
      (s['cpu_stats'] as Record<string, Record<string, number>>)['cpu_usage']!['total_usage']!;
    expect(total(second)).toBeGreaterThan(total(first));
    expect(Object.keys(second['networks'] as object)).toHaveLength(1);
  });

  it('leaves kernel and user time at 0 for Hyper-V containers', async () => {
    await start({ images: [PAUSE] });
    const id = await createAndStart('pod', {
      Image: PAUSE,
      HostConfig: { Isolation: 'hyperv', NetworkMode: 'none' },
    });
    const stats = await json('GET', `/containers/${id}/stats?stream=false`);
    expect(stats['cpu_stats']).toMatchObject({ cpu_usage: { usage_in_kernelmode: 0, usage_in_usermode: 0 } });
    expect(stats['networks']).toEqual({});
  });
});

describe('events', () => {
  it('streams create, start, die and destroy while the connection stays open', async () => {
    await start({ images: [PAUSE] });
    const events: Record<string, unknown>[] = [];
    const filters = encodeURIComponent(JSON.stringify({ type: ['container'] }));
    const stream = await new Promise<IncomingMessage>((resolve) => {
      request({ socketPath: double!.socketPath, path: `/v1.41/events?filters=${filters}` }, resolve).end();
    });
    let buffer = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) if (line) events.push(JSON.parse(line) as Record<string, unknown>);
    });
    const id = await createAndStart('pod', { Image: PAUSE, Labels: { app: 'web' } });
    await call('DELETE', `/containers/${id}?force=1`);
    await expect
      .poll(() => events.map((e) => e['Action']))
      .toEqual(['create', 'start', 'kill', 'die', 'destroy']);
    expect(events[0]).toMatchObject({
      Type: 'container',
      id,
      status: 'create',
      Actor: { ID: id, Attributes: { app: 'web', name: 'pod', image: PAUSE } },
    });
    expect(events[3]).toMatchObject({ Actor: { Attributes: { exitCode: '1' } } });
    expect(stream.destroyed).toBe(false);
    stream.destroy();
  });
});
