import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerodeClient } from '../../src/docker/dockerode-client.js';
import { LogCopier } from '../../src/logs/copier.js';
import { LogCopiers } from '../../src/logs/copiers.js';
import { loadRig } from '../support/rig.js';

/**
 * CRI log files from the rig's real dockerd: busybox containers print numbered lines on stdout
 * and stderr; the copier writes them to a CRI file, across copier restarts and kubelet-style
 * rotation (rename + reopen).
 */
const log = pino({ level: 'silent' });
const signal = () => AbortSignal.timeout(60_000);
let docker: DockerodeClient;
let image: string;
let dir: string;
const created: string[] = [];

beforeAll(async () => {
  const rig = loadRig();
  docker = new DockerodeClient(rig.dockerHost);
  image = `${rig.registry}/e2e-test-images/busybox:1.29-2`;
  if ((await docker.inspectImage(image, signal())) === undefined)
    await docker.pullImage(image, undefined, signal());
  dir = await mkdtemp(join(tmpdir(), 'wincri-e2e-logs-'));
});

afterAll(async () => {
  for (const id of created)
    await docker.removeContainer(id, { force: true }, signal()).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function run(script: string): Promise<string> {
  const name = `wincri-e2e-logs-${process.pid}-${created.length}`;
  const id = await docker.createContainer(name, { Image: image, Cmd: ['sh', '-c', script] }, signal());
  created.push(id);
  await docker.startContainer(id, signal());
  return id;
}

const CRI_LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z (stdout|stderr) ([PF]) ([^\n]*)$/;
const linesOf = async (path: string) =>
  (await readFile(path, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
/** Text of the F lines of `stream`, in file order. */
const texts = (lines: string[], stream: 'stdout' | 'stderr') =>
  lines.flatMap((line) => {
    const m = CRI_LINE.exec(line);
    return m && m[1] === stream && m[2] === 'F' ? [m[3]] : [];
  });
const numbered = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
async function until(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('CRI log files from the rig dockerd', () => {
  it('every line of stdout and stderr, in CRI format, with the engine’s exact timestamps', async () => {
    const id = await run(
      'for i in $(seq 1 200); do echo out$i; echo err$i >&2; done; ' +
        "head -c 40000 /dev/zero | tr '\\0' x; echo; printf tail-without-newline",
    );
    const path = join(dir, 'all', 'c', '0.log');
    const copier = new LogCopier({ containerId: id, path, tty: false }, { docker, log });
    await copier.done;

    const lines = await linesOf(path);
    for (const line of lines) expect(line).toMatch(CRI_LINE);
    expect(texts(lines, 'stdout').slice(0, 200)).toEqual(numbered('out', 200));
    expect(texts(lines, 'stderr')).toEqual(numbered('err', 200));
    // Docker stored the 40000-byte line as 16 KiB partials: P, P, then F, joined exactly.
    const long = lines.filter((l) => /^\S+ stdout [PF] x/.test(l));
    expect(long.map((l) => CRI_LINE.exec(l)?.[2])).toEqual(['P', 'P', 'F']);
    expect(long.map((l) => CRI_LINE.exec(l)?.[3]).join('')).toBe('x'.repeat(40000));
    expect(lines.at(-1)).toMatch(/ stdout P tail-without-newline$/);

    // The times are the engine's, digit for digit.
    const stored = await docker.containerLogs(id, { follow: false }, signal());
    const engineTimes: string[] = [];
    for await (const frame of stored)
      engineTimes.push((frame as { payload: Buffer }).payload.toString('utf8').split(' ')[0]!);
    expect(lines.map((l) => l.split(' ')[0])).toEqual(engineTimes);
  });

  it('a copier stopped mid-way and started again loses and repeats nothing', async () => {
    const id = await run('for i in $(seq 1 300); do echo out$i; echo err$i >&2; usleep 5000; done');
    const path = join(dir, 'restart', '0.log');
    const first = new LogCopier({ containerId: id, path, tty: false }, { docker, log });
    await until(async () => (await linesOf(path)).length >= 100);
    await first.stop(); // the shim dies
    await new Promise((r) => setTimeout(r, 300)); // output continues meanwhile
    const second = new LogCopier({ containerId: id, path, tty: false }, { docker, log });
    await second.done;
    const lines = await linesOf(path);
    expect(texts(lines, 'stdout')).toEqual(numbered('out', 300));
    expect(texts(lines, 'stderr')).toEqual(numbered('err', 300));
  });

  it('reopen after rename: the old file is complete up to the swap, the new one continues', async () => {
    const id = await run('for i in $(seq 1 400); do echo line$i; usleep 3000; done');
    const path = join(dir, 'rotate', '0.log');
    const copiers = new LogCopiers({ docker, log });
    copiers.start({ containerId: id, path, tty: false });
    await until(async () => (await linesOf(path)).length >= 50);
    await rename(path, `${path}.20260101-000000`); // kubelet's rotation
    await copiers.reopen(id);
    expect(await copiers.flushed(id, 30_000)).toBe(true);
    const old = texts(await linesOf(`${path}.20260101-000000`), 'stdout');
    const fresh = texts(await linesOf(path), 'stdout');
    expect(old.length).toBeGreaterThanOrEqual(50);
    expect(fresh.length).toBeGreaterThan(0);
    expect([...old, ...fresh]).toEqual(numbered('line', 400));
    await copiers.stop(id);
  });

  it('flushed() right after the container exits: every line is already in the file', async () => {
    const id = await run('for i in $(seq 1 2000); do echo n$i; done');
    const path = join(dir, 'exit', '0.log');
    const copiers = new LogCopiers({ docker, log });
    copiers.start({ containerId: id, path, tty: false });
    await until(async () => !(await docker.inspectContainer(id, signal())).state.running);
    expect(await copiers.flushed(id, 10_000)).toBe(true);
    expect(texts(await linesOf(path), 'stdout')).toEqual(numbered('n', 2000));
    await copiers.stopAll();
  });

  it('a tty container’s output is copied as stdout lines', async () => {
    const name = `wincri-e2e-logs-${process.pid}-tty`;
    const script = "echo one; echo two; head -c 40000 /dev/zero | tr '\\0' x; echo";
    const id = await docker.createContainer(
      name,
      { Image: image, Tty: true, Cmd: ['sh', '-c', script] },
      signal(),
    );
    created.push(id);
    await docker.startContainer(id, signal());
    const path = join(dir, 'tty', '0.log');
    await new LogCopier({ containerId: id, path, tty: true }, { docker, log }).done;
    // A tty ends lines with "\r\n"; the "\r" is part of the text, as the terminal wrote it.
    const lines = await linesOf(path);
    expect(texts(lines, 'stdout').slice(0, 2)).toEqual(['one\r', 'two\r']);
    // Docker's 16 KiB partials, found in the raw tty stream by the timestamp after each.
    const long = lines.slice(2).map((l) => CRI_LINE.exec(l));
    expect(long.map((m) => m?.[2])).toEqual(['P', 'P', 'F']);
    expect(long.map((m) => m?.[3]).join('')).toBe(`${'x'.repeat(40000)}\r`);
  });
});
