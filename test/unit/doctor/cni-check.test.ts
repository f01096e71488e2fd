import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/config.js';
import { exitCode, runChecks, type DoctorEnv } from '../../../src/doctor/checks.js';
import { cniCheck, readCniSetup } from '../../../src/doctor/cni-check.js';

/** A config dir and a bin dir on disk: the check reads real files, as wincri serve does. */
let dir: string;
let conf: string;
let bin: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wincri-doctor-cni-'));
  conf = join(dir, 'net.d');
  bin = join(dir, 'bin');
  await mkdir(conf);
  await mkdir(bin);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const list = (name: string, ...types: string[]) =>
  JSON.stringify({ cniVersion: '1.0.0', name, plugins: types.map((type) => ({ type })) });

async function plugin(name: string, mode = 0o755): Promise<void> {
  await writeFile(join(bin, name), '#!/bin/sh\n');
  await chmod(join(bin, name), mode);
}

const check = async () => cniCheck(await readCniSetup(conf, [bin], false));

describe('doctor: the CNI network (CNI mode)', () => {
  it('pass: the first file in lexical order, its plugins found and executable', async () => {
    await writeFile(join(conf, '10-pods.conflist'), list('pods', 'bridge', 'portmap'));
    await writeFile(join(conf, '20-other.conflist'), list('other', 'absent'));
    await plugin('bridge');
    await plugin('portmap');
    expect(await check()).toEqual({
      name: 'CNI network',
      status: 'pass',
      detail: `${join(conf, '10-pods.conflist')}: network "pods" (CNI 1.0.0), plugins bridge (${join(bin, 'bridge')}), portmap (${join(bin, 'portmap')})`,
    });
  });

  it('fail: an empty config dir, saying pods get no network and where to put the config', async () => {
    expect(await check()).toMatchObject({
      status: 'fail',
      detail: `no network config (.conflist, .conf or .json) in ${conf}: pods cannot get a network (NetworkReady false)`,
      fix: expect.stringContaining(`install your network's CNI config in ${conf}`),
    });
  });

  it('fail: a config dir that does not exist is as empty', async () => {
    expect(cniCheck(await readCniSetup(join(dir, 'none'), [bin], false)).status).toBe('fail');
  });

  it('fail: a plugin the only network names is missing: install it into the first bin dir', async () => {
    await writeFile(join(conf, '10-pods.conflist'), list('pods', 'bridge', 'host-local'));
    await plugin('bridge');
    expect(await check()).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(`plugin host-local not found in ${bin}`),
      fix: expect.stringContaining(`into ${bin}`),
    });
  });

  it('fail: the IPAM plugin a network names is a plugin too', async () => {
    await writeFile(
      join(conf, '10-pods.conflist'),
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'pods',
        plugins: [{ type: 'bridge', ipam: { type: 'host-local', subnet: '10.1.0.0/24' } }],
      }),
    );
    await plugin('bridge');
    expect(await check()).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(`plugin host-local not found in ${bin}`),
    });
    await plugin('host-local');
    expect(await check()).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining(
        `plugins bridge (${join(bin, 'bridge')}), host-local (${join(bin, 'host-local')})`,
      ),
    });
  });

  it('fail: a plugin that is there but not executable, with its mode', async () => {
    await writeFile(join(conf, '10-pods.conflist'), list('pods', 'bridge'));
    await plugin('bridge', 0o644);
    expect(await check()).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(`plugin bridge (${join(bin, 'bridge')}) is not executable (mode 0644)`),
    });
  });

  it('fail: a file that is not a valid config: fix the file', async () => {
    await writeFile(join(conf, '10-pods.conflist'), '{"name": "pods", ');
    expect(await check()).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('not valid JSON'),
      fix: expect.stringContaining('fix the config file'),
    });
  });

  it('warn: a later file is used because an earlier one is refused, as wincri serve does', async () => {
    await writeFile(join(conf, '05-broken.conf'), '[]');
    await writeFile(join(conf, '10-pods.conflist'), list('pods', 'bridge'));
    await plugin('bridge');
    expect(await check()).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(
        /network "pods".*skipped before it: .*05-broken\.conf: expected a JSON object/,
      ),
      fix: expect.stringContaining('fix or remove the files before'),
    });
  });

  it('is run only in CNI mode, and its failure makes the exit code 2', async () => {
    const env = (networkPlugin: string): DoctorEnv => ({
      config: resolveConfig('linux', { networkPlugin, cniConfDir: conf, cniBinDir: bin }),
      engineInfo: async () => new Error('engine down'),
      image: async () => undefined,
      registryManifest: async () => 200,
      stat: async () => ({ mode: 0o140660, isSocket: true, uid: 0 }),
      listens: async () => true,
      diskSpace: async () => ({ freeBytes: 50, totalBytes: 100 }),
      lockPath: join(dir, 'lock'),
      now: Date.now,
      cniSetup: () => readCniSetup(conf, [bin], false),
      windowsFeatures: async () => undefined,
    });
    expect((await runChecks(env(''))).map((r) => r.name)).not.toContain('CNI network');
    const cni = await runChecks(env('cni'));
    expect(cni.find((r) => r.name === 'CNI network')?.status).toBe('fail');
    expect(exitCode(cni)).toBe(2);
  });
});
