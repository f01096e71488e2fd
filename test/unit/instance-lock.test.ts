import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { instanceLockPath, lockInstance } from '../../src/instance-lock.js';

const said: string[] = [];
const log = { info: (_: Record<string, unknown>, msg: string) => void said.push(msg) };
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wincri-lock-'));
  said.length = 0;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A socket file left by a process killed while it held the lock. */
async function deadHoldersSocket(path: string): Promise<void> {
  const script = `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
  await new Promise((done) => spawn(process.execPath, ['-e', script]).once('exit', done));
}

describe('lockInstance', () => {
  it('creates the state directory and holds the lock until released', async () => {
    const root = join(dir, 'state');
    const lock = await lockInstance(root, { log });
    expect(existsSync(lock.path)).toBe(true);
    await expect(lockInstance(root, { log, waitMs: 0 })).rejects.toMatchObject({
      kind: 'FailedPrecondition',
    });
    await lock.release();
    const again = await lockInstance(root, { log, waitMs: 0 });
    await again.release();
  });

  it('refuses a second instance on the same directory with a message that says what to do', async () => {
    const lock = await lockInstance(dir, { log });
    const second = lockInstance(dir, { log, waitMs: 300 });
    await expect(second).rejects.toThrow(`another wincri is running with --root-dir ${dir}`);
    await expect(second).rejects.toThrow(/its own --root-dir, --listen and Docker engine/);
    expect(said).toEqual(['another wincri holds this state directory; waiting for it to exit']);
    await lock.release();
  });

  it('waits for the holder to exit, then takes over (an upgrade: the old one still draining)', async () => {
    const old = await lockInstance(dir, { log });
    setTimeout(() => void old.release(), 300);
    const started = Date.now();
    const next = await lockInstance(dir, { log, waitMs: 5_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await next.release();
  });

  it('takes over at once from a holder that was killed (its socket file answers nobody)', async () => {
    await deadHoldersSocket(instanceLockPath(dir));
    expect(existsSync(instanceLockPath(dir))).toBe(true);
    const lock = await lockInstance(dir, { log, waitMs: 0 });
    expect(said).toEqual([]);
    await lock.release();
  });

  it('lets instances with different state directories run side by side', async () => {
    const a = await lockInstance(join(dir, 'a'), { log, waitMs: 0 });
    const b = await lockInstance(join(dir, 'b'), { log, waitMs: 0 });
    await Promise.all([a.release(), b.release()]);
  });

  it('names a Windows lock pipe after the directory, case-insensitively', () => {
    const pipe = instanceLockPath('C:\\ProgramData\\wincri', 'win32');
    expect(pipe).toMatch(/^\\\\\.\\pipe\\wincri-instance-[0-9a-f]{16}$/);
    expect(instanceLockPath('c:\\programdata\\WINCRI', 'win32')).toBe(pipe);
    expect(instanceLockPath('C:\\ProgramData\\other', 'win32')).not.toBe(pipe);
  });
});
