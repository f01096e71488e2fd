/**
 * The runtime-handler table: what a RuntimeClass `handler` means on this node.
 *
 * On a Windows engine a handler names an isolation (process, hyperv, or auto). On a Linux engine the
 * same table names a Docker runtime (`HostConfig.Runtime`: runc, runsc, ...). The built-in Windows
 * names include containerd's `runhcs-wcow-process` and `runhcs-wcow-hypervisor`
 * (containerd internal/cri/config/config_windows.go), so RuntimeClass manifests written for
 * containerd work unchanged.
 */
import { invalidArgument } from '../errors.js';
import type { HostOs } from '../types/host.js';

export type IsolationMode = 'process' | 'hyperv' | 'auto';
export const ISOLATION_MODES: readonly IsolationMode[] = ['process', 'hyperv', 'auto'];

export interface RuntimeHandlerEntry {
  /** The RuntimeClass `handler` string (a DNS label, as Kubernetes validates it). */
  name: string;
  /** Windows engines only: the isolation this handler asks for. */
  isolation?: IsolationMode;
  /** Linux engines only: `HostConfig.Runtime`. Absent means the engine's default runtime. */
  dockerRuntime?: string;
}

export interface HandlerTable {
  os: HostOs;
  /**
   * The handler used for the empty handler "" (pods without runtimeClassName). On Linux "" here
   * means "the engine's default runtime, no Runtime field"; on Windows it must name an entry, because
   * wincri always states the isolation (Docker's own default is hyperv on client SKUs).
   */
  defaultHandler: string;
  handlers: readonly RuntimeHandlerEntry[];
}

/**
 * Windows built-ins. The default is `process`, as in containerd (`DefaultRuntimeName:
 * runhcs-wcow-process`) and as every Windows Kubernetes guide assumes; Hyper-V costs a utility VM
 * per container and limits a pod to one container under Docker (docs/windows.md), so nobody should
 * get it without asking. `auto` is there for those who ask for "whatever runs".
 */
export const WINDOWS_DEFAULT_HANDLERS: HandlerTable = Object.freeze({
  os: 'windows',
  defaultHandler: 'process',
  handlers: Object.freeze([
    { name: 'process', isolation: 'process' },
    { name: 'hyperv', isolation: 'hyperv' },
    { name: 'auto', isolation: 'auto' },
    { name: 'runhcs-wcow-process', isolation: 'process' },
    { name: 'runhcs-wcow-hypervisor', isolation: 'hyperv' },
  ] satisfies RuntimeHandlerEntry[]),
});

/** Linux built-ins: the empty handler leaves `HostConfig.Runtime` unset; `runc` names it. */
export const LINUX_DEFAULT_HANDLERS: HandlerTable = Object.freeze({
  os: 'linux',
  defaultHandler: '',
  handlers: Object.freeze([{ name: 'runc', dockerRuntime: 'runc' }] satisfies RuntimeHandlerEntry[]),
});

export function defaultHandlerTable(os: HostOs): HandlerTable {
  return os === 'windows' ? WINDOWS_DEFAULT_HANDLERS : LINUX_DEFAULT_HANDLERS;
}

/**
 * The handler names for `StatusResponse.runtime_handlers`: "" (the default, as the CRI spells it)
 * first, then every entry in table order.
 */
export function runtimeHandlerNames(table: HandlerTable): string[] {
  return ['', ...table.handlers.map((h) => h.name)];
}

/** The entry for `name`, "" meaning the default. Undefined for an unknown name. */
export function findHandler(table: HandlerTable, name: string): RuntimeHandlerEntry | undefined {
  const wanted = name === '' ? table.defaultHandler : name;
  if (wanted === '') return undefined;
  return table.handlers.find((h) => h.name === wanted);
}

/** Names of the entries whose isolation is one of `modes`, for "use handler X" advice. */
export function handlersWithIsolation(table: HandlerTable, ...modes: IsolationMode[]): string[] {
  return table.handlers
    .filter((h) => h.isolation !== undefined && modes.includes(h.isolation))
    .map((h) => h.name);
}

// Kubernetes validates RuntimeClass.handler as a DNS-1123 label.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function validateEntry(raw: unknown, where: string, os: HostOs): RuntimeHandlerEntry {
  if (!isRecord(raw))
    throw invalidArgument(`${where}: a handler must be an object like {"name": "...", ...}`);
  const unknownKeys = Object.keys(raw).filter((k) => !['name', 'isolation', 'dockerRuntime'].includes(k));
  if (unknownKeys.length > 0) {
    throw invalidArgument(
      `${where}: unknown field(s) ${unknownKeys.join(', ')}; a handler has name, isolation, dockerRuntime`,
    );
  }
  const { name, isolation, dockerRuntime } = raw;
  if (typeof name !== 'string' || !DNS_LABEL.test(name) || name.length > 63) {
    throw invalidArgument(
      `${where}: name ${JSON.stringify(name)} is not a RuntimeClass handler name (lowercase letters, digits and '-', at most 63)`,
    );
  }
  const at = `${where} ("${name}")`;
  const entry: RuntimeHandlerEntry = { name };
  if (os === 'windows') {
    if (dockerRuntime !== undefined) {
      throw invalidArgument(
        `${at}: dockerRuntime is a Linux-engine setting; Docker on Windows has no alternative runtimes, use isolation`,
      );
    }
    if (typeof isolation !== 'string' || !(ISOLATION_MODES as readonly string[]).includes(isolation)) {
      throw invalidArgument(
        `${at}: isolation must be one of ${ISOLATION_MODES.join(', ')} on a Windows engine`,
      );
    }
    entry.isolation = isolation as IsolationMode;
  } else {
    if (isolation !== undefined) {
      throw invalidArgument(
        `${at}: isolation is a Windows-engine setting; on a Linux engine name a dockerRuntime`,
      );
    }
    if (dockerRuntime !== undefined) {
      if (typeof dockerRuntime !== 'string' || dockerRuntime.trim() === '') {
        throw invalidArgument(
          `${at}: dockerRuntime must be a non-empty runtime name as dockerd knows it (docker info Runtimes)`,
        );
      }
      entry.dockerRuntime = dockerRuntime;
    }
  }
  return entry;
}

/**
 * Validates the config's `runtimeHandlers` (an array of entries, added to the built-ins; an entry
 * with a built-in's name replaces it) and `defaultRuntimeHandler` for an engine of `os`, and merges
 * them over the built-ins. Throws INVALID_ARGUMENT naming the bad entry.
 */
export function resolveHandlerTable(
  os: HostOs,
  handlersConfig?: unknown,
  defaultConfig?: unknown,
): HandlerTable {
  const base = defaultHandlerTable(os);
  if (handlersConfig === undefined && defaultConfig === undefined) return base;

  const handlers = [...base.handlers];
  if (handlersConfig !== undefined) {
    if (!Array.isArray(handlersConfig)) {
      throw invalidArgument(
        `runtimeHandlers: must be an array of handlers like [{"name": "ltsc2019", "isolation": "hyperv"}]`,
      );
    }
    const seen = new Set<string>();
    handlersConfig.forEach((raw: unknown, i) => {
      const entry = validateEntry(raw, `runtimeHandlers[${i}]`, os);
      if (seen.has(entry.name))
        throw invalidArgument(`runtimeHandlers[${i}] ("${entry.name}"): the name appears twice`);
      seen.add(entry.name);
      const existing = handlers.findIndex((h) => h.name === entry.name);
      if (existing >= 0) handlers[existing] = entry;
      else handlers.push(entry);
    });
  }

  const defaultHandler = defaultConfig ?? base.defaultHandler;
  if (typeof defaultHandler !== 'string')
    throw invalidArgument('defaultRuntimeHandler: must be a handler name');
  const names = handlers.map((h) => h.name);
  if (defaultHandler === '' ? os === 'windows' : !names.includes(defaultHandler)) {
    throw invalidArgument(
      `defaultRuntimeHandler: ${JSON.stringify(defaultHandler)} is not a handler here; choose one of ${names.join(', ')}`,
    );
  }
  return { os, defaultHandler, handlers };
}
