import { status } from '@grpc/grpc-js';
import type { ErrorKind } from '../errors.js';

/**
 * The one table from wincri's error kinds to gRPC status codes. Every kind has a row (the type
 * makes a missing one a compile error), and test/unit/grpc/status.test.ts walks every row through
 * a real server.
 */
export const GRPC_CODE_OF_KIND: Readonly<Record<ErrorKind, status>> = {
  InvalidArgument: status.INVALID_ARGUMENT,
  NotFound: status.NOT_FOUND,
  AlreadyExists: status.ALREADY_EXISTS,
  FailedPrecondition: status.FAILED_PRECONDITION,
  PermissionDenied: status.PERMISSION_DENIED,
  Unauthenticated: status.UNAUTHENTICATED,
  ResourceExhausted: status.RESOURCE_EXHAUSTED,
  Aborted: status.ABORTED,
  DeadlineExceeded: status.DEADLINE_EXCEEDED,
  Cancelled: status.CANCELLED,
  Unavailable: status.UNAVAILABLE,
  Unimplemented: status.UNIMPLEMENTED,
  Internal: status.INTERNAL,
};
