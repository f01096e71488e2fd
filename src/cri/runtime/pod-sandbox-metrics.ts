import type { ListMetricDescriptorsResponse } from '../../generated/runtime/v1/ListMetricDescriptorsResponse.js';
import type { ListPodSandboxMetricsResponse } from '../../generated/runtime/v1/ListPodSandboxMetricsResponse.js';
import type { PodSandboxMetrics } from '../../generated/runtime/v1/PodSandboxMetrics.js';
import type { SandboxRecord } from '../../store/runtime-store.js';
import { listMetricDescriptors as descriptors } from '../../stats/metrics.js';
import { podSandboxMetricsReply } from '../../stats/replies.js';
import { ItemMemo } from '../memo.js';
import { containerView, podView, type StatsDeps } from './stats-views.js';

/**
 * ListMetricDescriptors and ListPodSandboxMetrics: the cAdvisor-named metrics kubelet serves on
 * /metrics/cadvisor when it takes stats from the CRI (src/stats/metrics.ts lists them).
 */
export async function listMetricDescriptors(): Promise<ListMetricDescriptorsResponse> {
  return { descriptors: descriptors() };
}

export async function listPodSandboxMetrics(deps: StatsDeps): Promise<ListPodSandboxMetricsResponse> {
  return { pod_metrics: [...deps.store.sandboxes].map((s) => metricsOf(deps, s)) };
}

/**
 * One item per pod, kept while the pod's and its containers' records and their monotonic samples
 * are the current ones (src/cri/memo.ts). Metrics carry only measured values, never "now".
 */
const items = new ItemMemo<SandboxRecord, PodSandboxMetrics>();

function metricsOf(deps: StatsDeps, sandbox: SandboxRecord): PodSandboxMetrics {
  const platform = deps.platform();
  const records = deps.store.containersOf(sandbox.id);
  const inputs: unknown[] = [platform, deps.stats.monotonic(sandbox.id)];
  for (const c of records) inputs.push(c, deps.stats.monotonic(c.id), deps.writableLayers?.get(c.id));
  return items.get(sandbox, inputs, () =>
    podSandboxMetricsReply(
      deps.stats,
      podView(sandbox, platform),
      records.map((c) => containerView(c, deps.writableLayers)),
    ),
  );
}
