import { createServer, type Server as NetServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { CriError } from '../errors.js';

/** The first file descriptor a supervisor hands over (sd_listen_fds(3): SD_LISTEN_FDS_START). */
const FIRST_FD = 3;

/**
 * The listening socket a supervisor passed to this process, as systemd socket activation does:
 * `LISTEN_PID` names this process and `LISTEN_FDS` counts the sockets from fd 3. Undefined when
 * none was passed. The variables are removed afterwards so that no child takes them for its own.
 *
 * Why: the supervisor keeps the socket listening while wincri restarts, so a kubelet's calls and
 * its event stream wait in the socket's backlog for the next wincri instead of failing at once
 * (a kubelet gives up its evented-PLEG stream after 5 quick failures).
 */
export function inheritedListenFd(
  env: NodeJS.ProcessEnv = process.env,
  pid = process.pid,
): number | undefined {
  const forPid = env['LISTEN_PID'];
  const count = env['LISTEN_FDS'];
  delete env['LISTEN_PID'];
  delete env['LISTEN_FDS'];
  delete env['LISTEN_FDNAMES'];
  if (forPid === undefined || count === undefined || forPid !== String(pid)) return undefined;
  if (count !== '1') {
    throw new CriError(
      'InvalidArgument',
      `the supervisor passed ${count} sockets (LISTEN_FDS); wincri serves the CRI on exactly one: list one ListenStream in its socket unit`,
    );
  }
  return FIRST_FD;
}

/**
 * Serves `server` on a socket that is already listening (inherited at `fd`): its connections are
 * handed to grpc-js one by one. Closing the returned server stops accepting and closes this
 * process's copy of the socket; the supervisor's copy keeps listening for the next instance.
 */
export async function serveInheritedSocket(server: grpc.Server, fd: number): Promise<NetServer> {
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const listener = createServer({ pauseOnConnect: false }, (socket) => injector.injectConnection(socket));
  await new Promise<void>((resolve, reject) => {
    listener.once('error', (err) =>
      reject(
        new CriError('FailedPrecondition', `cannot serve the socket passed as fd ${fd}: ${err.message}`),
      ),
    );
    listener.listen({ fd }, () => resolve());
  });
  return listener;
}
