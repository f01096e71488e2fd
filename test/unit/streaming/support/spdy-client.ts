/**
 * A minimal SPDY/3.1 client for the streaming tests: the HTTP upgrade a Kubernetes client does,
 * then the client side of `SpdyConnection` (odd stream ids). The real Go client is exercised by
 * go-client.test.ts when its fixture binary has been built.
 */

import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { SpdyConnection, type SpdyStream } from '../../../../src/streaming/spdy/connection.js';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface SpdyUpgrade {
  connection: SpdyConnection;
  protocol: string | undefined;
  socket: Socket;
}

/** Sends a request and, when it upgrades, resolves with the raw socket; otherwise with the answer. */
export function upgradeRequest(
  url: string,
  headers: Record<string, string | string[]>,
  method = 'POST',
): Promise<
  { upgraded: { socket: Socket; head: Buffer; headers: http.IncomingHttpHeaders } } | { answer: HttpAnswer }
> {
  return new Promise((resolve, reject) => {
    // Test servers use a self-signed certificate (test/fixtures/streaming/tls-cert.pem).
    const req = url.startsWith('https:')
      ? https.request(url, { method, headers, rejectUnauthorized: false })
      : http.request(url, { method, headers });
    req.on('upgrade', (res, socket, head) =>
      resolve({ upgraded: { socket: socket as Socket, head, headers: res.headers } }),
    );
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ answer: { status: res.statusCode ?? 0, headers: res.headers, body } }));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function spdyConnect(url: string, protocols: string[]): Promise<SpdyUpgrade> {
  const result = await upgradeRequest(url, {
    Connection: 'Upgrade',
    Upgrade: 'SPDY/3.1',
    'X-Stream-Protocol-Version': protocols,
  });
  if ('answer' in result) throw new Error(`no upgrade: ${result.answer.status} ${result.answer.body}`);
  const { socket, head, headers } = result.upgraded;
  const connection = new SpdyConnection(socket, { role: 'client', head });
  const protocol = headers['x-stream-protocol-version'];
  return { connection, protocol: Array.isArray(protocol) ? protocol[0] : protocol, socket };
}

export function collect(stream: Readable): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('close', () => resolve(Buffer.concat(chunks)));
    stream.on('error', () => undefined);
  });
}

export interface ExecOptions {
  stdin?: Buffer | string;
  /** Keep stdin open (no FIN) after writing it. */
  holdStdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  tty?: boolean;
  resize?: { Width: number; Height: number }[];
  protocols?: string[];
}

export interface ExecResult {
  protocol: string | undefined;
  stdout: string;
  stderr: string;
  error: string;
  connection: SpdyConnection;
  streams: Record<string, SpdyStream>;
}

/** Does what client-go's v4 executor does: error, stdin, stdout, stderr, resize streams, in that order. */
export async function spdyExec(url: string, options: ExecOptions): Promise<ExecResult> {
  const { connection, protocol } = await spdyConnect(
    url,
    options.protocols ?? ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'],
  );
  const streams: Record<string, SpdyStream> = {};
  const open = async (type: string) => {
    streams[type] = await connection.openStream({ streamType: type });
    return streams[type];
  };
  const error = await open('error');
  error.end();
  const stdin = options.stdin !== undefined ? await open('stdin') : undefined;
  const stdout = options.stdout !== false ? await open('stdout') : undefined;
  const stderr = options.stderr && !options.tty ? await open('stderr') : undefined;
  const resize =
    options.tty && protocol !== 'v2.channel.k8s.io' && protocol !== 'channel.k8s.io'
      ? await open('resize')
      : undefined;
  for (const stream of [stdout, stderr]) stream?.end();
  for (const size of options.resize ?? []) resize?.write(`${JSON.stringify(size)}\n`);
  if (stdin) {
    stdin.write(options.stdin ?? '');
    if (!options.holdStdin) stdin.end();
  }
  const [out, err, status] = await Promise.all([
    stdout ? collect(stdout) : Buffer.alloc(0),
    stderr ? collect(stderr) : Buffer.alloc(0),
    collect(error),
  ]);
  return {
    protocol,
    stdout: out.toString(),
    stderr: err.toString(),
    error: status.toString(),
    connection,
    streams,
  };
}
