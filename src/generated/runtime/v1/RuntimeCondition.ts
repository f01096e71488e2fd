// Original file: proto/runtime/v1/api.proto


/**
 * One readiness condition (RuntimeReady, NetworkReady) with reason and message.
 */
export interface RuntimeCondition {
  'type'?: (string);
  'status'?: (boolean);
  'reason'?: (string);
  'message'?: (string);
}

/**
 * One readiness condition (RuntimeReady, NetworkReady) with reason and message.
 */
export interface RuntimeCondition__Output {
  'type': (string);
  'status': (boolean);
  'reason': (string);
  'message': (string);
}
