// Original file: proto/runtime/v1/api.proto


/**
 * Container whose log file to reopen.
 */
export interface ReopenContainerLogRequest {
  'container_id'?: (string);
}

/**
 * Container whose log file to reopen.
 */
export interface ReopenContainerLogRequest__Output {
  'container_id': (string);
}
