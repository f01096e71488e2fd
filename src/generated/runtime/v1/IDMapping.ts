// Original file: proto/runtime/v1/api.proto


/**
 * One range of a user-namespace uid/gid mapping.
 */
export interface IDMapping {
  'host_id'?: (number);
  'container_id'?: (number);
  'length'?: (number);
}

/**
 * One range of a user-namespace uid/gid mapping.
 */
export interface IDMapping__Output {
  'host_id': (number);
  'container_id': (number);
  'length': (number);
}
