// Original file: proto/runtime/v1/api.proto


/**
 * A pod's checkpoint: which running containers, into which empty directory, with options the
 * runtime must refuse when it does not know them.
 */
export interface CheckpointPodRequest {
  'pod_sandbox_id'?: (string);
  'output_path'?: (string);
  'container_ids'?: (string)[];
  'options'?: ({[key: string]: string});
}

/**
 * A pod's checkpoint: which running containers, into which empty directory, with options the
 * runtime must refuse when it does not know them.
 */
export interface CheckpointPodRequest__Output {
  'pod_sandbox_id': (string);
  'output_path': (string);
  'container_ids': (string)[];
  'options': ({[key: string]: string});
}
