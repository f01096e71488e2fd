/**
 * The in-memory picture of wincri's pods and containers, answered from by List/Status (kubelet polls
 * every second). Docker is the source of truth: every record is an inspect of a container carrying
 * wincri's labels, re-read after each change wincri makes and after each engine event, and the whole
 * picture is rebuilt from a listing at start and whenever the event stream had to reconnect.
 *
 * Reads racing writes: every re-read takes a ticket; an answer older than one already applied for
 * the same id is dropped, so a slow inspect cannot resurrect a container a later event removed.
 */
import type { Logger } from 'pino';
import type { ContainerDetails, DockerClient, EngineEvent } from '../docker/client.js';
import { eachAtMost } from '../concurrency.js';
import { hasKind, invalidArgument, notFound } from '../errors.js';
import {
  kindOf,
  readContainerLabels,
  readSandboxLabels,
  type ContainerLabels,
  type SandboxLabels,
} from './labels.js';

export interface SandboxRecord extends SandboxLabels {
  kind: 'sandbox';
  id: string;
  name: string;
  details: ContainerDetails;
  /** The pause container's cgroup parent ("" for the engine's default): its containers share it. */
  cgroupParent: string;
}

export interface ContainerRecord extends ContainerLabels {
  kind: 'container';
  id: string;
  name: string;
  details: ContainerDetails;
}

export type StoredObject = SandboxRecord | ContainerRecord;

/** What happened to a container, as the engine reported it (for GetContainerEvents). */
export interface ContainerChange {
  action: 'create' | 'start' | 'die' | 'destroy';
  /** For destroy: the record as it was last seen. */
  container: ContainerRecord;
  timeNs: bigint;
}

const CHANGE_ACTIONS = new Set(['create', 'start', 'die', 'destroy']);
/** How many forgotten containers wait for their destroy event. */
const GONE_KEPT = 1000;
/** Inspects in flight while the store is rebuilt from the engine's listing. */
const RESYNC_INSPECTS_IN_FLIGHT = 8;

export class RuntimeStore {
  readonly #sandboxes = new Map<string, SandboxRecord>();
  readonly #containers = new Map<string, ContainerRecord>();
  /** The containers of each sandbox, for the per-pod reads (pod stats ask for every pod's). */
  readonly #bySandbox = new Map<string, Map<string, ContainerRecord>>();
  readonly #applied = new Map<string, number>();
  readonly #listeners = new Set<(change: ContainerChange) => void>();
  /**
   * Containers forgotten lately, kept for their engine "destroy" event, which usually arrives after
   * wincri itself removed and forgot them: GetContainerEvents still reports them DELETED.
   */
  readonly #gone = new Map<string, ContainerRecord>();
  #tickets = 0;
  #synced = false;

  constructor(
    private readonly docker: DockerClient,
    private readonly log: Logger,
  ) {}

  get sandboxes(): Iterable<SandboxRecord> {
    return this.#sandboxes.values();
  }

  get containers(): Iterable<ContainerRecord> {
    return this.#containers.values();
  }

  containersOf(sandboxId: string): ContainerRecord[] {
    const members = this.#bySandbox.get(sandboxId);
    return members ? [...members.values()] : [];
  }

  sandbox(id: string): SandboxRecord | undefined {
    return this.#sandboxes.get(id);
  }

  /** A sandbox by full id or unique prefix: NOT_FOUND when none, INVALID_ARGUMENT when ambiguous. */
  resolveSandbox(idOrPrefix: string): SandboxRecord {
    return resolve(this.#sandboxes, idOrPrefix, 'pod sandbox');
  }

  resolveContainer(idOrPrefix: string): ContainerRecord {
    return resolve(this.#containers, idOrPrefix, 'container');
  }

  /** Like resolve*, but undefined for a missing object (idempotent Stop/Remove). */
  findSandbox(idOrPrefix: string): SandboxRecord | undefined {
    return orUndefined(() => this.resolveSandbox(idOrPrefix));
  }

  findContainer(idOrPrefix: string): ContainerRecord | undefined {
    return orUndefined(() => this.resolveContainer(idOrPrefix));
  }

  subscribe(listener: (change: ContainerChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Re-reads one container from the engine; returns its record, or undefined when it is gone. */
  async refresh(id: string, signal: AbortSignal): Promise<StoredObject | undefined> {
    const ticket = ++this.#tickets;
    let details: ContainerDetails | undefined;
    try {
      details = await this.docker.inspectContainer(id, signal);
    } catch (err) {
      if (!hasKind(err, 'NotFound')) throw err;
    }
    if ((this.#applied.get(id) ?? 0) > ticket) return this.#sandboxes.get(id) ?? this.#containers.get(id);
    this.#applied.set(id, ticket);
    if (details === undefined) {
      this.forget(id);
      return undefined;
    }
    return this.#put(details);
  }

  /** Drops an object known to be gone (removed by wincri or reported destroyed). */
  forget(id: string): void {
    this.#applied.set(id, ++this.#tickets);
    this.#sandboxes.delete(id);
    const container = this.#containers.get(id);
    if (container) {
      this.#containers.delete(id);
      this.#unindex(container);
      this.#gone.set(id, container);
      if (this.#gone.size > GONE_KEPT) this.#gone.delete(this.#gone.keys().next().value as string);
    }
  }

  /**
   * True once the picture was built from the engine at least once. Before that, an empty store
   * would read as "no pods" to kubelet, which then recreates them: callers answer UNAVAILABLE.
   */
  get synced(): boolean {
    return this.#synced;
  }

  /** Rebuilds the whole picture from the engine's listing. */
  async resync(signal: AbortSignal): Promise<void> {
    const ticket = ++this.#tickets;
    const listed = (await this.docker.listContainers({ all: true }, signal)).filter(
      (c) => kindOf(c.labels) !== undefined,
    );
    const seen = new Set<string>();
    // A few inspects at a time: at start a node's every container is read, and 200 calls at once
    // only queue up inside dockerd (and each adds a listener to the one shared signal).
    await eachAtMost(RESYNC_INSPECTS_IN_FLIGHT, listed, async (c) => {
      seen.add(c.id);
      await this.refresh(c.id, signal).catch((err: unknown) =>
        this.log.warn({ err, id: c.id }, 'could not inspect a container while resyncing'),
      );
    });
    for (const id of [...this.#sandboxes.keys(), ...this.#containers.keys()]) {
      // Only drop what the listing missed and nothing touched since the listing began.
      if (!seen.has(id) && (this.#applied.get(id) ?? 0) < ticket) this.forget(id);
    }
    this.#synced = true;
  }

  /** Applies one engine event: re-reads the container (or forgets it) and tells listeners. */
  async applyEvent(event: EngineEvent, signal: AbortSignal): Promise<void> {
    if (event.type !== 'container') return;
    if (kindOf(event.attributes) === undefined) return;
    const before = this.#containers.get(event.id) ?? this.#gone.get(event.id);
    let after: StoredObject | undefined;
    if (event.action === 'destroy') {
      this.forget(event.id);
      this.#gone.delete(event.id);
    } else after = await this.refresh(event.id, signal);
    const container = after?.kind === 'container' ? after : before;
    if (container && CHANGE_ACTIONS.has(event.action)) {
      const change: ContainerChange = {
        action: event.action as ContainerChange['action'],
        container,
        timeNs: event.timeNano,
      };
      for (const listener of this.#listeners) listener(change);
    }
  }

  #put(details: ContainerDetails): StoredObject | undefined {
    const kind = kindOf(details.labels);
    try {
      if (kind === 'sandbox') {
        const record: SandboxRecord = {
          kind,
          id: details.id,
          name: details.name,
          details,
          cgroupParent: details.hostConfig.resources.CgroupParent ?? '',
          ...readSandboxLabels(details.labels),
        };
        this.#sandboxes.set(details.id, record);
        return record;
      }
      if (kind === 'container') {
        const record: ContainerRecord = {
          kind,
          id: details.id,
          name: details.name,
          details,
          ...readContainerLabels(details.labels),
        };
        this.#containers.set(details.id, record);
        this.#index(record);
        return record;
      }
    } catch (err) {
      this.log.warn(
        { err, id: details.id, name: details.name },
        'a container with wincri labels that wincri cannot read; ignored',
      );
    }
    return undefined;
  }

  #index(record: ContainerRecord): void {
    let members = this.#bySandbox.get(record.sandboxId);
    if (!members) this.#bySandbox.set(record.sandboxId, (members = new Map()));
    members.set(record.id, record);
  }

  #unindex(record: ContainerRecord): void {
    const members = this.#bySandbox.get(record.sandboxId);
    members?.delete(record.id);
    if (members?.size === 0) this.#bySandbox.delete(record.sandboxId);
  }
}

function resolve<T>(map: Map<string, T>, idOrPrefix: string, what: string): T {
  if (idOrPrefix === '') throw invalidArgument(`a ${what} id is required`);
  const exact = map.get(idOrPrefix);
  if (exact !== undefined) return exact;
  const matches = [...map.keys()].filter((id) => id.startsWith(idOrPrefix));
  if (matches.length === 0) throw notFound(`${what} ${JSON.stringify(idOrPrefix)} not found`);
  if (matches.length > 1) {
    throw invalidArgument(
      `${what} id prefix ${JSON.stringify(idOrPrefix)} is ambiguous: it matches ${matches.length} ${what}s; give more characters`,
    );
  }
  return map.get(matches[0] as string) as T;
}

function orUndefined<T>(find: () => T): T | undefined {
  try {
    return find();
  } catch (err) {
    if (hasKind(err, 'NotFound')) return undefined;
    throw err;
  }
}
