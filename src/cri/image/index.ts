import { unimplemented } from '../../errors.js';
import type { ImageRpcs } from '../rpc-types.js';
import type { ImageDeps } from './deps.js';
import { imageFsInfo } from './image-fs-info.js';
import { imageStatus } from './image-status.js';
import { listImages } from './list-images.js';
import { pullImage } from './pull-image.js';
import { removeImage } from './remove-image.js';

/** The ImageService table: one handler per RPC, each in the file named after it. */
export function imageRpcs(deps: ImageDeps): ImageRpcs {
  return {
    ListImages: (req, ctx) => listImages(deps, req, ctx),
    ImageStatus: (req, ctx) => imageStatus(deps, req, ctx),
    PullImage: (req, ctx) => pullImage(deps, req, ctx),
    RemoveImage: (req, ctx) => removeImage(deps, req, ctx),
    ImageFsInfo: (req, ctx) => imageFsInfo(deps, req, ctx),
    // CRIListStreaming is alpha; cri-client falls back to ListImages on UNIMPLEMENTED.
    StreamImages: () => Promise.reject(unimplemented('StreamImages is not served; use ListImages')),
  };
}
