// Original file: proto/runtime/v1/api.proto


/**
 * A host device mapped into the container.
 */
export interface Device {
  'container_path'?: (string);
  'host_path'?: (string);
  'permissions'?: (string);
}

/**
 * A host device mapped into the container.
 */
export interface Device__Output {
  'container_path': (string);
  'host_path': (string);
  'permissions': (string);
}
