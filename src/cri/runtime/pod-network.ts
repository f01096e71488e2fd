import type { PodSandboxConfig__Output } from '../../generated/runtime/v1/PodSandboxConfig.js';
import type { PodNetworkInfo } from '../../network/cni/capabilities.js';
import type { PendingAttachment } from '../../network/cni-pod-network.js';
import type { CallContext } from '../context.js';
import type { Rollback } from '../rollback.js';
import type { PodDeps } from './deps.js';

/** The pod network's two steps in the lifecycle handlers, in CNI mode (`deps.network`). */

/**
 * ADD's first step for a sandbox about to start, in CNI mode (the network chosen, the attachment
 * recorded in the result cache), made while the engine starts it; undefined for a pod that does not
 * use CNI (engine mode, host network). Its undo forgets the record when ADD never ran.
 */
export function beginPodNetwork(
  deps: PodDeps,
  id: string,
  config: PodSandboxConfig__Output,
  rollback: Rollback,
): PendingAttachment | undefined {
  const network = deps.network;
  if (!network || deps.platform().podNamespaces(config).network === 'NODE') return undefined;
  const pending = network.begin({
    id,
    kind: deps.platform().cniTarget(0).kind,
    pod: podNetworkInfo(deps, id, config),
  });
  rollback.push(`CNI record of sandbox ${id}`, () => network.abandon(pending));
  return pending;
}

/**
 * CNI ADD for a started sandbox begun with `beginPodNetwork`. Its undo (DEL, then the namespace
 * released) runs before the sandbox's removal, so DEL always finds the namespace.
 */
export async function attachPodNetwork(
  deps: PodDeps,
  pending: PendingAttachment | undefined,
  rollback: Rollback,
  ctx: CallContext,
): Promise<void> {
  const network = deps.network;
  if (!network || !pending) return;
  const id = pending.sandboxId;
  const target = deps.platform().cniTarget(deps.store.findSandbox(id)?.details.state.pid ?? 0);
  // ADD undoes itself when it fails; this undo is for a failure after it.
  const ips = await network.complete(pending, target, ctx.signal);
  rollback.push(`CNI DEL of sandbox ${id}`, (signal) => network.detach(id, target.kind, signal));
  ctx.log.info({ id, ips }, 'pod network attached');
}

/** What the plugins are told of a pod: its identity, host ports, DNS, bandwidth annotations, pod CIDRs. */
function podNetworkInfo(deps: PodDeps, id: string, config: PodSandboxConfig__Output): PodNetworkInfo {
  const meta = config.metadata!;
  return {
    namespace: meta.namespace,
    name: meta.name,
    uid: meta.uid,
    sandboxId: id,
    portMappings: config.port_mappings.map((pm) => ({
      protocol: pm.protocol === 'UDP' ? 'udp' : pm.protocol === 'SCTP' ? 'sctp' : 'tcp',
      containerPort: pm.container_port,
      hostPort: pm.host_port,
      hostIP: pm.host_ip,
    })),
    ...(config.dns_config
      ? {
          dns: {
            servers: config.dns_config.servers,
            searches: config.dns_config.searches,
            options: config.dns_config.options,
          },
        }
      : {}),
    annotations: config.annotations,
    ...(deps.runtimeSettings.podCidr ? { podCidrs: deps.runtimeSettings.podCidr.split(',') } : {}),
  };
}

/**
 * CNI DEL of a pod (StopPodSandbox, RemovePodSandbox): with the config and arguments cached at ADD,
 * inside the namespace still held. Idempotent, and a no-op for a pod never attached (host network,
 * engine mode before a switch).
 */
export async function detachPodNetwork(deps: PodDeps, sandboxId: string, ctx: CallContext): Promise<void> {
  if (!deps.network) return;
  await deps.network.detach(sandboxId, deps.platform().cniTarget(0).kind, ctx.signal);
}
