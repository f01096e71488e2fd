import type { DockerClient, RegistryAuth } from '../../docker/client.js';
import { hasKind, invalidArgument } from '../../errors.js';
import type { AuthConfig__Output } from '../../generated/runtime/v1/AuthConfig.js';
import type { PullImageRequest__Output } from '../../generated/runtime/v1/PullImageRequest.js';
import type { PullImageResponse } from '../../generated/runtime/v1/PullImageResponse.js';
import type { CallContext } from '../context.js';
import { KeyedLock } from '../keyed-lock.js';
import type { ImageDeps } from './deps.js';
import { findImage } from './image-lookup.js';
import { throughMirror } from './mirrors.js';
import { formatReference, isImageId, parseReference, repository, type ImageReference } from './reference.js';

// Pulls of one name run one at a time, so two of them never race on the mirror name's tag.
const pulls = new KeyedLock();

/** PullImage: through the registry's mirror when one is configured, kept under the requested name. */
export async function pullImage(
  deps: ImageDeps,
  req: PullImageRequest__Output,
  ctx: CallContext,
): Promise<PullImageResponse> {
  const requested = req.image?.image ?? '';
  if (requested === '' || isImageId(requested)) {
    throw invalidArgument(
      `PullImage needs an image name (registry/repository[:tag][@digest]), got ${JSON.stringify(requested)}`,
    );
  }
  const ref = parseReference(requested);
  const name = formatReference(ref);
  const auth = toRegistryAuth(req.auth, ref.domain);
  ctx.log.info({ image: name, withCredentials: auth !== undefined }, 'pulling');
  // Whatever the pull changed (or half-changed, on a failure) is read from the engine again.
  await pulls.run(name, () => pullThroughMirror(deps, ref, auth, ctx).finally(() => deps.lookups.forget()));
  const image = await findImage(deps.docker, deps.mirrors, name, ctx.signal);
  if (image === undefined) throw new Error(`the engine pulled ${name} but does not list it`);
  return { image_ref: image.id };
}

async function pullThroughMirror(
  deps: ImageDeps,
  ref: ImageReference,
  auth: RegistryAuth | undefined,
  ctx: CallContext,
): Promise<void> {
  const mirrored = throughMirror(ref, deps.mirrors);
  if (mirrored === undefined) return deps.docker.pullImage(formatReference(ref), auth, ctx.signal);

  const mirrorName = formatReference(mirrored);
  const mirrorNameExisted = (await deps.docker.inspectImage(mirrorName, ctx.signal)) !== undefined;
  await deps.docker.pullImage(mirrorName, auth && { ...auth, serveraddress: mirrored.domain }, ctx.signal);
  // A digest cannot be tagged: such an image stays under the mirror's name (image-lookup.ts finds it).
  if (ref.tag === undefined || ref.digest !== undefined) return;
  // Once pulled, the renaming must finish even if the client gives up now: a half-renamed
  // image would confuse the next call.
  const settled = AbortSignal.timeout(30_000);
  await deps.docker.tagImage(mirrorName, { repo: repository(ref), tag: ref.tag }, settled);
  if (!mirrorNameExisted) await untag(deps.docker, mirrorName, settled);
}

async function untag(docker: DockerClient, name: string, signal: AbortSignal): Promise<void> {
  await docker.removeImage(name, { force: false }, signal).catch((err: unknown) => {
    if (!hasKind(err, 'NotFound')) throw err;
  });
}

/** The CRI's AuthConfig as Docker's X-Registry-Auth; undefined when it carries nothing. */
export function toRegistryAuth(
  auth: AuthConfig__Output | null | undefined,
  registry: string,
): RegistryAuth | undefined {
  if (!auth) return undefined;
  const result: RegistryAuth = {};
  if (auth.username) result.username = auth.username;
  if (auth.password) result.password = auth.password;
  if (auth.auth) result.auth = auth.auth;
  if (auth.identity_token) result.identitytoken = auth.identity_token;
  if (auth.registry_token) result.registrytoken = auth.registry_token;
  if (Object.keys(result).length === 0) return undefined;
  if (result.auth && !result.username) {
    // Docker wants the pair; `auth` is base64("user:password").
    const decoded = Buffer.from(result.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw invalidArgument('auth.auth must be base64 of "username:password"');
    result.username = decoded.slice(0, colon);
    result.password = decoded.slice(colon + 1);
  }
  result.serveraddress = auth.server_address || registry;
  return result;
}
