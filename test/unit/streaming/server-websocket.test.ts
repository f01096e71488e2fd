import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { StreamingServer } from '../../../src/streaming/server.js';
import { FakeRuntime } from './support/fake-runtime.js';

let runtime: FakeRuntime;
let server: StreamingServer;

beforeEach(async () => {
  runtime = new FakeRuntime();
  server = await StreamingServer.start({ runtime, finishTimeoutMs: 2000 });
});

afterEach(async () => {
  await server.close();
});

const exec = (cmd: string[], extra: Partial<{ tty: boolean; stdin: boolean; stderr: boolean }> = {}) =>
  server
    .issueUrl({
      kind: 'exec',
      containerId: 'c1',
      cmd,
      tty: false,
      stdin: false,
      stdout: true,
      stderr: false,
      ...extra,
    })
    .replace(/^http/, 'ws');

interface Session {
  ws: WebSocket;
  messages: { data: Buffer; binary: boolean }[];
  closed: Promise<{ code: number }>;
}

async function open(url: string, protocols: string[]): Promise<Session> {
  const ws = new WebSocket(url, protocols);
  const messages: Session['messages'] = [];
  ws.on('message', (data: Buffer, binary: boolean) => messages.push({ data, binary }));
  const closed = new Promise<{ code: number }>((resolve) => ws.on('close', (code) => resolve({ code })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return { ws, messages, closed };
}

function channel(messages: Session['messages'], ch: number): string {
  return Buffer.concat(messages.filter((m) => m.data[0] === ch).map((m) => m.data.subarray(1))).toString();
}

describe('exec over WebSocket channels', () => {
  it('v5: empty hello on stdout, stdin closed by [255, 0], JSON status, then a normal close', async () => {
    const s = await open(exec(['cat'], { stdin: true }), ['v5.channel.k8s.io']);
    expect(s.ws.protocol).toBe('v5.channel.k8s.io');
    s.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('over websocket')]));
    s.ws.send(Buffer.from([255, 0]));
    const { code } = await s.closed;
    expect(code).toBe(1000);
    expect(s.messages[0]?.data).toEqual(Buffer.from([1]));
    expect(channel(s.messages, 1)).toBe('over websocket');
    expect(JSON.parse(channel(s.messages, 3))).toEqual({ metadata: {}, status: 'Success' });
  });

  it('v4.base64: text frames with a digit channel and base64 payloads', async () => {
    const s = await open(exec(['exit', '5']), ['v4.base64.channel.k8s.io']);
    await s.closed;
    expect(s.messages.every((m) => !m.binary)).toBe(true);
    expect(s.messages[0]?.data.toString()).toBe('1');
    const status = s.messages.find((m) => m.data.toString().startsWith('3'));
    const decoded = JSON.parse(Buffer.from(status?.data.toString().slice(1) ?? '', 'base64').toString());
    expect(decoded).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '5' }] },
    });
  });

  it('channel.k8s.io: plain-text errors, hello on stderr when there is no stdout', async () => {
    const url = server
      .issueUrl({
        kind: 'exec',
        containerId: 'c',
        cmd: ['fail', 'boom'],
        tty: false,
        stdin: false,
        stdout: false,
        stderr: true,
      })
      .replace(/^http/, 'ws');
    const s = await open(url, ['channel.k8s.io']);
    await s.closed;
    expect(s.messages[0]?.data).toEqual(Buffer.from([2]));
    expect(channel(s.messages, 3)).toBe(
      'Internal error occurred: error executing command in container: boom',
    );
  });

  it('no subprotocol offered: binary channels, plain-text errors', async () => {
    const s = await open(exec(['exit', '1']), []);
    await s.closed;
    expect(channel(s.messages, 3)).toContain('command terminated with non-zero exit code');
  });

  it('v4 (no close signal): a [255, 0] message is not a close signal', async () => {
    const s = await open(exec(['exit', '0']), ['v4.channel.k8s.io']);
    s.ws.send(Buffer.from([255, 0]));
    await s.closed;
    expect(JSON.parse(channel(s.messages, 3))).toEqual({ metadata: {}, status: 'Success' });
  });

  it('resize on channel 4 under a TTY', async () => {
    const s = await open(exec(['resize', '2'], { tty: true }), ['v5.channel.k8s.io']);
    s.ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":10,"Height":5}{"Width":')]));
    s.ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('20,"Height":6}\n')]));
    await s.closed;
    expect(channel(s.messages, 1)).toBe('10x5\n20x6');
  });

  it('answers WebSocket pings', async () => {
    const s = await open(exec(['hang']), ['v5.channel.k8s.io']);
    const pong = new Promise<Buffer>((resolve) => s.ws.once('pong', resolve));
    s.ws.ping(Buffer.from('hb'));
    expect((await pong).toString()).toBe('hb');
    s.ws.terminate();
  });

  it('403 for an unsupported subprotocol', async () => {
    await expect(open(exec(['exit', '0']), ['v9.channel.k8s.io'])).rejects.toThrow('status 403');
  });

  it('aborts the runtime when the client goes away', async () => {
    const s = await open(exec(['hang']), ['v5.channel.k8s.io']);
    await expect.poll(() => runtime.started).toContain('hang');
    s.ws.terminate();
    await expect.poll(() => runtime.aborted).toContain('exec');
    await expect.poll(() => server.stats).toMatchObject({ sockets: 0, sessions: 0 });
  });

  it('attach over v5 with stdin', async () => {
    const url = server
      .issueUrl({ kind: 'attach', containerId: 'c', tty: false, stdin: true, stdout: true, stderr: false })
      .replace(/^http/, 'ws');
    const s = await open(url, ['v5.channel.k8s.io']);
    s.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('typed')]));
    s.ws.send(Buffer.from([255, 0]));
    await s.closed;
    expect(channel(s.messages, 1)).toBe('typed');
  });

  it('port-forward offers only the SPDY tunnel', async () => {
    const url = server
      .issueUrl({ kind: 'portforward', podSandboxId: 'p', ports: [80] })
      .replace(/^http/, 'ws');
    await expect(open(url, ['v4.channel.k8s.io'])).rejects.toThrow('status 403');
  });
});
