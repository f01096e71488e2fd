import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newestRotatedSibling, readFileTail } from '../../../src/logs/resume.js';

const t = (n: number) => `2026-01-01T00:00:00.${String(n).padStart(9, '0')}Z`;
const line = (n: number, stream: 'stdout' | 'stderr', tag = 'F', body = `line ${n}`) =>
  `${t(n)} ${stream} ${tag} ${body}\n`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wincri-resume-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tailOf(content: string) {
  const path = join(dir, '0.log');
  await writeFile(path, content);
  return readFileTail(path);
}

describe('readFileTail', () => {
  it('a missing file has no marks', async () => {
    expect(await readFileTail(join(dir, 'nope.log'))).toEqual({
      point: {},
      completeLength: 0,
      size: 0,
      scannedBytes: 0,
    });
  });

  it('finds each stream’s last time and counts lines with exactly that time', async () => {
    const content =
      line(1, 'stdout') +
      line(2, 'stderr') +
      line(3, 'stdout', 'P', 'a') +
      line(3, 'stdout', 'P', 'b') +
      line(4, 'stderr') +
      line(3, 'stdout', 'F', 'c') +
      line(4, 'stderr');
    const tail = await tailOf(content);
    expect(tail.point).toEqual({
      stdout: { timestamp: t(3), count: 3 },
      stderr: { timestamp: t(4), count: 2 },
    });
    expect(tail.completeLength).toBe(Buffer.byteLength(content));
  });

  it('reports a torn last line by the length of the complete part', async () => {
    const complete = line(1, 'stdout') + line(2, 'stdout');
    const tail = await tailOf(`${complete}${t(3)} stdout F half a li`);
    expect(tail.point).toEqual({ stdout: { timestamp: t(2), count: 1 } });
    expect(tail.completeLength).toBe(Buffer.byteLength(complete));
  });

  it('a file that is one torn line is cut to nothing', async () => {
    const tail = await tailOf(`${t(3)} stdout F half`);
    expect(tail).toMatchObject({ point: {}, completeLength: 0 });
  });

  it('looks far back for a stream that wrote long ago, across read chunks', async () => {
    let content = line(1, 'stderr');
    for (let n = 2; n < 6000; n++) content += line(n, 'stdout', 'F', 'x'.repeat(40));
    const tail = await tailOf(content);
    expect(tail.point).toEqual({
      stdout: { timestamp: t(5999), count: 1 },
      stderr: { timestamp: t(1), count: 1 },
    });
  });

  it('stops looking for a stream once lines are a second older than the other stream’s mark', async () => {
    // One stderr line long ago, then ~1 MiB of stdout spread over minutes.
    const at = (seconds: number) =>
      `2026-01-01T00:${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}.000000000Z`;
    let content = `${at(0)} stderr F long ago\n`;
    for (let n = 0; n < 20000; n++)
      content += `${at(1 + Math.floor(n / 200))} stdout F ${'z'.repeat(20)} ${n}\n`;
    const tail = await tailOf(content);
    expect(tail.point).toEqual({ stdout: { timestamp: at(100), count: 200 } });
    expect(tail.scannedBytes).toBeLessThan(200 * 1024);
  });

  it('counts equal times that straddle a read chunk boundary', async () => {
    let content = '';
    for (let n = 0; n < 3000; n++) content += line(7, 'stdout', 'P', `piece ${n} ${'y'.repeat(30)}`);
    const tail = await tailOf(content);
    expect(tail.point).toEqual({ stdout: { timestamp: t(7), count: 3000 } });
  });

  it('ignores lines that are not CRI lines', async () => {
    const tail = await tailOf(`junk\n${line(5, 'stdout')}\n`);
    expect(tail.point).toEqual({ stdout: { timestamp: t(5), count: 1 } });
  });
});

describe('newestRotatedSibling', () => {
  it('picks the newest uncompressed file kubelet rotated', async () => {
    const path = join(dir, '0.log');
    for (const name of [
      '0.log',
      '0.log.20260101-000000.gz',
      '0.log.20260101-000100',
      '0.log.20260101-000200',
      '0.log.20260101-000300.tmp',
      '1.log.20270101-000000',
    ]) {
      await writeFile(join(dir, name), '');
    }
    expect(await newestRotatedSibling(path)).toBe(join(dir, '0.log.20260101-000200'));
    expect(await newestRotatedSibling(join(dir, 'missing', 'x.log'))).toBeUndefined();
  });
});
