import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, CrictlPods } from '../support/crictl-pods.js';
import { engineGet, loadRig, type Rig } from '../support/rig.js';
import { startWincri, type WincriProcess } from '../support/wincri-process.js';

/**
 * CRI bind mounts on the engine chosen by WINCRI_E2E_ENGINE, with the layout critest uses: a host
 * directory with a tmpfs mounted inside it, bound read-only into a container. A plain read-only bind
 * is read-only at its top only (the tmpfs below stays writable, as the CRI means it and as Docker
 * 20.10 did by itself); `recursive_read_only` makes the tmpfs read-only too where the engine can
 * (API 1.44+), and is refused with the engine's own API version where it cannot.
 */
let rig: Rig;
let wincri: WincriProcess;
let pods: CrictlPods;
let hostDir: string;
let apiVersion: string;

beforeAll(async () => {
  rig = loadRig();
  apiVersion = engineGet<{ ApiVersion: string }>(rig.dockerHost, '/version').ApiVersion;
  wincri = await startWincri({ dockerHost: rig.dockerHost, mirrors: rig.mirrors });
  pods = new CrictlPods(rig.crictl, () => wincri.endpoint);
  expect((await pods.run('pull', BUSYBOX)).code).toBe(0);
  hostDir = await mkdtemp(join(tmpdir(), 'wincri-e2e-mounts-'));
  execFileSync('mkdir', ['-p', join(hostDir, 'tmpfs')]);
  execFileSync('mount', ['-t', 'tmpfs', 'none', join(hostDir, 'tmpfs')]);
});
afterAll(async () => {
  await pods?.cleanup();
  await wincri?.stop();
  if (hostDir) {
    execFileSync('umount', ['-l', join(hostDir, 'tmpfs')]);
    await rm(hostDir, { recursive: true, force: true });
  }
});

const atLeast144 = () => {
  const [major = 0, minor = 0] = apiVersion.split('.').map(Number);
  return major > 1 || (major === 1 && minor >= 44);
};

const readOnlyBind = (extra: object = {}) => ({
  mounts: [{ host_path: hostDir, container_path: '/mnt', readonly: true, ...extra }],
});

const exec = (id: string, script: string) => pods.run('exec', '-s', id, 'sh', '-c', script);

describe('bind mounts', () => {
  it('a read-only bind is read-only at its top and writable where a tmpfs is mounted below it', async () => {
    const pod = await pods.pod('robind');
    const id = await pods.container(pod, 'robind', ['sleep', '3600'], readOnlyBind());
    expect((await exec(id, 'touch /mnt/tmpfs/below')).code).toBe(0);
    // crictl prints no output of a command that fails: the shell reports the failure instead.
    const top = await exec(id, 'touch /mnt/top 2>&1; echo "exit $?"');
    expect(top.stdout).toMatch(/Read-only file system\s+exit 1/);
  });

  it('Status offers recursive read-only mounts exactly when the engine speaks API 1.44 or newer', async () => {
    const info = JSON.parse((await pods.run('info')).stdout) as {
      runtimeHandlers: { name?: string; features?: { recursive_read_only_mounts?: boolean } }[];
    };
    const handler = info.runtimeHandlers.find((h) => (h.name ?? '') === '');
    expect(handler?.features?.recursive_read_only_mounts ?? false).toBe(atLeast144());
  });

  it('recursive_read_only makes the tmpfs below read-only too, or is refused naming the API version', async () => {
    const pod = await pods.pod('rro');
    if (atLeast144()) {
      const id = await pods.container(
        pod,
        'rro',
        ['sleep', '3600'],
        readOnlyBind({ recursive_read_only: true }),
      );
      const below = await exec(id, 'touch /mnt/tmpfs/below 2>&1; echo "exit $?"');
      expect(below.stdout).toMatch(/Read-only file system\s+exit 1/);
      return;
    }
    const config = join(hostDir, 'rro.json');
    await writeFile(
      config,
      JSON.stringify({
        metadata: { name: 'rro' },
        image: { image: BUSYBOX },
        command: ['sleep', '3600'],
        linux: {},
        ...readOnlyBind({ recursive_read_only: true }),
      }),
    );
    const created = await pods.run('create', pod.id, config, pod.config);
    expect(created.code).not.toBe(0);
    expect(created.stderr).toContain(`API ${apiVersion}`);
    expect(created.stderr).toContain('1.44');
    expect(created.stderr).toMatch(/InvalidArgument|invalid/i);
  });
});

/**
 * CRI image volumes (`Mount.image`): an image's filesystem mounted read-only into a container, as
 * the kubelet asks for an `image` volume. Engines with API 1.48+ mount it (type "image"); older ones
 * are refused with the API they speak, and nothing of the container is left on the engine.
 */
describe('image volumes', () => {
  // Known when the tests are collected (runIf), not only in beforeAll.
  const engineApi = engineGet<{ ApiVersion: string }>(loadRig().dockerHost, '/version').ApiVersion;
  const [major = 0, minor = 0] = engineApi.split('.').map(Number);
  const atLeast148 = major > 1 || (major === 1 && minor >= 48);
  const volume = (extra: object = {}) => ({
    mounts: [{ container_path: '/mnt/iv', readonly: true, image: { image: BUSYBOX }, ...extra }],
  });
  /** A create that must fail: crictl's stderr, and no container of that name on the engine. */
  const refused = async (name: string, extra: object) => {
    const pod = await pods.pod(name);
    const config = join(hostDir, `${name}.json`);
    await writeFile(
      config,
      JSON.stringify({
        metadata: { name },
        image: { image: BUSYBOX },
        command: ['sleep', '3600'],
        linux: {},
        ...extra,
      }),
    );
    const created = await pods.run('create', pod.id, config, pod.config);
    expect(created.code).not.toBe(0);
    expect(pods.engineNames(rig.dockerHost).filter((n) => n.startsWith(`k8s_${name}_`))).toEqual([]);
    return created.stderr;
  };

  it.runIf(atLeast148)('a file of the image is readable in the container, read-only', async () => {
    const pod = await pods.pod('imagevol');
    const id = await pods.container(pod, 'imagevol', ['sleep', '3600'], volume());
    const read = await exec(id, 'cat /mnt/iv/etc/passwd');
    expect(read.code).toBe(0);
    expect(read.stdout).toMatch(/^root:x:0:0:/m);
    const write = await exec(id, 'touch /mnt/iv/etc/x 2>&1; echo "exit $?"');
    expect(write.stdout).toMatch(/Read-only file system\s+exit 1/);
    const inspected = JSON.parse((await pods.run('inspect', id)).stdout) as {
      status: { mounts: { containerPath: string; image?: { image?: string; imageRef?: string } }[] };
    };
    const image = engineGet<{ Id: string }>(rig.dockerHost, `/images/${encodeURIComponent(BUSYBOX)}/json`);
    expect(inspected.status.mounts.find((m) => m.containerPath === '/mnt/iv')?.image).toMatchObject({
      image: BUSYBOX,
      imageRef: image.Id,
    });
  });

  it.runIf(atLeast148)('image_sub_path mounts one directory of the image', async () => {
    const pod = await pods.pod('imagesub');
    const id = await pods.container(pod, 'imagesub', ['sleep', '3600'], volume({ image_sub_path: 'etc' }));
    const read = await exec(id, 'cat /mnt/iv/passwd');
    expect(read.stdout).toMatch(/^root:x:0:0:/m);
  });

  it.runIf(atLeast148)('a sub path the image lacks fails the create and leaves no container', async () => {
    const stderr = await refused('imagenosub', volume({ image_sub_path: 'not-there' }));
    // crictl quotes the message: its quotes come back escaped.
    expect(stderr).toMatch(/not-there\\?" of image sha256:/);
    expect(stderr).toMatch(/NotFound/);
  });

  it.skipIf(atLeast148)(
    'an engine before API 1.48 refuses it with the API it speaks, and makes nothing',
    async () => {
      const stderr = await refused('imagevol', volume());
      expect(stderr).toMatch(/Unimplemented/);
      expect(stderr).toContain(`the Docker engine speaks API ${apiVersion}`);
      expect(stderr).toContain('which Docker offers from API 1.48');
    },
  );
});
