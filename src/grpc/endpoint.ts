import { mkdir, stat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, isAbsolute } from 'node:path';
import { failedPrecondition, invalidArgument } from '../errors.js';

/**
 * Where the CRI server listens. kubelet's `--container-runtime-endpoint` takes `unix:///path` on
 * Linux and `npipe:////./pipe/<name>` on Windows; both end in a path that Node's `net.Server`
 * listens on (on Windows, `\\.\pipe\<name>` makes libuv create a named pipe). docs/architecture.md
 * ("Endpoints") traces that through grpc-js's unix resolver and Node's net module.
 */
export type Endpoint = { kind: 'unix'; path: string } | { kind: 'npipe'; path: string };

const NPIPE_PREFIX = 'npipe://';
const PIPE_NAME = /^[A-Za-z0-9._-]+$/;

export function parseEndpoint(uri: string): Endpoint {
  if (uri.startsWith('unix://')) {
    const path = uri.slice('unix://'.length);
    if (!isAbsolute(path)) {
      throw invalidArgument(
        `endpoint ${JSON.stringify(uri)}: a unix socket path must be absolute (unix:///run/wincri/wincri.sock)`,
      );
    }
    return { kind: 'unix', path };
  }
  if (uri.startsWith(NPIPE_PREFIX)) return { kind: 'npipe', path: pipePath(uri) };
  throw invalidArgument(
    `endpoint ${JSON.stringify(uri)}: use unix:///absolute/path.sock or npipe:////./pipe/<name>`,
  );
}

/** `npipe:////./pipe/wincri` (kubelet's form) or `npipe://./pipe/wincri` -> `\\.\pipe\wincri`. */
function pipePath(uri: string): string {
  const rest = uri.slice(NPIPE_PREFIX.length).replaceAll('\\', '/').replace(/^\/+/, '');
  const match = /^\.\/pipe\/(.+)$/.exec(rest);
  const name = match?.[1];
  if (name === undefined || !PIPE_NAME.test(name)) {
    throw invalidArgument(
      `endpoint ${JSON.stringify(uri)}: a named pipe endpoint looks like npipe:////./pipe/<name> (letters, digits, . _ -)`,
    );
  }
  return `\\\\.\\pipe\\${name}`;
}

/** The address grpc-js binds: its unix resolver hands the path to net.Server.listen unchanged. */
export function grpcBindAddress(endpoint: Endpoint): string {
  // `unix:<path>` (no authority) keeps the path verbatim, which a Windows pipe path needs.
  return endpoint.kind === 'unix' ? `unix://${endpoint.path}` : `unix:${endpoint.path}`;
}

/**
 * Makes a unix socket path ready to listen on: creates the parent directory (0750), and removes
 * a socket left by a dead process, but never one that something still answers on.
 */
export async function prepareUnixSocketPath(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o750 });
  const existing = await stat(path).catch(() => undefined);
  if (existing === undefined) return;
  if (!existing.isSocket()) {
    throw failedPrecondition(
      `${path} exists and is not a socket: move it away or choose another --listen path`,
    );
  }
  if (await somethingListens(path)) {
    throw failedPrecondition(
      `another process already serves on ${path}: stop it or choose another --listen path`,
    );
  }
  await unlink(path);
}

/** Whether a live process accepts connections on a unix socket or named pipe path. */
export function somethingListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
