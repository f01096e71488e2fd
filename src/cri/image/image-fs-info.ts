import type { ImageFsInfoRequest__Output } from '../../generated/runtime/v1/ImageFsInfoRequest.js';
import type { ImageFsInfoResponse } from '../../generated/runtime/v1/ImageFsInfoResponse.js';
import type { FilesystemUsage } from '../../generated/runtime/v1/FilesystemUsage.js';
import type { CallContext } from '../context.js';
import type { ImageDeps } from './deps.js';

/** ImageFsInfo: the engine's data root holds both image layers and containers' writable layers. */
export async function imageFsInfo(
  deps: ImageDeps,
  _req: ImageFsInfoRequest__Output,
  ctx: CallContext,
): Promise<ImageFsInfoResponse> {
  const usage = await deps.filesystems(ctx.signal);
  const entry = (usedBytes: number): FilesystemUsage => ({
    timestamp: String(usage.timestampNs),
    fs_id: { mountpoint: usage.mountpoint },
    used_bytes: { value: String(usedBytes) },
    inodes_used: usage.inodesUsed === undefined ? null : { value: String(usage.inodesUsed) },
  });
  return {
    image_filesystems: [entry(usage.imageBytes)],
    container_filesystems: [entry(usage.containerBytes)],
  };
}
