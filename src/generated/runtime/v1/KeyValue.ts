// Original file: proto/runtime/v1/api.proto


/**
 * An environment variable; value is bytes since v0.36.3 (binary-safe), a Buffer in JS.
 */
export interface KeyValue {
  'key'?: (string);
  'value'?: (Buffer | Uint8Array | string);
}

/**
 * An environment variable; value is bytes since v0.36.3 (binary-safe), a Buffer in JS.
 */
export interface KeyValue__Output {
  'key': (string);
  'value': (Buffer);
}
