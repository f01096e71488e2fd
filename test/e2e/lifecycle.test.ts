import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crictl } from '../support/crictl.js';
import { engineContainers, loadRig, type Rig } from '../support/rig.js';
import { startWincri, type WincriProcess } from '../support/wincri-process.js';

/**
 * The pod and container lifecycle through crictl against the rig's real dockerd: what the kubelet
 * does to every pod, and the bad input it must be told about with the right gRPC code. Every pod
 * made here is removed at the end (and the engine is checked for leftovers).
 */
let rig: Rig;
let wincri: WincriProcess;
let dir: string;
const run = (...args: string[]) => crictl(rig.crictl, wincri.endpoint, args);
const BUSYBOX = 'registry.k8s.io/e2e-test-images/busybox:1.29-2';
const RUN_ID = `e2e${process.pid}`;

/** Engine containers this file made (all of them, or those of one pod). */
function engineNames(podName = ''): string[] {
  return engineContainers(rig.dockerHost, 'io.wincri.kind')
    .map((c) => c.name)
    .filter((n) => n.includes(RUN_ID) && n.includes(podName));
}

async function json(name: string, value: object): Promise<string> {
  const path = join(dir, `${name}.json`);
  await writeFile(path, JSON.stringify(value));
  return path;
}

const pod = (name: string, extra: object = {}) => ({
  metadata: { name: `${name}-${RUN_ID}`, namespace: 'e2e', uid: `${name}-uid-${RUN_ID}`, attempt: 0 },
  log_directory: join(dir, 'logs', name),
  linux: {},
  ...extra,
});
const ctr = (name: string, extra: object = {}) => ({
  metadata: { name },
  image: { image: BUSYBOX },
  command: ['sh', '-c', `echo hello from ${name}; sleep 3600`],
  log_path: `${name}/0.log`,
  linux: {},
  ...extra,
});

async function runPod(name: string, extra: object = {}): Promise<{ id: string; config: string }> {
  const config = await json(`pod-${name}`, pod(name, extra));
  const out = await run('runp', config);
  expect(out.code, out.stderr).toBe(0);
  return { id: out.stdout.trim(), config };
}

async function createCtr(podId: string, podConfig: string, name: string, extra: object = {}) {
  return run('create', podId, await json(`ctr-${name}-${Math.random()}`, ctr(name, extra)), podConfig);
}

beforeAll(async () => {
  rig = loadRig();
  dir = await mkdtemp(join(tmpdir(), 'wincri-lifecycle-e2e-'));
  wincri = await startWincri({ dockerHost: rig.dockerHost, mirrors: rig.mirrors });
  const pulled = await run('pull', BUSYBOX);
  expect(pulled.code, pulled.stderr).toBe(0);
});

afterAll(async () => {
  if (wincri) {
    const pods = await run('pods', '-q');
    for (const id of pods.stdout.split('\n').filter(Boolean)) {
      const status = await run('inspectp', id);
      if (status.stdout.includes(RUN_ID)) await run('rmp', '-f', id);
    }
    await wincri.stop();
  }
  if (rig) expect(engineNames()).toEqual([]);
  await rm(dir, { recursive: true, force: true });
});

describe('crictl lifecycle against wincri and the rig dockerd', () => {
  it('runp, create, start, ps, pods, inspect, inspectp, logs, update, stop, rm, stopp, rmp', async () => {
    const { id: podId, config } = await runPod('basic', {
      hostname: 'basic-host',
      dns_config: { servers: ['10.10.10.10'], searches: ['google.com'], options: ['ndots:8'] },
      labels: { app: 'basic' },
      annotations: { note: 'e2e' },
    });
    const inspectp = JSON.parse((await run('inspectp', podId)).stdout) as {
      status: { state: string; network: { ip: string }; labels: object; annotations: object };
      info: { name: string };
    };
    expect(inspectp.status.state).toBe('SANDBOX_READY');
    expect(inspectp.status.network.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(inspectp.status).toMatchObject({ labels: { app: 'basic' }, annotations: { note: 'e2e' } });
    expect(inspectp.info.name).toBe(`k8s_POD_basic-${RUN_ID}_e2e_basic-uid-${RUN_ID}_0`);

    const created = await createCtr(podId, config, 'web', { labels: { tier: 'front' } });
    expect(created.code, created.stderr).toBe(0);
    const ctrId = created.stdout.trim();
    expect((await run('ps', '-a', '-q', '--state', 'created', '--pod', podId)).stdout.trim()).toBe(ctrId);

    const started = await run('start', ctrId);
    expect(started.code, started.stderr).toBe(0);
    expect((await run('ps', '-q', '--label', 'tier=front')).stdout.split('\n')).toContain(ctrId);
    expect((await run('pods', '-q', '--label', 'app=basic')).stdout.trim()).toBe(podId);

    const inspect = JSON.parse((await run('inspect', ctrId)).stdout) as { status: Record<string, unknown> };
    expect(inspect.status).toMatchObject({
      state: 'CONTAINER_RUNNING',
      logPath: join(dir, 'logs', 'basic', 'web', '0.log'),
    });
    expect(inspect.status['imageRef']).toMatch(/^sha256:[0-9a-f]{64}$/);

    const resolv = await run('exec', '-s', ctrId, 'cat', '/etc/resolv.conf');
    expect(resolv.code, resolv.stderr).toBe(0);
    for (const line of ['nameserver 10.10.10.10', 'search google.com', 'options ndots:8'])
      expect(resolv.stdout).toContain(line);

    const updated = await run('update', '--memory', '67108864', ctrId);
    expect(updated.code, updated.stderr).toBe(0);
    const afterUpdate = JSON.parse((await run('inspect', ctrId)).stdout) as {
      status: { resources: { linux: { memoryLimitInBytes: string } } };
    };
    expect(afterUpdate.status.resources.linux.memoryLimitInBytes).toBe('67108864');

    expect((await run('stop', '-t', '1', ctrId)).code).toBe(0);
    const stopped = JSON.parse((await run('inspect', ctrId)).stdout) as {
      status: { state: string; exitCode: number; reason: string; finishedAt: string };
    };
    expect(stopped.status.state).toBe('CONTAINER_EXITED');
    expect(stopped.status.reason).toBe(stopped.status.exitCode === 0 ? 'Completed' : 'Error');
    const log = await readFile(join(dir, 'logs', 'basic', 'web', '0.log'), 'utf8');
    expect(log).toMatch(/^\S+ stdout F hello from web$/m);
    expect((await run('stop', ctrId)).code).toBe(0);

    expect((await run('rm', ctrId)).code).toBe(0);
    expect((await run('ps', '-a', '-q', '--pod', podId)).stdout.trim()).toBe('');
    expect((await run('stopp', podId)).code).toBe(0);
    expect((await run('stopp', podId)).code).toBe(0);
    expect(JSON.parse((await run('inspectp', podId)).stdout)).toMatchObject({
      status: { state: 'SANDBOX_NOTREADY' },
    });
    expect((await run('rmp', podId)).code).toBe(0);
    expect(engineNames(`_basic-${RUN_ID}_`)).toEqual([]);
  });

  it('events: created, started, stopped, deleted', async () => {
    const events = crictl(rig.crictl, wincri.endpoint, ['events', '-o', 'json'], 6000);
    await new Promise((r) => setTimeout(r, 500));
    const { id: podId, config } = await runPod('events');
    const id = (await createCtr(podId, config, 'ev')).stdout.trim();
    for (const args of [
      ['start', id],
      ['stop', '-t', '0', id],
      ['rm', id],
      ['rmp', '-f', podId],
    ]) {
      const step = await run(...args);
      expect(step.code, `${args.join(' ')}: ${step.stderr}`).toBe(0);
    }
    const out = (await events).stdout;
    const seen = [...out.matchAll(/"containerId": "(\w+)",\s+"containerEventType": "(\w+)"/g)]
      .filter((m) => m[1] === id)
      .map((m) => m[2]);
    expect(seen).toEqual([
      'CONTAINER_CREATED_EVENT',
      'CONTAINER_STARTED_EVENT',
      'CONTAINER_STOPPED_EVENT',
      'CONTAINER_DELETED_EVENT',
    ]);
  });

  it('rmp removes a running pod with its containers', async () => {
    const { id: podId, config } = await runPod('force');
    const created = await createCtr(podId, config, 'busy');
    expect((await run('start', created.stdout.trim())).code).toBe(0);
    expect((await run('rmp', '-f', podId)).code).toBe(0);
    expect(engineNames(`_force-${RUN_ID}_`)).toEqual([]);
  });

  it('a duplicate pod attempt and a duplicate container name are ALREADY_EXISTS', async () => {
    const { id: podId, config } = await runPod('dup');
    const again = await run('runp', config);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/AlreadyExists/);
    expect((await createCtr(podId, config, 'one')).code).toBe(0);
    const twice = await createCtr(podId, config, 'one');
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toMatch(/AlreadyExists/);
    expect((await run('rmp', '-f', podId)).code).toBe(0);
  });

  it.each([
    [
      'relative host path',
      { mounts: [{ host_path: 'rel/dir', container_path: '/x' }] },
      /InvalidArgument.*must be an absolute path/,
    ],
    [
      'escaping host path',
      { mounts: [{ host_path: '/tmp/../etc', container_path: '/x' }] },
      /InvalidArgument.*must not contain '\.\.'/,
    ],
    [
      'log path outside the log directory',
      { log_path: '../../outside.log' },
      /InvalidArgument.*leaves the pod's log_directory/,
    ],
    ['unknown image', { image: { image: 'registry.k8s.io/not-there:1' } }, /NotFound.*pull it first/],
  ])('CreateContainer refuses a %s and leaves nothing', async (_what, extra, message) => {
    const { id: podId, config } = await runPod(`bad${Math.floor(Math.random() * 1e6)}`);
    const before = engineNames().length;
    const out = await createCtr(podId, config, 'bad', extra);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(message);
    expect(engineNames().length).toBe(before);
    expect((await run('rmp', '-f', podId)).code).toBe(0);
  });

  it('RunPodSandbox with incomplete metadata is INVALID_ARGUMENT naming the field; unknown ids are NOT_FOUND', async () => {
    // crictl itself refuses a config without metadata (and fills in a missing uid), so the server is
    // shown a name Docker cannot carry.
    const out = await run(
      'runp',
      await json('bad-name', {
        metadata: { name: `bad_name-${RUN_ID}`, namespace: 'e2e', uid: 'u' },
        linux: {},
      }),
    );
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(
      /InvalidArgument.*config\.metadata\.name .*bad_name.* cannot be part of a Docker container name/,
    );
    const status = await run('inspectp', 'f00dfeed');
    expect(status.stderr).toMatch(/NotFound/);
    const ctrStatus = await run('inspect', 'f00dfeed');
    expect(ctrStatus.stderr).toMatch(/NotFound/);
    expect((await run('start', 'f00dfeed')).stderr).toMatch(/NotFound/);
  });
});
