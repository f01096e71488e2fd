import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crictlFor } from '../support/crictl.js';
import { BUSYBOX, CrictlPods } from '../support/crictl-pods.js';
import { loadRig, type Rig } from '../support/rig.js';
import { startWincri, type WincriProcess } from '../support/wincri-process.js';

/**
 * crictl's table mode (`crictl stats`, `crictl statsp`) with the collector at its default 10 s
 * interval: crictl samples twice a second apart and refuses an unchanged CPU timestamp, so wincri
 * must refresh the samples a request asks for (src/stats/collector.ts, "Fresh on request").
 */
let rig: Rig;
let wincri: WincriProcess;
let pods: CrictlPods;
let spin = '';
let podId = '';

beforeAll(async () => {
  rig = loadRig();
  wincri = await startWincri({ dockerHost: rig.dockerHost, mirrors: rig.mirrors });
  pods = new CrictlPods(rig.crictl, () => wincri.endpoint);
  expect((await pods.run('pull', BUSYBOX)).code).toBe(0);
  const pod = await pods.pod('table', { labels: { app: 'spinner' } });
  podId = pod.id;
  spin = await pods.container(pod, 'spin', ['sh', '-c', 'while :; do :; done']);
  await new Promise((r) => setTimeout(r, 1500));
});
afterAll(async () => {
  await pods?.cleanup();
  await wincri?.stop();
});

/** The CPU % column of the row naming `id` (a 13-character prefix in crictl's tables). */
function cpuOf(table: string, id: string): number {
  const row = table.split('\n').find((line) => line.includes(id.slice(0, 13)));
  const percent = row?.split(/\s+/).find((cell) => /^\d+(\.\d+)?$/.test(cell));
  return Number(percent ?? Number.NaN);
}

describe('crictl stats tables at the default collector interval', () => {
  it.each([[[]], [['--id', 'SPIN']], [['--pod', 'POD']]])(
    'crictl stats %j shows the spinner busy',
    async (args) => {
      const out = await pods.run(
        'stats',
        ...args.map((a) => (a === 'SPIN' ? spin : a === 'POD' ? podId : a)),
      );
      expect(out.stderr).not.toMatch(/not updated during sample/);
      expect(out.code, out.stderr).toBe(0);
      // Near one core on a quiet machine; the shared CI machine leaves it less, never none.
      expect(cpuOf(out.stdout, spin)).toBeGreaterThan(30);
    },
  );

  it('crictl statsp (and --label) shows the pod busy', async () => {
    for (const args of [[], ['--label', 'app=spinner']]) {
      const out = await pods.run('statsp', ...args);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toMatch(/table-/);
    }
  });
});

describe('crictl stats --watch', () => {
  it('prints a table again and again for 4 s, each showing the spinner busy, until interrupted', async () => {
    // crictl draws a table at its 500 ms tick once the 1 s sample before it is done (so one about
    // every 1.5 s on this machine), and runs until Ctrl+C: 4 s gives two tables or more.
    const out = await crictlFor(rig.crictl, wincri.endpoint, ['stats', '--watch', '--id', spin], 4_000);
    expect(out.stderr).not.toMatch(/not updated during sample/);
    expect(out.code, out.stderr).toBe(0);
    // Each redraw clears the screen first (ESC[2J ESC[H), then prints the header and the rows.
    const tables = out.stdout.split('\x1b[2J').filter((t) => /CONTAINER\s+NAME\s+CPU %/.test(t));
    expect(tables.length, out.stdout).toBeGreaterThanOrEqual(2);
    for (const table of tables) expect(cpuOf(table, spin), table).toBeGreaterThan(30);
  });
});
