#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { loadServeConfig, parseCommand, USAGE } from './cli.js';
import type { Config } from './config/config.js';
import { imageDeps } from './cri/image/deps.js';
import { imageRpcs } from './cri/image/index.js';
import { KeyedLock } from './cri/keyed-lock.js';
import { EngineExecKiller } from './exec/engine-killer.js';
import { ContainerEventHub } from './cri/container-event-hub.js';
import { runtimeRpcs } from './cri/runtime/index.js';
import { DockerodeClient } from './docker/dockerode-client.js';
import { parseEndpoint } from './grpc/endpoint.js';
import { startCriServer, type CriServer } from './grpc/server.js';
import { inheritedListenFd } from './grpc/socket-activation.js';
import { createLogger } from './log.js';
import { PACKAGE_VERSION } from './package-info.js';
import { EngineState } from './store/engine-state.js';
import { FilesystemUsageCache } from './store/filesystem-usage.js';
import { resolveHandlerTable, runtimeHandlerNames } from './isolation/handlers.js';
import { watchEngineEvents } from './store/engine-events.js';
import { watchImageEvents } from './store/image-lookups.js';
import { recover } from './store/recover.js';
import { RuntimeStore, type ContainerRecord } from './store/runtime-store.js';
import { LogCopiers } from './logs/copiers.js';
import { enginePlatform } from './platform/index.js';
import { grantableCapabilities } from './platform/linux-security.js';
import { hostWindowsFeatures } from './platform/host-probe.js';
import { keepCollectorInStep } from './cri/stats-tracking.js';
import { CgroupFirstSource } from './stats/cgroup-source.js';
import { cgroupTargetOf } from './cri/runtime/stats-views.js';
import { StatsCollector } from './stats/collector.js';
import { WritableLayers, type LayerLocation } from './stats/writable-layers.js';
import { lockInstance } from './instance-lock.js';
import type { WincriMetrics } from './metrics/metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics/server.js';
import { containerState } from './cri/convert/container.js';
import { sandboxState } from './cri/convert/sandbox.js';
import { DockerStreamRuntime, dialPodAddress } from './streaming/docker-stream-runtime.js';
import { NetnsRelays } from './streaming/netns-relays.js';
import { StreamingServer } from './streaming/server.js';
import { join } from 'node:path';
import { startCni } from './network/cni-mode.js';

/**
 * Wiring only: config -> logger -> docker -> stores -> services -> server; signals. Long because it
 * is the start-up in order, one step after another, which reads best in one place.
 */
async function serve(config: Config, log: Logger): Promise<void> {
  // Before anything touches the engine: a second instance must not recover or copy logs.
  const instance = await lockInstance(config.rootDir, { log });
  // Built only when asked for: without it no call pays for a metric.
  // prom-client (~2 MiB of RSS) is loaded only when metrics are asked for.
  const metrics: WincriMetrics | undefined =
    config.metricsAddress === undefined
      ? undefined
      : new (await import('./metrics/metrics.js')).WincriMetrics();
  const docker = new DockerodeClient(config.dockerHost, metrics?.engine);
  const engine = new EngineState(docker, log.child({ component: 'engine' }));
  // Read beside the engine's first answer: PowerShell takes a second or two to start.
  const features = hostWindowsFeatures(config);
  await engine.start();

  const images = imageDeps(docker, config.registryMirrors, config.sandboxImage, (signal) =>
    filesystems.get(signal),
  );
  const handlerTable = resolveHandlerTable(
    engine.lastInfo?.osType ?? (process.platform === 'win32' ? 'windows' : 'linux'),
    config.runtimeHandlers,
    config.defaultRuntimeHandler,
  );
  const grantableCapabilities = await readGrantableCapabilities();
  if (grantableCapabilities)
    log.warn(
      { grantableCapabilities },
      'this host withholds capabilities: privileged containers get the grantable ones',
    );
  const overrides = { hyperVAvailable: config.hyperVAvailable, grantableCapabilities };
  const platform = enginePlatform(() => engine.lastInfo, { ...overrides, windowsFeatures: await features });
  if (engine.lastInfo?.osType === 'windows')
    log.info({ hyperV: platform().facts.hyperV }, 'Hyper-V isolation');
  const store = new RuntimeStore(docker, log.child({ component: 'store' }));
  const logs = new LogCopiers({
    docker,
    log: log.child({ component: 'logs' }),
    ...(metrics ? { observer: metrics.logs } : {}),
  });
  const cni =
    config.networkPlugin === 'cni'
      ? await startCni(
          {
            confDir: config.cniConfDir,
            binDirs: config.cniBinDirs,
            cacheDir: config.cniCacheDir,
            pluginTimeoutMs: config.cniPluginTimeoutMs,
            netnsDir: join(config.rootDir, 'netns'),
          },
          log.child({ component: 'cni' }),
        )
      : undefined;
  const recovering = recoverWhenReachable(
    engine,
    async () => {
      const report = await recover(
        docker,
        store,
        log.child({ component: 'recover' }),
        AbortSignal.timeout(120_000),
      );
      if (cni) await cni.recover(docker, store, platform().cniTarget(0).kind);
      return report;
    },
    logs,
    log,
  );
  // With the engine up, serve only once the pods are known; without it, serve at once (Status
  // says why nothing is ready) and recover as soon as the engine answers.
  if (engine.lastInfo) await recovering;
  const execKiller = new EngineExecKiller(
    docker,
    async () => (await engine.current()).info?.osType ?? 'linux',
  );
  const watching = new AbortController();
  void watchEngineEvents(docker, store, log.child({ component: 'engine-events' }), watching.signal);
  void watchImageEvents(docker, images.lookups, log.child({ component: 'image-events' }), watching.signal);

  // The stats replies' shape before the engine has answered: Linux, as nothing runs yet.
  const statsShape = () => (engine.lastInfo ? platform().statsShape : 'linux');
  const statsLog = log.child({ component: 'stats' });
  const collector = new StatsCollector({
    // A local Linux engine's containers are read from their cgroup files; the rest from the engine.
    source: new CgroupFirstSource({
      engine: docker,
      targetOf: (id) => cgroupTargetOf(store, id),
      log: statsLog,
    }),
    logger: statsLog,
    intervalMs: config.statsIntervalMs,
  });
  collector.start();
  // A walk of every writable layer (by wincri on a local overlay2 engine or containerd image store,
  // else by the engine): every sixth stats interval.
  const writableLayers = new WritableLayers({
    source: docker,
    containers: () => [...store.containers].map(layerLocation),
    intervalMs: config.statsIntervalMs * 6,
    log: statsLog,
  });
  writableLayers.start();
  const snapshotterRoot = () => writableLayers.snapshotterRoot();
  const filesystems = new FilesystemUsageCache(docker, engine, { snapshotterRoot, log: statsLog });
  // A container that starts is measured at once: its fs metrics do not wait a minute for a round.
  store.subscribe((c) => void (c.action === 'start' && writableLayers.measure(layerLocation(c.container))));
  const stopTracking = keepCollectorInStep(collector, store, statsShape, config.statsIntervalMs);
  const streaming = await startStreaming(
    config,
    docker,
    execKiller,
    statsShape,
    log.child({ component: 'streaming' }),
  );

  const runtime = runtimeRpcs({
    config,
    docker,
    engine,
    platform,
    version: PACKAGE_VERSION,
    runtimeHandlerNames: runtimeHandlerNames(handlerTable),
    runtimeSettings: { podCidr: '' },
    lifecycle: {
      store,
      events: new ContainerEventHub(store, undefined, (id) => cni?.network.podIps(id) ?? []),
      handlerTable,
      images,
      locks: new KeyedLock(),
      logs,
      execKiller,
    },
    monitoring: {
      stats: collector,
      platform: statsShape,
      writableLayers: {
        get: (id) => writableLayers.get(id),
        mountpoint: () => filesystems.mountpoint(),
      },
    },
    streaming,
    ...(cni ? { network: cni.network } : {}),
  });
  const image = imageRpcs(images);
  const server = await startCriServer(parseEndpoint(config.listen), { runtime, image }, log, {
    slowCallMs: config.slowCallMs,
    listenFd: inheritedListenFd(),
    ...(metrics ? { observeRpc: (rpc: string) => metrics.forRpc(rpc) } : {}),
  });
  let metricsServer: MetricsServer | undefined;
  if (metrics && config.metricsAddress !== undefined) {
    metrics.readFrom({
      objectsByState: () => ({
        pods: countBy(POD_STATES, [...store.sandboxes].map(sandboxState)),
        containers: countBy(
          CONTAINER_STATES,
          [...store.containers].map((c) => containerState(c.details)),
        ),
      }),
      streamingSessions: () => streaming.sessions(),
      grpcStreams: () => server.openStreams(),
      collector: () => collector.health(),
    });
    metricsServer = await startMetricsServer(
      config.metricsAddress,
      metrics.registry,
      log.child({ component: 'metrics' }),
    );
  }
  stopOnSignals(server, config.shutdownDrainMs, engine, log, async () => {
    await metricsServer?.close();
    watching.abort();
    stopTracking();
    collector.stop();
    writableLayers.stop();
    await streaming.close();
    await logs.stopAll();
    cni?.stop();
    await instance.release();
  });
}

/** The exec/attach/port-forward server: loopback unless --streaming-address says otherwise. */
async function startStreaming(
  config: Config,
  docker: DockerodeClient,
  execKiller: EngineExecKiller,
  engineOs: () => 'linux' | 'windows',
  log: Logger,
): Promise<{ close(): Promise<void>; issueUrl: StreamingServer['issueUrl']; sessions(): number }> {
  const separator = config.streamingAddress.lastIndexOf(':');
  const address = config.streamingAddress.slice(0, separator).replace(/^\[|\]$/g, '');
  const port = Number(config.streamingAddress.slice(separator + 1));
  const relays = new NetnsRelays();
  const runtime = new DockerStreamRuntime(
    docker,
    (exec) => execKiller.kill(exec, AbortSignal.timeout(10_000), log),
    (target, stream, signal) =>
      (engineOs() === 'windows' ? dialPodAddress : relays.dial)(target, stream, signal),
  );
  const tls = config.streamingTls && {
    cert: await readFile(config.streamingTls.certFile),
    key: await readFile(config.streamingTls.keyFile),
  };
  const server = await StreamingServer.start({ runtime, log, address, port, ...(tls ? { tls } : {}) });
  log.info({ address: config.streamingAddress }, 'streaming server listening');
  return {
    issueUrl: (request) => server.issueUrl(request),
    sessions: () => server.stats.sessions,
    close: async () => {
      await server.close();
      await relays.close();
    },
  };
}

/**
 * Rebuilds the store from the engine, cleans up half-made pods and resumes log copying; if the
 * engine is not reachable yet, retries until it is (the lifecycle RPCs answer UNAVAILABLE until then).
 */
async function recoverWhenReachable(
  engine: EngineState,
  recoverNow: () => ReturnType<typeof recover>,
  logs: LogCopiers,
  log: Logger,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if ((await engine.current()).ready) {
      try {
        const report = await recoverNow();
        logs.restartAll(report.logTargets);
        log.info(
          { sandboxes: report.sandboxes, containers: report.containers, removed: report.removed.length },
          'recovered pods and containers from the engine',
        );
        return;
      } catch (err) {
        log.warn({ err }, 'recovery from the engine failed; retrying');
      }
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(1_000 * 2 ** attempt, 10_000)));
    await engine.refresh();
  }
}

/**
 * SIGTERM (systemd, docker stop), SIGINT (Ctrl+C, and the Ctrl+C a Windows service wrapper sends
 * on a service stop) and SIGBREAK (Windows' Ctrl+Break) stop wincri: event streams end at once,
 * unary calls in flight get `drainMs` to finish, then the background work stops and the state
 * directory is released. A second signal while stopping is ignored: the drain is already bounded.
 */
function stopOnSignals(
  server: CriServer,
  drainMs: number,
  engine: EngineState,
  log: Logger,
  release: () => Promise<void>,
): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, drainMs }, 'shutting down');
    engine.stop();
    void server
      .close(drainMs)
      .then((report) => log.info(report, 'CRI server stopped'))
      .then(release)
      .then(() => process.exit(0));
  };
  for (const signal of ['SIGTERM', 'SIGINT', ...(process.platform === 'win32' ? ['SIGBREAK'] : [])])
    process.on(signal, stop);
}

// Every state is reported, 0 included, so a dashboard's series do not come and go.
const POD_STATES = ['SANDBOX_READY', 'SANDBOX_NOTREADY'];
const CONTAINER_STATES = ['CONTAINER_CREATED', 'CONTAINER_RUNNING', 'CONTAINER_EXITED', 'CONTAINER_UNKNOWN'];

/** Where a container's writable layer is: inspect's upper dir, or found through its running process. */
function layerLocation(c: ContainerRecord): LayerLocation {
  const { graphDriver, state } = c.details;
  return { id: c.id, upperDir: graphDriver?.upperDir, pid: state.running ? state.pid : undefined };
}

function countBy(keys: string[], values: string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(keys.map((key) => [key, 0]));
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** Linux: the capability bounding set runc will meet (the engine runs on this host); undefined when full or unknown. */
async function readGrantableCapabilities(): Promise<string[] | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    const status = await readFile('/proc/self/status', 'utf8');
    const mask = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    const last = Number((await readFile('/proc/sys/kernel/cap_last_cap', 'utf8')).trim());
    return mask === undefined || !Number.isInteger(last)
      ? undefined
      : grantableCapabilities(BigInt(`0x${mask}`), last);
  } catch {
    return undefined;
  }
}

async function main(argv: string[]): Promise<void> {
  // The doctor and service commands (with yaml, ~0.9 MiB and 72 modules) load only when run.
  if (argv[0] === 'service') {
    const { parseServiceCommand, runServiceCommand, SERVICE_USAGE } =
      await import('./service/service-command.js');
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(SERVICE_USAGE);
      return;
    }
    const service = parseServiceCommand(argv.slice(1), process.execPath);
    process.stdout.write(await runServiceCommand(service, process.platform));
    return;
  }
  const command = parseCommand(argv);
  if (command.kind === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (command.kind === 'version') {
    process.stdout.write(`wincri ${PACKAGE_VERSION} (CRI runtime API v1, Node ${process.version})\n`);
    return;
  }
  const config = await loadServeConfig(command, process.platform === 'win32' ? 'windows' : 'linux');
  if (command.kind === 'doctor') {
    const { doctor } = await import('./doctor/command.js');
    const docker = new DockerodeClient(config.dockerHost);
    process.exitCode = await doctor(config, command, docker, (text) => process.stdout.write(text));
    return;
  }
  const log = createLogger(config.logLevel, undefined, config.logFormat);
  process.on('unhandledRejection', (err) =>
    log.error({ err }, 'unhandled rejection (a bug: please report it)'),
  );
  await serve(config, log);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`wincri: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
