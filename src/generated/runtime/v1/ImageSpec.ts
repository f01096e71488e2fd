// Original file: proto/runtime/v1/api.proto


/**
 * Names an image: reference, annotations, the runtime handler to pull for and the resolved image_ref.
 */
export interface ImageSpec {
  'image'?: (string);
  'annotations'?: ({[key: string]: string});
  'user_specified_image'?: (string);
  'runtime_handler'?: (string);
  'image_ref'?: (string);
}

/**
 * Names an image: reference, annotations, the runtime handler to pull for and the resolved image_ref.
 */
export interface ImageSpec__Output {
  'image': (string);
  'annotations': ({[key: string]: string});
  'user_specified_image': (string);
  'runtime_handler': (string);
  'image_ref': (string);
}
