/**
 * What the mappers and the isolation selector may know about the host. Read once from the engine
 * (`GET /info`) and config, then injected: nothing under platform/ or isolation/ asks the host itself,
 * so the Windows mapping runs, and is tested, on any machine.
 */
import { parseWindowsKernelVersion, parseWindowsVersion } from '../isolation/os-version.js';

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
  /** Linux only: the runtimes dockerd knows (docker info `Runtimes` keys). Undefined = not checked. */
  dockerRuntimes?: string[];
}

/** The engine facts they come from: a structural subset of `EngineInfo` (src/docker/client.ts). */
export interface EngineHostInfo {
  osType: string;
  /** docker info `OSVersion`: "10.0.20348" on Windows, the distribution's version on Linux. */
  osVersion: string;
  /** docker info `KernelVersion`: on Windows "10.0 20348 (20348.1.amd64fre.fe_release.210507-1500)". */
  kernelVersion: string;
  ncpu: number;
  memTotalBytes: number;
  /** Windows: the daemon's default isolation, "process" or "hyperv". */
  defaultIsolation: string;
  runtimes: readonly string[];
}

export interface HostFactsOverrides {
  /**
   * docker info cannot tell whether the Hyper-V role is installed. When this is undefined wincri
   * assumes Hyper-V only where the daemon's own default isolation is hyperv (client SKUs).
   */
  hyperVAvailable?: boolean;
}

/**
 * Host facts from the engine's `GET /info`. The Windows build comes from `OSVersion` ("10.0.20348",
 * API >= 1.41), else from `KernelVersion` ("10.0 20348 (...)"): the two fields have different
 * formats, and on Linux `OSVersion` is the distribution's version, never a build.
 */
export function hostFactsFromEngineInfo(info: EngineHostInfo, overrides: HostFactsOverrides = {}): HostFacts {
  const { ncpu, memTotalBytes } = info;
  if (info.osType.toLowerCase() !== 'windows') {
    return {
      os: 'linux',
      ncpu,
      memTotalBytes,
      hyperVAvailable: false,
      dockerRuntimes: [...info.runtimes].sort(),
    };
  }
  const version = parseWindowsVersion(info.osVersion) ?? parseWindowsKernelVersion(info.kernelVersion);
  const facts: HostFacts = {
    os: 'windows',
    ncpu,
    memTotalBytes,
    hyperVAvailable: overrides.hyperVAvailable ?? info.defaultIsolation.toLowerCase() === 'hyperv',
  };
  if (version) {
    facts.osBuild = version.build;
    facts.osVersion = `${version.major}.${version.minor}.${version.build}`;
  }
  return facts;
}
