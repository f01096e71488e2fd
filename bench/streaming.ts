/**
 * Streaming throughput: 64 MiB through `crictl exec -i` (SPDY and WebSocket) beside
 * `docker exec -i`, and through `crictl port-forward` beside a direct TCP connection to the pod IP,
 * interleaved, 3 repetitions each (bench/README.md). Run after `npm run build`:
 *   npx tsc -p bench/tsconfig.json && node dist/bench-build/bench/streaming.js [reps=3]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cleanup,
  ctrConfig,
  dockerOf,
  f,
  machine,
  podConfig,
  rigFacts,
  startShim,
  summarize,
} from './support.js';
import { startPortForward } from '../test/support/crictl.js';

const REPS = Number(process.argv[2] ?? 3);
const SIZE = 64 * 1024 * 1024;
const DOCKER = '/usr/bin/docker'; // the 20.10 client, as the rig's engine
const rig = rigFacts();
const docker = dockerOf(rig.dockerHost);
const dir = await mkdtemp(join(tmpdir(), 'wincri-bench-streaming-'));
const { wincri, cri } = await startShim(rig);
const payload = Buffer.alloc(SIZE, 'x');
const progress = (s: string) => process.stderr.write(`[${new Date().toISOString()}] ${s}\n`);

/** Runs a command with `input` on stdin; resolves with wall ms once it exits, checking its stdout. */
function pipeThrough(cmd: string, args: string[], input: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: { ...process.env, CRI_CONFIG_FILE: '/dev/null' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0 || stdout.trim() !== String(input.length)) {
        reject(
          new Error(
            `${cmd} ${args.join(' ')}: code ${code}, stdout ${stdout.trim()}, stderr ${stderr.slice(-300)}`,
          ),
        );
      } else resolve(ms);
    });
    child.stdin.end(input);
  });
}

/** GET /blob, counting bytes; resolves with ms from request to the last byte. */
function download(host: string, port: number, path = '/blob', size = SIZE): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let n = 0;
    get({ host, port, path, agent: false }, (res) => {
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () =>
        n === size
          ? resolve(performance.now() - t0)
          : reject(new Error(`got ${n} bytes from ${host}:${port}`)),
      );
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function portForward(
  podId: string,
  localPort: number,
  transport: 'spdy' | 'websocket',
): Promise<() => void> {
  const forward = await startPortForward(
    rig.crictl,
    wincri.endpoint,
    podId,
    { local: localPort, remote: 9000 },
    transport,
  );
  return () => forward.stop();
}

const stops: (() => void)[] = [];
try {
  const sandbox_config = podConfig('stream', dir);
  const { pod_sandbox_id: podId } = await cri.call<{ pod_sandbox_id: string }>('runtime', 'RunPodSandbox', {
    config: sandbox_config,
  });
  const web = ctrConfig('web', [
    'sh',
    '-c',
    'mkdir -p /www && dd if=/dev/zero of=/www/blob bs=1M count=64 2>/dev/null && echo x > /www/small && httpd -f -p 9000 -h /www',
  ]);
  const { container_id: ctrId } = await cri.call<{ container_id: string }>('runtime', 'CreateContainer', {
    pod_sandbox_id: podId,
    config: web,
    sandbox_config,
  });
  await cri.call('runtime', 'StartContainer', { container_id: ctrId });
  const status = await cri.call<{ status: { network: { ip: string } } }>('runtime', 'PodSandboxStatus', {
    pod_sandbox_id: podId,
  });
  const podIp = status.status.network.ip;
  const engineId = (await docker.getContainer(ctrId).inspect()).Id; // CRI ids are engine ids
  for (let i = 0; ; i++) {
    try {
      await download(podIp, 9000);
      break;
    } catch (err) {
      if (i > 50) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  stops.push(await portForward(podId, 19090, 'spdy'));
  stops.push(await portForward(podId, 19091, 'websocket'));
  await download('127.0.0.1', 19090); // warm both forwards
  await download('127.0.0.1', 19091);

  const crictlExec = (transport: string, input: Buffer) => () =>
    pipeThrough(
      rig.crictl,
      [
        '--runtime-endpoint',
        wincri.endpoint,
        '--timeout',
        '60s',
        'exec',
        '-i',
        '--transport',
        transport,
        ctrId,
        'wc',
        '-c',
      ],
      input,
    );
  const dockerExec = (input: Buffer) => () =>
    pipeThrough(DOCKER, ['-H', rig.dockerHost, 'exec', '-i', engineId, 'wc', '-c'], input);
  const empty = Buffer.alloc(0);
  const cases: [string, () => Promise<number>, boolean][] = [
    ['crictl exec -i (spdy), 64 MiB stdin → wc -c', crictlExec('spdy', payload), true],
    ['crictl exec -i (websocket), 64 MiB stdin → wc -c', crictlExec('websocket', payload), true],
    ['docker exec -i, 64 MiB stdin → wc -c (baseline)', dockerExec(payload), true],
    ['crictl port-forward (spdy), GET 64 MiB', () => download('127.0.0.1', 19090), true],
    ['crictl port-forward (websocket), GET 64 MiB', () => download('127.0.0.1', 19091), true],
    ['direct TCP to pod IP, GET 64 MiB (baseline)', () => download(podIp, 9000), true],
    [
      'crictl port-forward (spdy), GET 2 bytes (fixed cost per connection)',
      () => download('127.0.0.1', 19090, '/small', 2),
      false,
    ],
    [
      'direct TCP to pod IP, GET 2 bytes (fixed cost per connection)',
      () => download(podIp, 9000, '/small', 2),
      false,
    ],
    ['crictl exec -i (spdy), empty stdin (fixed cost)', crictlExec('spdy', empty), false],
    ['docker exec -i, empty stdin (fixed cost)', dockerExec(empty), false],
  ];
  const ms = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (let r = 0; r < REPS; r++) {
    for (const [name, run] of cases) ms.get(name)!.push(await run());
    progress(`rep ${r + 1} done`);
  }
  console.log(`# streaming, ${REPS} reps each, interleaved; ${machine()}\n`);
  console.log('| what | mean ms | min ms | max ms | MB/s (64 MiB / mean) |\n|---|---|---|---|---|');
  for (const [name, , bulk] of cases) {
    const s = summarize(ms.get(name)!);
    console.log(
      `| ${name} | ${f(s.mean, 0)} | ${f(s.min, 0)} | ${f(s.max, 0)} | ${bulk ? f(SIZE / 1e6 / (s.mean / 1000), 1) : '-'} |`,
    );
  }
  const mean = (name: string) => summarize(ms.get(name)!).mean;
  const [a, b, c, d, e, g] = cases.map(([name]) => mean(name));
  console.log(
    `\nratios (time, >1 = slower than the baseline): exec spdy ${f(a! / c!)}x, exec websocket ${f(b! / c!)}x, ` +
      `port-forward spdy ${f(d! / g!)}x, port-forward websocket ${f(e! / g!)}x`,
  );
} finally {
  for (const stop of stops) stop();
  await cleanup(docker, cri);
  cri.close();
  await wincri.stop();
  await rm(dir, { recursive: true, force: true });
}
