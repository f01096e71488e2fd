/**
 * The duel with containerd: the same pods, through the same CRI client, in one run, on wincri over
 * Docker 29 (containerd image store), wincri over Docker 20.10, and containerd 2's own CRI
 * (scripts/rig/containerd-cri.sh: the same containerd v2.4.2 and runc v1.4.4 as Docker 29). N pods
 * are made one after another (RunPodSandbox + CreateContainer + StartContainer), the runtimes taking
 * turns pod by pod in a rotating order; then each stack's memory at N pods; then the pods are
 * removed one after another (StopPodSandbox + RemovePodSandbox), taking turns the same way.
 * Run after `npm run build`, as root:
 *   npx tsc -p bench/tsconfig.json && node dist/bench-build/bench/duel.js [pods=50] [rounds=1]
 * `WINCRI_DUEL=docker29,containerd` picks the runtimes (default docker29,docker20,containerd,
 * docker29-direct: the last is no runtime but the engine's floor, the same pod made straight on
 * Docker 29's API; it needs wincri docker29 before it, which pulls the images). `docker29-cni` adds
 * wincri on Docker 29 in CNI mode, with the plugin chain containerd's CRI runs here (bridge +
 * host-local, portmap, loopback) on the rig's CNI bridge.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { criClient, type CriClient } from '../test/support/cri-client.js';
import { engineDockerHost } from '../test/support/rig.js';
import { cniModeFlags, startWincri, type WincriProcess } from '../test/support/wincri-process.js';
import {
  BUSYBOX,
  HEADER,
  cleanup,
  ctrConfig,
  directApp,
  directSandbox,
  removeRunPods,
  dockerOf,
  f,
  machine,
  podConfig,
  rigFacts,
  row,
  summarize,
  timed,
} from './support.js';

const PODS = Number(process.argv[2] ?? 50);
const ROUNDS = Number(process.argv[3] ?? 1);
const WARMUP = 2;
const MiB = 1024;
const progress = (s: string) => process.stderr.write(`[${new Date().toISOString()}] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where each stack's daemons record their pids, and the containerd its shims talk to. */
const STACKS = {
  docker29: {
    daemons: {
      dockerd: '/run/wincri-rig/docker29/docker29.pid',
      containerd: '/run/wincri-rig/docker29/containerd.pid',
    },
    shims: { address: '/run/wincri-rig/docker29/containerd/containerd.sock', namespace: 'docker29' },
  },
  docker20: {
    daemons: { dockerd: '/run/wincri-rig/docker.pid', containerd: '/run/wincri-rig/containerd.pid' },
    shims: { address: '/run/wincri-rig/containerd/containerd.sock', namespace: 'moby' },
  },
  containerd: {
    daemons: { containerd: '/run/wincri-rig/ref-containerd24/containerd.pid' },
    shims: { address: '/run/wincri-rig/ref-containerd24/containerd.sock', namespace: 'k8s.io' },
  },
} as const;
type StackName = keyof typeof STACKS;

interface Contender {
  name: string;
  stack: StackName;
  wincri?: WincriProcess;
  /** RunPodSandbox + CreateContainer + StartContainer (or their engine calls), timed each. */
  makePod(name: string): Promise<{ pod: string; t: Partial<PodTimes> }>;
  /** StopPodSandbox + RemovePodSandbox (or their engine calls), timed each. */
  removePod(pod: string): Promise<Partial<PodTimes>>;
  /** Removes whatever this run left (pods through CRI, then engine containers by name). */
  cleanup(): Promise<void>;
  close(): void;
  /** Engine containers this contender made beside a runtime on the same engine (not its memory). */
  extraIds?: () => Set<string>;
}

interface PodTimes {
  RunPodSandbox: number;
  CreateContainer: number;
  StartContainer: number;
  start: number;
  StopPodSandbox: number;
  RemovePodSandbox: number;
  remove: number;
}
type Step = keyof PodTimes;
const STEPS: Step[] = [
  'RunPodSandbox',
  'CreateContainer',
  'StartContainer',
  'start',
  'StopPodSandbox',
  'RemovePodSandbox',
  'remove',
];

const rig = rigFacts();
const RIG_SCRIPTS = join(import.meta.dirname, '../../../scripts/rig');
const dir = await mkdtemp(join(tmpdir(), 'wincri-bench-duel-'));
const RUNTIMES = ['docker29', 'docker20', 'containerd', 'docker29-direct', 'docker29-cni'] as const;
type Runtime = (typeof RUNTIMES)[number];
const DEFAULT_RUNTIMES: Runtime[] = ['docker29', 'docker20', 'containerd', 'docker29-direct'];
const wanted = (process.env['WINCRI_DUEL'] ?? DEFAULT_RUNTIMES.join(',')).split(',') as Runtime[];
for (const w of wanted) if (!RUNTIMES.includes(w)) throw new Error(`WINCRI_DUEL: unknown runtime ${w}`);

/**
 * wincri's CNI flags, with a network of the same plugins as containerd's CRI here
 * (scripts/rig/containerd-cri.sh: bridge + host-local, portmap, loopback; no bandwidth) on the rig's
 * CNI bridge and subnet (scripts/rig/cni.sh), so the two differ in the runtime only.
 */
async function cniFlags(): Promise<string[]> {
  const confDir = join(dir, 'cni', 'net.d');
  const mtu = Number(
    execFileSync('bash', ['-c', `. ${RIG_SCRIPTS}/lib.sh && rig_uplink_mtu`], { encoding: 'utf8' }),
  );
  await mkdir(confDir, { recursive: true });
  const bridge = {
    type: 'bridge',
    bridge: 'wincricni0',
    isGateway: true,
    ipMasq: true,
    hairpinMode: true,
    mtu,
    ipam: {
      type: 'host-local',
      ranges: [[{ subnet: '10.213.77.0/24' }]],
      routes: [{ dst: '0.0.0.0/0' }],
      dataDir: join(dir, 'cni', 'ipam'),
    },
  };
  const plugins = [bridge, { type: 'portmap', capabilities: { portMappings: true } }, { type: 'loopback' }];
  const conflist = { cniVersion: '1.0.0', name: 'wincri-duel', plugins };
  await writeFile(join(confDir, '10-wincri-duel.conflist'), JSON.stringify(conflist));
  return cniModeFlags({ confDir, binDirs: ['/usr/lib/cni'], cacheDir: join(dir, 'cni', 'cache') });
}

async function wincriOn(
  engine: 'docker29' | 'docker20',
  mode: 'engine' | 'cni' = 'engine',
): Promise<Contender> {
  const dockerHost = engineDockerHost(engine);
  const docker = dockerOf(dockerHost);
  const network = mode === 'cni' ? await cniFlags() : [];
  // The production default log level: debug would log every polled read and skew the figures.
  const wincri = await startWincri({
    dockerHost,
    mirrors: rig.mirrors,
    extra: ['--log-level', 'info', ...network],
  });
  const cri = criClient(wincri.endpoint);
  await cri.call('image', 'PullImage', { image: { image: BUSYBOX } });
  const others = (await docker.listContainers({ all: true })).length;
  progress(
    `wincri on ${engine}, ${mode} networking (${dockerHost}); the engine already held ${others} containers`,
  );
  const name = mode === 'cni' ? `wincri ${engine} CNI` : `wincri ${engine}`;
  return {
    name,
    stack: engine,
    wincri,
    // Pod names apart from the engine-mode wincri's on the same engine: the engine's names are unique.
    ...criPods(cri, join(dir, name.replace(/ /g, '-')), mode === 'cni' ? 'cni-' : ''),
    cleanup: () => cleanup(docker, cri),
  };
}

async function containerdCri(): Promise<Contender> {
  const script = join(RIG_SCRIPTS, 'containerd-cri.sh');
  const endpoint = execFileSync('bash', [script, 'start'], { encoding: 'utf8' }).trim();
  const cri = criClient(endpoint);
  await cri.call('image', 'PullImage', { image: { image: BUSYBOX } });
  progress(`containerd CRI on ${endpoint}`);
  return {
    name: 'containerd CRI',
    stack: 'containerd',
    ...criPods(cri, join(dir, 'containerd')),
    cleanup: () => removeRunPods(cri),
  };
}

const startTimes = (run: number, create: number, start: number): Partial<PodTimes> => ({
  RunPodSandbox: run,
  CreateContainer: create,
  StartContainer: start,
  start: run + create + start,
});
const removeTimes = (stop: number, remove: number): Partial<PodTimes> => ({
  StopPodSandbox: stop,
  RemovePodSandbox: remove,
  remove: stop + remove,
});

/** A pod through a CRI runtime: the RPCs a kubelet makes, each timed. */
function criPods(
  cri: CriClient,
  logDir: string,
  namePrefix = '',
): Pick<Contender, 'makePod' | 'removePod' | 'close'> {
  return {
    async makePod(name) {
      const sandbox_config = podConfig(namePrefix + name, logDir);
      const [pod, run] = await timed(() =>
        cri.call<{ pod_sandbox_id: string }>('runtime', 'RunPodSandbox', { config: sandbox_config }),
      );
      const [ctr, create] = await timed(() =>
        cri.call<{ container_id: string }>('runtime', 'CreateContainer', {
          pod_sandbox_id: pod.pod_sandbox_id,
          config: ctrConfig('app'),
          sandbox_config,
        }),
      );
      const [, start] = await timed(() =>
        cri.call('runtime', 'StartContainer', { container_id: ctr.container_id }),
      );
      return {
        pod: pod.pod_sandbox_id,
        t: startTimes(run, create, start),
      };
    },
    async removePod(pod) {
      const [, stop] = await timed(() => cri.call('runtime', 'StopPodSandbox', { pod_sandbox_id: pod }));
      const [, remove] = await timed(() => cri.call('runtime', 'RemovePodSandbox', { pod_sandbox_id: pod }));
      return removeTimes(stop, remove);
    },
    close: () => cri.close(),
  };
}

/**
 * The engine's floor under wincri on Docker 29: the same pod as the fewest Docker API calls that
 * make it (pause create + start, app create, app start; both stopped at once, then removed), with
 * no CRI in between. wincri cannot start or remove a pod faster than its engine does this.
 */
function dockerDirect(): Contender {
  const docker = dockerOf(engineDockerHost('docker29'));
  const made = new Map<string, string>();
  return {
    name: 'docker29 API direct',
    stack: 'docker29',
    async makePod(name) {
      const [pause, run] = await timed(() => directSandbox(docker, name));
      const [app, create] = await timed(() => directApp(docker, name, pause.id));
      const [, start] = await timed(() => app.start());
      made.set(pause.id, app.id);
      return {
        pod: pause.id,
        t: startTimes(run, create, start),
      };
    },
    async removePod(pod) {
      const ids = [made.get(pod)!, pod];
      const [, stop] = await timed(() =>
        Promise.all(ids.map((id) => docker.getContainer(id).stop({ t: 0 }))),
      );
      const [, remove] = await timed(async () => {
        for (const id of ids) await docker.getContainer(id).remove();
      });
      return removeTimes(stop, remove);
    },
    cleanup: () => cleanup(docker),
    close: () => undefined,
    extraIds: () => new Set([...made].flat()),
  };
}

/** The runtimes in turn, the first one moving along by one each pod, so none always goes first. */
const turn = <T>(items: T[], i: number): T[] => items.map((_, k) => items[(i + k) % items.length]!);

function statusKiB(pid: number, field: 'VmRSS'): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}
function pssKiB(pid: number): number {
  return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1]);
}
const pidOf = (file: string) => Number(readFileSync(file, 'utf8').trim());

/** The runc shims of one containerd (and namespace), but those of `skip`: their count and summed PSS. */
function shims(stack: StackName, skip: Set<string>): { count: number; pss: number } {
  const { address, namespace } = STACKS[stack].shims;
  let count = 0;
  let pss = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!args[0]?.endsWith('containerd-shim-runc-v2')) continue;
    const arg = (flag: string) => args[args.indexOf(flag) + 1];
    if (arg('-address') !== address || arg('-namespace') !== namespace || skip.has(arg('-id') ?? ''))
      continue;
    count++;
    pss += pssKiB(Number(entry));
  }
  return { count, pss };
}

function memoryReport(contenders: Contender[], skip: Set<string>): void {
  console.log(`\n## Memory at ${PODS} pods (MiB; RSS of each process, PSS summed over the shims)\n`);
  console.log(
    '| runtime | CRI process RSS | engine daemons RSS | shims (count, PSS) | stack PSS |\n|---|---|---|---|---|',
  );
  for (const c of contenders) {
    const daemons = Object.entries(STACKS[c.stack].daemons).map(([name, file]) => {
      const pid = pidOf(file);
      return { name, rss: statusKiB(pid, 'VmRSS'), pss: pssKiB(pid) };
    });
    const s = shims(c.stack, skip);
    const wincriPid = c.wincri?.process.pid;
    const criRss = wincriPid
      ? statusKiB(wincriPid, 'VmRSS')
      : (daemons.find((d) => d.name === 'containerd')?.rss ?? NaN);
    const stackPss = (wincriPid ? pssKiB(wincriPid) : 0) + daemons.reduce((a, d) => a + d.pss, 0) + s.pss;
    console.log(
      `| ${c.name} | ${f(criRss / MiB, 1)} ${wincriPid ? '(wincri)' : '(containerd)'} | ${daemons.map((d) => `${d.name} ${f(d.rss / MiB, 1)}`).join(', ')} | ${s.count}, ${f(s.pss / MiB, 1)} | ${f(stackPss / MiB, 1)} |`,
    );
  }
}

const contenders: Contender[] = [];
const times = new Map<string, Record<Step, number[]>>();
try {
  for (const w of wanted) {
    contenders.push(
      w === 'containerd'
        ? await containerdCri()
        : w === 'docker29-direct'
          ? dockerDirect()
          : w === 'docker29-cni'
            ? await wincriOn('docker29', 'cni')
            : await wincriOn(w),
    );
  }
  for (const c of contenders) {
    times.set(c.name, Object.fromEntries(STEPS.map((s) => [s, []])) as unknown as Record<Step, number[]>);
    for (let i = 0; i < WARMUP; i++) {
      const { pod } = await c.makePod(`warm${i}`);
      await c.removePod(pod);
    }
  }
  const record = (c: Contender, t: Partial<PodTimes>) => {
    const into = times.get(c.name)!;
    for (const [s, ms] of Object.entries(t)) into[s as Step].push(ms);
  };
  for (let round = 0; round < ROUNDS; round++) {
    const pods = new Map<string, string[]>(contenders.map((c) => [c.name, []]));
    progress(`round ${round + 1}/${ROUNDS}: making ${PODS} pods on each runtime`);
    for (let i = 0; i < PODS; i++) {
      for (const c of turn(contenders, i)) {
        const { pod, t } = await c.makePod(`duel${round}-${i}`);
        pods.get(c.name)!.push(pod);
        record(c, t);
      }
    }
    if (round === 0) {
      await sleep(2000);
      const beside = new Set(contenders.flatMap((c) => [...(c.extraIds?.() ?? [])]));
      memoryReport(
        contenders.filter((c) => c.wincri || c.stack === 'containerd'),
        beside,
      );
    }
    progress(`round ${round + 1}/${ROUNDS}: removing them`);
    for (let i = 0; i < PODS; i++) {
      for (const c of turn(contenders, i)) record(c, await c.removePod(pods.get(c.name)![i]!));
    }
  }

  console.log(`\n# duel: ${PODS} pods one after another × ${ROUNDS}, runtimes in turn; ${machine()}\n`);
  console.log(HEADER);
  for (const s of STEPS)
    for (const c of contenders) console.log(row(`${c.name} ${s}`, summarize(times.get(c.name)![s])));
  const base = contenders.find((c) => c.stack === 'containerd');
  if (base) {
    console.log(
      '\n| runtime | pod start / containerd (mean, p50) | removal / containerd (mean, p50) |\n|---|---|---|',
    );
    const b = times.get(base.name)!;
    for (const c of contenders.filter((c) => c !== base)) {
      const a = times.get(c.name)!;
      const ratio = (s: Step) => {
        const x = summarize(a[s]);
        const y = summarize(b[s]);
        return `${f(x.mean / y.mean)}× (${f(x.mean, 0)} / ${f(y.mean, 0)} ms), ${f(x.p50 / y.p50)}×`;
      };
      console.log(`| ${c.name} | ${ratio('start')} | ${ratio('remove')} |`);
    }
  }
} finally {
  for (const c of contenders) {
    await c.cleanup().catch((err: unknown) => progress(`cleanup of ${c.name}: ${String(err)}`));
    c.close();
    await c.wincri?.stop();
  }
  await rm(dir, { recursive: true, force: true });
}
