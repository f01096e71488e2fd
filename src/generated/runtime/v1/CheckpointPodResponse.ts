// Original file: proto/runtime/v1/api.proto


/**
 * Nothing to return: the checkpoint is the content of output_path.
 */
export interface CheckpointPodResponse {
}

/**
 * Nothing to return: the checkpoint is the content of output_path.
 */
export interface CheckpointPodResponse__Output {
}
