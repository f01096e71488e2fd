/**
 * One wincri per state directory (--root-dir) at a time.
 *
 * wincri keeps nothing Docker cannot give back, but two instances serving the same pods would both
 * copy each container's log into the same CRI file (every line twice), and one's recovery would
 * remove a sandbox the other is still making. The way it happens in practice is an upgrade: the old
 * process, told to stop, still drains its calls and log copiers (it has already closed the CRI
 * socket, so that check passes) while the new one starts.
 *
 * The lock is a socket only a live process can hold: a unix socket in the state directory (a dead
 * holder leaves a file nothing answers on, which is removed) or, on Windows, a named pipe named
 * after the directory (it goes away with its process). A second instance waits for the holder to
 * exit, then takes over; if the holder is still there after the wait, it stops with an error that
 * names the directory. Two instances that find the same dead holder's file in the same millisecond
 * could both win; starting two at once is not the case this guards.
 */
import { createHash } from 'node:crypto';
import { mkdir, unlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { failedPrecondition } from './errors.js';
import { somethingListens } from './grpc/endpoint.js';

/** Long enough for an old instance to drain its calls (5 s) and stop its log copiers. */
export const DEFAULT_WAIT_MS = 30_000;
const POLL_MS = 200;

export interface InstanceLock {
  readonly path: string;
  release(): Promise<void>;
}

export interface LockOptions {
  log: { info(obj: Record<string, unknown>, msg: string): void };
  waitMs?: number;
  platform?: NodeJS.Platform;
}

export function instanceLockPath(rootDir: string, platform: NodeJS.Platform = process.platform): string {
  if (platform !== 'win32') return join(rootDir, 'instance.sock');
  // Pipe names are global and case-insensitive, like the paths they stand for.
  const key = createHash('sha256').update(resolve(rootDir).toLowerCase()).digest('hex').slice(0, 16);
  return `\\\\.\\pipe\\wincri-instance-${key}`;
}

export async function lockInstance(rootDir: string, options: LockOptions): Promise<InstanceLock> {
  const platform = options.platform ?? process.platform;
  const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  const path = instanceLockPath(rootDir, platform);
  if (platform !== 'win32') await mkdir(rootDir, { recursive: true, mode: 0o700 });
  const deadline = Date.now() + waitMs;
  for (let told = false; ;) {
    const server = await listen(path);
    if (server) return { path, release: () => new Promise((done) => server.close(() => done())) };
    if (platform !== 'win32' && !(await somethingListens(path))) {
      // A holder killed without cleaning up: its socket file answers nobody.
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (Date.now() >= deadline)
      throw failedPrecondition(
        `another wincri is running with --root-dir ${rootDir} (it holds ${path}): stop it first, ` +
          'or give each instance its own --root-dir, --listen and Docker engine',
      );
    if (!told)
      options.log.info(
        { rootDir, lock: path, waitMs },
        'another wincri holds this state directory; waiting for it to exit',
      );
    told = true;
    await sleep(POLL_MS);
  }
}

/** Listens on the path; undefined when something else already has it. */
function listen(path: string): Promise<Server | undefined> {
  return new Promise((done, fail) => {
    // The lock only has to be held: a connection is a liveness probe, answered by closing it.
    const server = createServer((socket) => socket.destroy());
    server.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EADDRINUSE' ? done(undefined) : fail(err),
    );
    server.listen(path, () => {
      server.unref();
      done(server);
    });
  });
}
