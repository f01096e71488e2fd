/**
 * Whether a Windows host can run Hyper-V isolated containers, found rather than declared.
 *
 * The engine cannot say. moby's `GET /info` on Windows reports only the daemon's default isolation
 * (`Isolation`: hyperv on client SKUs or with `--exec-opt isolation=hyperv`, else process), and
 * dockerd refuses to start without the Containers feature (daemon/daemon_windows.go `checkSystem`
 * loads vmcompute.dll and needs the hns and vmcompute services), so a Windows engine that answers
 * has that feature. hcsshim does not probe for Hyper-V either: HCS fails the utility VM's start.
 * What does say is the host's optional-feature table, the one `Get-WindowsOptionalFeature` and DISM
 * read: WMI class `Win32_OptionalFeature`, whose `Microsoft-Hyper-V` (the hypervisor and its
 * services, on Server the Hyper-V role) and `Containers` entries must be Enabled.
 *
 * Sources, the first that answers wins: the config key `hyperVAvailable` (an override either way);
 * the feature table, read once at start through Windows PowerShell's `Get-CimInstance` when wincri
 * runs on the engine's own Windows host; else the engine's default isolation.
 */
import type { HyperVFinding } from '../types/host.js';

export type FeatureState = 'Enabled' | 'Disabled' | 'Absent' | 'Unknown';

/** The two entries of the feature table that decide Hyper-V isolation. */
export interface WindowsFeatures {
  hyperV: FeatureState;
  containers: FeatureState;
}

export const HYPER_V_FEATURE = 'Microsoft-Hyper-V';
export const CONTAINERS_FEATURE = 'Containers';

/** `Win32_OptionalFeature.InstallState`: 1 Enabled, 2 Disabled, 3 Absent, 4 Unknown. */
const INSTALL_STATES: Record<number, FeatureState> = {
  1: 'Enabled',
  2: 'Disabled',
  3: 'Absent',
  4: 'Unknown',
};

/**
 * The query, always a JSON array (`-InputObject @(...)`; a bare pipe into ConvertTo-Json gives an
 * object for one match and nothing for none). Read-only: WMI needs no elevation for this class.
 */
export const FEATURE_QUERY =
  'ConvertTo-Json -Compress -InputObject @(Get-CimInstance -ClassName Win32_OptionalFeature ' +
  `-Filter "Name='${HYPER_V_FEATURE}' OR Name='${CONTAINERS_FEATURE}'" | Select-Object Name,InstallState)`;

/** The argv that runs it (Windows PowerShell 5.1, present on every Windows Server since 2016). */
export function featureQueryArgs(): string[] {
  return ['-NoProfile', '-NonInteractive', '-Command', FEATURE_QUERY];
}

/**
 * The query's answer: `[{"Name":"Containers","InstallState":1}, ...]` (an object alone is taken too).
 * A feature the table does not list is Absent (no such feature on this edition).
 */
export function parseOptionalFeatures(stdout: string): WindowsFeatures | Error {
  const text = stdout.trim();
  let parsed: unknown;
  try {
    parsed = text === '' ? [] : JSON.parse(text);
  } catch {
    return new Error(`Win32_OptionalFeature answer is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const rows = Array.isArray(parsed) ? parsed : [parsed];
  const states = new Map<string, FeatureState>();
  for (const row of rows) {
    if (typeof row !== 'object' || row === null) continue;
    const { Name: name, InstallState: state } = row as { Name?: unknown; InstallState?: unknown };
    if (typeof name === 'string')
      states.set(name.toLowerCase(), (typeof state === 'number' && INSTALL_STATES[state]) || 'Unknown');
  }
  return {
    hyperV: states.get(HYPER_V_FEATURE.toLowerCase()) ?? 'Absent',
    containers: states.get(CONTAINERS_FEATURE.toLowerCase()) ?? 'Absent',
  };
}

export interface HyperVInputs {
  /** config `hyperVAvailable`; undefined: find out. */
  override?: boolean | undefined;
  /** The host's feature table, or why it was not read. */
  features?: WindowsFeatures | string | undefined;
  /** The engine's `GET /info` `Isolation`. */
  defaultIsolation: string;
}

export function decideHyperV(inputs: HyperVInputs): HyperVFinding {
  if (inputs.override !== undefined)
    return {
      available: inputs.override,
      source: 'config',
      detail: `"hyperVAvailable": ${inputs.override} in the wincri config`,
    };
  const { features } = inputs;
  if (features !== undefined && typeof features !== 'string')
    return {
      available: features.hyperV === 'Enabled' && features.containers === 'Enabled',
      source: 'Win32_OptionalFeature',
      detail: `${HYPER_V_FEATURE} ${features.hyperV}, ${CONTAINERS_FEATURE} ${features.containers}`,
    };
  const isolation = inputs.defaultIsolation.toLowerCase() || 'process';
  const unread = features === undefined ? '' : `; the host's features were not read (${features})`;
  // A daemon that runs every container under Hyper-V by default has it: its containers start.
  return {
    available: isolation === 'hyperv',
    source: 'engine',
    detail: `the engine's default isolation is ${isolation} (GET /info Isolation)${unread}`,
  };
}

/** Runs a program to its end and returns its stdout (rejects on a non-zero exit, a timeout or ENOENT). */
export type RunProgram = (file: string, args: string[], timeoutMs: number) => Promise<string>;

/** Reads the feature table with `powershell`; an Error says why it could not. */
export async function readWindowsFeatures(
  run: RunProgram,
  powershell: string,
  timeoutMs: number,
): Promise<WindowsFeatures | Error> {
  try {
    return parseOptionalFeatures(await run(powershell, featureQueryArgs(), timeoutMs));
  } catch (err) {
    return new Error(`${powershell}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Why the feature table is not read here, or undefined when it is: it is the engine host's table,
 * so only where wincri runs on that Windows host (a named pipe or unix socket, not tcp://).
 */
export function whyFeaturesUnread(hostPlatform: string, dockerHost: string): string | undefined {
  if (hostPlatform !== 'win32') return `wincri runs on ${hostPlatform}, not on the engine's Windows host`;
  if (dockerHost.startsWith('tcp://')) return `the engine is remote (${dockerHost})`;
  return undefined;
}
