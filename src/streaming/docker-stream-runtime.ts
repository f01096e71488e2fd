import { connect, type Socket } from 'node:net';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { DockerClient } from '../docker/client.js';
import { Demultiplexer, type StreamFrame } from '../docker/multiplex.js';
import { failedPrecondition, internal } from '../errors.js';
import type {
  AttachStreamRequest,
  ExecStreamRequest,
  PortForwardStreamRequest,
  StdioStreams,
  StreamRuntime,
  TerminalSize,
} from './runtime.js';

/** Stops an exec'd process: Docker has no kill call for an exec (see src/cri/runtime/exec-sync.ts). */
export type ExecKiller = (exec: { execId: string; containerId: string; pid: number }) => Promise<void>;

/** How port-forward reaches a port inside the pod. */
export type PortDialer = (
  target: { pid: number; ip: string; port: number },
  stream: Duplex,
  signal: AbortSignal,
) => Promise<void>;

/**
 * The StreamRuntime over the Docker door: exec and attach through Docker's hijacked streams,
 * port-forward into the pod's network namespace.
 */
export class DockerStreamRuntime implements StreamRuntime {
  constructor(
    private readonly docker: DockerClient,
    private readonly killExec: ExecKiller,
    private readonly dialPort: PortDialer,
  ) {}

  async exec(req: ExecStreamRequest, signal: AbortSignal): Promise<{ exitCode: number }> {
    const execId = await this.docker.execCreate(
      req.containerId,
      {
        cmd: req.cmd,
        tty: req.tty,
        stdin: req.stdin !== undefined,
        stdout: req.stdout !== undefined,
        stderr: req.stderr !== undefined,
      },
      signal,
    );
    // The client going away must kill the process, not leave it running unattended.
    const onAbort = () => void this.#kill(execId, req.containerId);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const connection = await this.docker.execStart(
        execId,
        { tty: req.tty, stdin: req.stdin !== undefined },
        signal,
      );
      void applyResizes(req.resize, (size) =>
        this.docker.execResize(execId, size, AbortSignal.timeout(5_000)),
      );
      await pump(connection, req, signal);
      return { exitCode: await this.#exitCode(execId, signal) };
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async attach(req: AttachStreamRequest, signal: AbortSignal): Promise<void> {
    const details = await this.docker.inspectContainer(req.containerId, signal);
    if (!details.state.running)
      throw failedPrecondition(
        `container ${req.containerId} is not running: attach needs a running container`,
      );
    const connection = await this.docker.attach(
      req.containerId,
      { stdin: req.stdin !== undefined, stdout: req.stdout !== undefined, stderr: req.stderr !== undefined },
      signal,
    );
    void applyResizes(req.resize, (size) =>
      this.docker.resizeContainer(req.containerId, size, AbortSignal.timeout(5_000)),
    );
    // Detaching (the signal) only closes the connection: the container keeps running.
    await pump(connection, { ...req, tty: details.config.tty }, signal);
  }

  async portForward(req: PortForwardStreamRequest, signal: AbortSignal): Promise<void> {
    const sandbox = await this.docker.inspectContainer(req.podSandboxId, signal);
    if (!sandbox.state.running) throw failedPrecondition(`pod sandbox ${req.podSandboxId} is not running`);
    const ip = Object.values(sandbox.networks).find((n) => n.ipAddress)?.ipAddress ?? '';
    await this.dialPort({ pid: sandbox.state.pid, ip, port: req.port }, req.stream, signal);
  }

  async #kill(execId: string, containerId: string): Promise<void> {
    try {
      const { running, pid } = await this.docker.execInspect(execId, AbortSignal.timeout(5_000));
      if (running && pid > 0) await this.killExec({ execId, containerId, pid });
    } catch {
      // The process is gone or the engine is: nothing is left to stop.
    }
  }

  /** The exit code, once Docker has noticed the process ended (it may lag the stream's end). */
  async #exitCode(execId: string, signal: AbortSignal): Promise<number> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const details = await this.docker.execInspect(execId, signal);
      if (!details.running && details.exitCode !== null) return details.exitCode;
      await new Promise((resolve) => setTimeout(resolve, 20 * Math.min(attempt + 1, 10)));
    }
    throw internal(`exec ${execId} ended its output but Docker still reports it running`);
  }
}

/** Moves bytes between the client's streams and Docker's hijacked connection until output ends. */
async function pump(connection: Duplex, io: StdioStreams, signal: AbortSignal): Promise<void> {
  const onAbort = () => connection.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (io.stdin) forwardStdin(io.stdin, connection);
    const output: Readable = io.tty ? connection : connection.pipe(new Demultiplexer());
    for await (const chunk of output) {
      const frame: StreamFrame = io.tty
        ? { stream: 'stdout', payload: chunk as Buffer }
        : (chunk as StreamFrame);
      const target = frame.stream === 'stderr' ? io.stderr : io.stdout;
      if (target && !target.write(frame.payload)) await waitForDrain(target, signal);
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Client stdin to the process; at the client's EOF, half-close so the process sees EOF too. */
function forwardStdin(stdin: Readable, connection: Duplex): void {
  stdin.on('data', (chunk: Buffer) => {
    if (!connection.write(chunk)) {
      stdin.pause();
      connection.once('drain', () => stdin.resume());
    }
  });
  stdin.once('end', () => connection.end());
  stdin.once('error', () => connection.end());
}

function waitForDrain(target: Writable, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      target.off('drain', done);
      target.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    target.once('drain', done);
    target.once('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

async function applyResizes(
  sizes: AsyncIterable<TerminalSize> | undefined,
  apply: (size: TerminalSize) => Promise<void>,
): Promise<void> {
  if (!sizes) return;
  try {
    for await (const size of sizes) await apply(size).catch(() => undefined);
  } catch {
    // The resize stream ends with the session; nothing to report.
  }
}

/**
 * Windows (no network namespaces to enter): the pod's IP on the engine's nat network. A service
 * bound only to 127.0.0.1 inside a Windows pod is out of reach this way (docs/windows.md).
 */
export const dialPodAddress: PortDialer = async (target, stream, signal) => {
  if (!target.ip)
    throw failedPrecondition(
      'the pod has no IP address to forward to (host network pods: connect to the host)',
    );
  const socket = connect({ host: target.ip, port: target.port, signal });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (err) =>
      reject(failedPrecondition(`port ${target.port} on ${target.ip} cannot be reached: ${err.message}`)),
    );
  });
  await spliceSocket(stream, socket, signal);
};

/**
 * Pipes a port-forward stream and a connected socket both ways until the socket closes or the
 * signal aborts; the socket is destroyed either way (the stream belongs to the server).
 */
export async function spliceSocket(stream: Duplex, socket: Socket, signal: AbortSignal): Promise<void> {
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const onAbort = () => socket.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) socket.destroy();
  socket.on('error', () => socket.destroy());
  try {
    stream.pipe(socket);
    socket.pipe(stream);
    await closed;
  } finally {
    signal.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}
