/**
 * What the mappers and the isolation selector may know about the host. Read once from the engine
 * (`GET /info`) and config, then injected (src/platform/host-facts.ts): nothing under platform/ or
 * isolation/ asks the host itself, so the Windows mapping runs, and is tested, on any machine.
 */

export type HostOs = 'linux' | 'windows';

export interface HostFacts {
  os: HostOs;
  /** Windows only: the host build, e.g. 20348. Undefined when the engine did not say. */
  osBuild?: number;
  /** Windows only: "major.minor.build" of the host, e.g. "10.0.20348". */
  osVersion?: string;
  /**
   * Logical CPUs as the engine counts them (docker info `NCPU`). Docker converts `NanoCpus` back to a
   * CPU percentage with this same count, which is why the CPU mapping must use it.
   */
  ncpu: number;
  memTotalBytes: number;
  /** Whether Hyper-V isolated containers can start here (the Hyper-V role is installed). */
  hyperVAvailable: boolean;
  /** Windows only: how `hyperVAvailable` was found (src/platform/windows-features.ts). */
  hyperV?: HyperVFinding;
  /** Linux only: the runtimes dockerd knows (docker info `Runtimes` keys). Undefined = not checked. */
  dockerRuntimes?: string[];
  /**
   * Linux only: the capabilities containers can be given, when the host withholds some (read from
   * /proc at start, src/platform/linux-security.ts `grantableCapabilities`); undefined = all.
   */
  grantableCapabilities?: readonly string[];
  /**
   * Linux only: the engine's API version ("1.41", "1.56"), which decides what a read-only bind
   * means (src/docker/api-version.ts). Undefined = not known: the oldest behaviour is assumed.
   */
  apiVersion?: string;
  /** Linux only: whether the engine can make a bind recursively read-only (API 1.44+, kernel 5.12+). */
  recursiveReadOnlyMounts?: boolean;
}

/** Whether Hyper-V isolation is available, and where that was found. */
export interface HyperVFinding {
  available: boolean;
  /** `config` (the hyperVAvailable key), `Win32_OptionalFeature` (the host's feature table) or `engine`. */
  source: 'config' | 'Win32_OptionalFeature' | 'engine';
  /** What the source said, e.g. "Microsoft-Hyper-V Enabled, Containers Enabled". */
  detail: string;
}
