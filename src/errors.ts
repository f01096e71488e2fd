/**
 * The one error type of wincri. Every layer below the gRPC adapter throws a `CriError` whose `kind`
 * is named after the gRPC status it becomes; `src/grpc/status.ts` holds the only mapping table.
 * Callers match on `kind`, never on message text.
 */
export const ERROR_KINDS = [
  'InvalidArgument',
  'NotFound',
  'AlreadyExists',
  'FailedPrecondition',
  'PermissionDenied',
  'Unauthenticated',
  'ResourceExhausted',
  'Aborted',
  'DeadlineExceeded',
  'Cancelled',
  'Unavailable',
  'Unimplemented',
  'Internal',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

export class CriError extends Error {
  override readonly name = 'CriError';

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isCriError = (err: unknown): err is CriError => err instanceof CriError;

/** True when `err` is a CriError of one of `kinds`. */
export function hasKind(err: unknown, ...kinds: ErrorKind[]): err is CriError {
  return isCriError(err) && kinds.includes(err.kind);
}

export const invalidArgument = (message: string, cause?: unknown) =>
  new CriError('InvalidArgument', message, { cause });
export const notFound = (message: string, cause?: unknown) => new CriError('NotFound', message, { cause });
export const alreadyExists = (message: string, cause?: unknown) =>
  new CriError('AlreadyExists', message, { cause });
export const failedPrecondition = (message: string, cause?: unknown) =>
  new CriError('FailedPrecondition', message, { cause });
export const unavailable = (message: string, cause?: unknown) =>
  new CriError('Unavailable', message, { cause });
export const unimplemented = (message: string) => new CriError('Unimplemented', message);
export const internal = (message: string, cause?: unknown) => new CriError('Internal', message, { cause });

/** Wraps anything thrown into a CriError, keeping a CriError as it is. */
export function toCriError(err: unknown): CriError {
  if (isCriError(err)) return err;
  if (err instanceof Error && err.name === 'AbortError')
    return new CriError('Cancelled', 'the call was cancelled', { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return internal(message, err);
}
