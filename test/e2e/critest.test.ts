import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-info.js';
import { DEFAULT_ENGINE, loadRig, rigEngine, type Rig } from '../support/rig.js';
import { startWincri, type WincriProcess } from '../support/wincri-process.js';

/**
 * critest (cri-tools v1.36.0, the upstream CRI validation suite) against wincri on the rig's
 * dockerd. Each area runs as its own ginkgo invocation; every skipped spec is listed with its
 * reason in critest-skips.txt.
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

function skipList(): string[] {
  return readFileSync(join(PACKAGE_ROOT, 'test', 'e2e', 'critest-skips.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.split(' | ')[0]?.trim() ?? '')
    .filter((regex) => regex !== '');
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
    `-ginkgo.skip=${skipList().join('|')}`,
    '-ginkgo.no-color',
    '-ginkgo.timeout=20m',
  ];
  return new Promise((resolve) => {
    execFile(
      rig.critest,
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
    extra: [
      '--network-plugin',
      'cni',
      '--cni-conf-dir',
      rig.cniConfDir,
      '--cni-bin-dir',
      rig.cniBinDir,
      '--cni-cache-dir',
      cniCache,
    ],
  });
  return wincri;
}

const areas = AREAS.filter((area) => !area.engines || area.engines.includes(rigEngine()));

describe(`critest on ${rigEngine()}`, () => {
  it.each(areas)(
    '$name',
    async ({ name, focus, flags, cni }) => {
      const result = await runCritest(rig, (await wincriFor(cni)).endpoint, focus, flags);
      // The counts, for the record (docs cite them): e.g. "critest on docker29: 99 passed, 0 failed".
      console.info(`critest on ${rig.engine} (${name}): ${result.passed} passed, ${result.failed} failed`);
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
