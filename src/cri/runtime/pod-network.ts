import type { PodSandboxConfig__Output } from '../../generated/runtime/v1/PodSandboxConfig.js';
import type { CallContext } from '../context.js';
import type { Rollback } from '../rollback.js';
import type { PodDeps } from './deps.js';

/** The pod network's two steps in the lifecycle handlers, in CNI mode (`deps.network`). */

/**
 * CNI ADD for a started sandbox, in CNI mode; host-network pods never touch CNI. Its undo (DEL, then the
 * namespace released) runs before the sandbox's removal, so DEL always finds the namespace.
 */
export async function attachPodNetwork(
  deps: PodDeps,
  id: string,
  config: PodSandboxConfig__Output,
  rollback: Rollback,
  ctx: CallContext,
): Promise<void> {
  const network = deps.network;
  if (!network || deps.platform().podNamespaces(config).network === 'NODE') return;
  const target = deps.platform().cniTarget(deps.store.findSandbox(id)?.details.state.pid ?? 0);
  const meta = config.metadata!;
  // ADD undoes itself when it fails; this undo is for a failure after it.
  const ips = await network.attach(
    {
      id,
      target,
      pod: {
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
      },
    },
    ctx.signal,
  );
  rollback.push(`CNI DEL of sandbox ${id}`, (signal) => network.detach(id, target.kind, signal));
  ctx.log.info({ id, ips }, 'pod network attached');
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
