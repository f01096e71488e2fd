import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/cri-server.js';
import { FakeDocker } from '../support/fake-docker.js';

/**
 * wincri's stop (SIGTERM, SIGINT, a Windows service stop) through the real gRPC server: event
 * streams end at once with UNAVAILABLE, unary calls in flight finish within the drain bound, and
 * those still running at the bound are cut.
 */
let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function serverWithSlowCalls(): Promise<TestServer> {
  return startTestServer(new FakeDocker(), {
    runtime: {
      // An event stream that sends nothing and ends only when its signal fires, like a quiet node's.
      GetContainerEvents: (_req, _send, ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
        ),
      // A mutation that takes 300 ms.
      StopContainer: async () => {
        await sleep(300);
        return {};
      },
      // A call that never ends, whatever its signal says.
      RemoveContainer: () => new Promise(() => undefined),
    },
  });
}

function openEventStream(server: TestServer): Promise<{ error: ServiceError; at: number }> {
  const client = server.client.runtime as unknown as Record<string, (req: object) => NodeJS.EventEmitter>;
  const stream = client['GetContainerEvents']!.call(server.client.runtime, {});
  return new Promise((resolve) =>
    stream.on('error', (error: ServiceError) => resolve({ error, at: Date.now() })),
  );
}

describe('closing the CRI server', () => {
  it('ends event streams at once with UNAVAILABLE and lets a unary call in flight finish', async () => {
    t = await serverWithSlowCalls();
    const stream = openEventStream(t);
    await sleep(100);
    const slow = t.client.call('runtime', 'StopContainer', { container_id: 'x', timeout: '0' });
    await sleep(50);
    const closedAt = Date.now();
    const report = await t.server.close(5_000);
    const ended = await stream;
    expect(ended.error.code).toBe(grpcStatus.UNAVAILABLE);
    expect(ended.error.details).toMatch(/shutting down/);
    expect(ended.at - closedAt).toBeLessThan(200);
    await expect(slow).resolves.toEqual({});
    expect(report).toMatchObject({ streamsEnded: 1, unaryInFlight: 1, unaryCut: 0 });
    // The drain took the slow call's remaining ~250 ms, not the 5 s bound.
    expect(report.ms).toBeLessThan(1_000);
  });

  it('cuts a unary call still running at the drain bound', async () => {
    t = await serverWithSlowCalls();
    const stuck = t.client
      .call('runtime', 'RemoveContainer', { container_id: 'x' })
      .catch((err: unknown) => err as ServiceError);
    await sleep(100);
    const report = await t.server.close(300);
    expect(report).toMatchObject({ streamsEnded: 0, unaryInFlight: 1, unaryCut: 1 });
    expect(report.ms).toBeGreaterThanOrEqual(290);
    expect(report.ms).toBeLessThan(1_500);
    const err = await stuck;
    expect(err).toBeInstanceOf(Error);
    expect([grpcStatus.CANCELLED, grpcStatus.UNAVAILABLE, grpcStatus.INTERNAL]).toContain(
      (err as ServiceError).code,
    );
  });

  it('with nothing in flight, closes at once', async () => {
    t = await serverWithSlowCalls();
    const report = await t.server.close(5_000);
    expect(report).toEqual({ streamsEnded: 0, unaryInFlight: 0, unaryCut: 0, ms: expect.any(Number) });
    expect(report.ms).toBeLessThan(200);
  });
});
