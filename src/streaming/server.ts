/**
 * The streaming HTTP(S) server behind the URLs that Exec, Attach and PortForward return
 * (upstream: cri-streaming `server.go`). Routes: GET and POST `/exec/:token`, `/attach/:token`,
 * `/portforward/:token`. A token is consumed on first use; an unknown, used or expired one gets 404.
 * Each URL accepts both upgrade kinds:
 * - `Upgrade: SPDY/3.1` with `X-Stream-Protocol-Version` negotiation (400 without the header,
 *   403 plus `X-Accepted-Stream-Protocol-Versions` when nothing matches);
 * - WebSocket, with the channel subprotocols for exec/attach and client-go's SPDY tunnel
 *   (`SPDY/3.1+portforward.k8s.io`) for port-forward (403 when nothing matches).
 * By default it listens on 127.0.0.1 with an ephemeral port: the kubelet proxies every stream, so
 * nothing else needs to reach it, and a shim must not expose exec to the network by accident.
 */

import http from 'node:http';
import type https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { WebSocket } from 'ws';
import {
  isSpdyUpgrade,
  isWebSocketUpgrade,
  negotiateSpdyProtocol,
  negotiateWebSocketProtocol,
  SPDY_COMMAND_PROTOCOLS,
  SPDY_PORT_FORWARD_PROTOCOLS,
  WEBSOCKET_COMMAND_PROTOCOLS,
  WEBSOCKET_PORT_FORWARD_PROTOCOLS,
} from './handshake.js';
import { RequestCache, type RequestCacheOptions } from './request-cache.js';
import { validateStreamRequest, type StreamKind, type StreamRequest } from './requests.js';
import type { StreamRuntime } from './runtime.js';
import { loadSessionCode, type SessionCode } from './session-code.js';
import { delay } from './session-support.js';

export interface StreamingServerOptions {
  runtime: StreamRuntime;
  /** Address to listen on (default `127.0.0.1`). */
  address?: string;
  /** Port to listen on (default 0: an ephemeral port). */
  port?: number;
  /** PEM certificate and key: serve HTTPS and hand out https URLs. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * Scheme, host and port put in URLs, e.g. `https://node1.example:10010`. Default: derived from
   * the listening address; a wildcard address (0.0.0.0, ::) is replaced by loopback, since a URL
   * naming `[::]` breaks the kubelet's proxy.
   */
  baseUrl?: string;
  log?: Logger;
  /** Request-cache settings (TTL, bound, clock). */
  cache?: RequestCacheOptions;
  /** How long a SPDY client has to open its streams (default 30 s, upstream's). */
  streamCreationTimeoutMs?: number;
  /** Inactivity after which an upgraded connection is dropped (default 4 h, upstream's). */
  idleTimeoutMs?: number;
  /** How long a finished session waits for the client to close (default 15 min, upstream's). */
  finishTimeoutMs?: number;
}

const KINDS: readonly StreamKind[] = ['exec', 'attach', 'portforward'];
const ROUTE = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]+)\/?$/;

/** Listens from the start; the code behind a session is loaded by the first upgrade (session-code.ts). */
export class StreamingServer {
  private readonly server: http.Server | https.Server;
  private readonly cache: RequestCache<StreamRequest>;
  private code: Promise<SessionCode> | undefined;
  private readonly chosenProtocol = new WeakMap<http.IncomingMessage, string>();
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<Promise<void>>();
  private readonly shutdown = new AbortController();
  private readonly log: Logger;
  private readonly runtime: StreamRuntime;
  private base: URL | undefined;

  private constructor(
    private readonly options: StreamingServerOptions,
    createTlsServer: typeof https.createServer | undefined,
  ) {
    this.runtime = options.runtime;
    this.log = options.log ?? pino({ enabled: false });
    this.cache = new RequestCache(options.cache);
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => this.handleRequest(req, res);
    this.server =
      options.tls && createTlsServer
        ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest)
        : http.createServer(onRequest);
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) =>
      this.handleUpgrade(req, socket as Socket, head),
    );
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (_err, socket: Duplex) => socket.destroy());
  }

  /** Loaded by the first upgrade, before it is answered: from the 101 on the client may send. */
  private sessionCode(): Promise<SessionCode> {
    this.code ??= loadSessionCode(this.chosenProtocol);
    return this.code;
  }

  /** Creates the server and starts listening. */
  static async start(options: StreamingServerOptions): Promise<StreamingServer> {
    const tls = options.tls ? (await import('node:https')).createServer : undefined;
    const server = new StreamingServer(options, tls);
    await server.listen();
    return server;
  }

  private async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.address ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.base = new URL(this.options.baseUrl ?? this.defaultBase());
  }

  private defaultBase(): string {
    const { address, port } = this.server.address() as AddressInfo;
    const host = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
    const scheme = this.options.tls ? 'https' : 'http';
    return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** The address the server listens on. */
  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** Stores a request under a fresh single-use token (throws ResourceExhausted when full). */
  insert(request: StreamRequest): string {
    return this.cache.insert(request);
  }

  /** The absolute URL for a token, e.g. `http://127.0.0.1:43121/exec/<token>`. */
  urlFor(kind: StreamKind, token: string): string {
    if (this.base === undefined) throw new Error('streaming server is not listening');
    return new URL(`${kind}/${token}`, this.base.href.endsWith('/') ? this.base : `${this.base.href}/`).href;
  }

  /**
   * What a gRPC Exec/Attach/PortForward handler calls: validates the request (InvalidArgument),
   * stores it (ResourceExhausted when 1000 are in flight) and returns the URL for the response.
   */
  issueUrl(request: StreamRequest): string {
    validateStreamRequest(request);
    return this.urlFor(request.kind, this.insert(request));
  }

  /** Open TCP connections and running sessions, for tests and diagnostics. */
  get stats(): { sockets: number; sessions: number; pendingTokens: number } {
    return { sockets: this.sockets.size, sessions: this.sessions.size, pendingTokens: this.cache.size };
  }

  /** Stops listening, aborts every session (the runtime sees its signal abort) and drops all sockets. */
  async close(): Promise<void> {
    this.shutdown.abort(new Error('streaming server closing'));
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const wss = (await this.code?.catch(() => undefined))?.wss;
    for (const ws of wss?.clients ?? []) ws.terminate();
    for (const socket of this.sockets) socket.destroy();
    await Promise.race([Promise.all(this.sessions), delay(5000)]);
    await stopped;
    wss?.close();
  }

  // --- routing --------------------------------------------------------------------------------

  /** Resolves the route and consumes the token; on failure answers the client and returns undefined. */
  private route(req: http.IncomingMessage, reply: Reply): StreamRequest | undefined {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const match = ROUTE.exec(path);
    const kind = match?.[1] as StreamKind | undefined;
    const token = match?.[2];
    if (kind === undefined || token === undefined || !KINDS.includes(kind)) {
      reply(404, '404 page not found\n');
      return undefined;
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      reply(405, `method ${req.method ?? ''} not allowed\n`, { Allow: 'GET, POST' });
      return undefined;
    }
    const request = this.cache.consume(token);
    if (request === undefined || request.kind !== kind) {
      reply(404, `404 page not found: unknown, used or expired ${kind} token\n`);
      return undefined;
    }
    return request;
  }

  private handleRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const reply = responseReply(res);
    const request = this.route(req, reply);
    if (request === undefined) return;
    // A plain request cannot carry a stream; upstream answers it after the protocol check too.
    const supported = request.kind === 'portforward' ? SPDY_PORT_FORWARD_PROTOCOLS : SPDY_COMMAND_PROTOCOLS;
    const negotiation = negotiateSpdyProtocol(req.headers, supported);
    if (!negotiation.ok) reply(negotiation.status, `${negotiation.message}\n`, negotiation.headers);
    else reply(400, 'unable to upgrade: missing upgrade headers in request\n');
  }

  private handleUpgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', (err) => this.log.debug({ err }, 'streaming socket error'));
    const reply = socketReply(socket);
    const request = this.route(req, reply);
    if (request === undefined) return;
    // Until a session binds to it, the upgraded socket has no 'data' listener and keeps what arrives.
    this.sessionCode().then(
      (code) => this.upgrade(code, req, socket, head, request, reply),
      (err: unknown) => {
        this.log.error({ err }, 'cannot load the streaming session code');
        reply(500, 'streaming session code failed to load\n');
      },
    );
  }

  private upgrade(
    code: SessionCode,
    req: http.IncomingMessage,
    socket: Socket,
    head: Buffer,
    request: StreamRequest,
    reply: Reply,
  ): void {
    if (this.shutdown.signal.aborted) {
      reply(503, 'streaming server is shutting down\n');
      return;
    }
    if (isWebSocketUpgrade(req.headers)) {
      const supported =
        request.kind === 'portforward' ? WEBSOCKET_PORT_FORWARD_PROTOCOLS : WEBSOCKET_COMMAND_PROTOCOLS;
      const negotiation = negotiateWebSocketProtocol(req.headers, supported);
      if (!negotiation.ok) {
        reply(negotiation.status, `${negotiation.message}\n`, negotiation.headers);
        return;
      }
      this.chosenProtocol.set(req, negotiation.protocol);
      delete req.headers['sec-websocket-protocol'];
      code.wss.handleUpgrade(req, socket, head, (ws) =>
        this.startWebSocketSession(code, ws, negotiation.protocol, request, socket),
      );
      return;
    }
    const supported = request.kind === 'portforward' ? SPDY_PORT_FORWARD_PROTOCOLS : SPDY_COMMAND_PROTOCOLS;
    const negotiation = negotiateSpdyProtocol(req.headers, supported);
    if (!negotiation.ok) {
      reply(negotiation.status, `${negotiation.message}\n`, negotiation.headers);
      return;
    }
    if (!isSpdyUpgrade(req.headers)) {
      reply(400, 'unable to upgrade: missing upgrade headers in request\n');
      return;
    }
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\n' +
        'Connection: Upgrade\r\n' +
        'Upgrade: SPDY/3.1\r\n' +
        `X-Stream-Protocol-Version: ${negotiation.protocol}\r\n\r\n`,
    );
    this.prepareUpgradedSocket(socket);
    this.track(this.spdySession(code, socket, head, negotiation.protocol, request));
  }

  private spdySession(
    code: SessionCode,
    transport: Duplex,
    head: Buffer,
    protocol: string,
    request: StreamRequest,
  ): Promise<void> {
    const log = this.log.child({ kind: request.kind, protocol });
    const signal = this.shutdown.signal;
    if (request.kind === 'portforward') {
      return code.servePortForward({
        transport,
        head,
        request,
        runtime: this.runtime,
        signal,
        options: { streamCreationTimeoutMs: this.creationTimeout, log },
      });
    }
    return code.serveSpdyCommand({
      transport,
      head,
      protocol,
      request,
      runtime: this.runtime,
      signal,
      options: { streamCreationTimeoutMs: this.creationTimeout, finishTimeoutMs: this.finishTimeout, log },
    });
  }

  private startWebSocketSession(
    code: SessionCode,
    ws: WebSocket,
    protocol: string,
    request: StreamRequest,
    socket: Socket,
  ): void {
    this.prepareUpgradedSocket(socket);
    ws.on('error', (err) => this.log.debug({ err }, 'websocket error'));
    if (request.kind === 'portforward') {
      // client-go tunnels raw SPDY bytes in binary messages: run the SPDY server on the ws itself.
      const tunnel = code.createWebSocketStream(ws);
      tunnel.on('error', () => undefined);
      this.track(
        this.spdySession(code, tunnel, Buffer.alloc(0), protocol, request).finally(() => ws.terminate()),
      );
      return;
    }
    this.track(
      code.serveWebSocketCommand({
        ws,
        protocol,
        request,
        runtime: this.runtime,
        signal: this.shutdown.signal,
        options: {
          finishTimeoutMs: this.finishTimeout,
          log: this.log.child({ kind: request.kind, protocol }),
        },
      }),
    );
  }

  private prepareUpgradedSocket(socket: Socket): void {
    socket.setNoDelay(true);
    socket.setTimeout(this.options.idleTimeoutMs ?? 4 * 60 * 60 * 1000, () => socket.destroy());
  }

  private track(session: Promise<void>): void {
    const tracked = session.catch((err: unknown) => this.log.error({ err }, 'streaming session failed'));
    this.sessions.add(tracked);
    void tracked.finally(() => this.sessions.delete(tracked));
  }

  private get creationTimeout(): number {
    return this.options.streamCreationTimeoutMs ?? 30_000;
  }

  private get finishTimeout(): number {
    return this.options.finishTimeoutMs ?? 15 * 60 * 1000;
  }
}

type Reply = (status: number, body: string, headers?: Record<string, string | string[]>) => void;

function responseReply(res: http.ServerResponse): Reply {
  return (status, body, headers = {}) => {
    res.writeHead(status, {
      ...headers,
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(body);
  };
}

/** Answers an upgrade request that will not be upgraded, then closes the socket. */
function socketReply(socket: Socket): Reply {
  return (status, body, headers = {}) => {
    const lines = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}`];
    for (const [name, value] of Object.entries(headers)) {
      for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
    }
    lines.push(
      'Content-Type: text/plain; charset=utf-8',
      'X-Content-Type-Options: nosniff',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
    );
    socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  };
}
