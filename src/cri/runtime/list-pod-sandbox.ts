import type { ListPodSandboxRequest__Output } from '../../generated/runtime/v1/ListPodSandboxRequest.js';
import type { ListPodSandboxResponse } from '../../generated/runtime/v1/ListPodSandboxResponse.js';
import type { PodSandbox } from '../../generated/runtime/v1/PodSandbox.js';
import type { SandboxRecord } from '../../store/runtime-store.js';
import type { CallContext } from '../context.js';
import { matchesId, matchesLabels, matchesState } from '../convert/filters.js';
import { sandboxState, toPodSandbox } from '../convert/sandbox.js';
import { ItemMemo } from '../memo.js';
import type { PodDeps } from './deps.js';

/** One item per sandbox record, kept while the record is current (src/cri/memo.ts). */
const items = new ItemMemo<SandboxRecord, PodSandbox>();

/** ListPodSandbox: from memory, filtered by id (or prefix), state and label selector. */
export async function listPodSandbox(
  deps: PodDeps,
  req: ListPodSandboxRequest__Output,
  _ctx: CallContext,
): Promise<ListPodSandboxResponse> {
  const filter = req.filter;
  const listed = [];
  for (const s of deps.store.sandboxes) {
    if (
      !matchesId(filter?.id, s.id) ||
      !matchesState(filter?.state, sandboxState(s)) ||
      !matchesLabels(filter?.label_selector, s.labels)
    )
      continue;
    listed.push(items.get(s, [], () => toPodSandbox(s)));
  }
  return { items: listed };
}
