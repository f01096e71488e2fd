// Original file: proto/runtime/v1/api.proto


/**
 * Network settings pushed by the kubelet.
 */
export interface NetworkConfig {
  'pod_cidr'?: (string);
}

/**
 * Network settings pushed by the kubelet.
 */
export interface NetworkConfig__Output {
  'pod_cidr': (string);
}
