// Original file: proto/runtime/v1/api.proto


/**
 * version is the kubelet's CRI API version ("0.1.0"; crictl sends "v1").
 */
export interface VersionRequest {
  'version'?: (string);
}

/**
 * version is the kubelet's CRI API version ("0.1.0"; crictl sends "v1").
 */
export interface VersionRequest__Output {
  'version': (string);
}
