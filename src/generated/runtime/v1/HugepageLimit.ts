// Original file: proto/runtime/v1/api.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Hugepage limit for one page size.
 */
export interface HugepageLimit {
  'page_size'?: (string);
  'limit'?: (number | string | Long);
}

/**
 * Hugepage limit for one page size.
 */
export interface HugepageLimit__Output {
  'page_size': (string);
  'limit': (string);
}
