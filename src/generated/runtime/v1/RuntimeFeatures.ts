// Original file: proto/runtime/v1/api.proto


/**
 * Optional features supported by the runtime as a whole.
 */
export interface RuntimeFeatures {
  'supplemental_groups_policy'?: (boolean);
  'user_namespaces_host_network'?: (boolean);
  /**
   * Whether Mount.mount_options are honoured (kubelet declares it as a node feature).
   */
  'mount_options'?: (boolean);
}

/**
 * Optional features supported by the runtime as a whole.
 */
export interface RuntimeFeatures__Output {
  'supplemental_groups_policy': (boolean);
  'user_namespaces_host_network': (boolean);
  /**
   * Whether Mount.mount_options are honoured (kubelet declares it as a node feature).
   */
  'mount_options': (boolean);
}
