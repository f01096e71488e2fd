// Original file: proto/runtime/v1/api.proto


/**
 * Asks for a port-forward URL into the sandbox's network namespace.
 */
export interface PortForwardRequest {
  'pod_sandbox_id'?: (string);
  'port'?: (number)[];
}

/**
 * Asks for a port-forward URL into the sandbox's network namespace.
 */
export interface PortForwardRequest__Output {
  'pod_sandbox_id': (string);
  'port': (number)[];
}
