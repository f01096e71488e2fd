import { unimplemented } from '../../errors.js';
import type { RuntimeRpcs } from '../rpc-types.js';
import type { RuntimeDeps } from './deps.js';
import { runtimeConfig, updateRuntimeConfig } from './runtime-config.js';
import { status } from './status.js';
import { version } from './version.js';

/**
 * An RPC wincri does not serve (yet). kubelet and crictl rely on the exact UNIMPLEMENTED code to
 * fall back or to report the feature as missing; the message says where the work is tracked.
 */
const notServed = (rpc: string, why: string) => () =>
  Promise.reject(unimplemented(`${rpc} is not served by wincri: ${why}`));

/** The RuntimeService table: one handler per RPC, each in the file named after it. */
export function runtimeRpcs(deps: RuntimeDeps): RuntimeRpcs {
  const lifecycle = 'the pod and container lifecycle is being built (issue #3)';
  const streaming = 'the streaming server is being built (issue #6)';
  const stats = 'the stats module is being built (issue #5)';
  const listStreaming = 'CRIListStreaming is alpha; clients fall back to the unary List RPC';
  return {
    Version: (req) => version(deps, req),
    Status: (req, ctx) => status(deps, req, ctx),
    RuntimeConfig: (req, ctx) => runtimeConfig(deps, req, ctx),
    UpdateRuntimeConfig: (req, ctx) => updateRuntimeConfig(deps, req, ctx),

    RunPodSandbox: notServed('RunPodSandbox', lifecycle),
    StopPodSandbox: notServed('StopPodSandbox', lifecycle),
    RemovePodSandbox: notServed('RemovePodSandbox', lifecycle),
    PodSandboxStatus: notServed('PodSandboxStatus', lifecycle),
    ListPodSandbox: notServed('ListPodSandbox', lifecycle),
    CreateContainer: notServed('CreateContainer', lifecycle),
    StartContainer: notServed('StartContainer', lifecycle),
    StopContainer: notServed('StopContainer', lifecycle),
    RemoveContainer: notServed('RemoveContainer', lifecycle),
    ListContainers: notServed('ListContainers', lifecycle),
    ContainerStatus: notServed('ContainerStatus', lifecycle),
    UpdateContainerResources: notServed('UpdateContainerResources', lifecycle),
    UpdatePodSandboxResources: notServed('UpdatePodSandboxResources', lifecycle),
    ReopenContainerLog: notServed('ReopenContainerLog', lifecycle),
    ExecSync: notServed('ExecSync', lifecycle),
    GetContainerEvents: notServed('GetContainerEvents', lifecycle),

    Exec: notServed('Exec', streaming),
    Attach: notServed('Attach', streaming),
    PortForward: notServed('PortForward', streaming),

    ContainerStats: notServed('ContainerStats', stats),
    ListContainerStats: notServed('ListContainerStats', stats),
    PodSandboxStats: notServed('PodSandboxStats', stats),
    ListPodSandboxStats: notServed('ListPodSandboxStats', stats),
    ListMetricDescriptors: notServed('ListMetricDescriptors', stats),
    ListPodSandboxMetrics: notServed('ListPodSandboxMetrics', stats),

    CheckpointContainer: notServed(
      'CheckpointContainer',
      'Docker cannot checkpoint Windows containers, and CRIU checkpoints are not offered',
    ),

    StreamPodSandboxes: notServed('StreamPodSandboxes', listStreaming),
    StreamContainers: notServed('StreamContainers', listStreaming),
    StreamContainerStats: notServed('StreamContainerStats', listStreaming),
    StreamPodSandboxStats: notServed('StreamPodSandboxStats', listStreaming),
    StreamPodSandboxMetrics: notServed('StreamPodSandboxMetrics', listStreaming),
  };
}
