import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-info.js';
import { criClient, type CriClient } from '../support/cri-client.js';
import { startWincri, type WincriProcess } from '../support/wincri-process.js';

/**
 * The built wincri process stopping on a signal with a kubelet-like GetContainerEvents stream open:
 * the stream ends at once with UNAVAILABLE (an evented-PLEG kubelet reconnects to the next wincri)
 * and the process exits without waiting out the drain bound. No engine is needed (the events stream
 * is served before the engine answers), so this touches nothing on the rig.
 */
let wincri: WincriProcess | undefined;
let client: CriClient | undefined;
afterEach(async () => {
  client?.close();
  await wincri?.stop();
});

describe('wincri serve on a stop signal', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s ends an open event stream at once and exits within a second',
    async (signal) => {
      wincri = await startWincri({ dockerHost: 'unix:///nonexistent/docker.sock' });
      client = criClient(wincri.endpoint);
      const rpc = client.runtime as unknown as Record<string, (req: object) => NodeJS.EventEmitter>;
      const stream = rpc['GetContainerEvents']!.call(client.runtime, {});
      const ended = new Promise<{ error: ServiceError; at: number }>((resolve) =>
        stream.on('error', (error: ServiceError) => resolve({ error, at: Date.now() })),
      );
      await expect.poll(() => wincri!.logs().includes('stream opened')).toBe(true);
      const exited = new Promise<number>((resolve) =>
        wincri!.process.once('exit', () => resolve(Date.now())),
      );
      const sent = Date.now();
      wincri.process.kill(signal);
      const { error, at } = await ended;
      expect(error.code).toBe(grpcStatus.UNAVAILABLE);
      expect(error.details).toMatch(/shutting down/);
      expect(at - sent).toBeLessThan(500);
      expect((await exited) - sent).toBeLessThan(1_000);
      expect(wincri.process.exitCode).toBe(0);
      expect(wincri.logs()).toMatch(/"streamsEnded":1/);
    },
  );
});

/** Starts wincri with `extra` flags and returns its "CRI server listening" log line. */
async function listeningLine(extra: string[]): Promise<string> {
  await wincri?.stop();
  wincri = await startWincri({ dockerHost: 'unix:///nonexistent/docker.sock', extra });
  await expect.poll(() => wincri!.logs()).toMatch(/CRI server listening/);
  return (
    wincri
      .logs()
      .split('\n')
      .find((l) => l.includes('CRI server listening')) ?? ''
  );
}

describe('wincri serve --log-format', () => {
  it('text: readable lines from pino-pretty, with the same fields; json by default', async () => {
    const text = await listeningLine(['--log-format', 'text']);
    expect(() => JSON.parse(text)).toThrow();
    expect(text).toMatch(
      /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} [+-]\d{4}\] INFO: CRI server listening/,
    );
    expect(JSON.parse(await listeningLine([]))).toMatchObject({ level: 30, msg: 'CRI server listening' });
  });
});

describe('wincri serve under a supervisor that holds the socket (systemd socket activation)', () => {
  it('serves the socket it is given: a call made before wincri started is answered; the socket outlives it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wincri-activation-'));
    const socketPath = join(dir, 'wincri.sock');
    // systemd-socket-activate binds and listens, then execs wincri with the socket as fd 3
    // (LISTEN_FDS=1), as systemd does with packaging/systemd/wincri.socket.
    const child = spawn(
      'systemd-socket-activate',
      [
        '--listen',
        socketPath,
        process.execPath,
        join(PACKAGE_ROOT, 'dist', 'src', 'main.js'),
        'serve',
        '--listen',
        `unix://${socketPath}`,
        '--docker-host',
        'unix:///nonexistent/docker.sock',
        '--root-dir',
        join(dir, 'root'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => existsSync(socketPath)).toBe(true);
      // Connected to the supervisor's socket while node is still loading wincri: the call waits in
      // the backlog. A wincri that bound the path again would leave it there unanswered.
      client = criClient(`unix://${socketPath}`);
      const version = await client.call('runtime', 'Version', {}, { deadline: Date.now() + 30_000 });
      expect(version).toMatchObject({ runtime_name: 'wincri', runtime_api_version: 'v1' });
      expect(output).toMatch(/"fd":3,"msg":"CRI server listening on the socket passed by the supervisor"/);
      client.close();
      client = undefined;
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The supervisor's socket file stays for the next instance (systemd keeps listening on it).
      expect(existsSync(socketPath)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
