/**
 * What a Hyper-V pod is under Docker (docs/windows.md, "Hyper-V pods").
 *
 * Docker refuses `NetworkMode: container:<id>` for a Hyper-V container ("using the network stack of
 * another container is not supported while using Hyper-V Containers"): each Hyper-V container is its
 * own utility VM with its own network endpoint, so containers of one pod cannot share localhost.
 * dockershim's Hyper-V alpha (Kubernetes PR #58751) drew the same line: one container per pod.
 *
 * So a Hyper-V pod holds at most one live app container. Its sandbox is a placeholder with
 * `NetworkMode: none`; the app container takes the pod network itself, and the pod IP is its IP.
 * Init containers work, because each has exited before the next container is made; sidecars,
 * restartable init containers and a second app container are refused with FAILED_PRECONDITION.
 */
import { failedPrecondition } from '../errors.js';
import type { WindowsIsolation } from './select.js';

export type PodContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface PodContainerRef {
  id: string;
  name: string;
  state: PodContainerState;
}

export interface HyperVPodCheck {
  /** The pod, for the message: "namespace/name". */
  pod: string;
  isolation: WindowsIsolation | undefined;
  /** The container about to be created. */
  newContainer: string;
  /** The pod's existing app containers (the sandbox itself excluded). */
  containers: readonly PodContainerRef[];
}

/**
 * Refuses a container that a Hyper-V pod cannot hold. A container that has exited does not count:
 * the kubelet makes a new container for each restart and for each init container in turn. One whose
 * state is unknown counts, since it may still hold the pod's network endpoint.
 */
export function hyperVPodConstraints(check: HyperVPodCheck): void {
  if (check.isolation !== 'hyperv') return;
  const live = check.containers.filter((c) => c.state !== 'exited');
  const first = live[0];
  if (first === undefined) return;
  throw failedPrecondition(
    `pod ${check.pod} runs under Hyper-V isolation, where Docker gives every container its own utility VM and ` +
      `cannot share one network namespace between containers, so a Hyper-V pod holds one running container at a ` +
      `time: container "${check.newContainer}" cannot be created while "${first.name}" (${first.id.slice(0, 12)}) is ` +
      `${first.state}. Run multi-container pods (sidecars included) with a process-isolated RuntimeClass, or move ` +
      `"${check.newContainer}" to a pod of its own`,
  );
}
