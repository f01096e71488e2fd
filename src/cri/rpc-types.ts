import type { ImageServiceDefinition } from '../generated/runtime/v1/ImageService.js';
import type { RuntimeServiceDefinition } from '../generated/runtime/v1/RuntimeService.js';
import type { StreamHandler, UnaryHandler } from './context.js';

/**
 * The handler tables wincri registers, derived from the generated service definitions so that a
 * missing or misspelt RPC, or a wrong request/response type, is a compile error. Handlers take the
 * decoded (`__Output`) request and return the permissive response type.
 */

type KnownKeys<T> = keyof { [K in keyof T as string extends K ? never : K]: T[K] };

/** Server-streaming RPCs of CRI v1 (v0.37.2); everything else is unary. */
export type StreamingRpc =
  | 'GetContainerEvents'
  | 'StreamPodSandboxes'
  | 'StreamContainers'
  | 'StreamContainerStats'
  | 'StreamPodSandboxStats'
  | 'StreamPodSandboxMetrics'
  | 'StreamImages';

type HandlerTable<Def> = {
  // A method definition decodes requests to ReqOut and encodes responses from Res.
  [K in KnownKeys<Def>]: Def[K] extends {
    requestDeserialize: (bytes: Buffer) => infer ReqOut;
    responseSerialize: (value: infer Res) => Buffer;
  }
    ? K extends StreamingRpc
      ? StreamHandler<ReqOut, Res>
      : UnaryHandler<ReqOut, Res>
    : never;
};

export type RuntimeRpcs = HandlerTable<RuntimeServiceDefinition>;
export type ImageRpcs = HandlerTable<ImageServiceDefinition>;
