import { unavailable, unimplemented } from '../../errors.js';
import type { CallContext } from '../context.js';
import type { RuntimeRpcs } from '../rpc-types.js';
import { containerStats, listContainerStats } from './container-stats.js';
import { containerStatus } from './container-status.js';
import { createContainer } from './create-container.js';
import { execSync } from './exec-sync.js';
import type { PodDeps, RuntimeDeps } from './deps.js';
import { getContainerEvents } from './get-container-events.js';
import { listContainers } from './list-containers.js';
import { listPodSandbox } from './list-pod-sandbox.js';
import { listMetricDescriptors, listPodSandboxMetrics } from './pod-sandbox-metrics.js';
import { listPodSandboxStats, podSandboxStats } from './pod-sandbox-stats.js';
import { podSandboxStatus } from './pod-sandbox-status.js';
import { removeContainer } from './remove-container.js';
import { removePodSandbox } from './remove-pod-sandbox.js';
import { reopenContainerLog } from './reopen-container-log.js';
import { runPodSandbox } from './run-pod-sandbox.js';
import { startContainer } from './start-container.js';
import { stopContainer } from './stop-container.js';
import { stopPodSandbox } from './stop-pod-sandbox.js';
import { updateContainerResources } from './update-container-resources.js';
import { updatePodSandboxResources } from './update-pod-sandbox-resources.js';
import { runtimeConfig, updateRuntimeConfig } from './runtime-config.js';
import type { StatsDeps } from './stats-views.js';
import { status } from './status.js';
import { attach, exec, portForward, type StreamUrlDeps } from './stream-urls.js';
import { version } from './version.js';

/**
 * An RPC wincri does not serve (yet). kubelet and crictl rely on the exact UNIMPLEMENTED code to
 * fall back or to report the feature as missing; the message says why.
 */
const notServed = (rpc: string, why: string) => () =>
  Promise.reject(unimplemented(`${rpc} is not served by wincri: ${why}`));

/**
 * The RuntimeService table: one handler per RPC, each in the file named after it. Long because it
 * is the table itself, one line per RPC.
 */
export function runtimeRpcs(deps: RuntimeDeps): RuntimeRpcs {
  const lifecycle = 'the pod and container lifecycle is not wired in (no store was given to this service)';
  const streaming = 'the streaming server is not running';
  const stats = 'the stats collector is not running';
  const listStreaming = 'CRIListStreaming is alpha; clients fall back to the unary List RPC';
  const podCheckpoints =
    'Docker cannot checkpoint Windows containers, and on Linux its checkpoints need an experimental ' +
    'engine with CRIU on the node, which wincri does not drive (as for CheckpointContainer)';
  const pods: PodDeps | undefined = deps.lifecycle && { ...deps, ...deps.lifecycle };
  const monitored: StatsDeps | undefined = pods &&
    deps.monitoring && { store: pods.store, ...deps.monitoring };
  const streams: StreamUrlDeps | undefined = pods &&
    deps.streaming && { store: pods.store, streaming: deps.streaming };
  /** A stats handler when the collector is wired (main.ts), UNIMPLEMENTED otherwise. */
  const measured = <Req, Res>(rpc: string, handler: (d: StatsDeps, req: Req) => Promise<Res>) =>
    monitored ? (req: Req) => handler(monitored, req) : notServed(rpc, stats);
  /** A streaming handler when the streaming server is wired (main.ts), UNIMPLEMENTED otherwise. */
  const streamed = <Req, Res>(rpc: string, handler: (d: StreamUrlDeps, req: Req) => Promise<Res>) =>
    streams ? (req: Req) => handler(streams, req) : notServed(rpc, streaming);
  /** A lifecycle handler when the lifecycle is wired (main.ts), UNIMPLEMENTED otherwise. */
  const life = <Req, Res>(rpc: string, handler: (d: PodDeps, req: Req, ctx: CallContext) => Promise<Res>) =>
    pods
      ? (req: Req, ctx: CallContext) =>
          pods.store.synced
            ? handler(pods, req, ctx)
            : Promise.reject(
                unavailable(
                  `${rpc}: wincri has not read the pods from the Docker engine yet (is the engine up?); retry shortly`,
                ),
              )
      : notServed(rpc, lifecycle);
  return {
    Version: (req) => version(deps, req),
    Status: (req, ctx) => status(deps, req, ctx),
    RuntimeConfig: (req, ctx) => runtimeConfig(deps, req, ctx),
    UpdateRuntimeConfig: (req, ctx) => updateRuntimeConfig(deps, req, ctx),

    RunPodSandbox: life('RunPodSandbox', runPodSandbox),
    StopPodSandbox: life('StopPodSandbox', stopPodSandbox),
    RemovePodSandbox: life('RemovePodSandbox', removePodSandbox),
    PodSandboxStatus: life('PodSandboxStatus', podSandboxStatus),
    ListPodSandbox: life('ListPodSandbox', listPodSandbox),
    CreateContainer: life('CreateContainer', createContainer),
    StartContainer: life('StartContainer', startContainer),
    StopContainer: life('StopContainer', stopContainer),
    RemoveContainer: life('RemoveContainer', removeContainer),
    ListContainers: life('ListContainers', listContainers),
    ContainerStatus: life('ContainerStatus', containerStatus),
    UpdateContainerResources: life('UpdateContainerResources', updateContainerResources),
    UpdatePodSandboxResources: life('UpdatePodSandboxResources', updatePodSandboxResources),
    ReopenContainerLog: life('ReopenContainerLog', (d, req: Parameters<typeof reopenContainerLog>[1], ctx) =>
      reopenContainerLog({ findContainer: async (id) => reopenTarget(d, id), logs: d.logs }, req, ctx),
    ),
    ExecSync: life('ExecSync', (d, req: Parameters<typeof execSync>[1], ctx) =>
      execSync(
        { docker: d.docker, findContainer: async (id) => execTarget(d, id), killer: d.execKiller },
        req,
        ctx,
      ),
    ),
    GetContainerEvents: pods
      ? (req, send, ctx) => getContainerEvents(pods, req, send, ctx)
      : notServed('GetContainerEvents', lifecycle),

    Exec: streamed('Exec', exec),
    Attach: streamed('Attach', attach),
    PortForward: streamed('PortForward', portForward),

    ContainerStats: measured('ContainerStats', containerStats),
    ListContainerStats: measured('ListContainerStats', listContainerStats),
    PodSandboxStats: measured('PodSandboxStats', podSandboxStats),
    ListPodSandboxStats: measured('ListPodSandboxStats', listPodSandboxStats),
    ListMetricDescriptors: measured('ListMetricDescriptors', listMetricDescriptors),
    ListPodSandboxMetrics: measured('ListPodSandboxMetrics', (d: StatsDeps) => listPodSandboxMetrics(d)),

    CheckpointContainer: notServed(
      'CheckpointContainer',
      'Docker cannot checkpoint Windows containers, and CRIU checkpoints are not offered',
    ),
    CheckpointPod: notServed('CheckpointPod', podCheckpoints),
    RestorePod: notServed('RestorePod', podCheckpoints),

    StreamPodSandboxes: notServed('StreamPodSandboxes', listStreaming),
    StreamContainers: notServed('StreamContainers', listStreaming),
    StreamContainerStats: notServed('StreamContainerStats', listStreaming),
    StreamPodSandboxStats: notServed('StreamPodSandboxStats', listStreaming),
    StreamPodSandboxMetrics: notServed('StreamPodSandboxMetrics', listStreaming),
  };
}

function execTarget(deps: PodDeps, id: string) {
  const c = deps.store.resolveContainer(id);
  return { id: c.id, running: c.details.state.running };
}

function reopenTarget(deps: PodDeps, id: string) {
  const c = deps.store.resolveContainer(id);
  return { id: c.id, running: c.details.state.running, logPath: c.logPath, tty: c.details.config.tty };
}
