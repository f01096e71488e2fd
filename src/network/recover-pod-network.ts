import type { Logger } from 'pino';
import type { DockerClient } from '../docker/client.js';
import type { RuntimeStore } from '../store/runtime-store.js';
import type { CniPodNetwork, CniTarget } from './cni-pod-network.js';

/**
 * CNI mode, after the store's recovery: DEL of the attachments of sandboxes the engine no longer
 * runs, and removal of a sandbox whose ADD a kill cut short (it never became ready; the kubelet
 * makes the pod again), after its DEL.
 */
export async function recoverPodNetwork(
  network: CniPodNetwork,
  docker: Pick<DockerClient, 'removeContainer'>,
  store: RuntimeStore,
  kind: CniTarget['kind'],
  log: Logger,
): Promise<void> {
  const live = new Set([...store.sandboxes].filter((s) => s.details.state.running).map((s) => s.id));
  const halfMade = await network.recover(live, kind, AbortSignal.timeout(120_000));
  for (const id of halfMade) {
    for (const c of store.containersOf(id))
      await docker.removeContainer(c.id, { force: true }, AbortSignal.timeout(30_000));
    await docker.removeContainer(id, { force: true }, AbortSignal.timeout(30_000));
    store.forget(id);
    log.info({ sandbox: id }, 'sandbox whose CNI ADD was cut short removed');
  }
}
