import { mkdir } from 'node:fs/promises';
import type { ImageDetails } from '../../docker/client.js';
import { alreadyExists, hasKind, invalidArgument, unavailable } from '../../errors.js';
import type { RunPodSandboxRequest__Output } from '../../generated/runtime/v1/RunPodSandboxRequest.js';
import type { RunPodSandboxResponse } from '../../generated/runtime/v1/RunPodSandboxResponse.js';
import { selectIsolation } from '../../isolation/select.js';
import type { CallContext } from '../context.js';
import { nowNs } from '../convert/time.js';
import { findImage } from '../image/image-lookup.js';
import { pullImage } from '../image/pull-image.js';
import { sandboxLabels } from '../../store/labels.js';
import { sandboxName } from '../../store/naming.js';
import { Rollback } from '../rollback.js';
import type { PodDeps } from './deps.js';
import { attachPodNetwork, beginPodNetwork } from './pod-network.js';
import { securityProfileJson } from './security-profile.js';

/**
 * RunPodSandbox: the pod as a pause container holding its namespaces, on the engine's default
 * network. Ready on success (the CRI rule: the kubelet creates containers in it right away); on any
 * failure everything made so far is undone. The pod's identity is the container name, so a second
 * call for the same pod attempt gets ALREADY_EXISTS from the engine itself, as containerd answers
 * "name is reserved"; concurrent calls queue on the name and the loser gets the same answer.
 */
export async function runPodSandbox(
  deps: PodDeps,
  req: RunPodSandboxRequest__Output,
  ctx: CallContext,
): Promise<RunPodSandboxResponse> {
  const config = req.config;
  if (!config) throw invalidArgument('config is required');
  const meta = config.metadata;
  if (!meta) throw invalidArgument('config.metadata is required (name, namespace, uid, attempt)');
  const identity = { name: meta.name, namespace: meta.namespace, uid: meta.uid, attempt: meta.attempt };
  const name = sandboxName(identity);
  const platform = deps.platform();
  const isolationRequest = {
    runtimeHandler: req.runtime_handler,
    annotations: config.annotations,
    table: deps.handlerTable,
    host: platform.facts,
  };
  // An unknown handler fails here, before anything is pulled or made.
  selectIsolation(isolationRequest);
  const profileJson = await securityProfileJson(platform, config);

  return deps.locks.run(`pod:${name}`, async () => {
    const existing = [...deps.store.sandboxes].find((s) => s.name === name);
    if (existing) throw nameTaken(name, existing.id);
    const image = await sandboxImage(deps, ctx);
    // The sandbox image's build decides whether Windows process isolation can run it (Linux ignores it).
    const decision = selectIsolation({ ...isolationRequest, imageOsVersion: image.osVersion });
    if (config.log_directory) await mkdir(config.log_directory, { recursive: true });
    const labels = sandboxLabels({
      metadata: identity,
      labels: config.labels,
      annotations: config.annotations,
      logDirectory: config.log_directory,
      createdAt: nowNs(),
      namespaceOptions: platform.podNamespaces(config),
      decision,
      hostname: config.hostname,
      portMappings: config.port_mappings.map(({ protocol, container_port, host_port, host_ip }) => {
        return { protocol, container_port, host_port, host_ip };
      }),
      dns: config.dns_config
        ? {
            servers: [...config.dns_config.servers],
            searches: [...config.dns_config.searches],
            options: [...config.dns_config.options],
          }
        : null,
    });
    const { value: body, notes } = platform.sandboxCreateBody({
      config,
      image: image.id,
      labels,
      decision,
      securityProfileJson: profileJson,
      podNetwork: deps.network ? 'cni' : 'engine',
    });
    for (const note of notes) ctx.log.info({ pod: name }, note);

    return new Rollback(ctx.log).guard(async (rollback) => {
      const id = await deps.docker.createContainer(name, body, ctx.signal).catch((err: unknown) => {
        throw hasKind(err, 'AlreadyExists') ? nameTaken(name, undefined, err) : err;
      });
      rollback.push(`remove sandbox ${id}`, async (signal) => {
        await deps.docker.removeContainer(id, { force: true }, signal);
        deps.store.forget(id);
      });
      const network = beginPodNetwork(deps, id, config, rollback);
      await deps.docker.startContainer(id, ctx.signal);
      await deps.store.refresh(id, ctx.signal);
      await attachPodNetwork(deps, network, rollback, ctx);
      ctx.log.info(
        { pod: name, id, handler: decision.handler, reason: decision.reason },
        'pod sandbox ready',
      );
      return { pod_sandbox_id: id };
    });
  });
}

function nameTaken(name: string, id: string | undefined, cause?: unknown) {
  return alreadyExists(
    `a pod sandbox named ${name} already exists${id ? ` (${id})` : ''}: the same pod metadata and attempt cannot run twice; ` +
      'remove that sandbox or use the next attempt',
    cause,
  );
}

/** The sandbox image, pulled through the registry mirrors when the engine lacks it. */
async function sandboxImage(deps: PodDeps, ctx: CallContext): Promise<ImageDetails> {
  const name = deps.config.sandboxImage;
  const found = await findImage(deps.docker, deps.images.mirrors, name, ctx.signal, deps.images.lookups);
  if (found) return found;
  ctx.log.info({ image: name }, 'pulling the sandbox image');
  await pullImage(
    deps.images,
    {
      image: { image: name, annotations: {}, user_specified_image: name, runtime_handler: '', image_ref: '' },
      auth: null,
      sandbox_config: null,
    },
    ctx,
  );
  const pulled = await findImage(deps.docker, deps.images.mirrors, name, ctx.signal);
  if (!pulled) throw unavailable(`the sandbox image ${name} was pulled but the engine does not list it`);
  return pulled;
}
