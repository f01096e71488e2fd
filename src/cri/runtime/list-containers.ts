import type { ListContainersRequest__Output } from '../../generated/runtime/v1/ListContainersRequest.js';
import type { Container } from '../../generated/runtime/v1/Container.js';
import type { ListContainersResponse } from '../../generated/runtime/v1/ListContainersResponse.js';
import type { ContainerRecord } from '../../store/runtime-store.js';
import type { CallContext } from '../context.js';
import { containerState, toContainer } from '../convert/container.js';
import { matchesId, matchesLabels, matchesState } from '../convert/filters.js';
import { ItemMemo } from '../memo.js';
import type { PodDeps } from './deps.js';

/** One item per container record, kept while the record is current (src/cri/memo.ts). */
const items = new ItemMemo<ContainerRecord, Container>();

/** ListContainers: from memory, filtered by id (or prefix), state, pod sandbox id (or prefix) and label selector. */
export async function listContainers(
  deps: PodDeps,
  req: ListContainersRequest__Output,
  _ctx: CallContext,
): Promise<ListContainersResponse> {
  const filter = req.filter;
  const containers = [];
  for (const c of deps.store.containers) {
    if (!matchesId(filter?.id, c.id) || !matchesId(filter?.pod_sandbox_id, c.sandboxId)) continue;
    if (
      !matchesState(filter?.state, containerState(c.details)) ||
      !matchesLabels(filter?.label_selector, c.labels)
    )
      continue;
    containers.push(items.get(c, [], () => toContainer(c)));
  }
  return { containers };
}
