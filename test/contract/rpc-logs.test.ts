import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/cri-server.js';
import { FakeDocker } from '../support/fake-docker.js';

/** What an operator reads in wincri's log about each call: a request id, and slow polled reads. */
let t: TestServer;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  t = await startTestServer(
    new FakeDocker(),
    {
      runtime: {
        // A polled read that takes 80 ms (the threshold below is 30).
        ListPodSandbox: async () => {
          await sleep(80);
          return { items: [] };
        },
        // A mutation as slow: it logs its time at info, never the polled-read warning.
        StopContainer: async () => {
          await sleep(80);
          return {};
        },
      },
    },
    {},
    { slowCallMs: 30 },
  );
});
afterAll(async () => t.close());

const linesOf = (rpc: string) => t.logs.filter((l) => l['rpc'] === rpc);

describe('RPC log lines', () => {
  it('every line of a call carries its request id, different for each call', async () => {
    await t.client.call('runtime', 'Version', {});
    await t.client.call('runtime', 'Version', {});
    await t.client.call('runtime', 'ContainerStatus', { container_id: 'missing' }).catch(() => undefined);
    const lines = [...linesOf('Version'), ...linesOf('ContainerStatus')];
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(line['requestId']).toMatch(/^[0-9a-f]{6}-[0-9a-z]+$/);
    expect(new Set(lines.map((l) => l['requestId'])).size).toBe(lines.length);
  });

  it('a polled read slower than slowCallMs logs a warning with its time', async () => {
    await t.client.call('runtime', 'ListPodSandbox', {});
    const warning = linesOf('ListPodSandbox').find((l) => l['msg'] === 'slow call');
    expect(warning).toMatchObject({ level: 40, slowCallMs: 30 });
    expect(warning?.['ms']).toBeGreaterThanOrEqual(30);
  });

  it('a mutation as slow is logged at info with its time, not warned about', async () => {
    await t.client.call('runtime', 'StopContainer', { container_id: 'x', timeout: '0' });
    const lines = linesOf('StopContainer');
    expect(lines.some((l) => l['msg'] === 'slow call')).toBe(false);
    expect(lines.find((l) => l['msg'] === 'ok')).toMatchObject({ level: 30 });
  });
});
