// Original file: proto/runtime/v1/api.proto


/**
 * Linux capabilities to add, drop or grant as ambient.
 */
export interface Capability {
  'add_capabilities'?: (string)[];
  'drop_capabilities'?: (string)[];
  'add_ambient_capabilities'?: (string)[];
}

/**
 * Linux capabilities to add, drop or grant as ambient.
 */
export interface Capability__Output {
  'add_capabilities': (string)[];
  'drop_capabilities': (string)[];
  'add_ambient_capabilities': (string)[];
}
