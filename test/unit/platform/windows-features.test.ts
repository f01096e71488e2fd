import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostWindowsFeatures, powershellPath, runProgram } from '../../../src/platform/host-probe.js';
import {
  decideHyperV,
  FEATURE_QUERY,
  parseOptionalFeatures,
  readWindowsFeatures,
  type RunProgram,
} from '../../../src/platform/windows-features.js';

/**
 * The query's answers in the shape Windows PowerShell 5.1 prints them (`ConvertTo-Json -Compress`
 * of `Name, InstallState` rows of Win32_OptionalFeature; InstallState 1 Enabled, 2 Disabled,
 * 3 Absent): a Server with the Hyper-V role, one without it, one with the role removed from its
 * payload, and PowerShell 7's pretty form of a single object.
 */
const ANSWERS = {
  hyperVServer: '[{"Name":"Containers","InstallState":1},{"Name":"Microsoft-Hyper-V","InstallState":1}]\r\n',
  noRole: '[{"Name":"Containers","InstallState":1},{"Name":"Microsoft-Hyper-V","InstallState":2}]\r\n',
  removedPayload: '[{"Name":"Microsoft-Hyper-V","InstallState":3},{"Name":"Containers","InstallState":1}]',
  containersOnly: '{\n  "Name": "Containers",\n  "InstallState": 1\n}\n',
  none: '[]\r\n',
};

describe('parseOptionalFeatures', () => {
  it.each([
    ['hyperVServer', 'Enabled', 'Enabled'],
    ['noRole', 'Disabled', 'Enabled'],
    ['removedPayload', 'Absent', 'Enabled'],
    ['containersOnly', 'Absent', 'Enabled'],
    ['none', 'Absent', 'Absent'],
  ] as const)('%s: Hyper-V %s, Containers %s', (answer, hyperV, containers) => {
    expect(parseOptionalFeatures(ANSWERS[answer])).toEqual({ hyperV, containers });
  });

  it('an answer that is not JSON is an Error quoting it', () => {
    const parsed = parseOptionalFeatures('Get-CimInstance : Access denied');
    expect(parsed).toBeInstanceOf(Error);
    expect((parsed as Error).message).toContain('Access denied');
  });

  it('an install state it does not know is Unknown, never Enabled', () => {
    expect(parseOptionalFeatures('[{"Name":"Microsoft-Hyper-V","InstallState":7}]')).toMatchObject({
      hyperV: 'Unknown',
    });
  });
});

describe('decideHyperV', () => {
  const found = parseOptionalFeatures(ANSWERS.hyperVServer);
  const noRole = parseOptionalFeatures(ANSWERS.noRole);
  if (found instanceof Error || noRole instanceof Error) throw new Error('fixtures parse');

  it('the config key wins either way', () => {
    expect(decideHyperV({ override: false, features: found, defaultIsolation: 'hyperv' })).toEqual({
      available: false,
      source: 'config',
      detail: '"hyperVAvailable": false in the wincri config',
    });
    expect(decideHyperV({ override: true, features: noRole, defaultIsolation: 'process' }).available).toBe(
      true,
    );
  });

  it('else the host features: both Microsoft-Hyper-V and Containers Enabled', () => {
    expect(decideHyperV({ features: found, defaultIsolation: 'process' })).toEqual({
      available: true,
      source: 'Win32_OptionalFeature',
      detail: 'Microsoft-Hyper-V Enabled, Containers Enabled',
    });
    expect(decideHyperV({ features: noRole, defaultIsolation: 'hyperv' })).toMatchObject({
      available: false,
      source: 'Win32_OptionalFeature',
    });
  });

  it('else the engine: a hyperv default isolation says yes, and why the features were not read is kept', () => {
    expect(
      decideHyperV({ features: 'the engine is remote (tcp://w:2375)', defaultIsolation: 'hyperv' }),
    ).toEqual({
      available: true,
      source: 'engine',
      detail:
        "the engine's default isolation is hyperv (GET /info Isolation); the host's features were not read (the engine is remote (tcp://w:2375))",
    });
    expect(decideHyperV({ defaultIsolation: '' })).toMatchObject({ available: false, source: 'engine' });
  });
});

describe('reading the feature table', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wincri-features-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** A stand-in for powershell.exe: records its argv, prints `answer`, exits `code`. */
  async function program(name: string, body: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\nprintf '%s\\n' "$@" > "${path}.argv"\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  }

  it('runs Windows PowerShell with the read-only CIM query and parses its answer', async () => {
    const path = await program('ps-ok', `printf '%s' '${ANSWERS.hyperVServer.trim()}'`);
    expect(await readWindowsFeatures(runProgram, path, 5_000)).toEqual({
      hyperV: 'Enabled',
      containers: 'Enabled',
    });
    const { readFile } = await import('node:fs/promises');
    expect((await readFile(`${path}.argv`, 'utf8')).trimEnd().split('\n')).toEqual([
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      FEATURE_QUERY,
    ]);
    expect(FEATURE_QUERY).toContain(
      "Get-CimInstance -ClassName Win32_OptionalFeature -Filter \"Name='Microsoft-Hyper-V' OR Name='Containers'\"",
    );
  });

  it('a failing, missing or hung program is an Error saying so, never a guess', async () => {
    const failing = await program('ps-fail', "echo 'Get-CimInstance : Access denied' >&2; exit 1");
    expect(String(await readWindowsFeatures(runProgram, failing, 5_000))).toMatch(/Access denied/);
    expect(String(await readWindowsFeatures(runProgram, join(dir, 'absent.exe'), 5_000))).toMatch(/ENOENT/);
    const hung = await program('ps-hung', 'sleep 5');
    expect(String(await readWindowsFeatures(runProgram, hung, 200))).toMatch(/no answer within 200 ms/);
  });

  it('is read only on the engine host when Windows, with no config override, by its full path', async () => {
    const calls: string[] = [];
    const run: RunProgram = async (file) => (calls.push(file), ANSWERS.noRole);
    const env = { SystemRoot: 'C:\\Windows' };
    const host = { platform: 'win32', env, run };
    expect(await hostWindowsFeatures({ dockerHost: 'npipe:////./pipe/docker_engine' }, host)).toEqual({
      hyperV: 'Disabled',
      containers: 'Enabled',
    });
    expect(calls).toEqual([powershellPath(env)]);
    expect(calls[0]).toBe('C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    expect(
      await hostWindowsFeatures(
        { hyperVAvailable: true, dockerHost: 'npipe:////./pipe/docker_engine' },
        host,
      ),
    ).toBeUndefined();
    expect(await hostWindowsFeatures({ dockerHost: 'tcp://10.0.0.5:2376' }, host)).toBe(
      'the engine is remote (tcp://10.0.0.5:2376)',
    );
    expect(
      await hostWindowsFeatures({ dockerHost: 'unix:///x.sock' }, { ...host, platform: 'linux' }),
    ).toMatch(/runs on linux/);
    expect(calls).toHaveLength(1);
  });
});
