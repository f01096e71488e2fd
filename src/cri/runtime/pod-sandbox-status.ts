import type { PodSandboxStatusRequest__Output } from '../../generated/runtime/v1/PodSandboxStatusRequest.js';
import type { PodSandboxStatusResponse } from '../../generated/runtime/v1/PodSandboxStatusResponse.js';
import type { CallContext } from '../context.js';
import { podContainerStatuses } from '../convert/container.js';
import { sandboxInfo, toPodSandboxStatus } from '../convert/sandbox.js';
import { int64, stampNs } from '../convert/time.js';
import type { PodDeps } from './deps.js';

/**
 * PodSandboxStatus: from memory. NOT_FOUND for an unknown id; the containers' statuses ride along,
 * newest first, with the time they were read (the kubelet's evented PLEG builds the pod from them).
 */
export async function podSandboxStatus(
  deps: PodDeps,
  req: PodSandboxStatusRequest__Output,
  _ctx: CallContext,
): Promise<PodSandboxStatusResponse> {
  const sandbox = deps.store.resolveSandbox(req.pod_sandbox_id);
  const containers = deps.store.containersOf(sandbox.id);
  return {
    status: toPodSandboxStatus(sandbox, containers, deps.network?.podIps(sandbox.id)),
    info: req.verbose ? sandboxInfo(sandbox) : {},
    containers_statuses: podContainerStatuses(containers),
    timestamp: int64(stampNs()),
  };
}
