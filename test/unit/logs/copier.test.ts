import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogCopier } from '../../../src/logs/copier.js';
import { LogCopiers } from '../../../src/logs/copiers.js';
import { FakeLogEngine } from './fake-log-engine.js';

const log = pino({ level: 'silent' });
let dir: string;
let engine: FakeLogEngine;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wincri-copier-'));
  path = join(dir, 'pod', 'ctr', '0.log');
  engine = new FakeLogEngine();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const deps = (extra: { maxLineBytes?: number } = {}) => ({
  docker: engine,
  log,
  retryDelayMs: 5,
  maxRetryDelayMs: 20,
  ...extra,
});
const copier = (extra: { maxLineBytes?: number } = {}) =>
  new LogCopier({ containerId: 'c1', path, tty: false }, deps(extra));
const lines = async (file = path) => (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
/** "stdout F text" of each line: time checked separately. */
const bodies = (all: string[]) => all.map((l) => l.slice(l.indexOf(' ') + 1));
const until = async (check: () => Promise<boolean> | boolean) => {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('timed out waiting');
};
const fileLines = async (n: number, file = path) =>
  until(async () => (await lines(file).catch(() => [])).length >= n);

describe('LogCopier', () => {
  it('copies every message in CRI format with the engine’s exact time, and ends when the container stops', async () => {
    engine.emit('stdout', 'one\n');
    engine.emit('stderr', 'two\n');
    const c = copier();
    await fileLines(2);
    engine.emit('stdout', 'partial');
    engine.emit('stdout', 'rest\n', { sameTimeAsLast: true });
    engine.stop();
    await c.done;
    expect(c.finished).toBe(true);
    const all = await lines();
    expect(bodies(all)).toEqual(['stdout F one', 'stderr F two', 'stdout P partial', 'stdout F rest']);
    expect(all.map((l) => l.split(' ')[0])).toEqual(engine.stored.map((m) => m.timestamp));
  });

  it('takes messages the engine’s follow missed at exit with one last plain read', async () => {
    const c = copier();
    engine.emit('stdout', 'one\n');
    await fileLines(1);
    engine.stop();
    engine.emit('stdout', 'last words'); // stored, but never sent to the ended follow
    await c.done;
    expect(bodies(await lines())).toEqual(['stdout F one', 'stdout P last words']);
  });

  it('creates the parent directories', async () => {
    engine.stop();
    await copier().done;
    await expect(readFile(path, 'utf8')).resolves.toBe('');
  });

  it('a restarted copier neither loses nor repeats a line, equal times included', async () => {
    const first = copier({ maxLineBytes: 4 });
    engine.emit('stdout', 'aaaaaaaaaa\n'); // 3 lines at one time
    engine.emit('stderr', 'e1\n');
    engine.emit('stdout', 'b0\n'); // after stderr's mark, before stdout's: replayed, must be skipped
    engine.emit('stdout', 'b1\n');
    engine.emit('stdout', 'b2\n', { sameTimeAsLast: true });
    await fileLines(7);
    await first.stop();
    // Written while no copier ran, some at the time of the last line already in the file.
    engine.emit('stdout', 'b3\n', { sameTimeAsLast: true });
    engine.emit('stderr', 'e2\n');
    engine.emit('stdout', 'c1\n');
    engine.stop();
    await copier({ maxLineBytes: 4 }).done;
    expect(bodies(await lines())).toEqual([
      'stdout P aaaa',
      'stdout P aaaa',
      'stdout F aa',
      'stderr F e1',
      'stdout F b0',
      'stdout F b1',
      'stdout F b2',
      'stdout F b3',
      'stderr F e2',
      'stdout F c1',
    ]);
    // The second copier asked only for what it might lack.
    expect(engine.calls[1]?.since).toBeDefined();
  });

  it('resumes after a torn last line by cutting it and writing it again', async () => {
    engine.emit('stdout', 'x1\n');
    engine.emit('stdout', 'x2\n');
    engine.stop();
    await copier().done;
    const whole = await readFile(path, 'utf8');
    await writeFile(path, whole.slice(0, whole.length - 3)); // the shim died inside the last write
    await copier().done;
    expect(await readFile(path, 'utf8')).toBe(whole);
  });

  it('keeps copying after the engine connection drops, without repeats', async () => {
    const c = copier();
    engine.emit('stdout', 'before\n');
    await fileLines(1);
    engine.breakFollowers();
    engine.emit('stdout', 'during\n');
    await until(() => engine.calls.length >= 2);
    engine.emit('stdout', 'after\n');
    engine.stop();
    await c.done;
    expect(bodies(await lines())).toEqual(['stdout F before', 'stdout F during', 'stdout F after']);
  });

  it('waits for a created container to start', async () => {
    engine.status = 'created';
    const c = copier();
    await until(() => engine.calls.length >= 2);
    expect(c.finished).toBe(false);
    engine.status = 'running';
    await until(() => engine.calls.length >= 3);
    engine.emit('stdout', 'started\n');
    engine.stop();
    await c.done;
    expect(bodies(await lines())).toEqual(['stdout F started']);
  });

  it('ends when the container is removed from the engine', async () => {
    engine.removed = true;
    await copier().done;
  });

  it('reopen: lines before the swap stay in the renamed file, later ones go to the new file, none lost', async () => {
    const c = copier();
    for (let i = 0; i < 5; i++) engine.emit('stdout', `old ${i}\n`);
    await fileLines(5);
    await rename(path, `${path}.20260101-000000`);
    engine.emit('stdout', 'in flight\n'); // may land on either side of the swap
    await c.reopen();
    for (let i = 0; i < 5; i++) engine.emit('stdout', `new ${i}\n`);
    engine.stop();
    await c.done;
    const old = bodies(await lines(`${path}.20260101-000000`));
    const fresh = bodies(await lines());
    expect(old.slice(0, 5)).toEqual([0, 1, 2, 3, 4].map((i) => `stdout F old ${i}`));
    expect([...old, ...fresh]).toEqual([
      ...[0, 1, 2, 3, 4].map((i) => `stdout F old ${i}`),
      'stdout F in flight',
      ...[0, 1, 2, 3, 4].map((i) => `stdout F new ${i}`),
    ]);
    expect(fresh.at(-1)).toBe('stdout F new 4');
  });

  it('reopen under a steady stream: the two files together hold every line once, in order', async () => {
    const c = copier();
    let n = 0;
    const writer = setInterval(() => {
      for (let i = 0; i < 20; i++) engine.emit('stdout', `n${n++}\n`);
    }, 1);
    await fileLines(100);
    await rename(path, `${path}.1`);
    await c.reopen();
    await fileLines(100);
    clearInterval(writer);
    engine.stop();
    await c.done;
    const all = [...bodies(await lines(`${path}.1`)), ...bodies(await lines())];
    expect(all).toEqual(Array.from({ length: n }, (_, i) => `stdout F n${i}`));
  });

  it('a shim restart right after kubelet rotated the file does not copy history again', async () => {
    engine.emit('stdout', 'one\n');
    const first = copier();
    await fileLines(1);
    await rename(path, `${path}.20260101-000000`);
    await first.reopen();
    await first.stop();
    engine.emit('stdout', 'two\n');
    engine.stop();
    await copier().done;
    expect(bodies(await lines())).toEqual(['stdout F two']);
  });

  it('reopen while the engine is away: later lines still go to the new file', async () => {
    const c = copier();
    engine.emit('stdout', 'one\n');
    await fileLines(1);
    engine.down = true;
    engine.breakFollowers();
    const calls = engine.calls.length;
    await new Promise((r) => setTimeout(r, 30)); // the copier is between retries, its file closed
    await rename(path, `${path}.1`);
    await c.reopen();
    engine.emit('stdout', 'two\n');
    engine.down = false;
    await until(() => engine.calls.length > calls);
    engine.stop();
    await c.done;
    expect(bodies(await lines(`${path}.1`))).toEqual(['stdout F one']);
    expect(bodies(await lines())).toEqual(['stdout F two']);
  });

  it('an error after a rotation that split lines of one time does not copy them again', async () => {
    const c = copier({ maxLineBytes: 4 });
    engine.emit('stdout', 'aaaaaaaaaa\n'); // three lines at one time
    await fileLines(3);
    await rename(path, `${path}.1`);
    await c.reopen();
    engine.emit('stdout', 'bb\n', { sameTimeAsLast: true }); // a fourth line at that time, in the new file
    await fileLines(1);
    engine.breakFollowers(); // the copier rereads the new file's tail: one line at that time
    await until(() => engine.calls.length >= 2);
    engine.emit('stdout', 'cc\n');
    engine.stop();
    await c.done;
    expect(bodies(await lines(`${path}.1`))).toEqual(['stdout P aaaa', 'stdout P aaaa', 'stdout F aa']);
    expect(bodies(await lines())).toEqual(['stdout F bb', 'stdout F cc']);
  });

  it('reopen after the copy ended is refused', async () => {
    engine.stop();
    const c = copier();
    await c.done;
    await expect(c.reopen()).rejects.toMatchObject({ kind: 'FailedPrecondition' });
  });
});

describe('LogCopiers', () => {
  it('restartAll does not bring back a pod log directory kubelet removed', async () => {
    const copiers = new LogCopiers(deps());
    engine.emit('stdout', 'a\n');
    copiers.restartAll([{ containerId: 'c1', path, tty: false }]);
    expect(await copiers.flushed('c1', 2_000)).toBe(true);
    await expect(stat(dirname(path))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('start is idempotent; ready means the file exists; flushed waits for the copy to end; stop closes', async () => {
    const copiers = new LogCopiers(deps());
    copiers.start({ containerId: 'c1', path, tty: false });
    copiers.start({ containerId: 'c1', path, tty: false });
    await copiers.ready('c1');
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    await copiers.ready('no-such-container');
    engine.emit('stdout', 'hello\n');
    expect(await copiers.flushed('c1', 20)).toBe(false);
    engine.stop();
    expect(await copiers.flushed('c1', 2_000)).toBe(true);
    expect(bodies(await lines())).toEqual(['stdout F hello']);
    // One follow, then one plain read for what a follow may have missed at exit.
    expect(engine.calls.map((c) => c.follow)).toEqual([true, false]);
    await copiers.stop('c1');
    expect(copiers.has('c1')).toBe(false);
    expect(await copiers.flushed('c1')).toBe(true);
    await copiers.stop('c1');
  });

  it('reopen without a copier is a failed precondition', async () => {
    const copiers = new LogCopiers(deps());
    await expect(copiers.reopen('nope')).rejects.toMatchObject({ kind: 'FailedPrecondition' });
  });

  it('restartAll resumes every container; stopAll stops them', async () => {
    const copiers = new LogCopiers(deps());
    engine.emit('stdout', 'a\n');
    await mkdir(dirname(path), { recursive: true });
    copiers.restartAll([
      { containerId: 'c1', path, tty: false },
      { containerId: 'c2', path: join(dir, 'other.log'), tty: false },
    ]);
    await fileLines(1);
    await fileLines(1, join(dir, 'other.log'));
    await copiers.stopAll();
    expect(copiers.has('c1')).toBe(false);
  });
});
