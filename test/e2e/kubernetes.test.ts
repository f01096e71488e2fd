import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appliedLimits,
  apply,
  clusterDown,
  clusterRestart,
  clusterUp,
  criJson,
  engine,
  eventually,
  getJson,
  kubectl,
  kubectlOk,
  kubectlStream,
  podContainers,
  run,
  type Cluster,
} from '../support/cluster.js';

/**
 * A stock kubelet over wincri, driven through a real API server with kubectl
 * (scripts/rig/cluster.sh: etcd, kube-apiserver, controller-manager, scheduler, kubelet, all built
 * from the Go module proxy). Each Kubernetes release in WINCRI_CLUSTER_VERSIONS gets its own
 * cluster (default: the current release only, as CI runs it; scripts/rig/lib.sh says why); the
 * engine is a private dockerd of the cluster's own unless WINCRI_CLUSTER_ENGINE=rig.
 * WINCRI_CLUSTER_ENGINE=containerd runs the same tests on containerd's own CRI instead of wincri,
 * as a check of the tests themselves; the few that are about wincri alone are skipped there.
 */
const VERSIONS = (process.env['WINCRI_CLUSTER_VERSIONS'] ?? 'v1.37.2').split(',').filter(Boolean);
const ON_CONTAINERD = process.env['WINCRI_CLUSTER_ENGINE'] === 'containerd';
const RUNTIME = ON_CONTAINERD ? 'containerd' : 'wincri';
const BUSYBOX = 'registry.k8s.io/e2e-test-images/busybox:1.29-2';
const NGINX = 'registry.k8s.io/e2e-test-images/nginx:1.14-2';
const PAUSE = 'registry.k8s.io/pause:3.10';
const NS = 'default';

interface Pod {
  metadata: { name: string; uid: string; labels?: Record<string, string> };
  status: {
    phase: string;
    qosClass?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: ContainerStatus[];
  };
}

interface ContainerStatus {
  name: string;
  containerID?: string;
  restartCount: number;
  ready: boolean;
  state: { running?: object; waiting?: { reason?: string }; terminated?: { exitCode: number } };
  lastState: { terminated?: { exitCode: number } };
}

/** A pod that stops fast (SIGKILL after 1 s) so the tests do not wait on graceful stops. */
function pod(name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { test: 'wincri', ...labels } },
    spec: { terminationGracePeriodSeconds: 1, ...spec },
  };
}

const sleeper = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  image: BUSYBOX,
  command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'],
  ...extra,
});

// The lines a container wrote, read from its kubelet log directory oldest file first
// ("0.log.<time>.gz", "0.log.<time>", then the live "0.log"): the `seq N` numbers in order, and
// whether its last line, `done`, is there yet.
async function loggedLines(logDir: string): Promise<{ seqs: number[]; done: boolean }> {
  const files = (await readdir(logDir)).sort();
  const ordered = [...files.filter((f) => f !== '0.log'), ...files.filter((f) => f === '0.log')];
  const seqs: number[] = [];
  let done = false;
  for (const f of ordered) {
    const raw = await readFile(join(logDir, f));
    const text = f.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    for (const line of text.split('\n')) {
      const m = / stdout F seq (\d+) /.exec(line);
      if (m) seqs.push(Number(m[1]));
      if (/ stdout F done$/.test(line)) done = true;
    }
  }
  return { seqs, done };
}

const fileSizes = async (dir: string): Promise<string> => {
  const names = (await readdir(dir)).sort();
  const sizes = await Promise.all(names.map(async (n) => `${n}:${(await stat(join(dir, n))).size}`));
  return sizes.join(',');
};

describe.each(VERSIONS)(`a kubelet %s over ${RUNTIME}`, (version) => {
  let c: Cluster;
  let dir: string;

  const getPod = (name: string) => getJson<Pod>(c, ['pod', name, '-n', NS]);
  const podEvents = (name: string) =>
    kubectlOk(c, ['get', 'events', '-n', NS, '--field-selector', `involvedObject.name=${name}`]);
  const waitReady = async (...names: string[]) => {
    await kubectlOk(c, [
      'wait',
      '-n',
      NS,
      '--for=condition=Ready',
      '--timeout=180s',
      ...names.map((n) => `pod/${n}`),
    ]);
  };
  // A kubelet that just started answers "pod does not exist" for streams until it synced the pod,
  // while the API server still shows the pod Ready from before.
  const kubeletKnows = async (...names: string[]) => {
    for (const name of names) {
      await eventually(`the kubelet serving ${name}`, async () => {
        const r = await kubectl(c, ['exec', '-n', NS, name, '--', 'true']);
        return r.code === 0 ? true : undefined;
      });
    }
  };
  const containerId = (s: ContainerStatus | undefined): string => {
    const id = s?.containerID ?? '';
    return id.slice(id.indexOf('://') + 3);
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wincri-k8s-'));
    c = await clusterUp({ version, featureGates: '', kubeletExtra: '' });
    expect(c.version).toBe(version);
  }, 60 * 60_000);

  afterAll(async () => {
    await clusterDown();
    await rm(dir, { recursive: true, force: true });
  }, 300_000);

  it('registers the node with wincri as its runtime and the release asked for', async () => {
    const node = await getJson<{ status: { nodeInfo: Record<string, string> } }>(c, ['node', c.node]);
    expect(node.status.nodeInfo['kubeletVersion']).toBe(version);
    expect(node.status.nodeInfo['containerRuntimeVersion']).toMatch(new RegExp(`^${RUNTIME}://`));
  });

  it('runs a Deployment, and deleting it removes its pods and their containers from the engine', async () => {
    await apply(c, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'web',
                image: NGINX,
                readinessProbe: { httpGet: { port: 80, path: '/' }, periodSeconds: 2 },
              },
            ],
          },
        },
      },
    });
    await kubectlOk(c, ['rollout', 'status', '-n', NS, 'deployment/web', '--timeout=240s']);
    const pods = await getJson<{ items: Pod[] }>(c, ['pods', '-n', NS, '-l', 'app=web']);
    expect(pods.items).toHaveLength(2);
    const uids = pods.items.map((p) => p.metadata.uid);
    for (const uid of uids) {
      const running = (await podContainers(c, uid)).filter((x) => x.state === 'running');
      expect(running).toHaveLength(2); // the sandbox and the web server
    }
    await kubectlOk(c, ['delete', '-n', NS, 'deployment/web', '--wait=true']);
    await eventually('the deployment pods gone', async () => {
      const left = await getJson<{ items: Pod[] }>(c, ['pods', '-n', NS, '-l', 'app=web']);
      return left.items.length === 0 ? true : undefined;
    });
    await eventually('their containers removed from the engine', async () => {
      for (const uid of uids) if ((await podContainers(c, uid)).length > 0) return undefined;
      return true;
    });
  });

  it('lets two containers of a pod talk over localhost', async () => {
    await apply(
      c,
      pod('duo', {
        containers: [
          { name: 'server', image: NGINX },
          sleeper('client', {
            command: ['sh', '-c', 'until wget -qO- http://127.0.0.1:80/; do sleep 1; done; exec sleep 3600'],
          }),
        ],
      }),
    );
    await waitReady('duo');
    await eventually('the client read the page over localhost', async () => {
      const r = await kubectl(c, ['logs', '-n', NS, 'duo', '-c', 'client']);
      return r.stdout.includes('Welcome to nginx') ? true : undefined;
    });
  });

  describe('streaming and logs', () => {
    beforeAll(async () => {
      await apply(
        c,
        pod('talker', {
          containers: [
            sleeper('talker', {
              command: [
                'sh',
                '-c',
                'for i in 1 2 3 4 5; do echo line-$i; done; while true; do echo tick-$(date +%s); sleep 1; done',
              ],
            }),
          ],
        }),
        pod('web', { containers: [{ name: 'web', image: NGINX }] }),
        pod('echoer', {
          containers: [
            {
              name: 'echoer',
              image: BUSYBOX,
              stdin: true,
              command: ['sh', '-c', 'while read l; do echo got-$l; done'],
            },
          ],
        }),
      );
      await waitReady('talker', 'web', 'echoer');
    });

    it('kubectl logs, logs -f', async () => {
      const logs = await kubectlOk(c, ['logs', '-n', NS, 'talker']);
      for (let i = 1; i <= 5; i++) expect(logs).toContain(`line-${i}\n`);
      const follow = kubectlStream(c, ['logs', '-f', '-n', NS, 'talker', '--since=1s']);
      try {
        // Two ticks written after the stream opened: -f follows the file as it grows.
        await follow.waitFor(/tick-\d+\n(.|\n)*tick-\d+\n/, 30_000);
      } finally {
        follow.stop();
      }
    });

    it('kubectl attach -i', async () => {
      const attach = kubectlStream(c, ['attach', '-i', '-n', NS, 'echoer', '-c', 'echoer']);
      try {
        // attach may open its streams a moment after it starts: write until the echo comes back.
        const writer = setInterval(() => attach.child.stdin?.write('ping\n'), 500);
        try {
          await attach.waitFor(/got-ping/, 30_000);
        } finally {
          clearInterval(writer);
        }
      } finally {
        attach.stop();
      }
    });

    const streamingThroughApiServer = () => {
      it('kubectl exec keeps exit codes and both outputs; exec -i passes stdin', async () => {
        const r = await kubectl(c, [
          'exec',
          '-n',
          NS,
          'talker',
          '--',
          'sh',
          '-c',
          'echo out; echo err >&2; exit 7',
        ]);
        expect(r.code).toBe(7);
        expect(r.stdout).toBe('out\n');
        expect(r.stderr).toContain('err\n');
        const cat = await kubectl(c, ['exec', '-i', '-n', NS, 'talker', '--', 'cat'], 'hello stdin\n');
        expect(cat).toMatchObject({ code: 0, stdout: 'hello stdin\n' });
      });

      it('kubectl exec -it gets a terminal', async () => {
        const inner = [c.kubectl, '--kubeconfig', c.kubeconfig, 'exec', '-it', '-n', NS, 'talker', '--'];
        const cmd = `${inner.join(' ')} sh -c 'tty; echo $((6*7)); exit 3'`;
        // script(1) gives kubectl a pseudo-terminal of its own, as a person's shell would.
        const r = await run('script', ['-qec', cmd, '/dev/null'], { input: '' });
        expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
        expect(r.stdout).toContain('42');
        expect(r.code).toBe(3);
      });

      it('kubectl port-forward reaches the pod', async () => {
        const pf = kubectlStream(c, ['port-forward', '-n', NS, 'pod/web', '0:80']);
        try {
          const out = await pf.waitFor(/Forwarding from 127\.0\.0\.1:(\d+)/);
          const port = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)![1]);
          for (let i = 0; i < 3; i++) {
            const res = await fetch(`http://127.0.0.1:${port}/`);
            expect(res.status).toBe(200);
            expect(await res.text()).toContain('Welcome to nginx');
          }
        } finally {
          pf.stop();
        }
      });

      it('kubectl cp copies both ways', async () => {
        const payload = randomBytes(256 * 1024).toString('base64');
        const up = join(dir, 'up.txt');
        const down = join(dir, 'down.txt');
        await writeFile(up, payload);
        await kubectlOk(c, ['cp', up, `${NS}/talker:/tmp/up.txt`, '-c', 'talker']);
        await rm(down, { force: true });
        await kubectlOk(c, ['cp', `${NS}/talker:/tmp/up.txt`, down, '-c', 'talker']);
        expect(await readFile(down, 'utf8')).toBe(payload);
      });
    };

    describe('ExtendWebSocketsToKubelet on (the default)', streamingThroughApiServer);

    describe('ExtendWebSocketsToKubelet off', () => {
      beforeAll(async () => {
        await clusterRestart('apiserver', { featureGates: 'ExtendWebSocketsToKubelet=false' });
        await clusterRestart('kubelet');
        await kubeletKnows('talker', 'web');
      });
      afterAll(async () => {
        await clusterRestart('apiserver', { featureGates: '' });
        await clusterRestart('kubelet');
      });
      streamingThroughApiServer();
    });

    it('rotates logs at containerLogMaxSize without losing or repeating a line', async () => {
      const lines = 2500;
      // ~210-byte lines at ~40 KiB/s: several rotations at 20 KiB, checked every 3 s.
      await apply(
        c,
        pod('spammer', {
          containers: [
            sleeper('spammer', {
              command: [
                'sh',
                '-c',
                `pad=$(head -c 200 /dev/zero | tr '\\0' x); i=0; while [ $i -lt ${lines} ]; do i=$((i+1)); ` +
                  `echo "seq $i $pad"; [ $((i % 40)) = 0 ] && sleep 0.2; done; echo done; exec sleep 3600`,
              ],
            }),
          ],
        }),
      );
      const p = await eventually('spammer running', async () => {
        const got = await getPod('spammer');
        return got.status.phase === 'Running' ? got : undefined;
      });
      const logDir = join(c.podLogsDir, `${NS}_spammer_${p.metadata.uid}`, 'spammer');
      // Wait on the files, not on `kubectl logs --tail=1`: that reads only the live 0.log, which
      // is empty for good when a rotation lands just after the last line. Then read them once
      // they stand still over one rotation check (3 s), so no rename or compression falls
      // between reading one file and the next.
      await eventually(
        'the writer done',
        async () => ((await loggedLines(logDir)).done ? true : undefined),
        150_000,
      );
      const seen = await eventually('the log files settled', async () => {
        const before = await fileSizes(logDir);
        await new Promise((r) => setTimeout(r, 3500));
        const { seqs, done } = await loggedLines(logDir);
        return done && before === (await fileSizes(logDir)) ? seqs : undefined;
      });
      expect(seen.at(-1)).toBe(lines);
      // Contiguous from the oldest kept line to the last: nothing lost, nothing twice.
      const first = seen[0]!;
      expect(seen).toEqual(Array.from({ length: lines - first + 1 }, (_, i) => first + i));
      await kubectlOk(c, ['delete', 'pod', '-n', NS, 'spammer', '--wait=false']);
    });
  });

  it('runs exec and HTTP probes: ready through HTTP, restarted when the exec liveness probe fails', async () => {
    await apply(
      c,
      pod('probed', {
        containers: [
          {
            name: 'web',
            image: NGINX,
            lifecycle: { postStart: { exec: { command: ['touch', '/tmp/alive'] } } },
            readinessProbe: { httpGet: { port: 80, path: '/' }, periodSeconds: 2 },
            livenessProbe: {
              exec: { command: ['cat', '/tmp/alive'] },
              initialDelaySeconds: 2,
              periodSeconds: 2,
              failureThreshold: 1,
            },
          },
        ],
      }),
    );
    await waitReady('probed');
    expect((await getPod('probed')).status.containerStatuses?.[0]?.restartCount).toBe(0);
    await kubectlOk(c, ['exec', '-n', NS, 'probed', '--', 'rm', '/tmp/alive']);
    await eventually('a restart by the liveness probe', async () => {
      const s = (await getPod('probed')).status.containerStatuses?.[0];
      return s && s.restartCount >= 1 ? true : undefined;
    });
    await waitReady('probed');
    const events = await podEvents('probed');
    expect(events).toMatch(/Liveness probe failed/);
  });

  it('restarts a crashing container with back-off and shows its exit code', async () => {
    // Watched, not polled: since the kubelet requeues a pod in back-off only when the back-off
    // ends, it reports `waiting: CrashLoopBackOff` from that sync until the restarted attempt
    // exits again (under a second here), and `terminated` (kubectl's "Error") for the rest of
    // the back-off. A watch sees every status the kubelet writes; a poll misses most of them.
    const watch = kubectlStream(c, [
      'get',
      'pods',
      '-n',
      NS,
      '--field-selector=metadata.name=crash',
      '--watch',
      '--no-headers',
      '-o',
      'custom-columns=RESTARTS:.status.containerStatuses[0].restartCount,' +
        'WAITING:.status.containerStatuses[0].state.waiting.reason,' +
        'LAST_EXIT:.status.containerStatuses[0].lastState.terminated.exitCode',
    ]);
    try {
      await apply(
        c,
        pod('crash', {
          restartPolicy: 'Always',
          containers: [sleeper('boom', { command: ['sh', '-c', 'echo attempt-$(date +%s); exit 3'] })],
        }),
      );
      // restartCount ≥ 2, waiting in CrashLoopBackOff, the attempt before it exited 3.
      await watch.waitFor(/^([2-9]|\d\d+)\s+CrashLoopBackOff\s+3\s*$/m, 180_000);
    } finally {
      watch.stop();
    }
    const describe_ = await kubectlOk(c, ['describe', 'pod', '-n', NS, 'crash']);
    expect(describe_).toMatch(/Exit Code:\s+3/);
    expect(describe_).toMatch(/Back-off restarting failed container/);
    // The kubelet answers --previous from the pod status it last reported while its container GC
    // keeps one dead attempt: just after a further attempt exits, the reported one may be gone.
    const previous = await eventually('logs --previous', async () => {
      // A gone attempt reads "unable to retrieve container logs for ..." with exit code 0.
      const r = await kubectl(c, ['logs', '-n', NS, 'crash', '--previous']);
      return /^attempt-\d+\n$/.test(r.stdout) ? r.stdout : undefined;
    });
    expect(previous).toMatch(/^attempt-\d+\n$/);
    await kubectlOk(c, ['delete', 'pod', '-n', NS, 'crash', '--wait=true']);
  }, 300_000);

  it('gives Guaranteed, Burstable and BestEffort pods their cgroups and limits in the engine', async () => {
    const mib = 1024 * 1024;
    await apply(
      c,
      pod('guaranteed', {
        containers: [
          sleeper('c', {
            resources: { limits: { cpu: '200m', memory: '64Mi' }, requests: { cpu: '200m', memory: '64Mi' } },
          }),
        ],
      }),
      pod('burstable', {
        containers: [
          sleeper('c', {
            resources: { requests: { cpu: '100m', memory: '32Mi' }, limits: { memory: '96Mi' } },
          }),
        ],
      }),
      pod('besteffort', { containers: [sleeper('c')] }),
    );
    await waitReady('guaranteed', 'burstable', 'besteffort');
    const facts = async (name: string) => {
      const p = await getPod(name);
      const applied = await appliedLimits(c, containerId(p.status.containerStatuses?.[0]));
      return { qos: p.status.qosClass, uid: p.metadata.uid, applied };
    };
    const g = await facts('guaranteed');
    expect(g.qos).toBe('Guaranteed');
    expect(g.applied).toMatchObject({ memory: 64 * mib, cpuQuota: 20000, cpuPeriod: 100000, cpuShares: 204 });
    expect(g.applied.cgroupParent).toBe(`${c.cgroupRoot}/kubepods/pod${g.uid}`);
    // The kubelet asks -997; a host that refuses a negative score gets 0 (clamped and logged).
    expect(g.applied.oomScoreAdj).toBeLessThanOrEqual(0);
    const b = await facts('burstable');
    expect(b.qos).toBe('Burstable');
    expect(b.applied).toMatchObject({ memory: 96 * mib, cpuShares: 102 });
    expect(b.applied.cgroupParent).toBe(`${c.cgroupRoot}/kubepods/burstable/pod${b.uid}`);
    expect(b.applied.oomScoreAdj).toBeGreaterThan(1);
    expect(b.applied.oomScoreAdj).toBeLessThan(1000);
    const e = await facts('besteffort');
    expect(e.qos).toBe('BestEffort');
    expect(e.applied).toMatchObject({ memory: 0, cpuShares: 2 });
    expect(e.applied.cgroupParent).toBe(`${c.cgroupRoot}/kubepods/besteffort/pod${e.uid}`);
    expect(e.applied.oomScoreAdj).toBe(1000);
  });

  it('serves /stats/summary with the pods’ CPU, memory, root and log filesystems', async () => {
    await apply(
      c,
      pod('spinner', { containers: [sleeper('spin', { command: ['sh', '-c', 'while :; do :; done'] })] }),
    );
    await waitReady('spinner');
    interface Summary {
      node: { cpu?: { usageNanoCores?: number }; memory?: { workingSetBytes?: number } };
      pods: {
        podRef: { name: string };
        cpu?: { usageNanoCores?: number };
        memory?: { workingSetBytes?: number };
        containers?: { name: string; rootfs?: { usedBytes?: number }; logs?: { usedBytes?: number } }[];
      }[];
    }
    const spinner = await eventually(
      'the spinner using CPU in /stats/summary',
      async () => {
        const s = JSON.parse(
          await kubectlOk(c, ['get', '--raw', `/api/v1/nodes/${c.node}/proxy/stats/summary`]),
        ) as Summary;
        const p = s.pods.find((x) => x.podRef.name === 'spinner');
        const c0 = p?.containers?.find((x) => x.name === 'spin');
        const complete =
          p &&
          (p.cpu?.usageNanoCores ?? 0) > 5e7 &&
          p.memory?.workingSetBytes !== undefined &&
          c0?.rootfs?.usedBytes !== undefined &&
          c0.logs?.usedBytes !== undefined;
        return complete ? { s, p } : undefined;
      },
      60_000,
      2000,
    );
    expect(spinner.p.memory?.workingSetBytes).toBeGreaterThan(0);
    const container = spinner.p.containers?.find((x) => x.name === 'spin');
    expect(container?.rootfs?.usedBytes).toBeGreaterThanOrEqual(0);
    expect(container?.logs?.usedBytes).toBeGreaterThanOrEqual(0);
    expect(spinner.s.node.cpu?.usageNanoCores).toBeGreaterThan(0);
    expect(spinner.s.node.memory?.workingSetBytes).toBeGreaterThan(0);
    await kubectlOk(c, ['delete', 'pod', '-n', NS, 'spinner', '--wait=true']);
  });

  describe('restarts under running pods lose nothing and duplicate nothing', () => {
    /** Every running pod's containers in the engine, and the pods' restart counts. */
    const snapshot = async () => {
      const pods = await getJson<{ items: Pod[] }>(c, ['pods', '-n', NS]);
      const engineIds: string[] = [];
      const restarts: Record<string, number> = {};
      for (const p of pods.items) {
        for (const x of await podContainers(c, p.metadata.uid)) engineIds.push(`${x.id} ${x.state}`);
        for (const s of p.status.containerStatuses ?? [])
          restarts[`${p.metadata.name}/${s.name}`] = s.restartCount;
      }
      return {
        pods: pods.items.map((p) => `${p.metadata.name} ${p.status.phase}`).sort(),
        engineIds: engineIds.sort(),
        restarts,
      };
    };

    beforeAll(async () => {
      // Pods that restart by design (or were left by a failed test) change on their own.
      await kubectl(c, [
        'delete',
        'pods',
        '-n',
        NS,
        'crash',
        'spinner',
        'probed',
        '--ignore-not-found',
        '--wait=true',
      ]);
      await kubeletKnows('talker', 'web');
    });

    const survives = async (part: 'kubelet' | 'wincri') => {
      const before = await snapshot();
      expect(before.pods.length).toBeGreaterThan(3);
      await clusterRestart(part);
      await kubeletKnows('talker');
      // Long enough for the kubelet to relist and sync every pod a few times.
      await new Promise((r) => setTimeout(r, 20_000));
      const after = await snapshot();
      expect(after).toEqual(before);
    };

    it('a kubelet restart', () => survives('kubelet'));
    it('a wincri restart', async (ctx) => {
      if (c.engine === 'containerd') ctx.skip();
      await survives('wincri');
    });
  });

  describe('with EventedPLEG=true', () => {
    // A kubelet with evented PLEG opens wincri's GetContainerEvents stream. 1.37 uses it to
    // relist a pod as soon as one of its containers stops; 1.36 builds the pod's status from
    // PodSandboxStatus' container list, newest attempt first.
    const kubeletMetric = async (name: string): Promise<number> => {
      const text = await kubectlOk(c, ['get', '--raw', `/api/v1/nodes/${c.node}/proxy/metrics`]);
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : Number.NaN;
    };

    beforeAll(async () => {
      await clusterRestart('kubelet', { featureGates: 'EventedPLEG=true' });
    }, 300_000);
    afterAll(async () => {
      await kubectl(c, ['delete', 'pod', '-n', NS, 'evented-crash', '--wait=false']);
      await clusterRestart('kubelet', { featureGates: '' });
    }, 300_000);

    it('the kubelet holds the event stream and the events it gets are fresh', async () => {
      const latency = 'kubelet_evented_pleg_connection_latency_seconds';
      // Only this pod's events: containerd queues events from before the kubelet connected and
      // delivers them on connection, so the histogram's start holds old ones there.
      const count0 = await kubeletMetric(`${latency}_count`);
      const sum0 = await kubeletMetric(`${latency}_sum`);
      await apply(
        c,
        pod('evented-once', {
          restartPolicy: 'Never',
          containers: [sleeper('once', { command: ['sh', '-c', 'sleep 2; exit 7'] })],
        }),
      );
      const s = await eventually('the container terminated', async () => {
        const cs = (await getPod('evented-once')).status.containerStatuses?.[0];
        return cs?.state.terminated ? cs : undefined;
      });
      expect(s.state.terminated?.exitCode).toBe(7);
      expect(await kubeletMetric('kubelet_evented_pleg_connection_success_count')).toBeGreaterThanOrEqual(1);
      expect(await kubeletMetric('kubelet_evented_pleg_connection_error_count')).toBe(0);
      // The kubelet observes now minus each event's created_at (nanoseconds): a wrong unit or
      // clock would read as seconds to years.
      const count = (await kubeletMetric(`${latency}_count`)) - count0;
      const sum = (await kubeletMetric(`${latency}_sum`)) - sum0;
      expect(count).toBeGreaterThanOrEqual(3); // created, started, stopped at least
      expect(sum / count).toBeGreaterThanOrEqual(0);
      expect(sum / count).toBeLessThan(1);
      await kubectlOk(c, ['delete', 'pod', '-n', NS, 'evented-once', '--wait=false']);
    });

    it('a crash loop restarts with back-off and never reuses an attempt', async () => {
      await apply(
        c,
        pod('evented-crash', {
          restartPolicy: 'Always',
          containers: [sleeper('boom', { command: ['sh', '-c', 'exit 3'] })],
        }),
      );
      await eventually(
        'three restarts',
        async () => {
          const cs = (await getPod('evented-crash')).status.containerStatuses?.[0];
          return cs && cs.restartCount >= 3 ? cs : undefined;
        },
        180_000,
      );
      const events = await podEvents('evented-crash');
      expect(events).toMatch(/Back-off restarting failed container/);
      expect(events).not.toMatch(/AlreadyExists|CreateContainerError|already exists/);
    }, 240_000);
  });

  it('image garbage collection removes unused images and keeps the pinned pause image', async () => {
    await kubectlOk(c, ['delete', 'pods', '--all', '-n', NS, '--wait=true', '--timeout=120s']);
    // On wincri, what the engine itself holds; on containerd, what its CRI lists.
    const sandboxesLeft = async () =>
      c.dockerHost
        ? (await engine(c, ['ps', '-aq', '--filter', 'label=io.wincri.kind'])).stdout.trim()
        : (await criJson<{ items: { id: string }[] }>(c, ['pods'])).items.map((p) => p.id).join(' ');
    const images = async () =>
      c.dockerHost
        ? (await engine(c, ['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout
        : (await criJson<{ images: { repoTags: string[] }[] }>(c, ['images'])).images
            .flatMap((i) => i.repoTags)
            .join('\n');
    await eventually('no sandbox left', async () => ((await sandboxesLeft()) === '' ? true : undefined));
    expect(await images()).toContain(BUSYBOX);
    // The periodic image GC runs every 5 minutes (its first run, at start, fails while the stats
    // warm up); the eviction manager checks every 10 s. Asked to keep 99 % of the disk free, it
    // reclaims at once: unused containers, then every unused image (DeleteUnusedImages).
    // imageMinimumGCAge 1s, not 0s: a zero is defaulted to 2 minutes.
    const extra = join(dir, 'gc.yaml');
    await writeFile(
      extra,
      'evictionHard: {nodefs.available: 99%, imagefs.available: 99%}\nevictionPressureTransitionPeriod: 1s\nimageMinimumGCAge: 1s\n',
    );
    await clusterRestart('kubelet', { kubeletExtra: extra });
    try {
      await eventually('unused images removed', async () => {
        const now = await images();
        return !now.includes(BUSYBOX) && !now.includes(NGINX) ? now : undefined;
      });
      expect(await images()).toContain(PAUSE);
    } finally {
      await clusterRestart('kubelet', { kubeletExtra: '' });
    }
  }, 300_000);
});
