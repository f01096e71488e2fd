import { invalidArgument } from '../../errors.js';
import { formatReference, type ImageReference } from './reference.js';

/**
 * Registry mirrors: pull `registry.k8s.io/pause:3.10` from `127.0.0.1:5000/pause:3.10` and keep
 * the name the user asked for. Docker itself mirrors only docker.io; air-gapped clusters (and
 * critest here, whose images carry upstream names) need every registry.
 */
export interface RegistryMirror {
  /** The mirror registry, host[:port]. */
  host: string;
  /** Optional repository prefix inside the mirror ("" or e.g. "gcr"). */
  pathPrefix: string;
}

export type MirrorTable = ReadonlyMap<string, RegistryMirror>;

/**
 * Parses `REGISTRY=URL` (`registry.k8s.io=http://127.0.0.1:5000`, `gcr.io=mirror.example:5000/gcr`).
 * The scheme is informative: whether the engine may use plain HTTP is the engine's own setting
 * (127.0.0.0/8 is always allowed; others need dockerd's `insecure-registries`).
 */
export function parseMirror(spec: string): [string, RegistryMirror] {
  const eq = spec.indexOf('=');
  const registry = spec.slice(0, eq).trim();
  const target = spec
    .slice(eq + 1)
    .trim()
    .replace(/^https?:\/\//, '')
    .replace(/\/+$/, '');
  const [host = '', ...prefix] = target.split('/');
  if (eq <= 0 || registry === '' || host === '' || /[\s/]/.test(registry)) {
    throw invalidArgument(
      `registry mirror ${JSON.stringify(spec)}: write it as REGISTRY=URL, e.g. registry.k8s.io=http://127.0.0.1:5000`,
    );
  }
  return [registry, { host, pathPrefix: prefix.join('/') }];
}

export function mirrorTable(specs: Iterable<string>): MirrorTable {
  return new Map([...specs].map(parseMirror));
}

/** The reference as the mirror names it, or undefined when its registry has no mirror. */
export function throughMirror(ref: ImageReference, mirrors: MirrorTable): ImageReference | undefined {
  const mirror = mirrors.get(ref.domain);
  if (mirror === undefined) return undefined;
  const path = mirror.pathPrefix ? `${mirror.pathPrefix}/${ref.path}` : ref.path;
  return { ...ref, domain: mirror.host, path };
}

/** For messages: where a reference is really pulled from. */
export function describeSource(ref: ImageReference, mirrors: MirrorTable): string {
  const mirrored = throughMirror(ref, mirrors);
  return mirrored
    ? `${formatReference(ref)} (through mirror ${formatReference(mirrored)})`
    : formatReference(ref);
}
