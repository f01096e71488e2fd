import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { resolveConfig } from '../../src/config/config.js';
import { imageRpcs } from '../../src/cri/image/index.js';
import type { ImageDeps } from '../../src/cri/image/deps.js';
import type { RuntimeDeps } from '../../src/cri/runtime/deps.js';
import { runtimeRpcs } from '../../src/cri/runtime/index.js';
import type { ImageRpcs, RuntimeRpcs } from '../../src/cri/rpc-types.js';
import type { DockerClient } from '../../src/docker/client.js';
import { startCriServer, type CriServer, type CriServerOptions } from '../../src/grpc/server.js';
import { createLogger } from '../../src/log.js';
import { EngineState } from '../../src/store/engine-state.js';
import { criClient, type CriClient } from './cri-client.js';
import { enginePlatform } from '../../src/platform/index.js';
import { ImageLookups } from '../../src/store/image-lookups.js';

/** Log lines a test can read (pino JSON objects), like pino's own `sink()`. */
export function logSink() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

export interface TestServer {
  server: CriServer;
  client: CriClient;
  socketPath: string;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** The real server on a temp socket, with the real handler tables over `docker`, optionally patched. */
export async function startTestServer(
  docker: DockerClient,
  patch: { runtime?: Partial<RuntimeRpcs>; image?: Partial<ImageRpcs> } = {},
  imageDeps: Partial<ImageDeps> = {},
  serverOptions: CriServerOptions = {},
): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'wincri-contract-'));
  const socketPath = join(dir, 'sub', 'wincri.sock');
  const sink = logSink();
  const log = createLogger('debug', sink.stream);
  const config = resolveConfig('linux', {
    listen: `unix://${socketPath}`,
    registryMirrors: ['registry.k8s.io=http://127.0.0.1:5000'],
  });
  const engine = new EngineState(docker, log, 60_000);
  const runtimeDeps: RuntimeDeps = {
    config,
    docker,
    engine,
    platform: enginePlatform(() => engine.lastInfo, { hyperVAvailable: config.hyperVAvailable }),
    version: '0.1.0',
    runtimeHandlerNames: [''],
    runtimeSettings: { podCidr: '' },
  };
  const images: ImageDeps = {
    docker,
    mirrors: config.registryMirrors,
    pinnedNames: new Set(['registry.k8s.io/pause:3.10']),
    usersById: new Map(),
    lookups: new ImageLookups(),
    filesystems: async () => ({
      timestampNs: 1n,
      mountpoint: '/var/lib/docker',
      imageBytes: 100,
      containerBytes: 10,
    }),
    ...imageDeps,
  };
  const runtime = { ...runtimeRpcs(runtimeDeps), ...patch.runtime } as RuntimeRpcs;
  const image = { ...imageRpcs(images), ...patch.image } as ImageRpcs;
  const server = await startCriServer(
    { kind: 'unix', path: socketPath },
    { runtime, image },
    log,
    serverOptions,
  );
  const client = criClient(`unix://${socketPath}`);
  return {
    server,
    client,
    socketPath,
    logs: sink.lines,
    async close() {
      client.close();
      await server.close(100);
      engine.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
