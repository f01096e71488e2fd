// Original file: proto/runtime/v1/api.proto

/**
 * Whether a Linux namespace is per pod, per container, the host's or another container's.
 */
export const NamespaceMode = {
  POD: 'POD',
  CONTAINER: 'CONTAINER',
  NODE: 'NODE',
  TARGET: 'TARGET',
} as const;

/**
 * Whether a Linux namespace is per pod, per container, the host's or another container's.
 */
export type NamespaceMode =
  | 'POD'
  | 0
  | 'CONTAINER'
  | 1
  | 'NODE'
  | 2
  | 'TARGET'
  | 3

/**
 * Whether a Linux namespace is per pod, per container, the host's or another container's.
 */
export type NamespaceMode__Output = typeof NamespaceMode[keyof typeof NamespaceMode]
