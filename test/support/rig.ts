import { existsSync, readFileSync } from 'node:fs';

/**
 * Facts about the test rig (scripts/rig/up.sh): the private dockerd, the registries and the
 * upstream tools. Read from /run/wincri-rig/rig.json, which up.sh writes.
 */
export interface Rig {
  dockerHost: string;
  registry: string;
  authRegistry: string;
  authUser: string;
  authPass: string;
  crictl: string;
  critest: string;
  mirrors: string[];
  /** An image only the basic-auth registry serves. */
  privateImage: string;
}

const RIG_JSON = '/run/wincri-rig/rig.json';

export function loadRig(): Rig {
  if (!existsSync(RIG_JSON)) {
    throw new Error(`${RIG_JSON} is missing: start the rig first (bash scripts/rig/up.sh)`);
  }
  const raw = JSON.parse(readFileSync(RIG_JSON, 'utf8')) as Record<string, unknown>;
  const text = (key: string, fallback?: string): string => {
    const value = raw[key] ?? fallback;
    if (typeof value !== 'string') throw new Error(`${RIG_JSON} has no "${key}"`);
    return value;
  };
  const mirrors = raw['mirrors'];
  return {
    dockerHost: text('dockerHost'),
    registry: text('registry'),
    authRegistry: text('authRegistry'),
    authUser: text('authUser'),
    authPass: text('authPass'),
    crictl: text('crictl'),
    critest: text('critest'),
    privateImage: text('privateImage'),
    mirrors: Array.isArray(mirrors) ? (mirrors as string[]) : text('mirrors').split(',').filter(Boolean),
  };
}
