import type { Logger } from 'pino';
import type { DockerClient } from '../docker/client.js';
import type { RuntimeStore } from '../store/runtime-store.js';
import type { CniNetworkOptions, CniTarget } from './cni-pod-network.js';

/**
 * CNI pod networking as `--network-plugin cni` starts it. The CNI modules are loaded here, only
 * in CNI mode: a node on the engine's network never holds them (~0.25 MiB of heap).
 */
export async function startCni(options: CniNetworkOptions, log: Logger) {
  const [{ startCniPodNetwork }, { recoverPodNetwork }] = await Promise.all([
    import('./cni-pod-network.js'),
    import('./recover-pod-network.js'),
  ]);
  const { network, stop } = await startCniPodNetwork(options, log);
  return {
    network,
    stop,
    /** After the store's recovery: see recoverPodNetwork. */
    recover: (docker: Pick<DockerClient, 'removeContainer'>, store: RuntimeStore, kind: CniTarget['kind']) =>
      recoverPodNetwork(network, docker, store, kind, log),
  };
}
