// Original file: proto/runtime/v1/api.proto


/**
 * Optional features supported by one runtime handler.
 */
export interface RuntimeHandlerFeatures {
  'recursive_read_only_mounts'?: (boolean);
  'user_namespaces'?: (boolean);
}

/**
 * Optional features supported by one runtime handler.
 */
export interface RuntimeHandlerFeatures__Output {
  'recursive_read_only_mounts': (boolean);
  'user_namespaces': (boolean);
}
