import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/package-info.js';

/**
 * A real wincri process (the built dist/, as an operator runs it) on a temporary socket, for
 * e2e tests. `npm run build` must have run (scripts/test.sh does it).
 */
export interface WincriProcess {
  endpoint: string;
  socketPath: string;
  rootDir: string;
  process: ChildProcess;
  /** Everything the process logged so far (pino JSON lines). */
  logs(): string;
  /** SIGTERM (or `signal`), waiting for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `serve`'s flags for CNI mode: the config dir, one or more plugin dirs and, when given, the result cache. */
export function cniModeFlags(network: { confDir: string; binDirs: string[]; cacheDir?: string }): string[] {
  return [
    '--network-plugin',
    'cni',
    '--cni-conf-dir',
    network.confDir,
    ...network.binDirs.flatMap((bin) => ['--cni-bin-dir', bin]),
    ...(network.cacheDir === undefined ? [] : ['--cni-cache-dir', network.cacheDir]),
  ];
}

export async function startWincri(args: {
  dockerHost: string;
  mirrors?: string[];
  extra?: string[];
  dir?: string;
  /** Flags for node itself, before the script (benches: `--inspect=127.0.0.1:0`). */
  nodeFlags?: string[];
}): Promise<WincriProcess> {
  const dir = args.dir ?? (await mkdtemp(join(tmpdir(), 'wincri-e2e-')));
  const socketPath = join(dir, 'wincri.sock');
  const rootDir = join(dir, 'root');
  const argv = [
    ...(args.nodeFlags ?? []),
    join(PACKAGE_ROOT, 'dist', 'src', 'main.js'),
    'serve',
    '--listen',
    `unix://${socketPath}`,
    '--docker-host',
    args.dockerHost,
    '--root-dir',
    rootDir,
    '--log-level',
    'debug',
    ...(args.mirrors ?? []).flatMap((m) => ['--registry-mirror', m]),
    ...(args.extra ?? []),
  ];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await waitForSocket(socketPath, child, () => output);
  return {
    endpoint: `unix://${socketPath}`,
    socketPath,
    rootDir,
    process: child,
    logs: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      if (args.dir === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForSocket(path: string, child: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wincri exited with ${child.exitCode}:\n${logs()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(path);
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`wincri did not listen on ${path} within 20 s:\n${logs()}`);
}
