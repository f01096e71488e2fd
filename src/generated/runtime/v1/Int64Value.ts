// Original file: proto/runtime/v1/api.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Wraps an int64 so "unset" differs from 0.
 */
export interface Int64Value {
  'value'?: (number | string | Long);
}

/**
 * Wraps an int64 so "unset" differs from 0.
 */
export interface Int64Value__Output {
  'value': (string);
}
