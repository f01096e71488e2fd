import { CriError, type ErrorKind } from '../errors.js';

/**
 * The one place where what the engine says becomes a CriError. dockerode rejects with an Error
 * carrying `statusCode` and the engine's JSON `{message}`; a socket that nobody answers gives a
 * system error code; an abort gives an AbortError. Messages keep the engine's own words and add
 * what to do.
 */

interface EngineErrorShape {
  statusCode?: number;
  code?: string;
  name?: string;
  json?: { message?: string } | null;
  reason?: string;
  message?: string;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EPIPE', 'ECONNRESET', 'EACCES', 'ETIMEDOUT']);

const KIND_OF_STATUS: Record<number, ErrorKind> = {
  400: 'InvalidArgument',
  401: 'Unauthenticated',
  403: 'PermissionDenied',
  404: 'NotFound',
  409: 'AlreadyExists',
  500: 'Internal',
  503: 'Unavailable',
};

/** The engine's own message for an HTTP error, without dockerode's "(HTTP code 404) ..." prefix. */
export function engineMessage(err: unknown): string {
  const e = (err ?? {}) as EngineErrorShape;
  const fromJson = e.json?.message;
  if (fromJson) return fromJson.trim();
  return (e.message ?? String(err)).trim();
}

/**
 * Translates an engine failure. `what` names the operation for the message ("start container
 * 3f2a..."); `overrides` lets a caller say what a status means for its operation (a 409 on
 * remove means "in use", not "already exists").
 */
export function fromEngineError(
  err: unknown,
  what: string,
  host: string,
  overrides: Partial<Record<number, ErrorKind>> = {},
): CriError {
  if (err instanceof CriError) return err;
  const e = (err ?? {}) as EngineErrorShape;
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') {
    return new CriError('Cancelled', `${what}: cancelled`, { cause: err });
  }
  if (e.code !== undefined && UNREACHABLE_CODES.has(e.code)) {
    return new CriError(
      'Unavailable',
      `${what}: the Docker engine at ${host} does not answer (${e.code}); is dockerd running, and is --docker-host right?`,
      { cause: err },
    );
  }
  const status = e.statusCode;
  const kind = (status !== undefined && (overrides[status] ?? KIND_OF_STATUS[status])) || 'Internal';
  return new CriError(kind, `${what}: ${engineMessage(err)}`, { cause: err });
}
