// Original file: proto/runtime/v1/api.proto


/**
 * A Container Device Interface device by fully qualified name.
 */
export interface CDIDevice {
  'name'?: (string);
}

/**
 * A Container Device Interface device by fully qualified name.
 */
export interface CDIDevice__Output {
  'name': (string);
}
