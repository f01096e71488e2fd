/** Sandbox records -> CRI PodSandbox / PodSandboxStatus. */
import type { PodSandbox } from '../../generated/runtime/v1/PodSandbox.js';
import type { PodSandboxStatus } from '../../generated/runtime/v1/PodSandboxStatus.js';
import type { PodSandboxState__Output } from '../../generated/runtime/v1/PodSandboxState.js';
import type { ContainerRecord, SandboxRecord } from '../../store/runtime-store.js';
import { int64 } from './time.js';

/** READY while the pause container runs; anything else (exited, created, dead) is NOTREADY. */
export function sandboxState(s: SandboxRecord): PodSandboxState__Output {
  return s.details.state.running ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY';
}

/**
 * The pod IP: the sandbox's address on the engine network; "" on the host network. A Hyper-V pod's
 * sandbox holds no network (src/platform/windows.ts): its live app container's address is the pod's.
 */
export function sandboxIp(s: SandboxRecord, containers: readonly ContainerRecord[] = []): string {
  if (s.namespaceOptions.network === 'NODE') return '';
  const holders =
    s.decision?.isolation === 'hyperv'
      ? containers.filter((c) => c.details.state.running).map((c) => c.details)
      : [s.details];
  for (const holder of holders)
    for (const network of Object.values(holder.networks)) if (network.ipAddress) return network.ipAddress;
  return '';
}

export function toPodSandbox(s: SandboxRecord): PodSandbox {
  return {
    id: s.id,
    metadata: { ...s.metadata },
    state: sandboxState(s),
    created_at: int64(s.createdAt),
    labels: s.labels,
    annotations: s.annotations,
    runtime_handler: s.decision?.handler ?? '',
  };
}

/**
 * `cniIps`: the pod's IPs from its CNI ADD result (IPv4 first) in CNI mode, where the engine knows
 * no address: the first is the pod IP, the rest `additional_ips` (dual stack).
 */
export function toPodSandboxStatus(
  s: SandboxRecord,
  containers: readonly ContainerRecord[] = [],
  cniIps: readonly string[] = [],
): PodSandboxStatus {
  const ns = s.namespaceOptions;
  return {
    ...toPodSandbox(s),
    network: cniIps.length > 0 ? cniNetwork(cniIps) : engineNetwork(s, containers),
    linux: {
      namespaces: { options: { network: ns.network, pid: ns.pid, ipc: ns.ipc, target_id: ns.targetId } },
    },
  };
}

function cniNetwork(ips: readonly string[]): PodSandboxStatus['network'] {
  const [ip, ...more] = ips;
  return { ip: ip ?? '', additional_ips: more.map((extra) => ({ ip: extra })) };
}

function engineNetwork(
  s: SandboxRecord,
  containers: readonly ContainerRecord[],
): PodSandboxStatus['network'] {
  const ip = sandboxIp(s, containers);
  const ipv6 =
    s.namespaceOptions.network === 'NODE'
      ? ''
      : (Object.values(s.details.networks).find((n) => n.globalIPv6Address)?.globalIPv6Address ?? '');
  return { ip, additional_ips: ipv6 ? [{ ip: ipv6 }] : [] };
}

/** PodSandboxStatus verbose info: one JSON object, as crictl inspectp prints it. */
export function sandboxInfo(s: SandboxRecord): Record<string, string> {
  return {
    info: JSON.stringify({
      id: s.id,
      name: s.name,
      image: s.details.image,
      pid: s.details.state.pid,
      engineState: s.details.state.status,
      networkMode: s.details.hostConfig.networkMode,
      logDirectory: s.logDirectory,
      isolation: s.decision ?? null,
      namespaceOptions: s.namespaceOptions,
    }),
  };
}
