/**
 * One exec or attach session, independent of transport: hand the client's streams to the runtime,
 * turn the result into the outcome the error stream reports, and let the transport finish.
 */

import type { Readable, Writable } from 'node:stream';
import { isCriError } from '../errors.js';
import type { CommandOutcome } from './command-status.js';
import type { CommandRequest } from './requests.js';
import type { StreamRuntime, TerminalSize } from './runtime.js';

export interface CommandChannels {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  resize?: AsyncIterable<TerminalSize>;
  /**
   * Stops reading input, reports `outcome` on the error stream, ends every output stream and
   * waits (bounded) for the client to close the connection, so that no output still in flight is
   * cut off by a reset.
   */
  finish(outcome: CommandOutcome): Promise<void>;
}

export async function runCommandSession(
  request: CommandRequest,
  channels: CommandChannels,
  runtime: StreamRuntime,
  signal: AbortSignal,
): Promise<CommandOutcome | undefined> {
  const stdio = {
    tty: request.tty,
    ...(channels.stdin && { stdin: channels.stdin }),
    ...(channels.stdout && { stdout: channels.stdout }),
    ...(channels.stderr && { stderr: channels.stderr }),
    ...(channels.resize && { resize: channels.resize }),
  };
  let outcome: CommandOutcome;
  try {
    if (request.kind === 'exec') {
      const { exitCode } = await runtime.exec(
        { ...stdio, containerId: request.containerId, cmd: request.cmd },
        signal,
      );
      outcome = exitCode === 0 ? { kind: 'success' } : { kind: 'exit', exitCode, cmd: request.cmd };
    } else {
      await runtime.attach({ ...stdio, containerId: request.containerId }, signal);
      outcome = { kind: 'success' };
    }
  } catch (err) {
    const message = isCriError(err) || err instanceof Error ? err.message : String(err);
    const what =
      request.kind === 'exec' ? 'error executing command in container' : 'error attaching to container';
    outcome = { kind: 'error', message: `${what}: ${message}` };
  }
  // A client that went away hears nothing more; the transport is already being torn down.
  if (signal.aborted) return undefined;
  await channels.finish(outcome);
  return outcome;
}
