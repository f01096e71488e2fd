import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { dial, dockerConnectOptions, openModem } from '../../../src/docker/connect.js';
import { CriError } from '../../../src/errors.js';

describe('dockerConnectOptions', () => {
  it('maps unix://, npipe:// and tcp:// engines', () => {
    expect(dockerConnectOptions('unix:///var/run/docker.sock')).toEqual({
      socketPath: '/var/run/docker.sock',
    });
    expect(dockerConnectOptions('npipe:////./pipe/docker_engine')).toEqual({
      socketPath: '//./pipe/docker_engine',
    });
    expect(dockerConnectOptions('tcp://127.0.0.1:2375')).toEqual({
      host: '127.0.0.1',
      port: 2375,
      protocol: 'http',
    });
  });

  it('refuses ssh:// engines, saying so', () => {
    expect(() => dockerConnectOptions('ssh://user@host')).toThrow(/ssh:\/\/ engines are not supported/);
    expect(() => dockerConnectOptions('ssh://user@host')).toThrow(CriError);
  });

  it('refuses anything else with the forms it takes', () => {
    expect(() => dockerConnectOptions('docker.sock')).toThrow(/use unix:\/\/\/var\/run\/docker.sock/);
  });
});

describe('openModem', () => {
  it('gives a working docker-modem without loading ssh2, readable-stream or the rest of dockerode', async () => {
    const modem = openModem('unix:///nonexistent/wincri-test.sock');
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(
      loaded.filter((file) => /\/node_modules\/(ssh2|readable-stream|dockerode\/lib)\//.test(file)),
    ).toEqual([]);
    expect(loaded.some((file) => /\/node_modules\/docker-modem\/lib\/modem\.js$/.test(file))).toBe(true);
    const failure = await dial(modem, { method: 'GET', path: '/version' }, AbortSignal.timeout(5_000), (e) =>
      e instanceof Error ? e : new Error(String(e)),
    ).catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: 'ENOENT' });
  });
});
