import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { grpcBindAddress, parseEndpoint, prepareUnixSocketPath } from '../../../src/grpc/endpoint.js';

describe('parseEndpoint', () => {
  it.each([
    ['unix:///run/wincri/wincri.sock', { kind: 'unix', path: '/run/wincri/wincri.sock' }],
    ['npipe:////./pipe/wincri', { kind: 'npipe', path: '\\\\.\\pipe\\wincri' }],
    ['npipe://./pipe/wincri', { kind: 'npipe', path: '\\\\.\\pipe\\wincri' }],
    [
      'npipe:\\\\.\\pipe\\docker_engine'.replace('npipe:', 'npipe://'),
      { kind: 'npipe', path: '\\\\.\\pipe\\docker_engine' },
    ],
  ])('%s', (uri, expected) => {
    expect(parseEndpoint(uri)).toEqual(expected);
  });

  it.each([
    ['unix://relative.sock', /must be absolute/],
    ['tcp://127.0.0.1:1234', /unix:\/\/\/absolute\/path.sock or npipe/],
    ['npipe:////./pipe/', /named pipe endpoint looks like/],
    ['npipe:////./pipe/a b', /named pipe endpoint looks like/],
    ['npipe:////server/pipe/x', /named pipe endpoint looks like/],
    ['', /unix:\/\/\/absolute/],
  ])('refuses %j', (uri, message) => {
    expect(() => parseEndpoint(uri)).toThrow(message);
    try {
      parseEndpoint(uri);
    } catch (err) {
      expect(err).toMatchObject({ kind: 'InvalidArgument' });
    }
  });

  it('gives grpc-js a unix address whose path reaches net.Server.listen unchanged', () => {
    expect(grpcBindAddress({ kind: 'unix', path: '/run/w.sock' })).toBe('unix:///run/w.sock');
    // No "//" authority: grpc-js's unix resolver then keeps the path verbatim.
    expect(grpcBindAddress({ kind: 'npipe', path: '\\\\.\\pipe\\wincri' })).toBe('unix:\\\\.\\pipe\\wincri');
  });
});

describe('prepareUnixSocketPath', () => {
  let dir: string;
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('creates the parent directory', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wincri-ep-'));
    const path = join(dir, 'a', 'b', 'w.sock');
    await prepareUnixSocketPath(path);
    expect((await stat(join(dir, 'a', 'b'))).isDirectory()).toBe(true);
  });

  it('replaces a stale socket nobody listens on', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wincri-ep-'));
    const path = join(dir, 'w.sock');
    const server = createServer();
    await new Promise<void>((r) => server.listen(path, r));
    // Closing a listening server removes its socket file; a crashed process leaves it behind.
    const stale = createServer();
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => stale.listen(path, r));
    (stale as unknown as { _handle: { close(): void } })._handle.close();
    await prepareUnixSocketPath(path);
    await expect(stat(path)).rejects.toThrow();
  });

  it('refuses a socket that something still serves on', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wincri-ep-'));
    const path = join(dir, 'w.sock');
    const server = createServer();
    await new Promise<void>((r) => server.listen(path, r));
    try {
      await expect(prepareUnixSocketPath(path)).rejects.toMatchObject({ kind: 'FailedPrecondition' });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('refuses to remove a file that is not a socket', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wincri-ep-'));
    const path = join(dir, 'w.sock');
    await writeFile(path, 'keep me');
    await expect(prepareUnixSocketPath(path)).rejects.toThrow(/is not a socket/);
  });
});
