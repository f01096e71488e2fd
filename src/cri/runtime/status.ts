import { canRecursiveReadOnly } from '../../docker/api-version.js';
import type { RuntimeCondition } from '../../generated/runtime/v1/RuntimeCondition.js';
import type { StatusRequest__Output } from '../../generated/runtime/v1/StatusRequest.js';
import type { StatusResponse } from '../../generated/runtime/v1/StatusResponse.js';
import type { EngineReadiness } from '../../store/engine-state.js';
import type { CallContext } from '../context.js';
import type { RuntimeDeps } from './deps.js';
import type { NetworkState } from '../../network/cni/watcher.js';

/**
 * Status: RuntimeReady follows whether the Docker engine answers (kubelet starts nothing until it
 * is true); NetworkReady follows the pod network: the engine's default network (Docker bridge on
 * Linux, nat on Windows), ready exactly when the engine is, or in CNI mode the config dir's network. Answered from
 * the engine state kept in the background.
 */
export async function status(
  deps: RuntimeDeps,
  req: StatusRequest__Output,
  _ctx: CallContext,
): Promise<StatusResponse> {
  const engine = await deps.engine.current();
  const response: StatusResponse = {
    status: { conditions: [runtimeReady(engine), networkReady(engine, deps.network?.state())] },
    info: req.verbose ? verboseInfo(deps, engine) : {},
    runtime_handlers: deps.runtimeHandlerNames.map((name) => ({
      name,
      // Recursive read-only binds where the engine has them (API 1.44+ on Linux 5.12+); Docker
      // offers no user namespace per container.
      features: {
        recursive_read_only_mounts: engine.info !== undefined && canRecursiveReadOnly(engine.info),
        user_namespaces: false,
      },
    })),
    // mount_options: false: Mount.mount_options are refused with INVALID_ARGUMENT, never applied
    // or ignored (platform/neutral.ts); the kubelet then declares no such node feature.
    features: {
      supplemental_groups_policy: false,
      user_namespaces_host_network: false,
      mount_options: false,
    },
  };
  return response;
}

function runtimeReady(engine: EngineReadiness): RuntimeCondition {
  return engine.ready
    ? { type: 'RuntimeReady', status: true, reason: '', message: '' }
    : { type: 'RuntimeReady', status: false, reason: engine.reason, message: engine.message };
}

/**
 * In CNI mode: ready once a valid network config exists (the kubelet then starts pod-network pods;
 * before, only host-network ones), else NetworkPluginNotReady naming the directory and why.
 */
function networkReady(engine: EngineReadiness, cni: NetworkState | undefined): RuntimeCondition {
  if (cni && !cni.ready)
    return { type: 'NetworkReady', status: false, reason: cni.reason, message: cni.message };
  if (cni) return { type: 'NetworkReady', status: true, reason: '', message: '' };
  return engine.ready
    ? { type: 'NetworkReady', status: true, reason: '', message: '' }
    : {
        type: 'NetworkReady',
        status: false,
        reason: 'DockerEngineNotReady',
        message: "pods use the Docker engine's default network, and the engine is not ready",
      };
}

/** crictl info prints each value; one starting with "{" must be a JSON object. */
function verboseInfo(deps: RuntimeDeps, engine: EngineReadiness): Record<string, string> {
  const { config } = deps;
  return {
    engine: JSON.stringify({
      host: deps.docker.host,
      ready: engine.ready,
      checkedAt: engine.checkedAt.toISOString(),
      ...(engine.info ?? {}),
    }),
    config: JSON.stringify({
      listen: config.listen,
      sandboxImage: config.sandboxImage,
      rootDir: config.rootDir,
      streamingAddress: config.streamingAddress,
      registryMirrors: Object.fromEntries(config.registryMirrors),
      runtimeHandlers: deps.runtimeHandlerNames,
      podCidr: deps.runtimeSettings.podCidr,
      ...networkInfo(deps.network?.state()),
    }),
    ...hyperVInfo(deps, engine),
  };
}

/** Windows: whether Hyper-V isolation is available and where that was found (config, the host's features, the engine). */
function hyperVInfo(deps: RuntimeDeps, engine: EngineReadiness): Record<string, string> {
  if (engine.info?.osType !== 'windows') return {};
  const { hyperV } = deps.platform().facts;
  return hyperV ? { hyperV: JSON.stringify(hyperV) } : {};
}

/** What `crictl info` shows of the pod network: the mode, and in CNI mode the network in use. */
function networkInfo(cni: NetworkState | undefined): Record<string, unknown> {
  if (!cni) return { networkMode: 'engine-default' };
  if (!cni.ready) return { networkMode: 'cni', cniNetwork: null, cniNotReady: cni.message };
  const { name, file, cniVersion, plugins } = cni.network;
  return { networkMode: 'cni', cniNetwork: { name, file, cniVersion, plugins: plugins.map((p) => p.type) } };
}
