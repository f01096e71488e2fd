/**
 * Everything the CRI must answer about a pod or a container after a restart lives in the Docker
 * container's labels (Docker is the source of truth; the stores are caches). User labels and
 * annotations are kept as JSON under wincri's own keys rather than spread as-is: CRI keys and values
 * are arbitrary strings, and spreading them would let a user label collide with ours.
 */
import { internal } from '../errors.js';
import { decisionFromLabels, isolationLabels } from '../isolation/labels.js';
import type { IsolationDecision } from '../isolation/select.js';
import type { NamespaceOptions, PodDns, PodPortMapping } from '../types/pod.js';
import type { ContainerIdentity, PodIdentity } from './naming.js';

export const LABELS = Object.freeze({
  kind: 'io.wincri.kind',
  sandboxId: 'io.wincri.sandbox-id',
  metadata: 'io.wincri.metadata',
  labels: 'io.wincri.labels',
  annotations: 'io.wincri.annotations',
  logDirectory: 'io.wincri.log-directory',
  logPath: 'io.wincri.log-path',
  createdAt: 'io.wincri.created-at',
  namespaceOptions: 'io.wincri.namespace-options',
  image: 'io.wincri.image',
  imageVolumes: 'io.wincri.image-volumes',
  hostname: 'io.wincri.hostname',
  dns: 'io.wincri.dns',
  ports: 'io.wincri.port-mappings',
});

export type ObjectKind = 'sandbox' | 'container';

export interface SandboxLabels {
  metadata: PodIdentity;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logDirectory: string;
  createdAt: bigint;
  namespaceOptions: NamespaceOptions;
  decision: IsolationDecision | undefined;
  /** The pod's hostname and DNS: a Hyper-V pod's app container takes them itself (Windows). */
  hostname: string;
  dns: PodDns | null;
  /** The pod's port mappings: a Hyper-V pod's app container publishes them itself (Windows). */
  portMappings: PodPortMapping[];
}

export interface ContainerLabels {
  sandboxId: string;
  metadata: ContainerIdentity;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Absolute: log_directory of the sandbox joined with the container's log_path; "" if none. */
  logPath: string;
  createdAt: bigint;
  /** The image as CreateContainer named it (ContainerStatus.image.image echoes it). */
  image: string;
  /**
   * Image volumes' images as CreateContainer named them, by container path: the engine knows them
   * by id only, and ContainerStatus.mounts echoes the names. Empty (and no label) without any.
   */
  imageVolumes: Record<string, string>;
}

export function kindOf(labels: Record<string, string>): ObjectKind | undefined {
  const kind = labels[LABELS.kind];
  return kind === 'sandbox' || kind === 'container' ? kind : undefined;
}

export function sandboxLabels(s: SandboxLabels): Record<string, string> {
  return {
    [LABELS.kind]: 'sandbox',
    [LABELS.metadata]: JSON.stringify(s.metadata),
    [LABELS.labels]: JSON.stringify(s.labels),
    [LABELS.annotations]: JSON.stringify(s.annotations),
    [LABELS.logDirectory]: s.logDirectory,
    [LABELS.createdAt]: String(s.createdAt),
    [LABELS.namespaceOptions]: JSON.stringify(s.namespaceOptions),
    [LABELS.hostname]: s.hostname,
    [LABELS.dns]: JSON.stringify(s.dns),
    [LABELS.ports]: JSON.stringify(s.portMappings),
    ...(s.decision ? isolationLabels(s.decision) : {}),
  };
}

export function containerLabels(c: ContainerLabels): Record<string, string> {
  return {
    [LABELS.kind]: 'container',
    [LABELS.sandboxId]: c.sandboxId,
    [LABELS.metadata]: JSON.stringify(c.metadata),
    [LABELS.labels]: JSON.stringify(c.labels),
    [LABELS.annotations]: JSON.stringify(c.annotations),
    [LABELS.logPath]: c.logPath,
    [LABELS.createdAt]: String(c.createdAt),
    [LABELS.image]: c.image,
    ...(Object.keys(c.imageVolumes).length > 0
      ? { [LABELS.imageVolumes]: JSON.stringify(c.imageVolumes) }
      : {}),
  };
}

/** Reads the sandbox labels back; INTERNAL naming the label when one is missing or malformed. */
export function readSandboxLabels(labels: Record<string, string>): SandboxLabels {
  const metadata = json(labels, LABELS.metadata) as Partial<PodIdentity>;
  if (
    typeof metadata.name !== 'string' ||
    typeof metadata.namespace !== 'string' ||
    typeof metadata.uid !== 'string'
  ) {
    throw internal(`label ${LABELS.metadata} lacks name, namespace or uid`);
  }
  return {
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      uid: metadata.uid,
      attempt: Number(metadata.attempt ?? 0),
    },
    labels: stringMap(labels, LABELS.labels),
    annotations: stringMap(labels, LABELS.annotations),
    logDirectory: labels[LABELS.logDirectory] ?? '',
    createdAt: bigintLabel(labels, LABELS.createdAt),
    namespaceOptions: json(labels, LABELS.namespaceOptions) as NamespaceOptions,
    decision: decisionFromLabels(labels),
    hostname: labels[LABELS.hostname] ?? '',
    dns: labels[LABELS.dns] === undefined ? null : (json(labels, LABELS.dns) as PodDns | null),
    portMappings: labels[LABELS.ports] === undefined ? [] : (json(labels, LABELS.ports) as PodPortMapping[]),
  };
}

export function readContainerLabels(labels: Record<string, string>): ContainerLabels {
  const metadata = json(labels, LABELS.metadata) as Partial<ContainerIdentity>;
  const sandboxId = labels[LABELS.sandboxId];
  if (typeof metadata.name !== 'string') throw internal(`label ${LABELS.metadata} lacks the container name`);
  if (!sandboxId) throw internal(`label ${LABELS.sandboxId} is missing`);
  return {
    sandboxId,
    metadata: { name: metadata.name, attempt: Number(metadata.attempt ?? 0) },
    labels: stringMap(labels, LABELS.labels),
    annotations: stringMap(labels, LABELS.annotations),
    logPath: labels[LABELS.logPath] ?? '',
    createdAt: bigintLabel(labels, LABELS.createdAt),
    image: labels[LABELS.image] ?? '',
    imageVolumes: labels[LABELS.imageVolumes] === undefined ? {} : stringMap(labels, LABELS.imageVolumes),
  };
}

function json(labels: Record<string, string>, key: string): unknown {
  const text = labels[key];
  if (text === undefined) throw internal(`label ${key} is missing`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw internal(`label ${key} is not JSON`, err);
  }
}

function stringMap(labels: Record<string, string>, key: string): Record<string, string> {
  const value = json(labels, key);
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    Object.values(value).some((v) => typeof v !== 'string')
  ) {
    throw internal(`label ${key} is not a JSON object of strings`);
  }
  return value as Record<string, string>;
}

function bigintLabel(labels: Record<string, string>, key: string): bigint {
  const text = labels[key] ?? '';
  if (!/^\d+$/.test(text)) throw internal(`label ${key}=${JSON.stringify(text)} is not a time in ns`);
  return BigInt(text);
}
