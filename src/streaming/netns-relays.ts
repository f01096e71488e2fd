import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { failedPrecondition } from '../errors.js';
import type { PortDialer } from './docker-stream-runtime.js';

/**
 * Port-forward on Linux, to the port as the pod sees it (127.0.0.1 included): one long-lived relay
 * per pod network namespace, started on first use with `nsenter -t <pause pid> -n` running the
 * shim's own node, listening on a unix socket in wincri's root dir (the relay enters only the
 * network namespace, so it shares the host's files). Each forwarded connection is then a unix
 * connect, a 2-byte port, and a status line: no process start per connection (~0.2 s here) and
 * one copy less than a relay per connection.
 *
 * A relay exits after `idleMs` without connections (it would otherwise keep a stopped pod's
 * network namespace alive), when its stdin closes (wincri died), or when wincri stops it.
 */
const RELAY = `
const net = require('node:net');
const fs = require('node:fs');
const [path, idleMs] = [process.argv[1], Number(process.argv[2])];
try { fs.unlinkSync(path); } catch {}
let active = 0;
let timer;
const arm = () => { clearTimeout(timer); if (active === 0) timer = setTimeout(() => process.exit(0), idleMs); };
const server = net.createServer({ allowHalfOpen: true }, (client) => {
  active++;
  clearTimeout(timer);
  client.once('close', () => { active--; arm(); });
  client.on('error', () => client.destroy());
  client.once('data', (head) => {
    client.pause();
    const port = head.readUInt16BE(0);
    const target = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    target.once('connect', () => {
      client.write('OK\\n');
      if (head.length > 2) target.write(head.subarray(2));
      client.pipe(target);
      target.pipe(client);
      client.resume();
    });
    target.on('error', (e) => { if (target.connecting) client.end('ERR ' + e.message + '\\n'); else client.destroy(); });
    target.once('close', () => client.destroy());
    client.once('close', () => target.destroy());
  });
});
server.listen(path, () => { fs.chmodSync(path, 0o600); process.stdout.write('ready\\n'); });
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
arm();
`;

interface Relay {
  path: string;
  child: ChildProcess;
}

export class NetnsRelays {
  readonly #relays = new Map<number, Promise<Relay>>();

  constructor(
    private readonly dir: string,
    private readonly idleMs = 60_000,
  ) {}

  /** The PortDialer for DockerStreamRuntime. */
  readonly dial: PortDialer = async (target, stream, signal) => {
    const relay = await this.#relayFor(target.pid);
    const socket = connect({ path: relay.path, allowHalfOpen: true });
    const onAbort = () => socket.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      const port = Buffer.alloc(2);
      port.writeUInt16BE(target.port);
      socket.write(port);
      const rest = await readStatus(socket, target.port);
      if (rest.length > 0) stream.write(rest);
      stream.pipe(socket);
      socket.pipe(stream);
      await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    } finally {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
    }
  };

  /** Stops every relay (wincri shutting down). */
  async close(): Promise<void> {
    const relays = await Promise.allSettled(this.#relays.values());
    for (const r of relays) if (r.status === 'fulfilled') r.value.child.kill();
    this.#relays.clear();
  }

  #relayFor(pid: number): Promise<Relay> {
    if (!Number.isInteger(pid) || pid <= 0) {
      return Promise.reject(failedPrecondition('the pod sandbox has no running process to forward into'));
    }
    let relay = this.#relays.get(pid);
    if (!relay) {
      relay = this.#start(pid);
      this.#relays.set(pid, relay);
      relay.catch(() => this.#relays.delete(pid));
    }
    return relay;
  }

  async #start(pid: number): Promise<Relay> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, `netns-${pid}.sock`);
    await rm(path, { force: true });
    const child = spawn(
      'nsenter',
      ['-t', String(pid), '-n', process.execPath, '-e', RELAY, path, String(this.idleMs)],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    child.once('exit', () => {
      this.#relays.delete(pid);
      void rm(path, { force: true });
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(failedPrecondition(`the port-forward relay for pid ${pid} did not start within 10 s`)),
        10_000,
      );
      child.stdout?.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(
          failedPrecondition(
            `cannot enter the pod's network namespace (nsenter, util-linux): ${err.message}`,
          ),
        );
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(
          failedPrecondition(
            `cannot enter the pod's network namespace: ${stderr.trim() || `nsenter exited with ${code}`}`,
          ),
        );
      });
    });
    return { path, child };
  }
}

/** Reads the relay's status line; returns any bytes of the pod's answer that came with it. */
function readStatus(socket: Socket, port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const newline = seen.indexOf(10);
      if (newline < 0) return;
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.pause();
      const line = seen.subarray(0, newline).toString();
      if (line === 'OK') resolve(seen.subarray(newline + 1));
      else
        reject(failedPrecondition(`port ${port} in the pod cannot be reached: ${line.replace(/^ERR /, '')}`));
    };
    const onEnd = () =>
      reject(failedPrecondition(`port ${port} in the pod cannot be reached: the relay closed`));
    socket.on('data', onData);
    socket.once('end', onEnd);
  });
}
