import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { failedPrecondition } from '../errors.js';
import { spliceSocket, type PortDialer } from './docker-stream-runtime.js';

/**
 * Port-forward on Linux, to the port as the pod sees it (127.0.0.1 included): one long-lived
 * relay per pod network namespace, started on first use with `nsenter -t <pause pid> -n` running
 * the shim's own node with a Node IPC channel (nsenter execs node, which keeps the channel's fd
 * and NODE_CHANNEL_FD). Per forwarded connection wincri sends `{id, port}`; the relay connects to
 * 127.0.0.1:port inside the namespace and sends the connected socket back over the channel (its
 * file descriptor, SCM_RIGHTS), or `{id, error}`. A socket stays in the namespace it was made in,
 * so wincri then reads and writes the pod's connection itself: no byte crosses a second process
 * or socket, and no process starts per connection (~0.2 s here).
 *
 * The relay reads nothing from a socket it hands over (it pauses it before the connect completes),
 * so bytes a server sends first, like an SSH banner, reach wincri. It exits when its channel
 * closes (wincri died); wincri stops it after `idleMs` without a connection request (it would
 * otherwise keep a stopped pod's network namespace alive) and on close(). Connections already
 * handed over do not need it.
 */
export const RELAY = `
const net = require('node:net');
process.on('message', ({ id, port }) => {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.pause();
  socket.once('connect', () => process.send({ id }, socket));
  socket.once('error', (e) => process.send({ id, error: e.message }));
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
`;

interface Answer {
  ready?: boolean;
  id?: number;
  error?: string;
}

/** One relay process in one network namespace. */
class Relay {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly #pending = new Map<number, { port: number; settle: (err: Error | null, s?: Socket) => void }>();
  #nextId = 0;
  #idle: NodeJS.Timeout | undefined;
  #gone: Error | undefined;
  #resolveReady!: () => void;
  #rejectReady!: (err: Error) => void;

  constructor(
    readonly pid: number,
    private readonly idleMs: number,
    private readonly onGone: (relay: Relay) => void,
  ) {
    this.child = spawn('nsenter', ['-t', String(pid), '-n', process.execPath, '-e', RELAY], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    this.child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.ready = new Promise<void>((resolve, reject) => {
      this.#rejectReady = reject;
      this.#resolveReady = resolve;
    });
    this.ready.catch(() => undefined);
    const timer = setTimeout(
      () => this.#fail(failedPrecondition(`the port-forward relay for pid ${pid} did not start within 10 s`)),
      10_000,
    );
    void this.ready.finally(() => clearTimeout(timer)).catch(() => undefined);
    this.child.once('error', (err) =>
      this.#fail(
        failedPrecondition(`cannot enter the pod's network namespace (nsenter, util-linux): ${err.message}`),
      ),
    );
    let started = false;
    this.child.once('exit', (code, signal) => {
      const how = stderr.trim() || `exited with ${code ?? signal}`;
      this.#fail(
        failedPrecondition(
          started ? `the port-forward relay ${how}` : `cannot enter the pod's network namespace: ${how}`,
        ),
      );
    });
    this.child.on('message', (answer: Answer, socket?: Socket) => {
      if (answer.ready) {
        started = true;
        this.#resolveReady();
      } else this.#answer(answer, socket);
    });
  }

  /** A socket connected to 127.0.0.1:port in this namespace. */
  async connect(port: number): Promise<Socket> {
    clearTimeout(this.#idle);
    await this.ready;
    if (this.#gone) throw this.#gone;
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { port, settle: (err, socket) => (err ? reject(err) : resolve(socket!)) });
      this.child.send({ id, port }, (err) => {
        if (err) this.#settle(id, this.#gone ?? err);
      });
    });
  }

  stop(): void {
    this.#fail(failedPrecondition('the port-forward relay was stopped'));
  }

  #answer(answer: Answer, socket: Socket | undefined): void {
    const pending = answer.id === undefined ? undefined : this.#pending.get(answer.id);
    if (!pending) {
      socket?.destroy(); // an answer nobody waits for any more
      return;
    }
    if (socket) {
      // The pod may close its side first while the client still sends (as the old relay did).
      socket.allowHalfOpen = true;
      this.#settle(answer.id!, null, socket);
    } else
      this.#settle(
        answer.id!,
        failedPrecondition(
          `port ${pending.port} in the pod cannot be reached: ${answer.error ?? 'no socket'}`,
        ),
      );
  }

  #settle(id: number, err: Error | null, socket?: Socket): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    pending.settle(err, socket);
    if (this.#pending.size === 0 && !this.#gone) {
      clearTimeout(this.#idle);
      this.#idle = setTimeout(() => this.stop(), this.idleMs).unref();
    }
  }

  #fail(err: Error): void {
    if (this.#gone) return;
    this.#gone = err;
    clearTimeout(this.#idle);
    this.onGone(this);
    this.#rejectReady(err);
    for (const id of [...this.#pending.keys()]) this.#settle(id, err);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }
}

export class NetnsRelays {
  readonly #relays = new Map<number, Relay>();

  constructor(private readonly idleMs = 60_000) {}

  /** The PortDialer for DockerStreamRuntime. */
  readonly dial: PortDialer = async (target, stream, signal) => {
    const socket = await this.connect(target.pid, target.port);
    await spliceSocket(stream, socket, signal);
  };

  /** A socket connected to 127.0.0.1:port in the network namespace of process `pid`. */
  connect(pid: number, port: number): Promise<Socket> {
    if (!Number.isInteger(pid) || pid <= 0) {
      return Promise.reject(failedPrecondition('the pod sandbox has no running process to forward into'));
    }
    let relay = this.#relays.get(pid);
    if (!relay) {
      relay = new Relay(pid, this.idleMs, (gone) => {
        if (this.#relays.get(pid) === gone) this.#relays.delete(pid);
      });
      this.#relays.set(pid, relay);
    }
    return relay.connect(port);
  }

  /** Process ids of the running relays (tests). */
  get relayPids(): number[] {
    return [...this.#relays.values()].flatMap((r) => (r.child.pid === undefined ? [] : [r.child.pid]));
  }

  /** Stops every relay (wincri shutting down). */
  async close(): Promise<void> {
    const relays = [...this.#relays.values()];
    this.#relays.clear();
    for (const relay of relays) relay.stop();
    await Promise.all(
      relays.map(
        (r) =>
          r.child.exitCode === null &&
          r.child.signalCode === null &&
          new Promise((resolve) => r.child.once('exit', resolve)),
      ),
    );
  }
}
