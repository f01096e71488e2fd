/**
 * The requests a streaming URL stands for: what the gRPC Exec/Attach/PortForward handlers store in
 * the request cache. The validation rules are upstream's (cri-streaming `server.go`), kept here so
 * every caller applies the same ones.
 */

import { invalidArgument } from '../errors.js';

export interface StdioRequest {
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface ExecRequest extends StdioRequest {
  kind: 'exec';
  containerId: string;
  cmd: string[];
}

export interface AttachRequest extends StdioRequest {
  kind: 'attach';
  containerId: string;
}

export interface PortForwardRequest {
  kind: 'portforward';
  podSandboxId: string;
  /** Informational: the client names the port per connection (upstream ignores this list too). */
  ports: number[];
}

export type StreamRequest = ExecRequest | AttachRequest | PortForwardRequest;
export type StreamKind = StreamRequest['kind'];
export type CommandRequest = ExecRequest | AttachRequest;

/** Throws InvalidArgument for a request the CRI rejects (the messages are upstream's). */
export function validateStreamRequest(request: StreamRequest): void {
  if (request.kind === 'portforward') {
    if (!request.podSandboxId) throw invalidArgument('missing required pod_sandbox_id');
    return;
  }
  if (!request.containerId) throw invalidArgument('missing required container_id');
  // With a TTY, Docker merges stderr into the terminal: there is nothing to multiplex.
  if (request.tty && request.stderr) throw invalidArgument('tty and stderr cannot both be true');
  if (!request.stdin && !request.stdout && !request.stderr) {
    throw invalidArgument('one of stdin, stdout, or stderr must be set');
  }
}

/** The streams a session carries; stderr is dropped under a TTY, as upstream's HTTP layer does. */
export function stdioOf(request: StdioRequest): StdioRequest {
  return {
    tty: request.tty,
    stdin: request.stdin,
    stdout: request.stdout,
    stderr: request.stderr && !request.tty,
  };
}
