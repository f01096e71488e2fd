import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { criClient } from '../support/cri-client.js';
import { crictl } from '../support/crictl.js';
import { BUSYBOX, CrictlPods } from '../support/crictl-pods.js';
import { engineGet, loadRig, type Rig } from '../support/rig.js';
import { startWincri, type WincriProcess } from '../support/wincri-process.js';

/**
 * The image service through crictl against the rig's real dockerd and registries. Images are
 * the upstream names critest uses; the rig's registry serves them through wincri's mirrors.
 */
let rig: Rig;
let wincri: WincriProcess;
const run = (...args: string[]) => crictl(rig.crictl, wincri.endpoint, args);

interface FsUsage {
  fsId: { mountpoint: string };
  usedBytes: { value: string };
  inodesUsed?: { value: string };
}

async function imageFsInfo(): Promise<FsUsage> {
  const out = await run('imagefsinfo', '-o', 'json');
  expect(out.code, out.stderr).toBe(0);
  const fs = (JSON.parse(out.stdout) as { status: { imageFilesystems: FsUsage[] } }).status
    .imageFilesystems[0];
  if (!fs) throw new Error(`no image filesystem: ${out.stdout}`);
  return fs;
}

// An image no other test keeps a container of, so that rmi is not refused for being in use.
const MIRRORED = 'registry.k8s.io/e2e-test-images/nonewprivs:1.3';
const USER_IMAGE = 'gcr.io/k8s-staging-cri-tools/test-image-user-uid-group:latest';

beforeAll(async () => {
  rig = loadRig();
  wincri = await startWincri({ dockerHost: rig.dockerHost, mirrors: rig.mirrors });
});
afterAll(async () => wincri?.stop());

describe('crictl against wincri and the rig dockerd', () => {
  it('version', async () => {
    const out = await run('version');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/RuntimeName:\s+wincri/);
    expect(out.stdout).toMatch(/RuntimeApiVersion:\s+v1/);
  });

  it('info: runtime and network ready, verbose info is JSON', async () => {
    const out = await run('info');
    expect(out.code).toBe(0);
    const info = JSON.parse(out.stdout) as {
      status: { conditions: { type: string; status: boolean }[] };
      engine: { osType: string };
    };
    expect(info.status.conditions.map((c) => [c.type, c.status])).toEqual([
      ['RuntimeReady', true],
      ['NetworkReady', true],
    ]);
    expect(info.engine.osType).toBe('linux');
  });

  it('pull through a mirror keeps the upstream name; images, inspecti, rmi', async () => {
    const mirrorTags = async () =>
      (JSON.parse((await run('images', '-o', 'json')).stdout) as { images: { repoTags: string[] }[] }).images
        .flatMap((image) => image.repoTags)
        .filter((tag) => tag.startsWith(`${rig.registry}/`));
    const mirrorTagsBefore = await mirrorTags();
    const pulled = await run('pull', MIRRORED);
    expect(pulled.code, pulled.stderr).toBe(0);
    const id = /sha256:[0-9a-f]{64}/.exec(pulled.stdout)?.[0];
    expect(id).toBeDefined();

    const images = await run('images', '-o', 'json');
    const listed = (JSON.parse(images.stdout) as { images: { id: string; repoTags: string[] }[] }).images;
    const mirrored = listed.find((image) => image.id === id);
    expect(mirrored?.repoTags).toContain(MIRRORED);
    // The pull leaves no mirror name behind (others may have pulled by the mirror's name themselves).
    expect(await mirrorTags()).toEqual(mirrorTagsBefore);

    const inspect = await run('inspecti', MIRRORED);
    expect(inspect.code).toBe(0);
    expect(JSON.parse(inspect.stdout)).toMatchObject({ status: { id } });

    const removed = await run('rmi', MIRRORED);
    expect(removed.code, removed.stderr).toBe(0);
    const after = await run('inspecti', MIRRORED);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toMatch(/no such image/i);
  });

  it('inspecti reports uid from the image user (1003:1004 -> uid 1003)', async () => {
    expect((await run('pull', USER_IMAGE)).code).toBe(0);
    const status = JSON.parse((await run('inspecti', USER_IMAGE)).stdout) as {
      status: { uid: { value: string }; username: string };
    };
    expect(status.status.uid.value).toBe('1003');
    expect(status.status.username).toBe('');
    await run('rmi', USER_IMAGE);
  });

  it("imagefsinfo names the layers' filesystem: the data root, or containerd's snapshotter root", async () => {
    const info = engineGet<{ DockerRootDir: string; DriverStatus: [string, string][] | null }>(
      rig.dockerHost,
      '/info',
    );
    const containerdStore = (info.DriverStatus ?? []).some(
      ([key, value]) => key === 'driver-type' && value === 'io.containerd.snapshotter.v1',
    );
    // On the containerd image store a running container's snapshot is what shows wincri the root.
    const pods = new CrictlPods(rig.crictl, () => wincri.endpoint);
    try {
      if (containerdStore) {
        expect((await pods.run('pull', BUSYBOX)).code).toBe(0);
        await pods.container(await pods.pod('imagefs'), 'sleeper', ['sleep', '3600']);
      }
      const expected = containerdStore ? /\/io\.containerd\.snapshotter\.v1\.overlayfs$/ : info.DockerRootDir;
      // A container's start reaches wincri through the engine's events; ImageFsInfo keeps 10 s.
      let fs = await imageFsInfo();
      for (let i = 0; i < 30 && !fs.fsId.mountpoint.match(expected); i++) {
        await new Promise((r) => setTimeout(r, 500));
        fs = await imageFsInfo();
      }
      expect(fs.fsId.mountpoint).toMatch(expected);
      if (containerdStore) expect(existsSync(join(fs.fsId.mountpoint, 'snapshots'))).toBe(true);
      expect(Number(fs.usedBytes.value)).toBeGreaterThan(0);
      expect(Number(fs.inodesUsed?.value)).toBeGreaterThan(0);
    } finally {
      await pods.cleanup();
    }
  });

  it('pull from the registry with basic auth: right, wrong and missing credentials', async () => {
    const ok = await run('pull', '--creds', `${rig.authUser}:${rig.authPass}`, rig.privateImage);
    expect(ok.code, ok.stderr).toBe(0);
    await run('rmi', rig.privateImage);

    const wrong = await run('pull', '--creds', `${rig.authUser}:not-the-password`, rig.privateImage);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/code = Unauthenticated/);
    expect(wrong.stderr).toMatch(/check the pull credentials/);

    const none = await run('pull', rig.privateImage);
    expect(none.stderr).toMatch(/code = Unauthenticated/);
  });

  it.each([
    ['an unknown image', 'registry.k8s.io/no-such-image:1', /code = NotFound.*check the image name/],
    ['a malformed reference', 'UPPER/case', /code = InvalidArgument.*malformed/],
  ])('pull of %s fails clearly', async (_what, image, message) => {
    const out = await run('pull', image);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(message);
  });
});

describe('removals racing each other', () => {
  /**
   * An image with a layer of its own (`docker import` of files whose content is unique), so that
   * removing it releases the layer, and an inspect or removal that comes second meets the engine's
   * "layer does not exist" / "unrecognized image ID" answers rather than a layer another image
   * keeps. Some hundred files make the layer's deletion, and so the window, longer.
   */
  function importUniqueImage(name: string, content: string): void {
    const dir = mkdtempSync(join(tmpdir(), 'wincri-race-'));
    try {
      for (let i = 0; i < 300; i++) writeFileSync(join(dir, `f${i}`), `${content} ${i}`);
      const tar = execFileSync('tar', ['-C', dir, '-cf', '-', '.']);
      execFileSync('docker', ['-H', rig.dockerHost, 'import', '-', name], { input: tar, stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // critest's "should not fail on simultaneous RemoveImage calls" (cri-tools v1.36.0
  // image_consistency.go), ten callers instead of five, fifty times: each removes by id, then
  // asks ImageStatus, while a ListImages walks the images.
  it('10 concurrent RemoveImage calls of one image, 50 times, each followed by ImageStatus: no error', async () => {
    const client = criClient(wincri.endpoint);
    const name = `wincri-test/remove-race-${process.pid}:1`;
    type Status = { image: { id: string } | null };
    try {
      for (let round = 0; round < 50; round++) {
        importUniqueImage(name, `${process.pid} ${round} ${Date.now()}`);
        const pulled = await client.call<Status>('image', 'ImageStatus', { image: { image: name } });
        const spec = { image: { image: pulled.image?.id ?? 'imported image has no id' } };
        const removeThenStatus = async () => {
          await client.call('image', 'RemoveImage', spec);
          return client.call<Status>('image', 'ImageStatus', spec);
        };
        // Status callers that poll until the image is gone widen the window in which an inspect
        // meets the removal half done.
        const pollUntilGone = async () => {
          while ((await client.call<Status>('image', 'ImageStatus', spec)).image !== null);
          return { image: null };
        };
        const calls = [
          ...Array.from({ length: 10 }, removeThenStatus),
          ...Array.from({ length: 4 }, pollUntilGone),
          client.call('image', 'ListImages', {}),
        ];
        const results = await Promise.allSettled(calls);
        const failures = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
        expect(failures, `round ${round}`).toEqual([]);
        for (const r of results.slice(0, 10))
          expect(r, `round ${round}`).toMatchObject({ value: { image: null } });
      }
    } finally {
      client.close();
      spawnSync('docker', ['-H', rig.dockerHost, 'rmi', '-f', name], { stdio: 'ignore' });
    }
  });
});

describe('when the outside world fails', () => {
  it('a registry that does not answer is UNAVAILABLE, and wincri keeps serving', async () => {
    const w = await startWincri({ dockerHost: rig.dockerHost, mirrors: ['quay.io=http://127.0.0.1:5999'] });
    try {
      const out = await crictl(rig.crictl, w.endpoint, ['pull', 'quay.io/some/image:1']);
      expect(out.stderr).toMatch(/code = Unavailable.*does not answer/);
      expect((await crictl(rig.crictl, w.endpoint, ['version'])).code).toBe(0);
    } finally {
      await w.stop();
    }
  });

  it('an engine that is not there: not ready with a reason, RPCs UNAVAILABLE, the server stays up', async () => {
    const w = await startWincri({ dockerHost: 'unix:///run/wincri-rig/no-such-docker.sock' });
    try {
      const info = JSON.parse((await crictl(rig.crictl, w.endpoint, ['info'])).stdout) as {
        status: { conditions: { type: string; status: boolean; reason: string; message: string }[] };
      };
      expect(info.status.conditions[0]).toMatchObject({
        type: 'RuntimeReady',
        status: false,
        reason: 'DockerEngineUnreachable',
      });
      expect(info.status.conditions[0]?.message).toMatch(/is dockerd running/);
      const images = await crictl(rig.crictl, w.endpoint, ['images']);
      expect(images.stderr).toMatch(/code = Unavailable/);
      expect((await crictl(rig.crictl, w.endpoint, ['version'])).code).toBe(0);
    } finally {
      await w.stop();
    }
  });
});
