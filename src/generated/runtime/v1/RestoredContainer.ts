// Original file: proto/runtime/v1/api.proto


/**
 * Which container id a restored container (by metadata name) got.
 */
export interface RestoredContainer {
  'name'?: (string);
  'container_id'?: (string);
}

/**
 * Which container id a restored container (by metadata name) got.
 */
export interface RestoredContainer__Output {
  'name': (string);
  'container_id': (string);
}
