import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CriError } from '../../src/errors.js';
import { startTestServer, type TestServer } from '../support/cri-server.js';
import { FakeDocker } from '../support/fake-docker.js';

let docker: FakeDocker;
let t: TestServer;
const ID = 'sha256:' + '1'.repeat(64);
const OTHER = 'sha256:' + '2'.repeat(64);

beforeEach(async () => {
  docker = new FakeDocker();
  docker.registry.set('127.0.0.1:5000/e2e-test-images/busybox:1.29-2', { id: ID, user: '1002' });
  docker.registry.set('quay.io/x/y:1', { id: OTHER, user: 'www-data:1004' });
  t = await startTestServer(docker);
});
afterEach(async () => t.close());

const pull = (image: string, auth?: object) =>
  t.client.call<{ image_ref: string }>('image', 'PullImage', { image: { image }, auth });
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as ServiceError,
  );

describe('PullImage', () => {
  it('pulls through the mirror and keeps the name the user asked for', async () => {
    const { image_ref } = await pull('registry.k8s.io/e2e-test-images/busybox:1.29-2');
    expect(image_ref).toBe(ID);
    expect(docker.calls).toContain('pullImage 127.0.0.1:5000/e2e-test-images/busybox:1.29-2');
    expect(docker.calls).toContain(
      'tagImage 127.0.0.1:5000/e2e-test-images/busybox:1.29-2 registry.k8s.io/e2e-test-images/busybox:1.29-2',
    );
    expect([...docker.names.keys()]).toEqual(['registry.k8s.io/e2e-test-images/busybox:1.29-2']);
  });

  it('reports one image id everywhere: PullImage, ListImages, ImageStatus', async () => {
    const { image_ref } = await pull('quay.io/x/y:1');
    const listed = await t.client.call<{ images: { id: string; username: string }[] }>(
      'image',
      'ListImages',
      {},
    );
    const status = await t.client.call<{ image: { id: string; username: string } }>('image', 'ImageStatus', {
      image: { image: 'quay.io/x/y:1' },
    });
    expect(listed.images.map((i) => i.id)).toEqual([image_ref]);
    expect(status.image.id).toBe(image_ref);
    expect(status.image.username).toBe('www-data');
  });

  it.each([
    [
      { username: 'u', password: 'p' },
      { username: 'u', password: 'p', serveraddress: 'quay.io' },
    ],
    [
      { auth: Buffer.from('u:p').toString('base64') },
      { auth: Buffer.from('u:p').toString('base64'), username: 'u', password: 'p', serveraddress: 'quay.io' },
    ],
    [
      { identity_token: 'it', server_address: 'quay.io' },
      { identitytoken: 'it', serveraddress: 'quay.io' },
    ],
    [{ registry_token: 'rt' }, { registrytoken: 'rt', serveraddress: 'quay.io' }],
    [{}, undefined],
  ])('passes the CRI auth %j to the engine as %j', async (auth, expected) => {
    await pull('quay.io/x/y:1', auth);
    expect(docker.pullAuth).toEqual([expected]);
  });

  it('never logs credentials', async () => {
    await pull('quay.io/x/y:1', { username: 'u', password: 'hunter2-secret' });
    expect(JSON.stringify(t.logs)).not.toContain('hunter2-secret');
  });

  it.each([
    ['', grpcStatus.INVALID_ARGUMENT, /needs an image name/],
    ['Bad//Ref', grpcStatus.INVALID_ARGUMENT, /malformed/],
    ['quay.io/x/missing:1', grpcStatus.NOT_FOUND, /manifest unknown/],
  ])('%j fails with the right status', async (image, code, message) => {
    const err = await failure(pull(image));
    expect(err?.code).toBe(code);
    expect(err?.details).toMatch(message);
  });

  it('an engine that is away is UNAVAILABLE, and the server keeps serving', async () => {
    docker.failNext = new CriError('Unavailable', 'the Docker engine at fake does not answer');
    expect((await failure(pull('quay.io/x/y:1')))?.code).toBe(grpcStatus.UNAVAILABLE);
    expect((await pull('quay.io/x/y:1')).image_ref).toBe(OTHER);
  });
});

describe('RemoveImage', () => {
  it('by id removes every name; a missing image is success (idempotent)', async () => {
    await pull('quay.io/x/y:1');
    await docker.tagImage('quay.io/x/y:1', { repo: 'quay.io/x/y', tag: '2' });
    await t.client.call('image', 'RemoveImage', { image: { image: OTHER } });
    expect(docker.names.size).toBe(0);
    expect(docker.images.size).toBe(0);
    await t.client.call('image', 'RemoveImage', { image: { image: OTHER } });
    await t.client.call('image', 'RemoveImage', { image: { image: 'quay.io/x/y:1' } });
  });

  it('ListImages leaves out an image a concurrent removal took between the list and its inspect', async () => {
    await pull('quay.io/x/y:1');
    await pull('127.0.0.1:5000/e2e-test-images/busybox:1.29-2');
    const listed = await docker.listImages();
    docker.listImages = async () => {
      docker.images.delete(OTHER);
      return listed;
    };
    const reply = await t.client.call<{ images: { id: string }[] }>('image', 'ListImages', {});
    expect(reply.images.map((i) => i.id)).toEqual([ID]);
  });
});

describe('ImageStatus and ImageFsInfo', () => {
  it('answers a missing image with no image, not an error', async () => {
    expect(await t.client.call('image', 'ImageStatus', { image: { image: 'quay.io/none:1' } })).toMatchObject(
      { image: null },
    );
  });

  it('reports the engine data root for images and containers', async () => {
    const info = await t.client.call<{
      image_filesystems: { fs_id: { mountpoint: string }; used_bytes: { value: string } }[];
    }>('image', 'ImageFsInfo', {});
    expect(info.image_filesystems[0]).toMatchObject({
      fs_id: { mountpoint: '/var/lib/docker' },
      used_bytes: { value: '100' },
    });
  });
});

describe('runtime basics', () => {
  it('Version has the four fields kubelet checks', async () => {
    expect(await t.client.call('runtime', 'Version', { version: '0.1.0' })).toEqual({
      version: '0.1.0',
      runtime_name: 'wincri',
      runtime_version: '0.1.0',
      runtime_api_version: 'v1',
    });
  });

  it('RuntimeConfig says CGROUPFS explicitly', async () => {
    expect(await t.client.call('runtime', 'RuntimeConfig', {})).toEqual({
      linux: { cgroup_driver: 'CGROUPFS' },
    });
  });

  it('Status is ready with the engine, with verbose info crictl can print', async () => {
    const ready = await t.client.call<{
      status: { conditions: { type: string; status: boolean }[] };
      info: Record<string, string>;
    }>('runtime', 'Status', { verbose: true });
    expect(ready.status.conditions.map((c) => [c.type, c.status])).toEqual([
      ['RuntimeReady', true],
      ['NetworkReady', true],
    ]);
    for (const value of Object.values(ready.info)) expect(() => JSON.parse(value) as unknown).not.toThrow();
  });

  it('UpdateRuntimeConfig keeps the pod CIDR', async () => {
    await t.client.call('runtime', 'UpdateRuntimeConfig', {
      runtime_config: { network_config: { pod_cidr: '10.88.0.0/16' } },
    });
    const status = await t.client.call<{ info: Record<string, string> }>('runtime', 'Status', {
      verbose: true,
    });
    expect(JSON.parse(status.info['config'] ?? '{}')).toMatchObject({ podCidr: '10.88.0.0/16' });
  });
});
