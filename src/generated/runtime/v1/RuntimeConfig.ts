// Original file: proto/runtime/v1/api.proto

import type { NetworkConfig as _runtime_v1_NetworkConfig, NetworkConfig__Output as _runtime_v1_NetworkConfig__Output } from '../../runtime/v1/NetworkConfig.js';

/**
 * Settings pushed by UpdateRuntimeConfig.
 */
export interface RuntimeConfig {
  'network_config'?: (_runtime_v1_NetworkConfig | null);
}

/**
 * Settings pushed by UpdateRuntimeConfig.
 */
export interface RuntimeConfig__Output {
  'network_config': (_runtime_v1_NetworkConfig__Output | null);
}
