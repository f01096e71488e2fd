import type { ContainerEventResponse } from '../../generated/runtime/v1/ContainerEventResponse.js';
import type { GetEventsRequest__Output } from '../../generated/runtime/v1/GetEventsRequest.js';
import type { CallContext } from '../context.js';
import type { PodDeps } from './deps.js';

/** GetContainerEvents: the engine's container events as CRI events, with the pod's and containers' statuses. */
export async function getContainerEvents(
  deps: PodDeps,
  _req: GetEventsRequest__Output,
  send: (event: ContainerEventResponse) => Promise<void>,
  ctx: CallContext,
): Promise<void> {
  await deps.events.serve(send, ctx.signal);
}
