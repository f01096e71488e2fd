import type { ListMetricDescriptorsResponse } from '../../generated/runtime/v1/ListMetricDescriptorsResponse.js';
import type { ListPodSandboxMetricsResponse } from '../../generated/runtime/v1/ListPodSandboxMetricsResponse.js';
import { listMetricDescriptors as descriptors } from '../../stats/metrics.js';
import { podSandboxMetricsReply } from '../../stats/replies.js';
import { containerView, podView, type StatsDeps } from './stats-views.js';

/**
 * ListMetricDescriptors and ListPodSandboxMetrics: the cAdvisor-named metrics kubelet serves on
 * /metrics/cadvisor when it takes stats from the CRI (src/stats/metrics.ts lists them).
 */
export async function listMetricDescriptors(): Promise<ListMetricDescriptorsResponse> {
  return { descriptors: descriptors() };
}

export async function listPodSandboxMetrics(deps: StatsDeps): Promise<ListPodSandboxMetricsResponse> {
  const platform = deps.platform();
  return {
    pod_metrics: [...deps.store.sandboxes].map((s) =>
      podSandboxMetricsReply(
        deps.stats,
        podView(s, platform),
        deps.store.containersOf(s.id).map((c) => containerView(c, deps.writableLayers)),
      ),
    ),
  };
}
