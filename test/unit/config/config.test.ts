import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../src/cli.js';
import { defaults, readConfigFile, resolveConfig } from '../../../src/config/config.js';

describe('config', () => {
  it('has per-OS defaults kubelet expects', () => {
    expect(defaults('linux')).toMatchObject({
      listen: 'unix:///run/wincri/wincri.sock',
      dockerHost: 'unix:///var/run/docker.sock',
      streamingAddress: '127.0.0.1:0',
    });
    expect(defaults('windows')).toMatchObject({
      listen: 'npipe:////./pipe/wincri',
      dockerHost: 'npipe:////./pipe/docker_engine',
    });
  });

  it('layers file then flags; mirrors add up per registry', () => {
    const config = resolveConfig(
      'linux',
      { registryMirrors: { 'gcr.io': 'http://a:5000', 'docker.io': 'http://hub:5000' }, logLevel: 'warn' },
      { registryMirrors: ['gcr.io=http://b:5000'], sandboxImage: 'localhost/pause:1' },
    );
    expect(config.logLevel).toBe('warn');
    expect(config.sandboxImage).toBe('localhost/pause:1');
    expect(Object.fromEntries(config.registryMirrors)).toEqual({
      'gcr.io': { host: 'b:5000', pathPrefix: '' },
      'docker.io': { host: 'hub:5000', pathPrefix: '' },
    });
  });

  it.each([
    [{ logLevel: 'loud' }, /log level/],
    [{ listen: 'tcp://0.0.0.0:1' }, /endpoint/],
    [{ sandboxImage: 'Not A Ref' }, /malformed/],
    [{ streamingAddress: '10010' }, /host:port/],
    [{ statsIntervalMs: 10 }, /at least 1000/],
    [{ shutdownDrainMs: -1 }, /shutdownDrainMs -1: use a whole number of milliseconds from 0 to 600000/],
    [{ shutdownDrainMs: 1.5 }, /shutdownDrainMs/],
    [{ logFormat: 'pretty' }, /log format "pretty": use json or text/],
    [{ slowCallMs: 0 }, /slowCallMs 0: use a whole number of milliseconds, 1 or more/],
    [{ metricsAddress: 'http://x' }, /metrics address/],
    [{ streamingTlsCert: '/c.pem' }, /both a certificate and a key/],
    [{ registryMirrors: ['nonsense'] }, /REGISTRY=URL/],
  ])('refuses %j with a message that says what to fix', (input, message) => {
    expect(() => resolveConfig('linux', input)).toThrow(message);
  });

  it("takes the CNI keys in cri-dockerd's words, with per-OS defaults", () => {
    expect(defaults('linux')).toMatchObject({
      networkPlugin: '',
      cniConfDir: '/etc/cni/net.d',
      cniBinDirs: ['/opt/cni/bin'],
      cniCacheDir: '/var/lib/cni/cache',
    });
    expect(defaults('windows')).toMatchObject({
      cniConfDir: 'C:\\etc\\cni\\net.d',
      cniBinDirs: ['C:\\opt\\cni\\bin'],
    });
    const config = resolveConfig(
      'linux',
      { networkPlugin: 'cni', cniBinDir: ['/a', '/b'], cniConfDir: '/etc/x' },
      { cniBinDir: ['/c,/d'], cniCacheDir: '/cache' },
    );
    expect(config).toMatchObject({
      networkPlugin: 'cni',
      cniConfDir: '/etc/x',
      cniBinDirs: ['/c', '/d'],
      cniCacheDir: '/cache',
    });
    expect(resolveConfig('linux', { networkPlugin: 'cni' }, { networkPlugin: '' }).networkPlugin).toBe('');
    expect(() => resolveConfig('linux', { networkPlugin: 'kubenet' })).toThrow(/use "cni", or ""/);
    expect(() => resolveConfig('linux', { cniBinDir: ' , ' })).toThrow(/at least one directory/);
    expect(() => resolveConfig('linux', { cniPluginTimeoutMs: 5 })).toThrow(/at least 100/);
    const flags = parseCommand([
      'serve',
      '--network-plugin',
      'cni',
      '--cni-conf-dir',
      '/n',
      '--cni-bin-dir',
      '/b1',
      '--cni-bin-dir',
      '/b2,/b3',
      '--cni-cache-dir',
      '/c',
    ]);
    expect(flags).toEqual({
      kind: 'serve',
      input: { networkPlugin: 'cni', cniConfDir: '/n', cniBinDir: ['/b1', '/b2,/b3'], cniCacheDir: '/c' },
    });
    expect(resolveConfig('linux', (flags as { input: object }).input).cniBinDirs).toEqual([
      '/b1',
      '/b2',
      '/b3',
    ]);
  });

  it('reads a config file and refuses unknown keys', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wincri-cfg-'));
    try {
      await writeFile(join(dir, 'ok.json'), JSON.stringify({ rootDir: '/x', statsIntervalMs: 5000 }));
      expect(await readConfigFile(join(dir, 'ok.json'))).toEqual({ rootDir: '/x', statsIntervalMs: 5000 });
      await writeFile(join(dir, 'bad.json'), JSON.stringify({ rootdir: '/x' }));
      await expect(readConfigFile(join(dir, 'bad.json'))).rejects.toThrow(/unknown keys rootdir/);
      await writeFile(join(dir, 'broken.json'), '{');
      await expect(readConfigFile(join(dir, 'broken.json'))).rejects.toThrow(/broken.json/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('command line', () => {
  it.each([
    [[], { kind: 'help' }],
    [['--help'], { kind: 'help' }],
    [['version'], { kind: 'version' }],
  ])('%j', (argv, command) => {
    expect(parseCommand(argv)).toEqual(command);
  });

  it('takes every serve flag, repeatable mirrors included', () => {
    const command = parseCommand([
      'serve',
      '--listen',
      'unix:///tmp/w.sock',
      '--docker-host',
      'unix:///d.sock',
      '--config',
      '/c.json',
      '--log-level',
      'debug',
      '--sandbox-image',
      'p:1',
      '--registry-mirror',
      'a.io=http://m:1',
      '--registry-mirror',
      'b.io=http://m:2',
      '--root-dir',
      '/r',
      '--streaming-address',
      '127.0.0.1:10010',
    ]);
    expect(command).toEqual({
      kind: 'serve',
      configFile: '/c.json',
      input: {
        listen: 'unix:///tmp/w.sock',
        dockerHost: 'unix:///d.sock',
        logLevel: 'debug',
        sandboxImage: 'p:1',
        registryMirrors: ['a.io=http://m:1', 'b.io=http://m:2'],
        rootDir: '/r',
        streamingAddress: '127.0.0.1:10010',
      },
    });
  });

  it.each([[['serve', '--bogus']], [['launch']], [['version', 'extra']]])('refuses %j', (argv) => {
    expect(() => parseCommand(argv)).toThrow();
  });
});
