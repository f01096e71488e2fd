// Original file: proto/runtime/v1/api.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Wraps a uint64 so "unset" differs from 0.
 */
export interface UInt64Value {
  'value'?: (number | string | Long);
}

/**
 * Wraps a uint64 so "unset" differs from 0.
 */
export interface UInt64Value__Output {
  'value': (string);
}
