import type { RuntimeConfigRequest__Output } from '../../generated/runtime/v1/RuntimeConfigRequest.js';
import type { RuntimeConfigResponse } from '../../generated/runtime/v1/RuntimeConfigResponse.js';
import type { UpdateRuntimeConfigRequest__Output } from '../../generated/runtime/v1/UpdateRuntimeConfigRequest.js';
import type { UpdateRuntimeConfigResponse } from '../../generated/runtime/v1/UpdateRuntimeConfigResponse.js';
import { unavailable } from '../../errors.js';
import type { CallContext } from '../context.js';
import type { RuntimeDeps } from './deps.js';

/**
 * RuntimeConfig: kubelet (1.34+) takes its cgroup driver from here; the platform says what its
 * engine answers (src/platform/linux.ts, windows.ts).
 */
export async function runtimeConfig(
  deps: RuntimeDeps,
  _req: RuntimeConfigRequest__Output,
  _ctx: CallContext,
): Promise<RuntimeConfigResponse> {
  const engine = await deps.engine.current();
  const info = engine.info;
  if (info === undefined) {
    // kubelet retries RuntimeConfig; guessing a driver would be worse than waiting.
    throw unavailable(`cannot tell the cgroup driver: ${engine.ready ? '' : engine.message}`);
  }
  return deps.platform().runtimeConfig(info);
}

/** UpdateRuntimeConfig: kubelet pushes the node's pod CIDR; wincri keeps it (Status shows it). */
export async function updateRuntimeConfig(
  deps: RuntimeDeps,
  req: UpdateRuntimeConfigRequest__Output,
  ctx: CallContext,
): Promise<UpdateRuntimeConfigResponse> {
  const podCidr = req.runtime_config?.network_config?.pod_cidr ?? '';
  if (podCidr !== '' && podCidr !== deps.runtimeSettings.podCidr) {
    ctx.log.info({ podCidr }, 'pod CIDR updated');
    deps.runtimeSettings.podCidr = podCidr;
  }
  return {};
}
