// Original file: proto/runtime/v1/api.proto

/**
 * Port mapping protocol.
 */
export const Protocol = {
  TCP: 'TCP',
  UDP: 'UDP',
  SCTP: 'SCTP',
} as const;

/**
 * Port mapping protocol.
 */
export type Protocol =
  | 'TCP'
  | 0
  | 'UDP'
  | 1
  | 'SCTP'
  | 2

/**
 * Port mapping protocol.
 */
export type Protocol__Output = typeof Protocol[keyof typeof Protocol]
