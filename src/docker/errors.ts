import { CriError, type ErrorKind } from '../errors.js';

/**
 * The one place where what the engine says becomes a CriError. docker-modem rejects with an Error
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

/**
 * The engine's words for an object that is no longer there, whatever HTTP status came with them.
 * A removal racing with an inspect, a list or another removal makes Docker 20.10 answer 500 with
 * a store-internal message (moby v20.10.24: `layer does not exist` from the layer store,
 * `unrecognized image ID <id>` from image/store.go, `failed to get digest <id>: open ...: no such
 * file or directory` from image/fs.go); Docker 29 answers the same races with 404 and
 * `No such image` / `No such container` (moby b985e23, daemon/internal/image/store.go now marks
 * `unrecognized image ID` as not found). On its containerd image store, Docker 29 answers an image
 * inspect whose image was deleted between resolving and listing it with 500 `consistency error:
 * data changed during operation, retry` (daemon/containerd/image_inspect.go says so: no image
 * names the digest any more). For the caller all of them mean the same: it is gone.
 */
const GONE_MESSAGES = [
  /\bno such (image|container)\b/i,
  /\blayer does not exist\b/,
  /\bunrecognized image (ID )?sha256:/,
  /\bfailed to get digest sha256:[0-9a-f]+: .*no such file or directory/,
  /\bconsistency error: data changed during operation\b/,
];

/**
 * A second removal of a container the engine is already removing (moby daemon/delete.go, 409 in
 * 20.10 and 29): the container is on its way out, not in use.
 */
const REMOVAL_IN_PROGRESS = /\bremoval of container \S+ is already in progress\b/;

/** True when the engine refused because another removal of the same container is under way. */
export const isRemovalInProgress = (err: unknown): boolean =>
  err instanceof CriError && REMOVAL_IN_PROGRESS.test(engineMessage(err.cause));

/** The engine's own message for an HTTP error, without docker-modem's "(HTTP code 404) ..." prefix. */
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
  if ((status === 404 || status === 500) && GONE_MESSAGES.some((gone) => gone.test(engineMessage(err))))
    return new CriError('NotFound', `${what}: ${engineMessage(err)}`, { cause: err });
  const kind = (status !== undefined && (overrides[status] ?? KIND_OF_STATUS[status])) || 'Internal';
  return new CriError(kind, `${what}: ${engineMessage(err)}`, { cause: err });
}

/**
 * Registry failures reach the engine's API as text only (a 404 or 500, or an error line in the
 * progress stream), so this is the one place that reads their words to pick a status.
 */
export function classifyPullError(err: unknown, what: string, host: string): CriError {
  const message = engineMessage(err);
  const kind: ErrorKind | undefined =
    /unauthorized|authentication required|no basic auth credentials|incorrect username or password|denied/i.test(
      message,
    )
      ? 'Unauthenticated'
      : /manifest unknown|not found|repository does not exist|no such host/i.test(message)
        ? 'NotFound'
        : /connection refused|i\/o timeout|dial tcp|TLS handshake|EOF/i.test(message)
          ? 'Unavailable'
          : undefined;
  if (kind === undefined) return fromEngineError(err, what, host);
  const hint: Record<string, string> = {
    Unauthenticated:
      "check the pull credentials (crictl pull --creds USER:PASS, or the pod's imagePullSecrets)",
    NotFound: 'check the image name and tag, and the registry mirror configured for its registry',
    Unavailable:
      'the registry (or its configured mirror) does not answer; check that it is up and reachable from the engine',
  };
  return new CriError(kind, `${what}: ${message}; ${hint[kind]}`, { cause: err });
}
