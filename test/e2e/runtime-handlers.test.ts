import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, CrictlPods } from '../support/crictl-pods.js';
import { engineGet, loadRig, type Rig } from '../support/rig.js';
import { startWincri, type WincriProcess } from '../support/wincri-process.js';

/**
 * RuntimeClass handlers on a real Linux engine: the handler table maps them to Docker runtimes,
 * and an unknown handler is refused before anything is made.
 */
let rig: Rig;
let wincri: WincriProcess;
let pods: CrictlPods;

beforeAll(async () => {
  rig = loadRig();
  wincri = await startWincri({ dockerHost: rig.dockerHost, mirrors: rig.mirrors });
  pods = new CrictlPods(rig.crictl, () => wincri.endpoint);
  expect((await pods.run('pull', BUSYBOX)).code).toBe(0);
});
afterAll(async () => {
  await pods?.cleanup();
  await wincri?.stop();
});

const engineRuntime = (id: string) =>
  engineGet<{ HostConfig: { Runtime: string } }>(rig.dockerHost, `/containers/${id}/json`).HostConfig.Runtime;

describe('runtime handlers on a Linux engine', () => {
  it('Status lists the configured handlers', async () => {
    const info = JSON.parse((await pods.run('info')).stdout) as { runtimeHandlers: { name?: string }[] };
    // crictl's JSON leaves out the default handler's empty name.
    expect(info.runtimeHandlers.map((h) => h.name ?? '')).toEqual(expect.arrayContaining(['', 'runc']));
  });

  it('handler runc runs the pod and its containers with the runc runtime', async () => {
    const pod = await pods.pod('runc', {}, 'runc');
    const ctr = await pods.container(pod, 'app', ['sleep', '3600']);
    expect(engineRuntime(pod.id)).toBe('runc');
    expect(engineRuntime(ctr)).toBe('runc');
    const status = JSON.parse((await pods.run('inspectp', pod.id)).stdout) as {
      status: { runtimeHandler: string };
    };
    expect(status.status.runtimeHandler).toBe('runc');
  });

  it('an unknown handler is INVALID_ARGUMENT, and nothing is made', async () => {
    await expect(pods.pod('nohandler', {}, 'no-such-handler')).rejects.toThrow(
      /InvalidArgument.*no-such-handler/,
    );
    expect(pods.engineNames(rig.dockerHost).filter((name) => name.includes('nohandler'))).toEqual([]);
  });
});
