// Original file: proto/runtime/v1/api.proto


/**
 * Asks for an exec URL; which of stdin/stdout/stderr/tty the session will use.
 */
export interface ExecRequest {
  'container_id'?: (string);
  'cmd'?: (string)[];
  'tty'?: (boolean);
  'stdin'?: (boolean);
  'stdout'?: (boolean);
  'stderr'?: (boolean);
}

/**
 * Asks for an exec URL; which of stdin/stdout/stderr/tty the session will use.
 */
export interface ExecRequest__Output {
  'container_id': (string);
  'cmd': (string)[];
  'tty': (boolean);
  'stdin': (boolean);
  'stdout': (boolean);
  'stderr': (boolean);
}
