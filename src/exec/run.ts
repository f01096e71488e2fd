/**
 * Running an engine exec to its end: its multiplexed output read until it ends, a timeout passes,
 * the caller cancels or a cap is hit, and its exit code once the engine has it. ExecSync and the
 * process killers (which run helper commands in the container) share it.
 */
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DockerClient } from '../docker/client.js';
import { Demultiplexer, type StreamFrame } from '../docker/multiplex.js';
import { CriError } from '../errors.js';

export type ExecDocker = Pick<DockerClient, 'execCreate' | 'execStart' | 'execInspect'>;

export type Outcome =
  | { kind: 'exited'; stdout: Buffer; stderr: Buffer }
  | { kind: 'timeout' }
  | { kind: 'cancelled' }
  | { kind: 'capped' }
  | { kind: 'failed'; error: unknown };

/** Reads the exec's output until it ends, the timeout passes, the caller cancels or the cap is hit. */
export async function runUntilDone(
  stream: Duplex,
  cap: number,
  timeoutSeconds: number,
  signal: AbortSignal,
): Promise<Outcome> {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let total = 0;
  const demux = new Demultiplexer();
  stream.on('error', (err) => demux.destroy(err));
  stream.pipe(demux);

  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const interrupted = new Promise<Outcome>((resolve) => {
    if (timeoutSeconds > 0) timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutSeconds * 1000);
    onAbort = () => resolve({ kind: 'cancelled' });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  const read = (async (): Promise<Outcome> => {
    try {
      for await (const frame of demux as AsyncIterable<StreamFrame>) {
        total += frame.payload.length;
        if (total > cap) return { kind: 'capped' };
        if (frame.stream === 'stdout') stdout.push(frame.payload);
        else if (frame.stream === 'stderr') stderr.push(frame.payload);
      }
      return { kind: 'exited', stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) };
    } catch (error) {
      return { kind: 'failed', error };
    }
  })();
  try {
    return await Promise.race([read, interrupted]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
    stream.destroy();
    demux.destroy();
  }
}

/** The exit code, once the engine has noticed the process ended (it may lag the stream's end). */
export async function exitCodeOf(docker: ExecDocker, execId: string, signal: AbortSignal): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const details = await docker.execInspect(execId, signal);
    if (!details.running && details.exitCode !== null) return details.exitCode;
    if (attempt >= 200)
      throw new CriError(
        'Internal',
        `exec ${execId} ended its output but the engine still reports it running`,
      );
    await sleep(Math.min(5 * (attempt + 1), 50), undefined, { signal });
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs a helper command in the container and returns its exit code and output. */
export async function runHelper(
  docker: ExecDocker,
  containerId: string,
  cmd: string[],
  signal: AbortSignal,
): Promise<{ exitCode: number; output: string }> {
  const execId = await docker.execCreate(
    containerId,
    { cmd, tty: false, stdin: false, stdout: true, stderr: true },
    signal,
  );
  const stream = await docker.execStart(execId, { tty: false, stdin: false }, signal);
  const outcome = await runUntilDone(stream, 64 * 1024, 0, signal);
  if (outcome.kind !== 'exited') throw new Error(`${cmd.join(' ')} did not finish (${outcome.kind})`);
  const exitCode = await exitCodeOf(docker, execId, signal);
  return { exitCode, output: Buffer.concat([outcome.stdout, outcome.stderr]).toString('utf8').trim() };
}
