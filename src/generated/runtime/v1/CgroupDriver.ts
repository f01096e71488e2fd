// Original file: proto/runtime/v1/api.proto

/**
 * The zero value is SYSTEMD: a runtime on cgroupfs must answer CGROUPFS explicitly.
 */
export const CgroupDriver = {
  SYSTEMD: 'SYSTEMD',
  CGROUPFS: 'CGROUPFS',
} as const;

/**
 * The zero value is SYSTEMD: a runtime on cgroupfs must answer CGROUPFS explicitly.
 */
export type CgroupDriver =
  | 'SYSTEMD'
  | 0
  | 'CGROUPFS'
  | 1

/**
 * The zero value is SYSTEMD: a runtime on cgroupfs must answer CGROUPFS explicitly.
 */
export type CgroupDriver__Output = typeof CgroupDriver[keyof typeof CgroupDriver]
