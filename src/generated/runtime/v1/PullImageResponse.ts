// Original file: proto/runtime/v1/api.proto


/**
 * image_ref is the pulled image's id.
 */
export interface PullImageResponse {
  'image_ref'?: (string);
}

/**
 * image_ref is the pulled image's id.
 */
export interface PullImageResponse__Output {
  'image_ref': (string);
}
