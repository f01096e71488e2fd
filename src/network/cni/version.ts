/**
 * CNI spec versions, compared as the spec orders them. libcni gates verbs on the network's
 * cniVersion (cached results and CHECK from 0.4.0, STATUS and GC from 1.1.0); so do we.
 */
export const SUPPORTED_CNI_VERSIONS = [
  '0.1.0',
  '0.2.0',
  '0.3.0',
  '0.3.1',
  '0.4.0',
  '1.0.0',
  '1.1.0',
] as const;

/** The newest version this runtime speaks. */
export const CURRENT_CNI_VERSION = '1.1.0';

const VERSION = /^(\d+)\.(\d+)\.(\d+)$/;

export function isCniVersion(text: string): boolean {
  return VERSION.test(text);
}

/** -1, 0 or 1 as a < b, a = b, a > b; a malformed version throws (callers validate first). */
export function compareCniVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < 3; i++) {
    const d = pa[i]! - pb[i]!;
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export const atLeast = (version: string, floor: string): boolean => compareCniVersions(version, floor) >= 0;

function parts(version: string): number[] {
  const match = VERSION.exec(version);
  if (!match) throw new Error(`malformed CNI version ${JSON.stringify(version)}`);
  return match.slice(1, 4).map(Number);
}
