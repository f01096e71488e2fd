// Original file: proto/runtime/v1/api.proto


/**
 * verbose asks for free-form runtime info in the response.
 */
export interface StatusRequest {
  'verbose'?: (boolean);
}

/**
 * verbose asks for free-form runtime info in the response.
 */
export interface StatusRequest__Output {
  'verbose': (boolean);
}
