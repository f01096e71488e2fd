import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crictl } from '../support/crictl.js';
import { engineContainers as containersOf, loadRig, type Rig } from '../support/rig.js';
import { startWincri, type WincriProcess } from '../support/wincri-process.js';

/**
 * Nothing lost across a `kill -9`: pods and containers made before the kill are reported the same
 * after the restart, a RunPodSandbox/CreateContainer cut off by the kill leaves no orphan in the
 * engine, and each log file holds every line exactly once (the copier resumes where it stopped).
 */
const PODS = Number(process.env['WINCRI_RESTART_PODS'] ?? 20);
const LINES = 50;
const BUSYBOX = 'registry.k8s.io/e2e-test-images/busybox:1.29-2';
const RUN_ID = `rs${process.pid}`;

let rig: Rig;
let dir: string;
let wincri: WincriProcess;
const run = (...args: string[]) => crictl(rig.crictl, wincri.endpoint, args);

async function json(name: string, value: object): Promise<string> {
  const path = join(dir, `${name}.json`);
  await writeFile(path, JSON.stringify(value));
  return path;
}

function engineContainers(): { name: string; labels: string }[] {
  return containersOf(rig.dockerHost, 'io.wincri.kind')
    .filter((c) => c.name.includes(RUN_ID))
    .map((c) => ({ name: c.name, labels: c.labels['io.wincri.sandbox-id'] ?? '' }));
}

async function makePod(i: number): Promise<{ pod: string; containers: string[] }> {
  const podConfig = await json(`pod-${i}`, {
    metadata: { name: `p${i}-${RUN_ID}`, namespace: 'restart', uid: `u${i}-${RUN_ID}`, attempt: 0 },
    log_directory: join(dir, 'logs', `p${i}`),
    linux: {},
  });
  const runp = await run('runp', podConfig);
  if (runp.code !== 0) throw new Error(runp.stderr);
  const pod = runp.stdout.trim();
  const containers: string[] = [];
  for (const c of ['a', 'b']) {
    const cfg = await json(`ctr-${i}-${c}`, {
      metadata: { name: c },
      image: { image: BUSYBOX },
      command: ['sh', '-c', `i=0; while [ $i -lt ${LINES} ]; do echo line $i; i=$((i+1)); done; sleep 3600`],
      log_path: `${c}/0.log`,
      linux: {},
    });
    const created = await run('create', pod, cfg, podConfig);
    if (created.code !== 0) throw new Error(created.stderr);
    const id = created.stdout.trim();
    const started = await run('start', id);
    if (started.code !== 0) throw new Error(started.stderr);
    containers.push(id);
  }
  return { pod, containers };
}

const snapshot = async () => ({
  pods: JSON.parse((await run('pods', '-o', 'json')).stdout) as {
    items: { id: string; state: string; metadata: object; createdAt: string }[];
  },
  ctrs: JSON.parse((await run('ps', '-a', '-o', 'json')).stdout) as {
    containers: { id: string; state: string; podSandboxId: string; createdAt: string; metadata: object }[];
  },
});

beforeAll(async () => {
  rig = loadRig();
  dir = await mkdtemp(join(tmpdir(), 'wincri-restart-e2e-'));
  wincri = await startWincri({ dockerHost: rig.dockerHost, mirrors: rig.mirrors, dir });
  expect((await run('pull', BUSYBOX)).code).toBe(0);
});

afterAll(async () => {
  if (wincri) {
    for (const id of (await run('pods', '-q')).stdout.split('\n').filter(Boolean)) {
      if ((await run('inspectp', id)).stdout.includes(RUN_ID)) await run('rmp', '-f', id);
    }
    await wincri.stop();
  }
  if (rig) expect(engineContainers()).toEqual([]);
  await rm(dir, { recursive: true, force: true });
});

describe('kill -9 and restart', () => {
  it(`${PODS} pods x 2 containers come back as they were; the cut-off work leaves no orphan; logs are whole`, async () => {
    const made: { pod: string; containers: string[] }[] = [];
    for (let i = 0; i < PODS; i++) made.push(await makePod(i));
    const ours = (s: Awaited<ReturnType<typeof snapshot>>) => ({
      pods: s.pods.items
        .filter((p) => made.some((m) => m.pod === p.id))
        .sort((x, y) => x.id.localeCompare(y.id)),
      ctrs: s.ctrs.containers
        .filter((c) => made.some((m) => m.pod === c.podSandboxId))
        .sort((x, y) => x.id.localeCompare(y.id)),
    });
    const before = ours(await snapshot());
    expect(before.pods).toHaveLength(PODS);
    expect(before.ctrs).toHaveLength(PODS * 2);

    // More work in flight when the shim dies.
    const inFlight = Array.from({ length: 4 }, (_, k) => makePod(PODS + k).catch(() => undefined));
    await new Promise((r) => setTimeout(r, 150));
    await wincri.stop('SIGKILL');
    await Promise.all(inFlight);

    wincri = await startWincri({ dockerHost: rig.dockerHost, mirrors: rig.mirrors, dir });
    const after = ours(await snapshot());
    expect(after).toEqual(before);

    // No orphans: every engine container of this run is a listed pod or a container of one, and
    // no sandbox was left created-but-never-started.
    const listed = new Set((await snapshot()).pods.items.map((p) => p.id));
    const allCtrs = (await snapshot()).ctrs.containers;
    for (const c of allCtrs) expect(listed.has(c.podSandboxId)).toBe(true);
    const notReady = (await snapshot()).pods.items.filter(
      (p) => JSON.stringify(p.metadata).includes(RUN_ID) && p.state !== 'SANDBOX_READY',
    );
    expect(notReady).toEqual([]);
    expect(engineContainers().every((c) => c.labels === '' || listed.has(c.labels))).toBe(true);

    // Every line exactly once in every file, after the restart resumed the copiers.
    await new Promise((r) => setTimeout(r, 1000));
    for (let i = 0; i < PODS; i++) {
      for (const c of ['a', 'b']) {
        const text = await readFile(join(dir, 'logs', `p${i}`, c, '0.log'), 'utf8');
        const lines = text
          .split('\n')
          .filter(Boolean)
          .map((l) => l.replace(/^\S+ stdout F /, ''));
        expect(lines).toEqual(Array.from({ length: LINES }, (_, n) => `line ${n}`));
      }
    }
  });

  it('an upgrade: the new wincri waits while the old one drains, then takes over; pods and logs unchanged', async () => {
    const before = await snapshot();
    // The new process on its own socket but the same state directory, started while the old runs.
    const next = startWincri({
      dockerHost: rig.dockerHost,
      mirrors: rig.mirrors,
      extra: ['--root-dir', wincri.rootDir],
    });
    let nextServes = false;
    void next.then(() => (nextServes = true));
    await new Promise((r) => setTimeout(r, 1500));
    expect(nextServes).toBe(false);
    const old = wincri;
    await old.stop('SIGTERM');
    wincri = await next;
    expect(wincri.logs()).toContain('another wincri holds this state directory; waiting for it to exit');
    expect(await snapshot()).toEqual(before);
    for (let i = 0; i < PODS; i++) {
      const text = await readFile(join(dir, 'logs', `p${i}`, 'a', '0.log'), 'utf8');
      expect(text.split('\n').filter(Boolean)).toHaveLength(LINES);
    }
  });
});
