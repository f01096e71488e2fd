import type { VersionRequest__Output } from '../../generated/runtime/v1/VersionRequest.js';
import type { VersionResponse } from '../../generated/runtime/v1/VersionResponse.js';
import type { RuntimeDeps } from './deps.js';

/**
 * Version: kubelet sends "0.1.0" and rejects any other `version` in the reply; all four fields
 * must be set (cri-client validateServiceConnection).
 */
export const KUBE_RUNTIME_API_VERSION = '0.1.0';

export async function version(deps: RuntimeDeps, _req: VersionRequest__Output): Promise<VersionResponse> {
  return {
    version: KUBE_RUNTIME_API_VERSION,
    runtime_name: 'wincri',
    runtime_version: deps.version,
    runtime_api_version: 'v1',
  };
}
