/**
 * wincri's memory as it holds it, not as the allocator last grew: through the inspector of a shim
 * started with `--inspect=127.0.0.1:0`, a full GC, then RSS and V8's heap figures. RSS read
 * without a GC mostly measures garbage not yet collected after a burst of RPCs (it swung from
 * +2 to +68 MiB between runs of the same bench).
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import type { WincriProcess } from '../test/support/wincri-process.js';

export interface HeldMemory {
  /** VmRSS after a full GC, MiB. */
  rssMiB: number;
  /** Live JS heap after the GC, MiB. */
  heapUsedMiB: number;
  /** Memory outside the JS heap (Buffers, native), MiB. */
  externalMiB: number;
}

export class ShimInspector {
  #nextId = 1;
  readonly #pending = new Map<number, (reply: { result?: unknown }) => void>();

  private constructor(
    private readonly socket: WebSocket,
    private readonly pid: number,
  ) {
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: unknown };
      if (message.id === undefined) return;
      this.#pending.get(message.id)?.(message);
      this.#pending.delete(message.id);
    });
  }

  /** Attaches to the inspector the shim announced on stderr ("Debugger listening on ws://..."). */
  static async attach(wincri: WincriProcess): Promise<ShimInspector> {
    const url = /Debugger listening on (ws:\/\/\S+)/.exec(wincri.logs())?.[1];
    if (!url) throw new Error('the shim was not started with --inspect (no "Debugger listening" line)');
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return new ShimInspector(socket, wincri.process.pid!);
  }

  async heldMemory(): Promise<HeldMemory> {
    await this.send('HeapProfiler.collectGarbage');
    const usage = JSON.parse(
      (await this.evaluate('JSON.stringify(process.memoryUsage())')) as string,
    ) as NodeJS.MemoryUsage;
    const vmRss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'))?.[1];
    const MiB = 1024 * 1024;
    return {
      rssMiB: Number(vmRss) / 1024,
      heapUsedMiB: usage.heapUsed / MiB,
      externalMiB: usage.external / MiB,
    };
  }

  /** Evaluates an expression in the shim (awaiting a promise) and returns its value. */
  async evaluate(expression: string): Promise<unknown> {
    const reply = (await this.send('Runtime.evaluate', {
      expression,
      awaitPromise: true,
      returnByValue: true,
    })) as { result: { value: unknown } };
    return reply.result.value;
  }

  close(): void {
    this.socket.close();
  }

  /** One inspector protocol call (https://chromedevtools.github.io/devtools-protocol/). */
  send(method: string, params: object = {}): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, (reply) => resolve(reply.result));
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }
}
