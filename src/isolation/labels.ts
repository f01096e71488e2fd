/**
 * The per-pod isolation decision, kept in the sandbox container's Docker labels. Docker is the
 * source of truth: after a restart wincri reads the decision back instead of deciding again (the
 * image or the config may have changed since, but the pod's network was built for this decision).
 */
import { internal } from '../errors.js';
import type { IsolationDecision, WindowsIsolation } from './select.js';

export const ISOLATION_LABELS = Object.freeze({
  runtimeHandler: 'io.wincri.runtime-handler',
  resolvedHandler: 'io.wincri.runtime-handler.resolved',
  isolation: 'io.wincri.isolation',
  dockerRuntime: 'io.wincri.docker-runtime',
  reason: 'io.wincri.isolation.reason',
  hostBuild: 'io.wincri.host-build',
  imageBuild: 'io.wincri.image-build',
});

/** Sandbox labels that record `decision`; merge them into the sandbox's create body. */
export function isolationLabels(decision: IsolationDecision): Record<string, string> {
  const labels: Record<string, string> = {
    [ISOLATION_LABELS.runtimeHandler]: decision.handler,
    [ISOLATION_LABELS.resolvedHandler]: decision.resolvedHandler,
    [ISOLATION_LABELS.reason]: decision.reason,
  };
  if (decision.isolation !== undefined) labels[ISOLATION_LABELS.isolation] = decision.isolation;
  if (decision.dockerRuntime !== undefined) labels[ISOLATION_LABELS.dockerRuntime] = decision.dockerRuntime;
  if (decision.hostBuild !== undefined) labels[ISOLATION_LABELS.hostBuild] = String(decision.hostBuild);
  if (decision.imageBuild !== undefined) labels[ISOLATION_LABELS.imageBuild] = String(decision.imageBuild);
  return labels;
}

const isIsolation = (v: string): v is WindowsIsolation => v === 'process' || v === 'hyperv';

function buildNumber(labels: Record<string, string>, key: string): number | undefined {
  const text = labels[key];
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text))
    throw internal(`sandbox label ${key}=${JSON.stringify(text)} is not a build number`);
  return Number(text);
}

/**
 * The decision recorded in a sandbox's labels, or undefined when the container carries none (not
 * made by wincri). Throws INTERNAL for labels that are present but malformed.
 */
export function decisionFromLabels(
  labels: Record<string, string> | undefined,
): IsolationDecision | undefined {
  const handler = labels?.[ISOLATION_LABELS.runtimeHandler];
  if (labels === undefined || handler === undefined) return undefined;
  const isolation = labels[ISOLATION_LABELS.isolation];
  if (isolation !== undefined && !isIsolation(isolation)) {
    throw internal(
      `sandbox label ${ISOLATION_LABELS.isolation}=${JSON.stringify(isolation)} is neither process nor hyperv`,
    );
  }
  const decision: IsolationDecision = {
    handler,
    resolvedHandler: labels[ISOLATION_LABELS.resolvedHandler] ?? handler,
    isolation,
    reason: labels[ISOLATION_LABELS.reason] ?? '',
  };
  const dockerRuntime = labels[ISOLATION_LABELS.dockerRuntime];
  if (dockerRuntime !== undefined) decision.dockerRuntime = dockerRuntime;
  const hostBuild = buildNumber(labels, ISOLATION_LABELS.hostBuild);
  if (hostBuild !== undefined) decision.hostBuild = hostBuild;
  const imageBuild = buildNumber(labels, ISOLATION_LABELS.imageBuild);
  if (imageBuild !== undefined) decision.imageBuild = imageBuild;
  return decision;
}
