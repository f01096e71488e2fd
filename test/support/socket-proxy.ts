import { rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A unix-socket proxy in front of a real engine socket, so a test can take "the engine" away
 * and bring it back (or cut every connection mid-call) without touching the shared dockerd.
 */
export class SocketProxy {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  /** While true, connections are accepted but nothing is forwarded: an engine that hangs. */
  hold = false;

  constructor(
    readonly path: string,
    private readonly target: string,
  ) {}

  async start(): Promise<void> {
    await rm(this.path, { force: true });
    this.#server = createServer((client) => {
      this.#sockets.add(client);
      client.on('close', () => this.#sockets.delete(client));
      client.on('error', () => undefined);
      if (this.hold) return;
      const upstream = connect(this.target);
      for (const s of [upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.#server!.listen(this.path, resolve));
  }

  /** Cuts every open connection, as an engine restart does. */
  cut(): void {
    for (const s of this.#sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.#server = undefined;
  }
}
