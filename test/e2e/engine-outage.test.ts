import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crictl } from '../support/crictl.js';
import { loadRig, type Rig } from '../support/rig.js';
import { SocketProxy } from '../support/socket-proxy.js';
import { startWincri, type WincriProcess } from '../support/wincri-process.js';

/**
 * The engine going away under wincri: absent at start, cut mid-call, back again. Through a
 * socket proxy in front of the rig's dockerd, so the shared engine itself is never stopped.
 */
let rig: Rig;
let dir: string;
let proxy: SocketProxy;
let wincri: WincriProcess;
const run = (...args: string[]) => crictl(rig.crictl, wincri.endpoint, args);

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`never: ${what}`);
}

const runtimeReady = async () =>
  (
    JSON.parse((await run('info')).stdout) as { status: { conditions: { type: string; status: boolean }[] } }
  ).status.conditions.find((c) => c.type === 'RuntimeReady')?.status === true;

beforeAll(async () => {
  rig = loadRig();
  dir = await mkdtemp(join(tmpdir(), 'wincri-outage-'));
  proxy = new SocketProxy(join(dir, 'engine.sock'), rig.dockerHost.replace('unix://', ''));
  // The engine's socket does not exist yet when wincri starts.
  wincri = await startWincri({ dockerHost: `unix://${proxy.path}`, mirrors: rig.mirrors });
});
afterAll(async () => {
  await wincri?.stop();
  await proxy?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the Docker engine going away', () => {
  it('absent at start: not ready with a reason, pod RPCs UNAVAILABLE (never an empty list), Version still answers', async () => {
    expect(await runtimeReady()).toBe(false);
    const pods = await run('pods');
    expect(pods.code).not.toBe(0);
    expect(pods.stderr).toMatch(/code = Unavailable/);
    expect((await run('version')).code).toBe(0);
  });

  it('once it answers, wincri becomes ready and serves pods without a restart', async () => {
    await proxy.start();
    await eventually(runtimeReady, 'RuntimeReady after the engine came up');
    await eventually(async () => (await run('pods')).code === 0, 'ListPodSandbox served after recovery');
  });

  it('cut mid-call: the call fails UNAVAILABLE with a message that says what to do, and the next one works', async () => {
    // Drop the connections the client keeps alive, so the call opens a new one that hangs.
    proxy.hold = true;
    proxy.cut();
    const images = run('images');
    await new Promise((r) => setTimeout(r, 500));
    proxy.cut();
    const result = await images;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/code = Unavailable.*does not answer.*is dockerd running/);
    proxy.hold = false;
    await eventually(async () => (await run('images')).code === 0, 'images served again after the cut');
    await eventually(runtimeReady, 'ready again after the cut');
  });
});
