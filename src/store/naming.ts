/**
 * Docker container names for pods and containers. The pod's identity is the name, so the engine
 * itself refuses a second sandbox for the same pod attempt (HTTP 409 -> ALREADY_EXISTS) even when
 * two wincri calls race, and a crash between "create" and "remember" cannot make a twin.
 *
 *   sandbox:   k8s_POD_<pod name>_<namespace>_<pod uid>_<attempt>
 *   container: k8s_<container name>_<pod name>_<namespace>_<pod uid>_<attempt>
 *
 * the layout cri-dockerd (and dockershim before it) uses, so operators' `docker ps` habits carry over.
 * `_` separates the parts, so a part may not contain one: Kubernetes names never do (DNS labels and
 * subdomains), and anything else Docker refuses in a name is refused here with the field named,
 * rather than escaped into a name nobody can read back.
 */
import { invalidArgument } from '../errors.js';

export const NAME_PREFIX = 'k8s';
/** The container-name slot of a sandbox (no CRI container may be called this: it would collide). */
export const SANDBOX_SLOT = 'POD';

const PART = /^[a-zA-Z0-9][a-zA-Z0-9.-]*$/;

export interface PodIdentity {
  name: string;
  namespace: string;
  uid: string;
  attempt: number;
}

export interface ContainerIdentity {
  name: string;
  attempt: number;
}

/** Checks one part of a name; `field` names it in the message (e.g. "config.metadata.name"). */
export function checkNamePart(value: string, field: string): void {
  if (value === '') throw invalidArgument(`${field} is required`);
  if (!PART.test(value)) {
    throw invalidArgument(
      `${field} ${JSON.stringify(value)} cannot be part of a Docker container name: use letters, digits, '.' and '-', starting with a letter or digit`,
    );
  }
}

function checkAttempt(attempt: number, field: string): void {
  if (!Number.isInteger(attempt) || attempt < 0)
    throw invalidArgument(`${field} must be a non-negative integer, got ${attempt}`);
}

export function checkPodIdentity(pod: PodIdentity, field = 'config.metadata'): void {
  checkNamePart(pod.name, `${field}.name`);
  checkNamePart(pod.namespace, `${field}.namespace`);
  checkNamePart(pod.uid, `${field}.uid`);
  checkAttempt(pod.attempt, `${field}.attempt`);
}

export function sandboxName(pod: PodIdentity): string {
  checkPodIdentity(pod);
  return [NAME_PREFIX, SANDBOX_SLOT, pod.name, pod.namespace, pod.uid, String(pod.attempt)].join('_');
}

export function containerName(container: ContainerIdentity, pod: PodIdentity): string {
  checkNamePart(container.name, 'config.metadata.name');
  if (container.name === SANDBOX_SLOT) {
    throw invalidArgument(
      `config.metadata.name "${SANDBOX_SLOT}" is reserved for the pod's sandbox container`,
    );
  }
  checkAttempt(container.attempt, 'config.metadata.attempt');
  return [NAME_PREFIX, container.name, pod.name, pod.namespace, pod.uid, String(container.attempt)].join('_');
}
