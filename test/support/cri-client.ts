import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { CRI_PROTO_PATH, PROTO_LOADER_OPTIONS } from '../../src/grpc/proto-options.js';

/** A CRI client over real gRPC (the same proto and loader options as the server). */
export interface CriClient {
  runtime: grpc.Client;
  image: grpc.Client;
  /** Calls a unary RPC; rejects with the grpc ServiceError. */
  call<T = Record<string, unknown>>(
    service: 'runtime' | 'image',
    rpc: string,
    request: object,
    options?: grpc.CallOptions,
  ): Promise<T>;
  /**
   * Calls a unary RPC and resolves with the reply's bytes, not decoded: the benches time the
   * runtime's answer apart from this Node client's decoding (a Go kubelet decodes far faster).
   */
  callRaw(service: 'runtime' | 'image', rpc: string, request: object): Promise<Buffer>;
  close(): void;
}

type Ctor = new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client;

export function criClient(endpoint: string): CriClient {
  const definition = protoLoader.loadSync(CRI_PROTO_PATH, PROTO_LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    runtime: { v1: { RuntimeService: Ctor; ImageService: Ctor } };
  };
  const credentials = grpc.credentials.createInsecure();
  const runtime = new pkg.runtime.v1.RuntimeService(endpoint, credentials);
  const image = new pkg.runtime.v1.ImageService(endpoint, credentials);
  const clients = { runtime, image };
  const methods = {
    runtime: pkg.runtime.v1.RuntimeService as unknown as { service: grpc.ServiceDefinition },
    image: pkg.runtime.v1.ImageService as unknown as { service: grpc.ServiceDefinition },
  };
  return {
    runtime,
    image,
    call(service, rpc, request, options = {}) {
      const client = clients[service] as unknown as Record<
        string,
        (
          req: object,
          opts: grpc.CallOptions,
          cb: (err: grpc.ServiceError | null, res: unknown) => void,
        ) => void
      >;
      const method = client[rpc];
      if (!method) throw new Error(`no RPC ${rpc} on ${service}`);
      return new Promise((resolve, reject) =>
        method.call(client, request, options, (err, res) => (err ? reject(err) : resolve(res as never))),
      );
    },
    callRaw(service, rpc, request) {
      const method = methods[service].service[rpc];
      if (!method) throw new Error(`no RPC ${rpc} on ${service}`);
      return new Promise((resolve, reject) =>
        clients[service].makeUnaryRequest(
          method.path,
          method.requestSerialize,
          (bytes: Buffer) => bytes,
          request,
          (err, bytes) => (err || !bytes ? reject(err ?? new Error('no reply')) : resolve(bytes)),
        ),
      );
    },
    close() {
      runtime.close();
      image.close();
    },
  };
}
