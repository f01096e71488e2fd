import type { ContainerEventResponse } from '../generated/runtime/v1/ContainerEventResponse.js';
import type { ContainerEventType } from '../generated/runtime/v1/ContainerEventType.js';
import type { ContainerChange, RuntimeStore } from '../store/runtime-store.js';
import { podContainerStatuses } from './convert/container.js';
import { toPodSandboxStatus } from './convert/sandbox.js';
import { int64, stampNs } from './convert/time.js';

const EVENT_TYPE: Record<ContainerChange['action'], ContainerEventType> = {
  create: 'CONTAINER_CREATED_EVENT',
  start: 'CONTAINER_STARTED_EVENT',
  die: 'CONTAINER_STOPPED_EVENT',
  destroy: 'CONTAINER_DELETED_EVENT',
};

interface Subscriber {
  queue: ContainerEventResponse[];
  wake: (() => void) | undefined;
  dropped: boolean;
}

/**
 * Fans the store's container changes out to GetContainerEvents streams. Each subscriber has its own
 * bounded queue; one that falls `capacity` events behind (a stuck or slow client) is dropped and its
 * stream ended with an error, so it never holds up the engine event loop or other subscribers. The
 * kubelet's evented PLEG relists after a broken stream, which is the right recovery for lost events.
 */
export class ContainerEventHub {
  readonly #subscribers = new Set<Subscriber>();

  constructor(
    private readonly store: RuntimeStore,
    private readonly capacity = 1000,
    /** CNI mode: the pod IPs from the ADD results, which the engine does not know. */
    private readonly podIps: (sandboxId: string) => readonly string[] = () => [],
  ) {
    store.subscribe((change) => this.#publish(change));
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  #publish(change: ContainerChange): void {
    if (this.#subscribers.size === 0) return;
    const event = this.#toEvent(change);
    for (const sub of this.#subscribers) {
      if (sub.queue.length >= this.capacity) {
        sub.dropped = true;
        this.#subscribers.delete(sub);
      } else sub.queue.push(event);
      sub.wake?.();
    }
  }

  #toEvent(change: ContainerChange): ContainerEventResponse {
    const { container } = change;
    const sandbox = this.store.sandbox(container.sandboxId);
    const containers = this.store.containersOf(container.sandboxId);
    const statuses = podContainerStatuses(
      change.action === 'destroy' ? [...containers, container] : containers,
    );
    return {
      container_id: container.id,
      container_event_type: EVENT_TYPE[change.action],
      // Stamped when its statuses are read, not when the engine saw the change: the kubelet keeps a
      // pod status stamped later than the event, and PodSandboxStatus may have answered in between.
      created_at: int64(stampNs()),
      pod_sandbox_status: sandbox ? toPodSandboxStatus(sandbox, containers, this.podIps(sandbox.id)) : null,
      containers_statuses: statuses,
    };
  }

  /** Streams events to `send` until the call ends; throws when the subscriber fell too far behind. */
  async serve(send: (event: ContainerEventResponse) => Promise<void>, signal: AbortSignal): Promise<void> {
    const sub: Subscriber = { queue: [], wake: undefined, dropped: false };
    this.#subscribers.add(sub);
    const onAbort = () => sub.wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      while (!signal.aborted) {
        const next = sub.queue.shift();
        if (next) {
          await send(next);
          continue;
        }
        if (sub.dropped)
          throw new Error(
            `this event stream fell ${this.capacity} events behind and was dropped; reconnect and relist`,
          );
        await new Promise<void>((resolve) => (sub.wake = resolve));
        sub.wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#subscribers.delete(sub);
    }
  }
}
