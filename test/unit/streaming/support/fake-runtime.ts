/**
 * A StreamRuntime for tests. exec interprets `cmd[0]`:
 *   cat               copy stdin to stdout, exit 0
 *   exit N            exit with code N
 *   fail MSG          reject with a CriError(FailedPrecondition, MSG)
 *   hang              run until the signal aborts (records it)
 *   both              write "out" to stdout and "err" to stderr
 *   big N             write N bytes of a repeating pattern to stdout
 *   resize N          print the first N resize events as WxH lines
 * attach copies stdin to stdout. portForward connects to 127.0.0.1:<port> (an echo server in
 * the tests) and pipes both ways.
 */

import net from 'node:net';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CriError } from '../../../../src/errors.js';
import type {
  AttachStreamRequest,
  ExecStreamRequest,
  PortForwardStreamRequest,
  StreamRuntime,
} from '../../../../src/streaming/runtime.js';

export class FakeRuntime implements StreamRuntime {
  readonly aborted: string[] = [];
  readonly started: string[] = [];
  readonly forwards: number[] = [];

  async exec(req: ExecStreamRequest, signal: AbortSignal): Promise<{ exitCode: number }> {
    const [verb, arg] = req.cmd;
    this.started.push(verb ?? '');
    switch (verb) {
      case 'cat':
        if (req.stdin && req.stdout) await pipeline(req.stdin, req.stdout, { signal });
        return { exitCode: 0 };
      case 'exit':
        return { exitCode: Number(arg) };
      case 'fail':
        throw new CriError('FailedPrecondition', arg ?? 'failed');
      case 'hang':
        await this.untilAborted('exec', signal);
        return { exitCode: 137 };
      case 'both':
        await write(req.stdout, 'out');
        await write(req.stderr, 'err');
        return { exitCode: 0 };
      case 'big': {
        const total = Number(arg);
        const chunk = Buffer.alloc(1024 * 1024, 'abcdefghijklmnopqrstuvwxyz');
        for (let sent = 0; sent < total; sent += chunk.length)
          await write(req.stdout, chunk.subarray(0, Math.min(chunk.length, total - sent)));
        return { exitCode: 0 };
      }
      case 'resize': {
        const lines: string[] = [];
        for await (const size of req.resize ?? []) {
          lines.push(`${size.width}x${size.height}`);
          if (lines.length === Number(arg)) break;
        }
        await write(req.stdout, lines.join('\n'));
        return { exitCode: 0 };
      }
      default:
        throw new Error(`fake runtime: unknown command ${String(verb)}`);
    }
  }

  async attach(req: AttachStreamRequest, signal: AbortSignal): Promise<void> {
    this.started.push('attach');
    if (req.stdin && req.stdout) await pipeline(req.stdin, req.stdout, { signal });
    else await this.untilAborted('attach', signal);
  }

  async portForward(req: PortForwardStreamRequest, signal: AbortSignal): Promise<void> {
    this.forwards.push(req.port);
    const socket = net.connect(req.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const onAbort = () => {
      this.aborted.push('portforward');
      socket.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.all([
        pipeline(req.stream, socket, { end: true }).catch(() => undefined),
        pipeline(socket, req.stream).catch(() => undefined),
      ]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private untilAborted(what: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.aborted.push(what);
        resolve();
      };
      if (signal.aborted) done();
      else signal.addEventListener('abort', done, { once: true });
    });
  }
}

function write(stream: Writable | undefined, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!stream) return resolve();
    stream.write(data, (err) => (err ? reject(err) : resolve()));
  });
}

/** A TCP server that echoes what it receives, uppercased, and closes when the client does. */
export async function startEchoServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (d: Buffer) => socket.write(d.toString().toUpperCase()));
    socket.on('end', () => socket.end());
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
