import { mkdir, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { alreadyExists, failedPrecondition, hasKind, invalidArgument, notFound } from '../../errors.js';
import type { CreateContainerRequest__Output } from '../../generated/runtime/v1/CreateContainerRequest.js';
import type { CreateContainerResponse } from '../../generated/runtime/v1/CreateContainerResponse.js';
import type { ContainerDetails } from '../../docker/client.js';
import type { ContainerCreateBody } from '../../docker/types.js';
import { hyperVPodConstraints, type PodContainerState } from '../../isolation/hyperv-pod.js';
import { checkImageForPod } from '../../isolation/select.js';
import { containerState } from '../convert/container.js';
import type { SandboxRecord } from '../../store/runtime-store.js';
import type { CallContext } from '../context.js';
import { nowNs } from '../convert/time.js';
import { findImage } from '../image/image-lookup.js';
import { isImageVolume } from '../../platform/linux-image-mounts.js';
import { containerLabels } from '../../store/labels.js';
import { containerName } from '../../store/naming.js';
import { Rollback } from '../rollback.js';
import type { PodDeps } from './deps.js';
import { securityProfileJson } from './security-profile.js';

/**
 * CreateContainer: the whole ContainerConfig through the platform mapper, in the sandbox's
 * namespaces. The name carries the pod's identity and the container's attempt, so the engine
 * refuses a duplicate (ALREADY_EXISTS). Missing bind sources are created as directories, as
 * containerd does (the kubelet relies on it for emptyDir-like host paths).
 */
export async function createContainer(
  deps: PodDeps,
  req: CreateContainerRequest__Output,
  ctx: CallContext,
): Promise<CreateContainerResponse> {
  const sandbox = deps.store.resolveSandbox(req.pod_sandbox_id);
  const config = req.config;
  if (!config) throw invalidArgument('config is required');
  if (!config.metadata) throw invalidArgument('config.metadata is required (name, attempt)');
  const metadata = { name: config.metadata.name, attempt: config.metadata.attempt };
  const name = containerName(metadata, sandbox.metadata);
  const imageName = config.image?.image ?? '';
  if (imageName === '') throw invalidArgument('config.image.image is required');
  if (!sandbox.details.state.running) {
    throw failedPrecondition(
      `pod sandbox ${sandbox.id} is not ready (${sandbox.details.state.status}): containers can only be created in a running pod`,
    );
  }
  const logPath = containerLogPath(sandbox, config.log_path);
  const platform = deps.platform();
  const profileJson = await securityProfileJson(platform, config);
  hyperVPodConstraints({
    pod: `${sandbox.metadata.namespace}/${sandbox.metadata.name}`,
    isolation: sandbox.decision?.isolation,
    newContainer: metadata.name,
    containers: deps.store
      .containersOf(sandbox.id)
      .map((c) => ({ id: c.id, name: c.metadata.name, state: podContainerState(c.details) })),
  });

  const image = await findImage(deps.docker, deps.images.mirrors, imageName, ctx.signal, deps.images.lookups);
  if (!image)
    throw notFound(
      `image ${JSON.stringify(imageName)} is not on this node: pull it first (crictl pull ${imageName})`,
    );
  // A Windows pod keeps the isolation chosen at RunPodSandbox; the image must run under it.
  if (sandbox.decision)
    checkImageForPod(sandbox.decision, image.osVersion, platform.facts, deps.handlerTable);

  const labels = containerLabels({
    sandboxId: sandbox.id,
    metadata,
    labels: config.labels,
    annotations: config.annotations,
    logPath,
    createdAt: nowNs(),
    image: imageName,
    imageVolumes: Object.fromEntries(
      config.mounts.filter(isImageVolume).map((m) => [m.container_path, m.image?.image ?? '']),
    ),
  });
  const { value: body, notes } = platform.containerCreateBody({
    config,
    image: image.id,
    labels,
    pod: sandbox,
    securityProfileJson: profileJson,
  });
  for (const note of notes) ctx.log.info({ container: name }, note);
  await resolveImageVolumes(deps, body, ctx);
  for (const mount of body.HostConfig?.Mounts ?? [])
    if (mount.Type === 'bind' && mount.Source) await ensureDirectory(mount.Source);

  // Under the pod's lock: a StopPodSandbox or RemovePodSandbox running now finishes first, and a
  // container is never made in a pod that is being taken down (it would outlive its pod).
  return deps.locks.run(`obj:${sandbox.id}`, () => createInPod(deps, sandbox.id, name, body, ctx));
}

async function createInPod(
  deps: PodDeps,
  sandboxId: string,
  name: string,
  body: ContainerCreateBody,
  ctx: CallContext,
): Promise<CreateContainerResponse> {
  const sandbox = deps.store.sandbox(sandboxId);
  if (!sandbox?.details.state.running) {
    throw failedPrecondition(
      `pod sandbox ${sandboxId} was stopped or removed while the container was being prepared`,
    );
  }
  return new Rollback(ctx.log).guard(async (rollback) => {
    const id = await deps.docker.createContainer(name, body, ctx.signal).catch((err: unknown) => {
      if (hasKind(err, 'AlreadyExists')) {
        throw alreadyExists(
          `a container named ${name} already exists in pod ${sandbox.id}: remove it or use the next attempt`,
          err,
        );
      }
      throw err;
    });
    rollback.push(`remove container ${id}`, async (signal) => {
      await deps.docker.removeContainer(id, { force: true }, signal);
      deps.store.forget(id);
    });
    await checkImageSubPaths(deps, id, body, ctx.signal);
    await deps.store.refresh(id, ctx.signal);
    return { container_id: id };
  });
}

/**
 * An image volume's image is named as the kubelet pulled it (a name, a digest or an id); the
 * engine gets the id it resolves to, as the container's own image does, so that a digest pulled
 * through a mirror is found too. NOT_FOUND before anything is made when the image is not here.
 */
async function resolveImageVolumes(
  deps: PodDeps,
  body: ContainerCreateBody,
  ctx: CallContext,
): Promise<void> {
  for (const mount of body.HostConfig?.Mounts ?? []) {
    if (mount.Type !== 'image') continue;
    const named = mount.Source ?? '';
    const image = await findImage(deps.docker, deps.images.mirrors, named, ctx.signal, deps.images.lookups);
    if (!image) {
      throw notFound(
        `image volume ${mount.Target}: image ${JSON.stringify(named)} is not on this node: pull it first (crictl pull ${named})`,
      );
    }
    mount.Source = image.id;
  }
}

/**
 * The engine checks an image volume's sub path only when it sets the mounts up (start), while the
 * CRI wants CreateContainer to fail: a stat of the mount point inside the created container makes
 * the engine set them up now. A failure is the sub path missing from its image; the caller's
 * rollback removes the container (and with it the engine's layer of the image).
 */
async function checkImageSubPaths(
  deps: PodDeps,
  id: string,
  body: ContainerCreateBody,
  signal: AbortSignal,
): Promise<void> {
  const withSubPath = (body.HostConfig?.Mounts ?? []).filter(
    (m) => m.Type === 'image' && m.ImageOptions?.Subpath,
  );
  const first = withSubPath[0];
  if (!first) return;
  try {
    await deps.docker.statContainerPath(id, first.Target, signal);
  } catch (err) {
    if (!hasKind(err, 'NotFound', 'Internal')) throw err;
    const which = withSubPath
      .map((m) => `${JSON.stringify(m.ImageOptions?.Subpath)} of image ${m.Source ?? ''} at ${m.Target}`)
      .join(', ');
    throw notFound(
      `image_sub_path not in its image: the engine cannot mount ${which}; name a path that exists in the image`,
      err,
    );
  }
}

/** log_directory/log_path, which must stay inside log_directory; "" when no log is asked for. */
export function containerLogPath(
  sandbox: Pick<SandboxRecord, 'logDirectory' | 'id'>,
  logPath: string,
): string {
  if (logPath === '') return '';
  if (isAbsolute(logPath))
    throw invalidArgument(
      `config.log_path ${JSON.stringify(logPath)} must be relative to the pod's log_directory`,
    );
  if (sandbox.logDirectory === '') {
    throw invalidArgument(
      `config.log_path ${JSON.stringify(logPath)} needs a log_directory, and pod sandbox ${sandbox.id} was created without one`,
    );
  }
  const full = resolve(sandbox.logDirectory, logPath);
  const inside = relative(sandbox.logDirectory, full);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw invalidArgument(
      `config.log_path ${JSON.stringify(logPath)} leaves the pod's log_directory ${sandbox.logDirectory}`,
    );
  }
  return full;
}

function podContainerState(d: ContainerDetails): PodContainerState {
  const state = containerState(d);
  return state === 'CONTAINER_CREATED'
    ? 'created'
    : state === 'CONTAINER_RUNNING'
      ? 'running'
      : state === 'CONTAINER_EXITED'
        ? 'exited'
        : 'unknown';
}

async function ensureDirectory(path: string): Promise<void> {
  try {
    await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(path, { recursive: true });
  }
}
