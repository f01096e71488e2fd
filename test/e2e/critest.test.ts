import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-info.js';
import { DEFAULT_ENGINE, loadRig, rigEngine, type Rig } from '../support/rig.js';
import { cniModeFlags, startWincri, type WincriProcess } from '../support/wincri-process.js';

/**
 * critest (the upstream CRI validation suite) against wincri on the rig's dockerd: cri-tools v1.36.0,
 * or the next release the rig builds beside it when WINCRI_CRITEST_VERSION names it (1.37.0). Each
 * area runs as its own ginkgo invocation; every skipped spec is listed with its reason in
 * critest-skips.txt.
 */
const AREAS: { name: string; focus: string; flags: string[]; cni?: boolean; engines?: string[] }[] = [
  // Every validation spec (no focus), with the default SPDY transport for streaming.
  { name: 'the whole validation suite', focus: '', flags: [] },
  // crictl --transport websocket and kubectl's newer clients: WebSocket v5 and SPDY-over-WebSocket.
  {
    name: 'streaming over WebSocket',
    focus: 'Streaming',
    flags: ['-websocket-exec', '-websocket-attach', '-websocket-portforward'],
  },
  // The whole suite again with pods on CNI (the rig's bridge/host-local/portmap/bandwidth network).
  // CNI mode is wincri's own networking, the same over any engine, so the other engines run only
  // what the engine's side of it changes (the sandbox without a network, the app containers joining
  // it, host ports): the Networking and Multiple Containers specs.
  {
    name: 'the whole validation suite in CNI mode',
    focus: '',
    flags: [],
    cni: true,
    engines: [DEFAULT_ENGINE],
  },
  {
    name: 'CNI: Networking, Multiple Containers',
    focus: 'Networking|Multiple Containers',
    flags: [],
    cni: true,
    engines: ['docker29'],
  },
];

/**
 * The skip list's regular expressions for this engine: a line is `REGEX | REASON`, or
 * `[ENGINE,...] REGEX | REASON` for a spec only those engines cannot pass.
 */
function skipList(engine: string): string[] {
  return readFileSync(join(PACKAGE_ROOT, 'test', 'e2e', 'critest-skips.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .flatMap((line) => {
      const spec = line.split(' | ')[0]?.trim() ?? '';
      const scoped = /^\[([^\]]+)\]\s+(.*)$/.exec(spec);
      if (!scoped) return [spec];
      const engines = (scoped[1] ?? '').split(',').map((e) => e.trim());
      return engines.includes(engine) ? [scoped[2] ?? ''] : [];
    })
    .filter((regex) => regex !== '');
}

/** The critest binary of this run and its version: WINCRI_CRITEST_VERSION, else the rig's main one. */
function critestOf(rig: Rig): { version: string; path: string } {
  const wanted = process.env['WINCRI_CRITEST_VERSION'] || rig.criToolsVersion;
  if (wanted === rig.criToolsVersion) return { version: wanted, path: rig.critest };
  if (rig.criToolsNext?.version === wanted) return { version: wanted, path: rig.criToolsNext.critest };
  const known = [rig.criToolsVersion, rig.criToolsNext?.version].filter(Boolean).join(', ');
  throw new Error(`WINCRI_CRITEST_VERSION=${wanted}: the rig has critest ${known}`);
}

interface CritestResult {
  passed: number;
  failed: number;
  output: string;
}

function runCritest(rig: Rig, endpoint: string, focus: string, flags: string[]): Promise<CritestResult> {
  const args = [
    `-runtime-endpoint=${endpoint}`,
    ...(focus ? [`-ginkgo.focus=${focus}`] : []),
    ...flags,
    `-ginkgo.skip=${skipList(rig.engine).join('|')}`,
    '-ginkgo.no-color',
    '-ginkgo.timeout=20m',
  ];
  return new Promise((resolve) => {
    execFile(
      critestOf(rig).path,
      args,
      { maxBuffer: 256 * 1024 * 1024, timeout: 25 * 60_000 },
      (_err, stdout, stderr) => {
        const output = stdout + stderr;
        const summary = /(\d+) Passed \| (\d+) Failed/.exec(output);
        resolve({ passed: Number(summary?.[1] ?? 0), failed: summary ? Number(summary[2]) : -1, output });
      },
    );
  });
}

let rig: Rig;
let wincri: WincriProcess;
let cniCache: string;

beforeAll(async () => {
  rig = loadRig();
  wincri = await startWincri({ dockerHost: rig.dockerHost, mirrors: rig.mirrors });
  cniCache = await mkdtemp(join(tmpdir(), 'wincri-critest-cni-'));
});
afterAll(async () => {
  await wincri?.stop();
  await rm(cniCache, { recursive: true, force: true });
});

/** A second wincri, in CNI mode on the rig's network, for the run that asks for it. */
async function wincriFor(cni: boolean | undefined): Promise<WincriProcess> {
  if (!cni) return wincri;
  await wincri.stop();
  wincri = await startWincri({
    dockerHost: rig.dockerHost,
    mirrors: rig.mirrors,
    extra: cniModeFlags({ confDir: rig.cniConfDir, binDirs: [rig.cniBinDir], cacheDir: cniCache }),
  });
  return wincri;
}

const areas = AREAS.filter((area) => !area.engines || area.engines.includes(rigEngine()));

const versionLabel = process.env['WINCRI_CRITEST_VERSION'] ? ` ${process.env['WINCRI_CRITEST_VERSION']}` : '';
describe(`critest${versionLabel} on ${rigEngine()}`, () => {
  it.each(areas)(
    '$name',
    async ({ name, focus, flags, cni }) => {
      const result = await runCritest(rig, (await wincriFor(cni)).endpoint, focus, flags);
      // The counts, for the record (docs cite them): e.g. "critest 1.37.0 on docker29: 99 passed, 0 failed".
      console.info(
        `critest ${critestOf(rig).version} on ${rig.engine} (${name}): ${result.passed} passed, ${result.failed} failed`,
      );
      const failures = result.output
        .split('\n')
        .filter((line) => line.includes('[FAIL]'))
        .join('\n');
      expect(result.failed, `critest failures:\n${failures}\n\n${result.output.slice(-4000)}`).toBe(0);
      expect(result.passed).toBeGreaterThan(0);
    },
    30 * 60_000,
  );
});
