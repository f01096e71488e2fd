import { stat } from 'node:fs/promises';
import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriError, ERROR_KINDS, type ErrorKind } from '../../src/errors.js';
import { GRPC_CODE_OF_KIND } from '../../src/grpc/status.js';
import { startTestServer, type TestServer } from '../support/cri-server.js';
import { FakeDocker } from '../support/fake-docker.js';

const seen: { reason?: unknown } = {};
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer(new FakeDocker(), {
    runtime: {
      // The request's `version` names the error kind to throw, so one RPC exercises the whole table.
      Version: async (req) => {
        if (req.version === 'plain-error') throw new Error('a bug');
        throw new CriError(req.version as ErrorKind, `thrown as ${req.version}`);
      },
      // Waits for its signal, then records why it was aborted.
      ListPodSandbox: (_req, ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => {
            seen.reason = ctx.signal.reason;
            reject(new Error('aborted'));
          }),
        ),
      GetContainerEvents: async (_req, send) => {
        for (let i = 0; i < 3; i++)
          await send({
            container_id: `c${i}`,
            container_event_type: 'CONTAINER_CREATED_EVENT',
            created_at: '1',
            pod_sandbox_status: null,
            containers_statuses: [],
          });
        throw new CriError('Unavailable', 'engine went away');
      },
    },
  });
});
afterAll(async () => t.close());

const codeOf = async (promise: Promise<unknown>) => {
  const err = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as ServiceError | undefined;
  return err && { code: err.code, details: err.details };
};

describe('the gRPC adapter', () => {
  it.each(ERROR_KINDS.map((kind) => [kind, GRPC_CODE_OF_KIND[kind]] as const))(
    'a thrown %s reaches the client as code %i with its message',
    async (kind, code) => {
      expect(await codeOf(t.client.call('runtime', 'Version', { version: kind }))).toEqual({
        code,
        details: `thrown as ${kind}`,
      });
    },
  );

  it('turns anything else thrown into INTERNAL and logs it as an error', async () => {
    expect(await codeOf(t.client.call('runtime', 'Version', { version: 'plain-error' }))).toEqual({
      code: grpcStatus.INTERNAL,
      details: 'a bug',
    });
    expect(t.logs.some((l) => l['level'] === 50 && l['rpc'] === 'Version')).toBe(true);
  });

  it('passes the client deadline down as an abort signal', async () => {
    const result = await codeOf(
      t.client.call('runtime', 'ListPodSandbox', {}, { deadline: Date.now() + 200 }),
    );
    expect(result?.code).toBe(grpcStatus.DEADLINE_EXCEEDED);
    await expect.poll(() => (seen.reason as CriError | undefined)?.kind).toBe('DeadlineExceeded');
  });

  it('passes a client cancel down as an abort signal', async () => {
    seen.reason = undefined;
    const client = t.client.runtime as unknown as Record<
      string,
      (req: object, cb: () => void) => { cancel(): void }
    >;
    const call = client['ListPodSandbox']!.call(t.client.runtime, {}, () => undefined);
    setTimeout(() => call.cancel(), 100);
    await expect.poll(() => (seen.reason as CriError | undefined)?.kind).toBe('Cancelled');
  });

  it('streams messages with backpressure, then ends with the thrown status', async () => {
    const client = t.client.runtime as unknown as Record<string, (req: object) => NodeJS.EventEmitter>;
    const stream = client['GetContainerEvents']!.call(t.client.runtime, {});
    const ids: string[] = [];
    const error = await new Promise<ServiceError>((resolve) => {
      stream.on('data', (m: { container_id: string }) => ids.push(m.container_id));
      stream.on('error', resolve);
    });
    expect(ids).toEqual(['c0', 'c1', 'c2']);
    expect(error.code).toBe(grpcStatus.UNAVAILABLE);
  });
});

describe('the server', () => {
  it('makes the socket root-only (0660)', async () => {
    expect((await stat(t.socketPath)).mode & 0o777).toBe(0o660);
  });

  it.each([
    ['runtime', 'CheckpointContainer'],
    ['runtime', 'CheckpointPod'],
    ['runtime', 'RestorePod'],
    ['runtime', 'StreamContainers'],
    ['image', 'StreamImages'],
  ] as const)('answers %s.%s with UNIMPLEMENTED and says why', async (service, rpc) => {
    const client = t.client[service] as unknown as Record<string, (req: object) => NodeJS.EventEmitter>;
    const isStream = rpc.startsWith('Stream');
    const err = isStream
      ? await new Promise<ServiceError>((resolve) =>
          client[rpc]!.call(t.client[service], {}).on('error', resolve),
        )
      : ((await t.client.call(service, rpc, {}).catch((e: unknown) => e)) as ServiceError);
    expect(err.code).toBe(grpcStatus.UNIMPLEMENTED);
    expect(err.details).toMatch(new RegExp(`${rpc} is not served`));
  });

  it('refuses a message above 16 MiB with RESOURCE_EXHAUSTED', async () => {
    const err = (await t.client
      .call('image', 'ImageStatus', { image: { image: 'x'.repeat(17 * 1024 * 1024) } })
      .catch((e: unknown) => e)) as ServiceError;
    expect(err.code).toBe(grpcStatus.RESOURCE_EXHAUSTED);
  });
});
