import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { invalidArgument } from '../errors.js';

/**
 * The `/metrics` endpoint: Prometheus text format over plain HTTP, GET only. Off unless
 * `--metrics-address` is given; a bare port listens on loopback (metrics name every pod on the
 * node, so exposing them further is the operator's explicit choice).
 */
export interface MetricsServer {
  /** host:port actually bound (port 0 picks a free one). */
  readonly address: string;
  close(): Promise<void>;
}

export async function startMetricsServer(
  address: string,
  registry: Registry,
  log: Logger,
): Promise<MetricsServer> {
  const { host, port } = splitAddress(address);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('wincri serves only GET /metrics here\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => {
        log.error({ err }, 'metrics not collected');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics not collected\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const shown =
    bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
  log.info({ address: shown }, 'metrics served on /metrics');
  return {
    address: shown,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `9101` -> loopback:9101; `host:port` and `[v6]:port` as given. */
export function splitAddress(address: string): { host: string; port: number } {
  const bare = /^\d{1,5}$/.test(address);
  const match = bare
    ? ['', '127.0.0.1', address]
    : /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(address);
  const host = bare ? '127.0.0.1' : (match?.[1] ?? match?.[2]);
  const port = Number(bare ? address : match?.[3]);
  if (!host || !Number.isInteger(port) || port > 65_535)
    throw invalidArgument(
      `metrics address ${JSON.stringify(address)}: write a port (loopback) or host:port, e.g. 9101 or 0.0.0.0:9101`,
    );
  return { host, port };
}
