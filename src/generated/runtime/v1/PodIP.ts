// Original file: proto/runtime/v1/api.proto


/**
 * One pod IP address.
 */
export interface PodIP {
  'ip'?: (string);
}

/**
 * One pod IP address.
 */
export interface PodIP__Output {
  'ip': (string);
}
