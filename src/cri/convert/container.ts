/** Container records -> CRI Container / ContainerStatus. */
import type { Container } from '../../generated/runtime/v1/Container.js';
import type { ContainerState__Output } from '../../generated/runtime/v1/ContainerState.js';
import type { ContainerStatus } from '../../generated/runtime/v1/ContainerStatus.js';
import type { LinuxContainerResources } from '../../generated/runtime/v1/LinuxContainerResources.js';
import type { Mount } from '../../generated/runtime/v1/Mount.js';
import type { ContainerDetails, ContainerMount } from '../../docker/client.js';
import type { ContainerRecord } from '../../store/runtime-store.js';
import { int64, parseRfc3339Nano } from './time.js';

/**
 * The engine's state as a CRI state. A container whose start failed stays "created" in Docker with
 * an error and an exit code; the CRI calls that EXITED (it will never run), as containerd does.
 */
export function containerState(d: ContainerDetails): ContainerState__Output {
  switch (d.state.status) {
    case 'created':
      return d.state.error ? 'CONTAINER_EXITED' : 'CONTAINER_CREATED';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'CONTAINER_RUNNING';
    case 'exited':
    case 'dead':
      return 'CONTAINER_EXITED';
    default:
      return 'CONTAINER_UNKNOWN';
  }
}

/** Reason and message for an exited container, in the words the kubelet shows. */
export function exitReason(d: ContainerDetails): { reason: string; message: string } {
  if (containerState(d) !== 'CONTAINER_EXITED') return { reason: '', message: '' };
  if (d.state.status === 'created') return { reason: 'StartError', message: d.state.error };
  if (d.state.oomKilled) return { reason: 'OOMKilled', message: d.state.error };
  return { reason: d.state.exitCode === 0 ? 'Completed' : 'Error', message: d.state.error };
}

export function toContainer(c: ContainerRecord): Container {
  return {
    id: c.id,
    pod_sandbox_id: c.sandboxId,
    metadata: { ...c.metadata },
    image: { image: c.image },
    image_ref: c.details.imageId,
    image_id: c.details.imageId,
    state: containerState(c.details),
    created_at: int64(c.createdAt),
    labels: c.labels,
    annotations: c.annotations,
  };
}

const PROPAGATION: Record<string, Mount['propagation']> = {
  rslave: 'PROPAGATION_HOST_TO_CONTAINER',
  slave: 'PROPAGATION_HOST_TO_CONTAINER',
  rshared: 'PROPAGATION_BIDIRECTIONAL',
  shared: 'PROPAGATION_BIDIRECTIONAL',
};

/**
 * A pod's container statuses, newest first (by creation; the higher attempt on a tie). The kubelet's
 * evented PLEG takes PodSandboxStatus.containers_statuses as given and reads the first status of a
 * name as that container's latest attempt, its next attempt being that one's restart count + 1; its
 * generic PLEG sorts the same way (newest created first) before reading. Oldest first made it retry
 * an attempt that exists, refused ALREADY_EXISTS until its next full relist.
 */
export function podContainerStatuses(records: Iterable<ContainerRecord>): ContainerStatus[] {
  return [...records].sort(newestFirst).map(toContainerStatus);
}

function newestFirst(a: ContainerRecord, b: ContainerRecord): number {
  if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt ? -1 : 1;
  return b.metadata.attempt - a.metadata.attempt;
}

export function toContainerStatus(c: ContainerRecord): ContainerStatus {
  const d = c.details;
  const { reason, message } = exitReason(d);
  const state = containerState(d);
  return {
    id: c.id,
    metadata: { ...c.metadata },
    state,
    created_at: int64(c.createdAt),
    started_at: int64(parseRfc3339Nano(d.state.startedAt)),
    finished_at: int64(state === 'CONTAINER_EXITED' ? parseRfc3339Nano(d.state.finishedAt) : 0n),
    exit_code: state === 'CONTAINER_EXITED' ? d.state.exitCode : 0,
    image: { image: c.image },
    image_ref: d.imageId,
    image_id: d.imageId,
    reason,
    message,
    labels: c.labels,
    annotations: c.annotations,
    mounts: d.hostConfig.mounts.map((m) => toMount(m, c.imageVolumes)),
    log_path: c.logPath,
    resources: { linux: linuxResourcesOf(d) },
  };
}

/**
 * A mount as the CRI reports it. An image volume has no host path (where the engine mounted the
 * image on its host is the engine's business): it names its image as CreateContainer did, and the
 * engine's image id as image_ref, the same id PullImage answered (the kubelet reports it in the
 * pod's status as the volume's digest).
 */
function toMount(m: ContainerMount, names: Record<string, string>): Mount {
  if (m.type !== 'image') {
    return {
      container_path: m.target,
      host_path: m.source,
      readonly: m.readOnly,
      propagation: PROPAGATION[m.propagation] ?? 'PROPAGATION_PRIVATE',
    };
  }
  const id = m.image ?? '';
  return {
    container_path: m.target,
    host_path: '',
    readonly: true,
    propagation: 'PROPAGATION_PRIVATE',
    image: { image: names[m.target] ?? id, image_ref: id },
    image_sub_path: m.imageSubpath ?? '',
  };
}

function linuxResourcesOf(d: ContainerDetails): LinuxContainerResources {
  const r = d.hostConfig.resources as ContainerDetails['hostConfig']['resources'] & { OomScoreAdj?: number };
  return {
    cpu_period: int64(r.CpuPeriod ?? 0),
    cpu_quota: int64(r.CpuQuota ?? 0),
    cpu_shares: int64(r.CpuShares ?? 0),
    memory_limit_in_bytes: int64(r.Memory ?? 0),
    memory_swap_limit_in_bytes: int64(r.MemorySwap ?? 0),
    oom_score_adj: int64(r.OomScoreAdj ?? 0),
    cpuset_cpus: r.CpusetCpus ?? '',
    cpuset_mems: r.CpusetMems ?? '',
  };
}

/** ContainerStatus verbose info: one JSON object, as crictl inspect prints it. */
export function containerInfo(c: ContainerRecord): Record<string, string> {
  const d = c.details;
  return {
    info: JSON.stringify({
      sandboxID: c.sandboxId,
      name: c.name,
      pid: d.state.pid,
      engineState: d.state.status,
      removing: d.state.status === 'removing',
      image: d.image,
      config: {
        tty: d.config.tty,
        stdin: d.config.openStdin,
        stdinOnce: d.config.stdinOnce,
        user: d.config.user,
      },
      hostConfig: {
        networkMode: d.hostConfig.networkMode,
        pidMode: d.hostConfig.pidMode,
        ipcMode: d.hostConfig.ipcMode,
      },
      engineLogPath: d.logPath,
    }),
  };
}
