// Original file: proto/runtime/v1/api.proto

/**
 * How supplemental groups are computed for the container process.
 */
export const SupplementalGroupsPolicy = {
  Merge: 'Merge',
  Strict: 'Strict',
} as const;

/**
 * How supplemental groups are computed for the container process.
 */
export type SupplementalGroupsPolicy =
  | 'Merge'
  | 0
  | 'Strict'
  | 1

/**
 * How supplemental groups are computed for the container process.
 */
export type SupplementalGroupsPolicy__Output = typeof SupplementalGroupsPolicy[keyof typeof SupplementalGroupsPolicy]
