import type { DockerClient } from '../../docker/client.js';
import type { FilesystemsUsage } from '../../store/filesystem-usage.js';
import { ImageLookups } from '../../store/image-lookups.js';
import type { MirrorTable } from './mirrors.js';
import { familiarName, parseReference } from './reference.js';

/** What the image service handlers need; built once in main.ts. */
export interface ImageDeps {
  docker: DockerClient;
  mirrors: MirrorTable;
  /** Names (as the engine lists them) of images to report pinned: the sandbox image, so image GC keeps it. */
  pinnedNames: ReadonlySet<string>;
  /** Image config users by image id; an id names immutable content, so entries never go stale. */
  usersById: Map<string, string>;
  /**
   * Image inspections kept while the engine's image events vouch for them; wincri's own pulls and
   * removals forget them at once. Only the pod start path reads through it (RunPodSandbox,
   * CreateContainer), where the engine checks the image id again at create; ImageStatus asks the
   * engine, so that it shows a removal the moment RemoveImage returns.
   */
  lookups: ImageLookups;
  /** Image and container filesystem usage, refreshed in the background. */
  filesystems(signal: AbortSignal): Promise<FilesystemsUsage>;
}

/** The image service's dependencies on one engine, nothing read or kept yet. */
export function imageDeps(
  docker: DockerClient,
  mirrors: MirrorTable,
  sandboxImage: string,
  filesystems: ImageDeps['filesystems'],
): ImageDeps {
  return {
    docker,
    mirrors,
    pinnedNames: new Set([familiarName(parseReference(sandboxImage))]),
    usersById: new Map(),
    lookups: new ImageLookups(),
    filesystems,
  };
}
