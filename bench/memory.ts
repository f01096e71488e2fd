/**
 * wincri's memory with no pods and at N pods (default 100), on the rig's engine, beside the floor of
 * an idle Node process in the same run. Each point is read twice: VmRSS as found (after a quiet
 * collector interval, before any inspector session), then after a full GC through the inspector
 * (bench/heap.ts), with V8's heap spaces and the CommonJS modules loaded by package. Run after
 * `npm run build`:
 *   npx tsc -p bench/tsconfig.json && node dist/bench-build/bench/memory.js [pods=100]
 * `WINCRI_NODE_FLAGS='--max-semi-space-size=2'` runs wincri under those node flags instead.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { criClient } from '../test/support/cri-client.js';
import { startWincri } from '../test/support/wincri-process.js';
import { ShimInspector } from './heap.js';
import { BUSYBOX, type BenchPod, dockerOf, f, growPods, machine, removePods, rigFacts } from './support.js';

const PODS = Number(process.argv[2] ?? 100);
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (s: string) => process.stderr.write(`[${new Date().toISOString()}] ${s}\n`);

const vmRssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

/** What the shim holds after a full GC, read from inside it. */
interface Inside {
  usage: NodeJS.MemoryUsage;
  spaces: { name: string; size: number; used: number }[];
  cjs: string[];
}
const INSIDE = `(() => {
  const v8 = process.getBuiltinModule('v8');
  const Module = process.getBuiltinModule('module');
  return JSON.stringify({
    usage: process.memoryUsage(),
    spaces: v8.getHeapSpaceStatistics().map((s) => ({ name: s.space_name, size: s.space_size, used: s.space_used_size })),
    cjs: Object.keys(Module._cache),
  });
})()`;

async function inside(inspector: ShimInspector): Promise<Inside> {
  await inspector.send('HeapProfiler.collectGarbage');
  return JSON.parse((await inspector.evaluate(INSIDE)) as string) as Inside;
}

/** CommonJS modules loaded, counted by package (node_modules/<pkg>), most first. */
function byPackage(files: string[]): string {
  const counts = new Map<string, number>();
  for (const file of files) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? '(wincri)';
    counts.set(pkg, (counts.get(pkg) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([pkg, n]) => `${pkg} ${n}`)
    .join(', ');
}

function report(label: string, rssFound: number, rssGc: number, held: Inside): void {
  const u = held.usage;
  console.log(`\n## ${label}\n`);
  console.log(`- VmRSS as found ${f(rssFound, 1)} MiB; after a full GC ${f(rssGc, 1)} MiB`);
  console.log(
    `- JS heap used ${f(u.heapUsed / MiB, 1)} of ${f(u.heapTotal / MiB, 1)} MiB; external ${f(u.external / MiB, 1)} MiB (ArrayBuffers ${f(u.arrayBuffers / MiB, 1)})`,
  );
  console.log(
    `- V8 spaces (size/used MiB): ${held.spaces.map((s) => `${s.name} ${f(s.size / MiB, 1)}/${f(s.used / MiB, 1)}`).join(', ')}`,
  );
  console.log(`- CommonJS modules loaded: ${held.cjs.length} (${byPackage(held.cjs)})`);
}

const rig = rigFacts();
const docker = dockerOf(rig.dockerHost);
const dir = await mkdtemp(join(tmpdir(), 'wincri-bench-memory-'));
console.log(`# wincri memory, 0 and ${PODS} pods; ${machine()}`);
console.log(`engine already held ${(await docker.listContainers({ all: true })).length} containers`);

// The floor: what an idle Node process of the same binary holds on this machine.
const floor = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
await sleep(3_000);
const floorRss = vmRssMiB(floor.pid!);
floor.kill();
console.log(`idle \`node -e 'setInterval(() => {}, 1000)'\`: VmRSS ${f(floorRss, 1)} MiB`);

const wincri = await startWincri({
  dockerHost: rig.dockerHost,
  mirrors: rig.mirrors,
  extra: ['--log-level', 'info'],
  nodeFlags: [
    '--inspect=127.0.0.1:0',
    ...(process.env['WINCRI_NODE_FLAGS'] ?? '').split(' ').filter(Boolean),
  ],
});
const pid = wincri.process.pid!;
const cri = criClient(wincri.endpoint);
const made: BenchPod[] = [];
let inspector: ShimInspector | undefined;
try {
  await sleep(12_000); // one collector interval with nothing to do
  const idleFound = vmRssMiB(pid);
  inspector = await ShimInspector.attach(wincri);
  const idle = await inside(inspector);
  const idleGc = vmRssMiB(pid);
  report('no pods (no RPC served yet)', idleFound, idleGc, idle);

  await cri.call('image', 'PullImage', { image: { image: BUSYBOX } });
  progress(`making ${PODS} pods`);
  await growPods(cri, dir, made, PODS);
  progress(`${made.length} pods running`);
  await sleep(12_000);
  const fullFound = vmRssMiB(pid);
  const full = await inside(inspector);
  const fullGc = vmRssMiB(pid);
  report(`${made.length} pods`, fullFound, fullGc, full);
  console.log(
    `\n**VmRSS idle ${f(idleFound, 1)} MiB as found (${f(idleGc, 1)} after a GC); ` +
      `${made.length} pods ${f(fullFound, 1)} as found (${f(fullGc, 1)} after a GC): ` +
      `+${f(fullFound - idleFound, 1)} MiB as found, +${f(fullGc - idleGc, 1)} after a GC**`,
  );
} finally {
  progress('removing the pods');
  await removePods(docker, cri, made);
  cri.close();
  inspector?.close();
  await wincri.stop();
  await rm(dir, { recursive: true, force: true });
}
