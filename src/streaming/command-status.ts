/**
 * What an exec/attach session reports on its error stream when it ends
 * (cri-streaming `remotecommand/exec.go`, `status.go`; decoded by client-go `v4.go`/`v2.go`).
 * v4 (and WebSocket v4/v5) send one JSON `metav1.Status`; v1-v3 send the message as plain text,
 * and nothing at all on success.
 */

export type CommandOutcome =
  | { kind: 'success' }
  | { kind: 'exit'; exitCode: number; cmd: readonly string[] }
  | { kind: 'error'; message: string };

interface StatusCause {
  reason?: string;
  message?: string;
}

/** The fields of metav1.Status we send, in Go's field order so the JSON matches byte for byte. */
interface Status {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: StatusCause[] };
  code?: number;
}

export function commandStatus(outcome: CommandOutcome): Status {
  switch (outcome.kind) {
    case 'success':
      return { metadata: {}, status: 'Success' };
    case 'exit':
      // client-go parses the ExitCode cause's message as a uint8 and reports it as the exit code.
      return {
        metadata: {},
        status: 'Failure',
        message: `command terminated with non-zero exit code: ${execExitMessage(outcome.cmd, outcome.exitCode)}`,
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: String(outcome.exitCode) }] },
      };
    case 'error':
      // metav1 NewInternalError: code 500, the error as the single cause.
      return {
        metadata: {},
        status: 'Failure',
        message: `Internal error occurred: ${outcome.message}`,
        reason: 'InternalError',
        details: { causes: [{ message: outcome.message }] },
        code: 500,
      };
  }
}

/** The v4 error-stream payload. */
export function statusJson(outcome: CommandOutcome): Buffer {
  return Buffer.from(JSON.stringify(commandStatus(outcome)));
}

/** The v1-v3 error-stream payload: the message, or nothing on success. */
export function statusText(outcome: CommandOutcome): Buffer {
  const status = commandStatus(outcome);
  return Buffer.from(status.status === 'Success' ? '' : (status.message ?? ''));
}

/** containerd's wording for the error behind a non-zero exit (`error executing command [sh -c exit 3], exit code 3`). */
function execExitMessage(cmd: readonly string[], exitCode: number): string {
  return `error executing command [${cmd.join(' ')}], exit code ${exitCode}`;
}
