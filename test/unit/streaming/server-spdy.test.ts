import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StreamingServer } from '../../../src/streaming/server.js';
import { FakeRuntime } from './support/fake-runtime.js';
import { collect, spdyConnect, spdyExec, upgradeRequest } from './support/spdy-client.js';
import { testTls } from './support/tls.js';

let runtime: FakeRuntime;
let server: StreamingServer;

beforeEach(async () => {
  runtime = new FakeRuntime();
  server = await StreamingServer.start({ runtime, streamCreationTimeoutMs: 2000, finishTimeoutMs: 2000 });
});

afterEach(async () => {
  await server.close();
});

const exec = (
  cmd: string[],
  extra: Partial<{ tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }> = {},
) =>
  server.issueUrl({
    kind: 'exec',
    containerId: 'c1',
    cmd,
    tty: false,
    stdin: false,
    stdout: true,
    stderr: false,
    ...extra,
  });

async function settle(): Promise<void> {
  for (let i = 0; i < 100 && (server.stats.sockets > 0 || server.stats.sessions > 0); i++)
    await new Promise((r) => setTimeout(r, 20));
}

describe('streaming server over SPDY', () => {
  it('runs exec with stdin to EOF, stdout, and a v4 Success status', async () => {
    const result = await spdyExec(exec(['cat'], { stdin: true }), { stdin: 'hello over spdy\n' });
    expect(result.protocol).toBe('v4.channel.k8s.io');
    expect(result.stdout).toBe('hello over spdy\n');
    expect(JSON.parse(result.error)).toEqual({ metadata: {}, status: 'Success' });
    result.connection.destroy();
    await settle();
    expect(server.stats).toMatchObject({ sockets: 0, sessions: 0 });
  });

  it('reports a non-zero exit code as NonZeroExitCode with an ExitCode cause', async () => {
    const result = await spdyExec(exec(['exit', '3']), {});
    expect(JSON.parse(result.error)).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [exit 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    result.connection.destroy();
  });

  it('reports a runtime failure as InternalError', async () => {
    const result = await spdyExec(exec(['fail', 'container c1 is not running']), {});
    const status = JSON.parse(result.error);
    expect(status).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500 });
    expect(status.message).toBe(
      'Internal error occurred: error executing command in container: container c1 is not running',
    );
    result.connection.destroy();
  });

  it('writes plain-text errors for v1-v3 and nothing on success', async () => {
    const failed = await spdyExec(exec(['exit', '2']), { protocols: ['v3.channel.k8s.io'] });
    expect(failed.protocol).toBe('v3.channel.k8s.io');
    expect(failed.error).toBe(
      'command terminated with non-zero exit code: error executing command [exit 2], exit code 2',
    );
    failed.connection.destroy();
    const ok = await spdyExec(exec(['both'], { stderr: true }), {
      protocols: ['channel.k8s.io'],
      stderr: true,
    });
    expect(ok).toMatchObject({ protocol: 'channel.k8s.io', stdout: 'out', stderr: 'err', error: '' });
    ok.connection.destroy();
  });

  it('negotiates the first client protocol the server supports (client-go offers v5 first)', async () => {
    const result = await spdyExec(exec(['exit', '0']), {
      protocols: ['v5.channel.k8s.io', 'v2.channel.k8s.io', 'v4.channel.k8s.io'],
    });
    expect(result.protocol).toBe('v2.channel.k8s.io');
    result.connection.destroy();
  });

  it('passes resize events to the runtime under a TTY', async () => {
    const result = await spdyExec(exec(['resize', '2'], { tty: true }), {
      tty: true,
      resize: [
        { Width: 80, Height: 24 },
        { Width: 120, Height: 40 },
      ],
    });
    expect(result.stdout).toBe('80x24\n120x40');
    result.connection.destroy();
  });

  it('carries large output split across frames', async () => {
    const size = 5 * 1024 * 1024 + 17;
    const result = await spdyExec(exec(['big', String(size)]), {});
    expect(result.stdout.length).toBe(size);
    expect(result.stdout.slice(0, 5)).toBe('abcde');
    result.connection.destroy();
  });

  it('attaches and reports Success', async () => {
    const url = server.issueUrl({
      kind: 'attach',
      containerId: 'c1',
      tty: false,
      stdin: true,
      stdout: true,
      stderr: false,
    });
    const result = await spdyExec(url, { stdin: 'attached' });
    expect(result.stdout).toBe('attached');
    expect(JSON.parse(result.error)).toEqual({ metadata: {}, status: 'Success' });
    result.connection.destroy();
  });

  it('aborts the runtime and frees everything when the client disconnects mid-stream', async () => {
    const { connection } = await spdyConnect(exec(['hang']), ['v4.channel.k8s.io']);
    await connection.openStream({ streamtype: 'error' });
    await connection.openStream({ streamtype: 'stdout' });
    await expect.poll(() => runtime.started).toContain('hang');
    expect(server.stats.sessions).toBe(1);
    connection.destroy();
    await expect.poll(() => runtime.aborted).toContain('exec');
    await settle();
    expect(server.stats).toMatchObject({ sockets: 0, sessions: 0 });
  });

  it('gives up when the client does not create its streams in time', async () => {
    const { connection } = await spdyConnect(exec(['cat'], { stdin: true }), ['v4.channel.k8s.io']);
    await connection.openStream({ streamtype: 'error' });
    await connection.closed;
    expect(runtime.started).toEqual([]);
  });
});

describe('streaming server answers', () => {
  it('404 for an unknown token, a used token and an expired token', async () => {
    const url = exec(['exit', '0']);
    const first = await spdyExec(url, {});
    first.connection.destroy();
    const again = await upgradeRequest(url, {
      Connection: 'Upgrade',
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
    });
    expect(again).toMatchObject({ answer: { status: 404 } });
    expect('answer' in again && again.answer.body).toContain('unknown, used or expired exec token');
    const unknown = await upgradeRequest(url.replace(/[^/]+$/, 'AAAAAAAAAAAAAAAAAAAAAA'), {
      Connection: 'Upgrade',
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
    });
    expect(unknown).toMatchObject({ answer: { status: 404 } });
    const wrongKind = await upgradeRequest(exec(['exit', '0']).replace('/exec/', '/attach/'), {
      Connection: 'Upgrade',
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
    });
    expect(wrongKind).toMatchObject({ answer: { status: 404 } });
  });

  it('404 for an expired token (injected clock)', async () => {
    let now = 1_000_000;
    const clocked = await StreamingServer.start({ runtime, cache: { now: () => now } });
    try {
      const url = clocked.issueUrl({
        kind: 'exec',
        containerId: 'c',
        cmd: ['exit', '0'],
        tty: false,
        stdin: false,
        stdout: true,
        stderr: false,
      });
      now += 60_001;
      const answer = await upgradeRequest(url, {
        Connection: 'Upgrade',
        Upgrade: 'SPDY/3.1',
        'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
      });
      expect(answer).toMatchObject({ answer: { status: 404 } });
    } finally {
      await clocked.close();
    }
  });

  it('403 with X-Accepted-Stream-Protocol-Versions when no protocol matches', async () => {
    const answer = await upgradeRequest(exec(['exit', '0']), {
      Connection: 'Upgrade',
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'v9.channel.k8s.io',
    });
    expect(answer).toMatchObject({ answer: { status: 403 } });
    if (!('answer' in answer)) throw new Error('upgraded');
    expect(answer.answer.headers['x-accepted-stream-protocol-versions']).toBe(
      'v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io',
    );
  });

  it('400 without X-Stream-Protocol-Version, and for a request that does not upgrade', async () => {
    const missing = await upgradeRequest(exec(['exit', '0']), { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' });
    expect(missing).toMatchObject({ answer: { status: 400 } });
    const plain = await upgradeRequest(
      exec(['exit', '0']),
      { 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' },
      'GET',
    );
    expect(plain).toMatchObject({ answer: { status: 400 } });
  });

  it('404 for other paths, 405 for other methods', async () => {
    const base = exec(['exit', '0']);
    const other = await upgradeRequest(base.replace(/\/exec\/.*/, '/logs/x'), {}, 'GET');
    expect(other).toMatchObject({ answer: { status: 404 } });
    const put = await upgradeRequest(base, {}, 'PUT');
    expect(put).toMatchObject({ answer: { status: 405 } });
  });

  it('builds absolute URLs (https with TLS, brackets for IPv6)', async () => {
    expect(exec(['x'])).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/exec\/[A-Za-z0-9_-]{22}$/);
    const v6 = await StreamingServer.start({ runtime, address: '::1' }).catch(() => undefined);
    if (v6) {
      expect(v6.urlFor('attach', 'tok')).toMatch(/^http:\/\/\[::1\]:\d+\/attach\/tok$/);
      await v6.close();
    }
    const based = await StreamingServer.start({ runtime, baseUrl: 'https://node1.example:10010' });
    expect(based.urlFor('portforward', 'tok')).toBe('https://node1.example:10010/portforward/tok');
    await based.close();
  });

  it('serves HTTPS with the given certificate and hands out https URLs', async () => {
    const secure = await StreamingServer.start({ runtime, tls: testTls() });
    try {
      const url = secure.issueUrl({
        kind: 'exec',
        containerId: 'c',
        cmd: ['cat'],
        tty: false,
        stdin: true,
        stdout: true,
        stderr: false,
      });
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/exec\//);
      const result = await spdyExec(url, { stdin: 'over tls' });
      expect(result.stdout).toBe('over tls');
      result.connection.destroy();
    } finally {
      await secure.close();
    }
  });

  it('rejects invalid requests before issuing a URL', () => {
    expect(() => exec(['x'], { tty: true, stderr: true })).toThrow(/tty and stderr/);
    expect(() => exec(['x'], { stdout: false })).toThrow(/one of stdin, stdout, or stderr/);
    expect(() => server.issueUrl({ kind: 'portforward', podSandboxId: '', ports: [] })).toThrow(
      /pod_sandbox_id/,
    );
  });
});

void collect;
