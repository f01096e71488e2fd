// Original file: proto/runtime/v1/api.proto

import type { Long } from '@grpc/proto-loader';

/**
 * timeout is the grace period in seconds before the container is killed.
 */
export interface StopContainerRequest {
  'container_id'?: (string);
  'timeout'?: (number | string | Long);
}

/**
 * timeout is the grace period in seconds before the container is killed.
 */
export interface StopContainerRequest__Output {
  'container_id': (string);
  'timeout': (string);
}
