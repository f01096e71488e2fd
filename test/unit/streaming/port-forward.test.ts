import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StreamingServer } from '../../../src/streaming/server.js';
import { SpdyConnection, type SpdyStream } from '../../../src/streaming/spdy/connection.js';
import { FakeRuntime, startEchoServer } from './support/fake-runtime.js';
import { openTunnel } from './support/raw-websocket.js';
import { collect, spdyConnect } from './support/spdy-client.js';

let runtime: FakeRuntime;
let server: StreamingServer;
let echo: Awaited<ReturnType<typeof startEchoServer>>;

beforeEach(async () => {
  runtime = new FakeRuntime();
  server = await StreamingServer.start({ runtime, streamCreationTimeoutMs: 300 });
  echo = await startEchoServer();
});

afterEach(async () => {
  await server.close();
  await echo.close();
});

const forwardUrl = () => server.issueUrl({ kind: 'portforward', podSandboxId: 'pod1', ports: [echo.port] });

/** What client-go's port-forwarder does per local connection: error stream (half-closed), then data. */
async function forwardOnce(
  connection: SpdyConnection,
  port: number,
  requestId: string | undefined,
  payload: string,
) {
  const base = { port: String(port), ...(requestId !== undefined && { requestID: requestId }) };
  const error = await connection.openStream({ streamType: 'error', ...base });
  error.end();
  const data = await connection.openStream({ streamType: 'data', ...base });
  data.end(payload);
  const [answer, message] = await Promise.all([collect(data), collect(error)]);
  return { answer: answer.toString(), error: message.toString(), data };
}

describe('port-forward over SPDY', () => {
  it('negotiates portforward.k8s.io and pipes a connection through the runtime', async () => {
    const { connection, protocol } = await spdyConnect(forwardUrl(), ['portforward.k8s.io']);
    expect(protocol).toBe('portforward.k8s.io');
    const first = await forwardOnce(connection, echo.port, '0', 'hello');
    expect(first).toMatchObject({ answer: 'HELLO', error: '' });
    const second = await forwardOnce(connection, echo.port, '1', 'again');
    expect(second.answer).toBe('AGAIN');
    expect(runtime.forwards).toEqual([echo.port, echo.port]);
    connection.destroy();
    await expect.poll(() => server.stats).toMatchObject({ sockets: 0, sessions: 0 });
  });

  it('pairs legacy streams without requestID by stream id (error n, data n+2)', async () => {
    const { connection } = await spdyConnect(forwardUrl(), ['portforward.k8s.io']);
    const result = await forwardOnce(connection, echo.port, undefined, 'legacy');
    expect(result.answer).toBe('LEGACY');
    connection.destroy();
  });

  it('writes the failure to the error stream and resets the data stream', async () => {
    const closed = await startEchoServer();
    await closed.close();
    const { connection } = await spdyConnect(forwardUrl(), ['portforward.k8s.io']);
    const result = await forwardOnce(connection, closed.port, '0', 'x');
    expect(result.error).toMatch(
      new RegExp(`^error forwarding port ${closed.port} to pod pod1, uid : connect ECONNREFUSED`),
    );
    expect(result.data.wasReset).toBe(true);
    connection.destroy();
  });

  it('resets streams with a missing or bad port or stream type', async () => {
    const { connection } = await spdyConnect(forwardUrl(), ['portforward.k8s.io']);
    await expect(connection.openStream({ streamType: 'data' })).rejects.toThrow(/reset/);
    await expect(connection.openStream({ streamType: 'data', port: '70000' })).rejects.toThrow(/reset/);
    await expect(connection.openStream({ streamType: 'stdin', port: '80' })).rejects.toThrow(/reset/);
    connection.destroy();
  });

  it('tells the client when the pair stays incomplete', async () => {
    const { connection } = await spdyConnect(forwardUrl(), ['portforward.k8s.io']);
    const error = await connection.openStream({ streamType: 'error', port: '80', requestID: '9' });
    const message = await new Promise<string>((resolve) =>
      error.once('data', (d: Buffer) => resolve(d.toString())),
    );
    expect(message).toContain('timed out waiting for streams');
    connection.destroy();
  });

  it('aborts forwarding when the client goes away', async () => {
    const { connection } = await spdyConnect(forwardUrl(), ['portforward.k8s.io']);
    const error = await connection.openStream({
      streamType: 'error',
      port: String(echo.port),
      requestID: '0',
    });
    error.end();
    const data: SpdyStream = await connection.openStream({
      streamType: 'data',
      port: String(echo.port),
      requestID: '0',
    });
    data.write('held open');
    await expect.poll(() => runtime.forwards).toHaveLength(1);
    connection.destroy();
    await expect.poll(() => runtime.aborted).toContain('portforward');
    await expect.poll(() => server.stats).toMatchObject({ sockets: 0, sessions: 0 });
  });
});

describe('port-forward over the SPDY-in-WebSocket tunnel', () => {
  it('runs SPDY inside binary WebSocket messages', async () => {
    const { tunnel, protocol } = await openTunnel(forwardUrl(), 'SPDY/3.1+portforward.k8s.io');
    expect(protocol).toBe('SPDY/3.1+portforward.k8s.io');
    const connection = new SpdyConnection(tunnel, { role: 'client' });
    const result = await forwardOnce(connection, echo.port, '0', 'tunnelled');
    expect(result.answer).toBe('TUNNELLED');
    connection.destroy();
    await expect.poll(() => server.stats).toMatchObject({ sockets: 0, sessions: 0 });
  });
});
