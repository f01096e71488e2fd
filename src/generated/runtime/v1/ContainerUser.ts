// Original file: proto/runtime/v1/api.proto

import type { LinuxContainerUser as _runtime_v1_LinuxContainerUser, LinuxContainerUser__Output as _runtime_v1_LinuxContainerUser__Output } from '../../runtime/v1/LinuxContainerUser.js';

/**
 * The user the container process actually runs as.
 */
export interface ContainerUser {
  'linux'?: (_runtime_v1_LinuxContainerUser | null);
}

/**
 * The user the container process actually runs as.
 */
export interface ContainerUser__Output {
  'linux': (_runtime_v1_LinuxContainerUser__Output | null);
}
