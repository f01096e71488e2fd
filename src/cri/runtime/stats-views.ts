import type { ContainerRecord, RuntimeStore, SandboxRecord } from '../../store/runtime-store.js';
import type { ContainerView, PodView, StatsReads } from '../../stats/replies.js';
import type { StatsPlatform } from '../../stats/sample.js';
import { matchesId, matchesLabels } from '../convert/filters.js';
import { parseRfc3339Nano } from '../convert/time.js';
import type { WritableLayerReading } from '../../stats/writable-layers.js';
import type { CgroupTarget } from '../../stats/cgroup-files.js';

/** What the stats RPCs read: the stores for who is who, the collector for the numbers. */
export interface StatsDeps {
  store: RuntimeStore;
  stats: StatsReads;
  /** The engine's platform decides the reply's shape (linux or windows parts). */
  platform(): StatsPlatform;
  /** Writable layer sizes, and the filesystem that holds them when a reading names none of its own. */
  writableLayers?: { get(id: string): WritableLayerReading | undefined; mountpoint(): string };
}

export function containerView(record: ContainerRecord, layers?: StatsDeps['writableLayers']): ContainerView {
  const view: ContainerView = {
    identity: {
      id: record.id,
      metadata: record.metadata,
      labels: record.labels,
      annotations: record.annotations,
    },
    running: record.details.state.running,
    image: record.image,
  };
  const layer = layers?.get(record.id);
  if (layers && layer) view.writableLayer = { mountpoint: layers.mountpoint(), ...layer };
  const started = record.details.state.startedAt;
  if (started && !started.startsWith('0001-')) view.startedAtNs = parseRfc3339Nano(started);
  return view;
}

/**
 * Where a sandbox's or container's cgroup files are found: its init pid. Docker reports no network
 * for a container in another's namespace (`container:<pause>`) or the host's, so neither is read.
 */
export function cgroupTargetOf(store: RuntimeStore, id: string): CgroupTarget | undefined {
  const record = store.sandbox(id) ?? store.findContainer(id);
  if (!record) return undefined;
  const mode = record.details.hostConfig.networkMode;
  return {
    id: record.id,
    pid: record.details.state.pid,
    ownNetwork: !mode.startsWith('container:') && mode !== 'host',
  };
}

export function podView(record: SandboxRecord, platform: StatsPlatform): PodView {
  return {
    identity: {
      id: record.id,
      metadata: record.metadata,
      labels: record.labels,
      annotations: record.annotations,
    },
    platform,
    sandboxContainerId: record.id,
  };
}

/** The CRI stats filters: id (or prefix), pod, labels. */
export function selectContainers(
  store: RuntimeStore,
  filter: { id?: string; pod_sandbox_id?: string; label_selector?: Record<string, string> } | null,
): ContainerRecord[] {
  return [...store.containers].filter(
    (c) =>
      matchesId(filter?.id, c.id) &&
      matchesId(filter?.pod_sandbox_id, c.sandboxId) &&
      matchesLabels(filter?.label_selector, c.labels),
  );
}

export function selectSandboxes(
  store: RuntimeStore,
  filter: { id?: string; label_selector?: Record<string, string> } | null,
): SandboxRecord[] {
  return [...store.sandboxes].filter(
    (s) => matchesId(filter?.id, s.id) && matchesLabels(filter?.label_selector, s.labels),
  );
}
