/**
 * dockerode's modem, which wincri uses for every engine request: where it connects, and one
 * request function with explicit query and body.
 */
import Docker from 'dockerode';
import type { RegistryAuth } from './client.js';
import { CriError } from '../errors.js';

/** Where dockerode connects, from a DOCKER_HOST-style address. */
export function dockerConnectOptions(host: string): Docker.DockerOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('npipe://')) {
    // npipe:////./pipe/docker_engine -> //./pipe/docker_engine, which Node opens as a named pipe.
    return { socketPath: '//' + host.slice('npipe://'.length).replace(/^\/+/, '') };
  }
  const tcp = /^(?:tcp|http):\/\/([^:/]+):(\d+)\/?$/.exec(host);
  if (tcp?.[1] && tcp[2]) return { host: tcp[1], port: Number(tcp[2]), protocol: 'http' };
  throw new CriError(
    'InvalidArgument',
    `docker host ${JSON.stringify(host)}: use unix:///var/run/docker.sock, npipe:////./pipe/docker_engine or tcp://host:port`,
  );
}

export interface DialRequest {
  method: 'GET' | 'POST' | 'DELETE' | 'HEAD';
  path: string;
  query?: Record<string, unknown>;
  body?: unknown;
  isStream?: boolean;
  hijack?: boolean;
  authconfig?: RegistryAuth;
}

// Every 2xx/304 is success; any other status reaches errors.ts with its statusCode.
const OK_STATUSES = { 200: true, 201: true, 204: true, 304: true };

export interface Modem {
  dial(options: Record<string, unknown>, callback: (err: unknown, data: unknown) => void): void;
}

/** dockerode's modem for a DOCKER_HOST-style address. */
export function openModem(host: string): Modem {
  return (new Docker(dockerConnectOptions(host)) as unknown as { modem: Modem }).modem;
}

/** One engine request; a failure is passed through `translate` (src/docker/errors.ts). */
export function dial<T>(
  modem: Modem,
  request: DialRequest,
  signal: AbortSignal,
  translate: (err: unknown) => Error,
): Promise<T> {
  const options: Record<string, unknown> = {
    method: request.method,
    path: `${request.path}?`,
    // docker-modem sends `_query` as the query string and `_body` as the JSON body.
    options: { _query: request.query ?? {}, _body: request.body ?? {} },
    statusCodes: OK_STATUSES,
    abortSignal: signal,
    isStream: request.isStream ?? false,
    hijack: request.hijack ?? false,
    // Never hold the request body open: docker-modem would then not send the headers until
    // a first write, and a body-less hijack (attach) would never reach the engine. After the
    // upgrade, stdin travels on the hijacked socket itself.
    openStdin: false,
  };
  if (request.authconfig) options['authconfig'] = request.authconfig;
  return new Promise<T>((resolve, reject) =>
    modem.dial(options, (err, data) => (err ? reject(translate(err)) : resolve(data as T))),
  );
}
