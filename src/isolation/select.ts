/**
 * The isolation selector: RuntimeClass handler + host + image -> how the pod runs.
 *
 * Pure: the host's build, its Hyper-V availability and the image's `os.version` are inputs. It
 * fails before anything is made: an unknown handler is INVALID_ARGUMENT; an image that cannot run
 * under the chosen isolation is FAILED_PRECONDITION naming the host build, the image build and the
 * handler that would work, so nobody meets HCS's bare 0xc0370101 at start time.
 *
 * Annotations do not choose the isolation. The only precedent, dockershim's
 * `experimental.windows.kubernetes.io/isolation-type`, was removed with Kubernetes 1.21, and
 * containerd chooses by RuntimeClass alone; RuntimeClass is what admission, RBAC, scheduling
 * (`node.kubernetes.io/windows-build` selectors) and pod overhead understand. A pod still carrying
 * that annotation asking for Hyper-V is refused rather than silently run process-isolated.
 */
import { failedPrecondition, invalidArgument } from '../errors.js';
import type { HostFacts, HyperVFinding } from '../types/host.js';
import {
  type CompatVerdict,
  type WindowsVersion,
  describeBuild,
  hyperVIsolationVerdict,
  parseWindowsVersion,
  processCompatibleRange,
  processIsolationVerdict,
} from './os-version.js';
import {
  type HandlerTable,
  type IsolationMode,
  findHandler,
  handlersWithIsolation,
  runtimeHandlerNames,
} from './handlers.js';

export type WindowsIsolation = 'process' | 'hyperv';

export interface IsolationDecision {
  /** The handler as the kubelet sent it; "" for the default. Echo this in PodSandbox.runtime_handler. */
  handler: string;
  /** The table entry it resolved to; "" for a Linux engine's default runtime. */
  resolvedHandler: string;
  /** Windows: the `HostConfig.Isolation` to send. Undefined on Linux. */
  isolation: WindowsIsolation | undefined;
  /** Linux: the `HostConfig.Runtime` to send, if any. */
  dockerRuntime?: string;
  /** Why, in words, for `inspectp` verbose info and logs. */
  reason: string;
  hostBuild?: number;
  imageBuild?: number;
}

export interface IsolationRequest {
  /** `RunPodSandboxRequest.runtime_handler`. */
  runtimeHandler: string;
  /** Pod annotations (`PodSandboxConfig.annotations`). */
  annotations?: Record<string, string>;
  table: HandlerTable;
  host: HostFacts;
  /** Image inspect `OsVersion` of the image the decision is for, e.g. "10.0.20348.2340"; "" if none. */
  imageOsVersion?: string;
}

/** dockershim's removed Hyper-V annotation (Kubernetes PR #58751, removed in 1.21 by PR #97141). */
export const LEGACY_ISOLATION_ANNOTATION = 'experimental.windows.kubernetes.io/isolation-type';

const UVM_ANNOTATION_PREFIX = 'io.microsoft.virtualmachine.';

function unknownHandler(table: HandlerTable, name: string): Error {
  const known = runtimeHandlerNames(table).filter((n) => n !== '');
  return invalidArgument(
    `unknown runtime handler "${name}": this node offers ${known.join(', ')} (set the RuntimeClass handler to one of ` +
      `them, or add "${name}" to runtimeHandlers in the wincri config)`,
  );
}

/** Selects the isolation for a pod. Throws INVALID_ARGUMENT or FAILED_PRECONDITION; see the file comment. */
export function selectIsolation(req: IsolationRequest): IsolationDecision {
  const { table, runtimeHandler } = req;
  if (req.host.os !== table.os) {
    throw invalidArgument(
      `the runtime handler table is for a ${table.os} engine but the engine runs ${req.host.os}`,
    );
  }
  const entry = findHandler(table, runtimeHandler);
  if (req.host.os === 'linux') {
    if (entry === undefined && !(runtimeHandler === '' && table.defaultHandler === ''))
      throw unknownHandler(table, runtimeHandler);
    return selectLinuxRuntime(req, entry?.name ?? '', entry?.dockerRuntime);
  }
  if (entry?.isolation === undefined) throw unknownHandler(table, runtimeHandler);
  const decision = selectWindowsIsolation(req, entry.name, entry.isolation);
  checkLegacyAnnotation(req.annotations, decision);
  if (Object.keys(req.annotations ?? {}).some((k) => k.startsWith(UVM_ANNOTATION_PREFIX))) {
    decision.reason += `; ${UVM_ANNOTATION_PREFIX}* annotations are containerd/hcsshim settings that Docker cannot pass, ignored`;
  }
  return decision;
}

function selectLinuxRuntime(
  req: IsolationRequest,
  resolvedHandler: string,
  dockerRuntime: string | undefined,
): IsolationDecision {
  const known = req.host.dockerRuntimes;
  if (dockerRuntime !== undefined && known !== undefined && !known.includes(dockerRuntime)) {
    throw failedPrecondition(
      `runtime handler "${resolvedHandler}" needs the Docker runtime "${dockerRuntime}", which dockerd does not know ` +
        `(docker info Runtimes: ${known.join(', ') || 'none'}); add it to the "runtimes" of daemon.json and restart dockerd`,
    );
  }
  const decision: IsolationDecision = {
    handler: req.runtimeHandler,
    resolvedHandler,
    isolation: undefined,
    reason:
      dockerRuntime === undefined
        ? `handler "${resolvedHandler || '(default)'}": the engine's default runtime`
        : `handler "${resolvedHandler}": Docker runtime ${dockerRuntime}`,
  };
  if (dockerRuntime !== undefined) decision.dockerRuntime = dockerRuntime;
  return decision;
}

interface Builds {
  host?: WindowsVersion;
  image?: WindowsVersion;
}

function builds(req: IsolationRequest): Builds {
  const out: Builds = {};
  const host = parseWindowsVersion(req.host.osVersion);
  if (host) out.host = host;
  else if (req.host.osBuild !== undefined) out.host = { major: 10, minor: 0, build: req.host.osBuild };
  const image = parseWindowsVersion(req.imageOsVersion);
  if (image) out.image = image;
  return out;
}

function selectWindowsIsolation(
  req: IsolationRequest,
  resolvedHandler: string,
  mode: IsolationMode,
): IsolationDecision {
  const { host, image } = builds(req);
  const decide = (isolation: WindowsIsolation, why: string): IsolationDecision => {
    const d: IsolationDecision = {
      handler: req.runtimeHandler,
      resolvedHandler,
      isolation,
      reason: `handler "${resolvedHandler}": ${why}`,
    };
    if (host) d.hostBuild = host.build;
    if (image) d.imageBuild = image.build;
    return d;
  };
  const unknown = !host ? 'the host build is unknown' : 'the image declares no os.version';
  const ctx: MismatchContext = {
    table: req.table,
    resolvedHandler,
    hyperVAvailable: req.host.hyperVAvailable,
    hyperV: req.host.hyperV,
  };

  if (mode === 'hyperv') {
    requireHyperV(req, resolvedHandler);
    if (!host || !image)
      return decide('hyperv', `Hyper-V isolation as asked (${unknown}, so its build was not checked)`);
    const verdict = hyperVIsolationVerdict(host, image);
    if (!verdict.ok) throw mismatch(ctx, host, image, 'hyperv', verdict);
    return decide(
      'hyperv',
      `Hyper-V isolation as asked; image build ${image.build} is not newer than host build ${host.build}`,
    );
  }

  if (!host || !image)
    return decide('process', `process isolation (${unknown}, so its build was not checked)`);
  const processVerdict = processIsolationVerdict(host, image);
  if (processVerdict.ok) {
    const asked = mode === 'auto' ? 'auto chose process isolation' : 'process isolation as asked';
    return decide(
      'process',
      `${asked}; image build ${image.build} runs process-isolated on host build ${host.build}`,
    );
  }
  if (mode === 'process') throw mismatch(ctx, host, image, 'process', processVerdict);

  const hyperVVerdict = hyperVIsolationVerdict(host, image);
  if (hyperVVerdict.ok && req.host.hyperVAvailable) {
    return decide(
      'hyperv',
      `auto chose Hyper-V isolation; image build ${image.build} cannot run process-isolated on host build ${host.build} ` +
        `(process isolation takes builds ${processCompatibleRange(host.build)})`,
    );
  }
  throw mismatch(ctx, host, image, 'auto', hyperVVerdict.ok ? processVerdict : hyperVVerdict);
}

function requireHyperV(req: IsolationRequest, resolvedHandler: string): void {
  if (req.host.hyperVAvailable) return;
  const processHandlers = handlersWithIsolation(req.table, 'process');
  throw failedPrecondition(
    `runtime handler "${resolvedHandler}" asks for Hyper-V isolation, but Hyper-V is not available on this host ` +
      `(build ${req.host.osBuild ?? 'unknown'}; ${foundBy(req.host.hyperV)}): ${hyperVRemedy(req.host.hyperV)}, ` +
      `or run the pod with handler ${processHandlers.join(' or ')}`,
  );
}

interface MismatchContext {
  table: HandlerTable;
  resolvedHandler: string;
  hyperVAvailable: boolean;
  hyperV: HyperVFinding | undefined;
  /** Said first, e.g. why an auto pod is process-isolated. */
  preface?: string;
}

/** The FAILED_PRECONDITION for an image that cannot run here, saying what would work instead. */
function mismatch(
  ctx: MismatchContext,
  host: WindowsVersion,
  image: WindowsVersion,
  asked: IsolationMode,
  verdict: Extract<CompatVerdict, { ok: false }>,
): Error {
  const imageText = `the image is built for Windows ${image.major}.${image.minor} build ${describeBuild(image.build)}`;
  const hostText = `this host is ${host.major}.${host.minor} build ${describeBuild(host.build)}`;
  const rebuild = `rebuild it on a base image of build ${processCompatibleRange(host.build)}`;
  const fixes: string[] = [];
  if (verdict.why === 'newer-than-host' || verdict.why === 'major-minor') {
    fixes.push(
      `use an image variant this host accepts (process isolation takes builds ${processCompatibleRange(host.build)}, ` +
        `Hyper-V any build up to ${host.build})`,
      `or schedule the pod on a node of build ${image.build} (RuntimeClass scheduling.nodeSelector on ` +
        `node.kubernetes.io/windows-build)`,
    );
  } else if (!ctx.hyperVAvailable) {
    fixes.push(
      `${hyperVRemedy(ctx.hyperV)} to run it under Hyper-V (${foundBy(ctx.hyperV)})`,
      `or ${rebuild}`,
    );
  } else {
    const hyperV = handlersWithIsolation(ctx.table, 'hyperv');
    fixes.push(
      `run the pod under Hyper-V with runtime handler ${hyperV.join(' or ') || '(none configured)'}`,
      `or ${rebuild}`,
    );
  }
  const what =
    asked === 'hyperv'
      ? 'Hyper-V isolation cannot run an image newer than the host'
      : asked === 'process'
        ? 'it cannot run process-isolated here (HCS would refuse it at start with 0xc0370101, "the container ' +
          'operating system does not match the host operating system")'
        : 'neither process nor Hyper-V isolation can run it here';
  const preface = ctx.preface === undefined ? '' : `${ctx.preface}; `;
  return failedPrecondition(
    `runtime handler "${ctx.resolvedHandler}": ${preface}${imageText} and ${hostText}; ${what}. Fix: ${fixes.join('; ')}`,
  );
}

function checkLegacyAnnotation(
  annotations: Record<string, string> | undefined,
  decision: IsolationDecision,
): void {
  const legacy = annotations?.[LEGACY_ISOLATION_ANNOTATION];
  if (legacy === undefined) return;
  if (legacy.toLowerCase() === 'hyperv' && decision.isolation !== 'hyperv') {
    throw invalidArgument(
      `pod annotation ${LEGACY_ISOLATION_ANNOTATION}=${legacy} was removed in Kubernetes 1.21 and wincri does not ` +
        `choose isolation by annotation: set runtimeClassName to a RuntimeClass with handler hyperv to run this pod ` +
        `under Hyper-V, or remove the annotation to run it as handler "${decision.resolvedHandler}" (${decision.isolation})`,
    );
  }
  decision.reason += `; annotation ${LEGACY_ISOLATION_ANNOTATION} is ignored (RuntimeClass decides)`;
}

/**
 * For CreateContainer: whether an app image may run in a pod whose isolation was decided at
 * RunPodSandbox. The pod's isolation cannot change once the sandbox exists (its network depends on
 * it), so this only checks and explains. Throws FAILED_PRECONDITION like `selectIsolation`.
 */
export function checkImageForPod(
  pod: Pick<IsolationDecision, 'isolation' | 'resolvedHandler'>,
  imageOsVersion: string | undefined,
  host: HostFacts,
  table: HandlerTable,
): void {
  if (pod.isolation === undefined) return;
  const { host: hostVersion, image } = builds({
    runtimeHandler: pod.resolvedHandler,
    table,
    host,
    imageOsVersion: imageOsVersion ?? '',
  });
  if (!hostVersion || !image) return;
  const verdict =
    pod.isolation === 'process'
      ? processIsolationVerdict(hostVersion, image)
      : hyperVIsolationVerdict(hostVersion, image);
  if (verdict.ok) return;
  const ctx: MismatchContext = {
    table,
    resolvedHandler: pod.resolvedHandler,
    hyperVAvailable: host.hyperVAvailable,
    hyperV: host.hyperV,
  };
  if (findHandler(table, pod.resolvedHandler)?.isolation === 'auto') {
    ctx.preface = `auto chose ${pod.isolation} isolation for this pod when its sandbox was made, and a pod keeps its isolation`;
  }
  throw mismatch(ctx, hostVersion, image, pod.isolation, verdict);
}

/** Where the Hyper-V answer came from, for a refusal: "found by Win32_OptionalFeature: ...". */
function foundBy(finding: HyperVFinding | undefined): string {
  return finding ? `found by ${finding.source}: ${finding.detail}` : 'not found';
}

/** What an operator does when Hyper-V is not available: a config override is lifted by its own key. */
export function hyperVRemedy(finding: HyperVFinding | undefined): string {
  const install = 'install the Hyper-V role (Install-WindowsFeature Hyper-V)';
  return finding?.source === 'config'
    ? `${install} and set "hyperVAvailable": true in the wincri config (or remove the key to have it found)`
    : `${install} and restart wincri, which finds it at start (or set "hyperVAvailable": true in the wincri config)`;
}
