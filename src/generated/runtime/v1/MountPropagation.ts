// Original file: proto/runtime/v1/api.proto

/**
 * Linux bind-mount propagation; Windows ignores it.
 */
export const MountPropagation = {
  PROPAGATION_PRIVATE: 'PROPAGATION_PRIVATE',
  PROPAGATION_HOST_TO_CONTAINER: 'PROPAGATION_HOST_TO_CONTAINER',
  PROPAGATION_BIDIRECTIONAL: 'PROPAGATION_BIDIRECTIONAL',
} as const;

/**
 * Linux bind-mount propagation; Windows ignores it.
 */
export type MountPropagation =
  | 'PROPAGATION_PRIVATE'
  | 0
  | 'PROPAGATION_HOST_TO_CONTAINER'
  | 1
  | 'PROPAGATION_BIDIRECTIONAL'
  | 2

/**
 * Linux bind-mount propagation; Windows ignores it.
 */
export type MountPropagation__Output = typeof MountPropagation[keyof typeof MountPropagation]
