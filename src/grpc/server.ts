import { chmod } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ImageRpcs, RuntimeRpcs, StreamingRpc } from '../cri/rpc-types.js';
import { CriError } from '../errors.js';
import { adaptServerStream, adaptUnary, OpenCalls, type LogLevel } from './adapt.js';
import { grpcBindAddress, prepareUnixSocketPath, type Endpoint } from './endpoint.js';
import { loadCriRoot, withListItemCaching } from './list-encoding.js';
import type { RpcObserver } from '../metrics/metrics.js';
import { CRI_PROTO_PATH, PROTO_LOADER_OPTIONS } from './proto-options.js';
import { serviceDefinition } from './service-definition.js';
import { serveInheritedSocket } from './socket-activation.js';

/** cri-client (kubelet, crictl) sends and accepts messages up to 16 MiB. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

const STREAMING_RPCS: ReadonlySet<string> = new Set<StreamingRpc>([
  'GetContainerEvents',
  'StreamPodSandboxes',
  'StreamContainers',
  'StreamContainerStats',
  'StreamPodSandboxStats',
  'StreamPodSandboxMetrics',
  'StreamImages',
]);

/** kubelet polls these every second or so: their success is logged at debug only. */
const isPolledRead = (rpc: string) =>
  /^(List|Version$|Status$|ImageFsInfo$|RuntimeConfig$)/.test(rpc) || /(Status|Stats)$/.test(rpc);

/** How long `close` waits for unary calls in flight by default. */
export const DEFAULT_DRAIN_MS = 10_000;

export interface ShutdownReport {
  /** Server streams ended at once (GetContainerEvents). */
  streamsEnded: number;
  /** Unary calls in flight when the server stopped accepting calls. */
  unaryInFlight: number;
  /** Unary calls still running at the bound, cut with CANCELLED. */
  unaryCut: number;
  ms: number;
}

export interface CriServer {
  readonly endpoint: Endpoint;
  /** Server streams open now (GetContainerEvents), for metrics. */
  openStreams(): number;
  /**
   * Stops accepting calls, ends every server stream at once with UNAVAILABLE (its client reconnects
   * to the next wincri), waits up to `drainMs` for unary calls in flight, then cuts the rest.
   */
  close(drainMs?: number): Promise<ShutdownReport>;
}

function loadServices(): { runtime: grpc.ServiceDefinition; image: grpc.ServiceDefinition } {
  const proto = loadCriRoot(CRI_PROTO_PATH);
  // List replies are encoded item by item, unchanged items once (list-encoding.ts says why).
  const load = (name: string) => {
    const service = proto.lookupService(name);
    return withListItemCaching(serviceDefinition(service, PROTO_LOADER_OPTIONS), service);
  };
  return { runtime: load('runtime.v1.RuntimeService'), image: load('runtime.v1.ImageService') };
}

/** Optional parts of the server: metrics per RPC (src/metrics), the slow-call warning. */
export interface CriServerOptions {
  observeRpc?(rpc: string): RpcObserver;
  /** A polled read slower than this logs a warning (mutations log their time at info anyway). */
  slowCallMs?: number;
  /** Serve this already-listening socket (socket activation) instead of binding `endpoint`. */
  listenFd?: number | undefined;
}

function adaptTable(
  table: Record<string, unknown>,
  root: Logger,
  open: OpenCalls,
  options: CriServerOptions,
): grpc.UntypedServiceImplementation {
  const adapted: grpc.UntypedServiceImplementation = {};
  for (const [rpc, handler] of Object.entries(table)) {
    const level: LogLevel = isPolledRead(rpc) ? 'debug' : 'info';
    const observer = options.observeRpc?.(rpc);
    adapted[rpc] = STREAMING_RPCS.has(rpc)
      ? adaptServerStream(rpc, handler as never, root, open, observer)
      : adaptUnary(
          rpc,
          handler as never,
          root,
          level,
          open,
          observer,
          level === 'debug' ? options.slowCallMs : undefined,
        );
  }
  return adapted;
}

/** Serves both CRI services on one endpoint. */
export async function startCriServer(
  endpoint: Endpoint,
  handlers: { runtime: RuntimeRpcs; image: ImageRpcs },
  log: Logger,
  options: CriServerOptions = {},
): Promise<CriServer> {
  const services = loadServices();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  const open = new OpenCalls();
  server.addService(services.runtime, adaptTable(handlers.runtime, log, open, options));
  server.addService(services.image, adaptTable(handlers.image, log, open, options));

  const inherited =
    options.listenFd === undefined ? undefined : await serveInheritedSocket(server, options.listenFd);
  if (inherited) {
    // The supervisor made the socket (its path and mode are in its socket unit) and keeps it.
    log.info(
      { endpoint: endpoint.path, fd: options.listenFd },
      'CRI server listening on the socket passed by the supervisor',
    );
  } else {
    await bind(server, endpoint);
    log.info({ endpoint: endpoint.path }, 'CRI server listening');
  }

  return {
    endpoint,
    openStreams: () => open.streamCount,
    close: (drainMs = DEFAULT_DRAIN_MS) => {
      const started = performance.now();
      const unaryInFlight = open.unary;
      const streamsEnded = open.endStreams(
        new CriError('Unavailable', 'wincri is shutting down; reconnect to the next instance'),
      );
      // This process's copy only: a supervisor's copy keeps listening for the next instance.
      inherited?.close();
      return new Promise<ShutdownReport>((resolve) => {
        let unaryCut = 0;
        const force = setTimeout(() => {
          unaryCut = open.unary;
          server.forceShutdown();
        }, drainMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve({ streamsEnded, unaryInFlight, unaryCut, ms: Math.round(performance.now() - started) });
        });
      });
    },
  };
}

async function bind(server: grpc.Server, endpoint: Endpoint): Promise<void> {
  if (endpoint.kind === 'unix') await prepareUnixSocketPath(endpoint.path);
  await new Promise<number>((resolve, reject) =>
    server.bindAsync(grpcBindAddress(endpoint), grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
  // The CRI socket controls every container on the node: root (and its group) only.
  if (endpoint.kind === 'unix') await chmod(endpoint.path, 0o660);
}
