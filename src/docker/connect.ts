/**
 * docker-modem, the transport inside dockerode, which wincri uses for every engine request: where
 * it connects, and one request function with explicit query and body.
 */
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import type { RegistryAuth } from './client.js';
import { CriError } from '../errors.js';

/** docker-modem's connection options, as far as wincri sets them. */
export interface ConnectOptions {
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: 'http';
}

/** Where docker-modem connects, from a DOCKER_HOST-style address. */
export function dockerConnectOptions(host: string): ConnectOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('npipe://')) {
    // npipe:////./pipe/docker_engine -> //./pipe/docker_engine, which Node opens as a named pipe.
    return { socketPath: '//' + host.slice('npipe://'.length).replace(/^\/+/, '') };
  }
  const tcp = /^(?:tcp|http):\/\/([^:/]+):(\d+)\/?$/.exec(host);
  if (tcp?.[1] && tcp[2]) return { host: tcp[1], port: Number(tcp[2]), protocol: 'http' };
  if (host.startsWith('ssh://'))
    throw new CriError(
      'InvalidArgument',
      `docker host ${JSON.stringify(host)}: ssh:// engines are not supported; wincri talks to the engine on its own node (unix://, npipe:// or tcp://)`,
    );
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

type ModemConstructor = new (options: ConnectOptions) => Modem;
let modemConstructor: ModemConstructor | undefined;

/**
 * docker-modem for a DOCKER_HOST-style address, without the rest of dockerode (its object
 * wrappers, tar and BuildKit modules, which wincri never calls) and without two modules docker-modem
 * requires as it loads for paths wincri never takes: `lib/ssh.js`, and with it ssh2 and its crypto
 * (with a 16 MiB ArrayBuffer), for ssh:// engines, which `dockerConnectOptions` refuses; and
 * `lib/http_duplex.js`, and with it readable-stream (13 modules), for requests that hold their body
 * open (`openStdin`), which `dial` never asks for. Each is put first in the require cache (Node
 * documents `require.cache` as writable for this) as a stub that throws. docker-modem is resolved
 * from dockerode's own directory, so it is the version dockerode declares. Together ~11 MiB of idle
 * RSS and 83 CommonJS modules (docs/performance.md).
 */
export function openModem(host: string): Modem {
  const options = dockerConnectOptions(host);
  modemConstructor ??= loadModemAlone();
  return new modemConstructor(options);
}

const UNUSED_MODEM_MODULES: Readonly<Record<string, string>> = {
  'ssh.js': 'ssh:// engines are not supported',
  'http_duplex.js': 'engine requests with an open body (openStdin) are not used by wincri',
};

function loadModemAlone(): ModemConstructor {
  const fromDockerode = createRequire(createRequire(import.meta.url).resolve('dockerode'));
  const modemMain = fromDockerode.resolve('docker-modem');
  for (const [file, why] of Object.entries(UNUSED_MODEM_MODULES)) {
    const path = join(dirname(modemMain), file);
    if (fromDockerode.cache[path]) continue;
    const stub = new Module(path);
    stub.filename = path;
    stub.loaded = true;
    stub.exports = () => {
      throw new CriError('InvalidArgument', why);
    };
    fromDockerode.cache[path] = stub;
  }
  return fromDockerode(modemMain) as ModemConstructor;
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
