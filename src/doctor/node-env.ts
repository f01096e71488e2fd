import { stat, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Config } from '../config/config.js';
import type { DockerClient } from '../docker/client.js';
import { somethingListens } from '../grpc/endpoint.js';
import { instanceLockPath } from '../instance-lock.js';
import { hostWindowsFeatures } from '../platform/host-probe.js';
import type { DoctorEnv } from './checks.js';
import { readCniSetup } from './cni-check.js';

/** Every question must come back within this; a hung engine or registry is an answer too. */
const ASK_MS = 5_000;

/** The checks' view of this node: the engine through the Docker door, files, and plain HTTP. */
export function nodeEnv(
  config: Config,
  docker: DockerClient,
  kubeletConfig?: Record<string, unknown>,
): DoctorEnv {
  return {
    config,
    lockPath: instanceLockPath(config.rootDir),
    now: Date.now,
    ...(kubeletConfig ? { kubeletConfig } : {}),
    engineInfo: () =>
      docker
        .info(AbortSignal.timeout(ASK_MS))
        .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))),
    image: async (reference) => {
      const found = await docker.inspectImage(reference, AbortSignal.timeout(ASK_MS)).catch(() => undefined);
      return found && { osVersion: found.osVersion };
    },
    registryManifest: async (url) => {
      try {
        const accept = [
          'application/vnd.oci.image.index.v1+json',
          'application/vnd.docker.distribution.manifest.list.v2+json',
          'application/vnd.oci.image.manifest.v1+json',
          'application/vnd.docker.distribution.manifest.v2+json',
        ].join(', ');
        const res = await fetch(url, {
          method: 'HEAD',
          headers: { accept },
          signal: AbortSignal.timeout(ASK_MS),
        });
        return res.status;
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    },
    stat: async (path) => {
      const found = await stat(path).catch(() => undefined);
      return found && { mode: found.mode, isSocket: found.isSocket(), uid: found.uid };
    },
    listens: (path) => somethingListens(path),
    windowsFeatures: () => hostWindowsFeatures(config),
    cniSetup: () => readCniSetup(config.cniConfDir, config.cniBinDirs),
    // A directory not made yet lives on its nearest existing parent's filesystem.
    diskSpace: async (path) => {
      for (let at = resolve(path); ; at = dirname(at)) {
        const fs = await statfs(at).catch(() => undefined);
        if (fs) return { freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
        if (dirname(at) === at) return undefined;
      }
    },
  };
}
