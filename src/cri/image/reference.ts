import { invalidArgument } from '../../errors.js';

/**
 * Image references as Docker and the CRI spell them, normalised the way Docker does
 * (`busybox` -> `docker.io/library/busybox:latest`), so that mirrors, tags and lookups agree.
 * Grammar after distribution/reference: [domain/]path[:tag][@digest].
 */
export interface ImageReference {
  /** Registry host[:port], e.g. "registry.k8s.io", "docker.io", "127.0.0.1:5000". */
  domain: string;
  /** Repository path inside the registry, e.g. "library/busybox", "e2e-test-images/busybox". */
  path: string;
  tag?: string;
  /** "sha256:<64 hex>" */
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:localhost|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const IMAGE_ID = /^(?:sha256:)?[a-f0-9]{64}$/;

/** True for a bare image id (`sha256:<hex>` or 64 hex), which names no registry. */
export const isImageId = (value: string) => IMAGE_ID.test(value);

export function parseReference(input: string): ImageReference {
  const bad = (why: string) =>
    invalidArgument(
      `image reference ${JSON.stringify(input)} is malformed: ${why} (e.g. registry.k8s.io/pause:3.10)`,
    );
  if (input === '' || input.trim() !== input) throw bad('it is empty or has spaces');

  const [nameAndTag = '', digest, ...extra] = input.split('@');
  if (extra.length > 0) throw bad('more than one "@"');
  if (digest !== undefined && !DIGEST.test(digest)) throw bad('the digest must be sha256:<64 lowercase hex>');

  const slash = nameAndTag.indexOf('/');
  const first = slash < 0 ? '' : nameAndTag.slice(0, slash);
  // Docker's rule: the first component is a registry if it has a dot or a port, or is localhost.
  const hasDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const domain = hasDomain ? first : DOCKER_HUB;
  let rest = hasDomain ? nameAndTag.slice(slash + 1) : nameAndTag;

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`the tag ${JSON.stringify(tag)} is not valid`);
  }
  if (!DOMAIN.test(domain)) throw bad(`the registry ${JSON.stringify(domain)} is not a host[:port]`);
  const components = rest.split('/');
  if (rest === '' || !components.every((c) => PATH_COMPONENT.test(c))) {
    throw bad('the repository path must be lowercase letters, digits and . _ - separated by /');
  }
  const path = domain === DOCKER_HUB && components.length === 1 ? `library/${rest}` : rest;

  const reference: ImageReference = { domain, path };
  if (tag !== undefined) reference.tag = tag;
  if (digest !== undefined) reference.digest = digest;
  if (tag === undefined && digest === undefined) reference.tag = 'latest';
  return reference;
}

/** The repository part, `domain/path`. */
export const repository = (ref: ImageReference) => `${ref.domain}/${ref.path}`;

/** The full normalised name: `domain/path[:tag][@digest]`. */
export function formatReference(ref: ImageReference): string {
  return (
    repository(ref) +
    (ref.tag !== undefined ? `:${ref.tag}` : '') +
    (ref.digest !== undefined ? `@${ref.digest}` : '')
  );
}

/**
 * The name as Docker lists it in RepoTags/RepoDigests: Docker Hub names lose `docker.io/` and
 * official images their `library/` ("busybox:latest").
 */
export function familiarName(ref: ImageReference): string {
  const full = formatReference(ref);
  if (ref.domain !== DOCKER_HUB) return full;
  const path = ref.path.startsWith('library/') ? ref.path.slice('library/'.length) : ref.path;
  return formatReference({ ...ref, domain: '', path }).replace(/^\//, '');
}
