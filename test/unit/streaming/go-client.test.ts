/**
 * The streaming server against the real Kubernetes client code (client-go v0.36.3 over
 * moby/spdystream and gorilla/websocket), via test/fixtures/streaming/goclient. Skipped when the
 * fixture cannot be built offline (no Go toolchain, or an empty module cache).
 */

import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { StreamingServer } from '../../../src/streaming/server.js';
import { FakeRuntime, startEchoServer } from './support/fake-runtime.js';
import { testTls } from './support/tls.js';

const fixture = path.resolve(import.meta.dirname, '../../fixtures/streaming/goclient');
let binary: string | undefined;
let server: StreamingServer;
let runtime: FakeRuntime;
let echo: Awaited<ReturnType<typeof startEchoServer>>;

function build(): Promise<string | undefined> {
  if (process.env.WINCRI_STREAMING_GOCLIENT) return Promise.resolve(process.env.WINCRI_STREAMING_GOCLIENT);
  const out = path.join(tmpdir(), `wincri-goclient-${process.getuid?.() ?? 0}`);
  return new Promise((resolve) => {
    execFile(
      'go',
      ['build', '-o', out, '.'],
      { cwd: fixture, timeout: 240_000, env: { ...process.env, GOPROXY: 'off', GOFLAGS: '-mod=mod' } },
      (err) => resolve(err ? undefined : out),
    );
  });
}

function run(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(binary as string, args, { timeout: 30_000 }, (_err, stdout, stderr) =>
      resolve({ code: child.exitCode, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

beforeAll(async () => {
  binary = await build();
  runtime = new FakeRuntime();
  server = await StreamingServer.start({ runtime, finishTimeoutMs: 5000 });
  echo = await startEchoServer();
}, 300_000);

afterAll(async () => {
  await server?.close();
  await echo?.close();
});

function needBinary(ctx: TestContext): void {
  if (binary === undefined) ctx.skip();
}

const exec = (cmd: string[], o: Partial<{ tty: boolean; stdin: boolean; stderr: boolean }> = {}) =>
  server.issueUrl({
    kind: 'exec',
    containerId: 'c',
    cmd,
    tty: false,
    stdin: false,
    stdout: true,
    stderr: false,
    ...o,
  });

describe.each(['spdy', 'websocket'])('client-go %s executor', (transport) => {
  it('streams stdin to EOF and stdout, exit 0', async (ctx) => {
    needBinary(ctx);
    const r = await run(
      ['-transport', transport, '-stdin', '-stderr=false', exec(['cat'], { stdin: true })],
      'hello from go\n',
    );
    expect(r).toMatchObject({ code: 0, stdout: 'hello from go\n', stderr: 'EXIT 0\n' });
  });

  it('gets the exit code of a failing command', async (ctx) => {
    needBinary(ctx);
    const r = await run(['-transport', transport, '-stderr=false', exec(['exit', '7'])]);
    expect(r).toMatchObject({ code: 3, stderr: 'EXIT 7\n' });
  });

  it('separates stdout and stderr', async (ctx) => {
    needBinary(ctx);
    const r = await run(['-transport', transport, exec(['both'], { stderr: true })]);
    expect(r).toMatchObject({ code: 0, stdout: 'out', stderr: 'errEXIT 0\n' });
  });

  it('shows a runtime error', async (ctx) => {
    needBinary(ctx);
    const r = await run(['-transport', transport, '-stderr=false', exec(['fail', 'no such container'])]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error executing command in container: no such container');
  });

  it('delivers terminal resizes under a TTY', async (ctx) => {
    needBinary(ctx);
    const r = await run([
      '-transport',
      transport,
      '-tty',
      '-resize',
      '100x30',
      exec(['resize', '1'], { tty: true }),
    ]);
    expect(r).toMatchObject({ code: 0, stdout: '100x30' });
  });

  it('forwards a port', async (ctx) => {
    needBinary(ctx);
    const url = server.issueUrl({ kind: 'portforward', podSandboxId: 'p', ports: [echo.port] });
    const r = await run([
      '-mode',
      'portforward',
      '-transport',
      transport,
      '-ports',
      `0:${echo.port}`,
      '-payload',
      'ping',
      url,
    ]);
    expect(r).toMatchObject({ code: 0, stdout: 'PING' });
  });
});

describe('client-go over HTTPS', () => {
  it.for(['spdy', 'websocket'])('%s exec', async (transport, ctx) => {
    needBinary(ctx);
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
      const r = await run(['-transport', transport, '-stdin', '-stderr=false', url], 'tls');
      expect(r).toMatchObject({ code: 0, stdout: 'tls' });
    } finally {
      await secure.close();
    }
  });
});

describe('client-go after the sessions', () => {
  it('left no socket or session behind', async (ctx) => {
    needBinary(ctx);
    await expect.poll(() => server.stats, { timeout: 5000 }).toMatchObject({ sockets: 0, sessions: 0 });
  });
});
