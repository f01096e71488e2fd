// Original file: proto/runtime/v1/api.proto


/**
 * Asks for an attach URL; which streams the session will use.
 */
export interface AttachRequest {
  'container_id'?: (string);
  'stdin'?: (boolean);
  'tty'?: (boolean);
  'stdout'?: (boolean);
  'stderr'?: (boolean);
}

/**
 * Asks for an attach URL; which streams the session will use.
 */
export interface AttachRequest__Output {
  'container_id': (string);
  'stdin': (boolean);
  'tty': (boolean);
  'stdout': (boolean);
  'stderr': (boolean);
}
