import type { AttachRequest__Output } from '../../generated/runtime/v1/AttachRequest.js';
import type { AttachResponse } from '../../generated/runtime/v1/AttachResponse.js';
import type { ExecRequest__Output } from '../../generated/runtime/v1/ExecRequest.js';
import type { ExecResponse } from '../../generated/runtime/v1/ExecResponse.js';
import type { PortForwardRequest__Output } from '../../generated/runtime/v1/PortForwardRequest.js';
import type { PortForwardResponse } from '../../generated/runtime/v1/PortForwardResponse.js';
import { failedPrecondition, invalidArgument } from '../../errors.js';
import type { ContainerRecord, RuntimeStore } from '../../store/runtime-store.js';
import type { StreamRequest } from '../../streaming/requests.js';

/**
 * Exec, Attach and PortForward only validate, store the request under a single-use token and
 * return the streaming server's absolute URL (src/streaming/); the bytes flow there.
 */
export interface StreamUrlDeps {
  store: RuntimeStore;
  streaming: { issueUrl(request: StreamRequest): string };
}

function runningContainer(store: RuntimeStore, id: string): ContainerRecord {
  if (!id) throw invalidArgument('container_id is required');
  const container = store.resolveContainer(id);
  if (!container.details.state.running) {
    throw failedPrecondition(
      `container ${container.id} is not running (${container.details.state.status}): start it first`,
    );
  }
  return container;
}

export async function exec(deps: StreamUrlDeps, req: ExecRequest__Output): Promise<ExecResponse> {
  if (req.cmd.length === 0) throw invalidArgument('cmd is required: name the command to run');
  const container = runningContainer(deps.store, req.container_id);
  const { tty, stdin, stdout, stderr } = req;
  return {
    url: deps.streaming.issueUrl({
      kind: 'exec',
      containerId: container.id,
      cmd: req.cmd,
      tty,
      stdin,
      stdout,
      stderr,
    }),
  };
}

export async function attach(deps: StreamUrlDeps, req: AttachRequest__Output): Promise<AttachResponse> {
  const container = runningContainer(deps.store, req.container_id);
  const { tty, stdin, stdout, stderr } = req;
  return {
    url: deps.streaming.issueUrl({ kind: 'attach', containerId: container.id, tty, stdin, stdout, stderr }),
  };
}

export async function portForward(
  deps: StreamUrlDeps,
  req: PortForwardRequest__Output,
): Promise<PortForwardResponse> {
  if (!req.pod_sandbox_id) throw invalidArgument('pod_sandbox_id is required');
  const sandbox = deps.store.resolveSandbox(req.pod_sandbox_id);
  if (!sandbox.details.state.running)
    throw failedPrecondition(`pod sandbox ${sandbox.id} is not ready: port-forward needs a running pod`);
  const bad = req.port.find((p) => !Number.isInteger(p) || p < 1 || p > 65535);
  if (bad !== undefined) throw invalidArgument(`port ${bad} is not a TCP port (1-65535)`);
  return { url: deps.streaming.issueUrl({ kind: 'portforward', podSandboxId: sandbox.id, ports: req.port }) };
}
