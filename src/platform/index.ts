/**
 * The platform for the engine at hand, chosen at run time from the engine's `OSType`: one wincri
 * binary serves a Linux or a Windows engine. This is the one place that asks which OS the engine
 * runs; everything else goes through the `Platform` contract (src/platform/contract.ts).
 */
import type { EngineInfo } from '../docker/client.js';
import type { HostFacts } from '../types/host.js';
import type { Platform, PlatformModule } from './contract.js';
import { hostFacts, type HostFactsOverrides } from './host-facts.js';
import { linuxPlatform } from './linux.js';
import { windowsPlatform } from './windows.js';

export type { Platform } from './contract.js';

/** The platform of a host, bound to its facts. */
export function platformFor(facts: HostFacts): Platform {
  const module: PlatformModule = facts.os === 'windows' ? windowsPlatform : linuxPlatform;
  return {
    os: facts.os,
    facts,
    statsShape: module.statsShape,
    pauseStopsLast: module.pauseStopsLast,
    sandboxCreateBody: (req) => module.sandboxCreateBody(req, facts),
    containerCreateBody: (req) => module.containerCreateBody(req, facts),
    podNamespaces: (config) => module.podNamespaces(config),
    securityProfileFile: (config) => module.securityProfileFile(config),
    resourcesUpdate: (req, target) => module.resourcesUpdate(req, target, facts),
    runtimeConfig: (info) => module.runtimeConfig(info),
    cniTarget: (pid) => module.cniTarget(pid),
  };
}

/**
 * The platform of the engine as last seen, for the handlers (`deps.platform()`): UNAVAILABLE until
 * the engine has answered once. Built again only when the engine's info changes.
 */
export function enginePlatform(
  lastInfo: () => EngineInfo | undefined,
  overrides: HostFactsOverrides,
): () => Platform {
  let seen: { info: EngineInfo; platform: Platform } | undefined;
  return () => {
    const info = lastInfo();
    if (seen && seen.info === info) return seen.platform;
    const platform = platformFor(hostFacts(info, overrides));
    if (info) seen = { info, platform };
    return platform;
  };
}
