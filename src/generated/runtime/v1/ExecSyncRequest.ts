// Original file: proto/runtime/v1/api.proto

import type { Long } from '@grpc/proto-loader';

/**
 * timeout in seconds; 0 means none; exceeding it answers DEADLINE_EXCEEDED.
 */
export interface ExecSyncRequest {
  'container_id'?: (string);
  'cmd'?: (string)[];
  'timeout'?: (number | string | Long);
}

/**
 * timeout in seconds; 0 means none; exceeding it answers DEADLINE_EXCEEDED.
 */
export interface ExecSyncRequest__Output {
  'container_id': (string);
  'cmd': (string)[];
  'timeout': (string);
}
