/**
 * What the streaming server needs from a container runtime: the narrow interface the Docker
 * implementation satisfies. The server owns the client connection and the protocol; the runtime
 * only moves bytes between the given Node streams and the container.
 *
 * Contract shared by all three calls:
 * - `signal` aborts when the client goes away (connection closed or reset), when the server is
 *   closed, or when a port-forward stream pair is torn down. The implementation must then stop
 *   promptly: kill or detach what it started, close its Docker connections, and settle the
 *   promise (resolve or reject, the server ignores the result by then).
 * - The streams belong to the server. The implementation must not destroy them; it may `end()`
 *   the writable ones when the container side has no more output, and the server ends and
 *   finally destroys everything itself after the promise settles.
 * - Throw a `CriError` (src/errors.ts) for a known failure (`NotFound` for a missing container,
 *   `FailedPrecondition` for one not running); anything else is reported as an internal error.
 *   The message reaches the user (kubectl/crictl print it).
 */

import type { Duplex, Readable, Writable } from 'node:stream';

/** A terminal size as the client sends it on the resize stream (`{"Width":W,"Height":H}`). */
export interface TerminalSize {
  width: number;
  height: number;
}

export interface StdioStreams {
  tty: boolean;
  /**
   * Present when the request asked for stdin. Yields the client's bytes; it ends (EOF) when the
   * client closes its stdin (SPDY FIN, WebSocket v5 close signal), and the implementation should
   * then close the process's stdin (Docker: `CloseWrite` on the hijacked connection), so that
   * `echo hi | crictl exec -i c cat` terminates.
   */
  stdin?: Readable;
  /** Present when the request asked for stdout. With `tty`, it carries the terminal's output. */
  stdout?: Writable;
  /** Present when the request asked for stderr; never with `tty` (Docker merges them then). */
  stderr?: Writable;
  /**
   * Present with `tty` (when the negotiated protocol supports resizing). Each value is the new
   * size to apply (Docker: `POST /exec/{id}/resize?h=&w=` or `/containers/{id}/resize`); the
   * first one usually arrives right after start, so apply sizes that come before the process is
   * running once it is. The iteration ends when the client closes the stream or goes away; the
   * implementation must not wait for it to end.
   */
  resize?: AsyncIterable<TerminalSize>;
}

export interface ExecStreamRequest extends StdioStreams {
  containerId: string;
  cmd: string[];
}

export type AttachStreamRequest = StdioStreams & { containerId: string };

export interface PortForwardStreamRequest {
  podSandboxId: string;
  port: number;
  /**
   * One forwarded TCP connection. Reading yields what the client sends and ends when the client
   * half-closes; write what the pod's port answers and `end()` it when the pod side closes.
   */
  stream: Duplex;
}

export interface StreamRuntime {
  /**
   * Runs `cmd` in the container with the given stdio and resolves with its exit code once the
   * process has exited and its output has been written to `stdout`/`stderr` (a non-zero code is a
   * result, not an error). Reject only when the command could not be run or followed.
   */
  exec(req: ExecStreamRequest, signal: AbortSignal): Promise<{ exitCode: number }>;
  /**
   * Attaches to the container's main process and resolves when the attachment ends: the
   * container's output ended (it exited) or, with stdin and no tty, stdin reached EOF and Docker
   * closed the attach stream. Detaching must never stop the container.
   */
  attach(req: AttachStreamRequest, signal: AbortSignal): Promise<void>;
  /**
   * Connects `stream` to `port` inside the pod's network namespace and resolves when both
   * directions are done. Reject when the port cannot be reached; the message is shown to the user.
   */
  portForward(req: PortForwardStreamRequest, signal: AbortSignal): Promise<void>;
}
