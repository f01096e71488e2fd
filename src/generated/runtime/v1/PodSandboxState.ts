// Original file: proto/runtime/v1/api.proto

/**
 * Sandbox state: ready or not ready.
 */
export const PodSandboxState = {
  SANDBOX_READY: 'SANDBOX_READY',
  SANDBOX_NOTREADY: 'SANDBOX_NOTREADY',
} as const;

/**
 * Sandbox state: ready or not ready.
 */
export type PodSandboxState =
  | 'SANDBOX_READY'
  | 0
  | 'SANDBOX_NOTREADY'
  | 1

/**
 * Sandbox state: ready or not ready.
 */
export type PodSandboxState__Output = typeof PodSandboxState[keyof typeof PodSandboxState]
