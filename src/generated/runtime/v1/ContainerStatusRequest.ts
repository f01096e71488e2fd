// Original file: proto/runtime/v1/api.proto


/**
 * verbose asks for free-form runtime info in the response.
 */
export interface ContainerStatusRequest {
  'container_id'?: (string);
  'verbose'?: (boolean);
}

/**
 * verbose asks for free-form runtime info in the response.
 */
export interface ContainerStatusRequest__Output {
  'container_id': (string);
  'verbose': (boolean);
}
