// Original file: proto/runtime/v1/api.proto


/**
 * Identifies a container within its pod: name and attempt.
 */
export interface ContainerMetadata {
  'name'?: (string);
  'attempt'?: (number);
}

/**
 * Identifies a container within its pod: name and attempt.
 */
export interface ContainerMetadata__Output {
  'name': (string);
  'attempt': (number);
}
