/**
 * Host facts (src/types/host.ts) from the engine's `GET /info` and config, read once and injected.
 */
import { unavailable } from '../errors.js';
import { canRecursiveReadOnly } from '../docker/api-version.js';
import type { EngineInfo } from '../docker/client.js';
import { parseWindowsKernelVersion, parseWindowsVersion } from '../isolation/os-version.js';
import type { HostFacts } from '../types/host.js';
import { decideHyperV, type WindowsFeatures } from './windows-features.js';

export type { HostFacts, HostOs } from '../types/host.js';

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
  /** `GET /version` `ApiVersion`; absent where a caller builds the facts by hand. */
  apiVersion?: string;
}

export interface HostFactsOverrides {
  /** config `hyperVAvailable`: an override; undefined: found (src/platform/windows-features.ts). */
  hyperVAvailable?: boolean | undefined;
  /** The host's Windows feature table as read at start, or why it was not read. */
  windowsFeatures?: WindowsFeatures | string | undefined;
  /** Linux: the capabilities containers can be given, when the host withholds some (`grantableCapabilities`). */
  grantableCapabilities?: readonly string[] | undefined;
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
      ...(overrides.grantableCapabilities ? { grantableCapabilities: overrides.grantableCapabilities } : {}),
      ...(info.apiVersion
        ? {
            apiVersion: info.apiVersion,
            recursiveReadOnlyMounts: canRecursiveReadOnly({ ...info, apiVersion: info.apiVersion }),
          }
        : {}),
    };
  }
  const version = parseWindowsVersion(info.osVersion) ?? parseWindowsKernelVersion(info.kernelVersion);
  const hyperV = decideHyperV({
    override: overrides.hyperVAvailable,
    features: overrides.windowsFeatures,
    defaultIsolation: info.defaultIsolation,
  });
  const facts: HostFacts = { os: 'windows', ncpu, memTotalBytes, hyperVAvailable: hyperV.available, hyperV };
  if (version) {
    facts.osBuild = version.build;
    facts.osVersion = `${version.major}.${version.minor}.${version.build}`;
  }
  return facts;
}

/** Host facts from the last engine info; UNAVAILABLE until the engine has answered once. */
export function hostFacts(info: EngineInfo | undefined, overrides: HostFactsOverrides): HostFacts {
  if (!info) throw unavailable('the Docker engine has not answered yet: wincri cannot tell what it runs');
  return hostFactsFromEngineInfo(info, overrides);
}
