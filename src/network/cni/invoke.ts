import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/**
 * Running one plugin binary the way libcni's pkg/invoke does: the network config on stdin, the
 * CNI_* variables in the environment (the runtime's own environment otherwise, with any CNI_*
 * of ours removed), the result or an error object on stdout. Two things libcni leaves to the
 * context and we make explicit: a plugin that outlives its timeout is killed (its whole process
 * group, since plugins fork helpers such as iptables), and so is one whose caller gave up.
 */

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'STATUS' | 'GC' | 'VERSION';

export interface PluginCall {
  readonly command: CniCommand;
  readonly containerId?: string;
  readonly netns?: string;
  readonly ifName?: string;
  /** CNI_ARGS pairs, joined as `K=V;K=V`. */
  readonly args?: ReadonlyArray<readonly [string, string]>;
  /** The bin dirs, for CNI_PATH (a plugin may call others, e.g. an IPAM plugin). */
  readonly path: readonly string[];
  readonly stdin: string;
}

export interface ExecOutcome {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Why a plugin did not answer (as opposed to answering with an error). */
export class PluginExecError extends Error {
  override readonly name = 'PluginExecError';
  constructor(
    readonly reason: 'timeout' | 'cancelled' | 'spawn',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The error object of CNI spec 1.1 ("Error"), as the plugin wrote it or as we made it. */
export interface CniErrorObject {
  readonly code: number;
  readonly msg: string;
  readonly details?: string;
}

/** Well-known error codes of the spec, for messages. */
const ERROR_CODE_NAMES: Record<number, string> = {
  1: 'incompatible CNI version',
  2: 'unsupported field in network configuration',
  3: 'container unknown or does not exist',
  4: 'invalid necessary environment variables',
  5: 'I/O failure',
  6: 'failed to decode content',
  7: 'invalid network config',
  11: 'try again later',
  50: 'plugin not available',
  51: 'plugin not available, existing containers may be damaged',
};

export const describeErrorCode = (code: number): string =>
  ERROR_CODE_NAMES[code] === undefined ? `CNI code ${code}` : `CNI code ${code}: ${ERROR_CODE_NAMES[code]}`;

/** Where libcni's FindInPath looks: each dir in order, `.exe` added on Windows. */
export async function findPlugin(
  type: string,
  binDirs: readonly string[],
  windows = process.platform === 'win32',
): Promise<string | undefined> {
  const names = windows && !type.toLowerCase().endsWith('.exe') ? [`${type}.exe`, type] : [type];
  for (const dir of binDirs) {
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        if ((await stat(candidate)).isFile()) return candidate;
      } catch {
        // not in this dir
      }
    }
  }
  return undefined;
}

export function pluginEnv(call: PluginCall, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) if (!key.startsWith('CNI_')) env[key] = value;
  env.CNI_COMMAND = call.command;
  env.CNI_CONTAINERID = call.containerId ?? '';
  env.CNI_NETNS = call.netns ?? '';
  env.CNI_IFNAME = call.ifName ?? '';
  env.CNI_ARGS = (call.args ?? []).map(([k, v]) => `${k}=${v}`).join(';');
  env.CNI_PATH = call.path.join(delimiter);
  return env;
}

/** More than any real result; a plugin writing more is broken. */
const OUTPUT_CAP = 4 * 1024 * 1024;
/** libcni retries "text file busy" (a plugin binary still being written) five times, 1 s apart. */
const BUSY_RETRIES = 5;

export interface ExecOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly busyRetryDelayMs?: number;
}

/** Runs a plugin binary once; resolves with its exit code and output, whatever they are. */
export async function execPlugin(path: string, call: PluginCall, options: ExecOptions): Promise<ExecOutcome> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await execOnce(path, call, options);
    } catch (err) {
      const busy =
        err instanceof PluginExecError &&
        (err.cause as NodeJS.ErrnoException | undefined)?.code === 'ETXTBSY';
      if (!busy || attempt >= BUSY_RETRIES) throw err;
      await new Promise((r) => setTimeout(r, options.busyRetryDelayMs ?? 1000));
    }
  }
}

function execOnce(path: string, call: PluginCall, options: ExecOptions): Promise<ExecOutcome> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new PluginExecError('cancelled', `the call was cancelled before ${call.command} started`));
      return;
    }
    const groupKill = process.platform !== 'win32';
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(path, [], {
        env: pluginEnv(call),
        stdio: ['pipe', 'pipe', 'pipe'],
        // Its own process group, so that a kill reaches what the plugin started too.
        detached: groupKill,
        windowsHide: true,
      });
    } catch (err) {
      reject(new PluginExecError('spawn', `cannot run ${path}: ${(err as Error).message}`, { cause: err }));
      return;
    }
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    let failure: PluginExecError | undefined;
    const kill = (why: PluginExecError) => {
      failure ??= why;
      try {
        if (groupKill && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // already gone
      }
    };
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > OUTPUT_CAP)
        kill(new PluginExecError('spawn', `${path} wrote more than ${OUTPUT_CAP} bytes`));
      else into.push(chunk);
    };
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));
    const timer = setTimeout(
      () =>
        kill(
          new PluginExecError(
            'timeout',
            `${path} did not finish ${call.command} within ${options.timeoutMs} ms and was killed`,
          ),
        ),
      options.timeoutMs,
    );
    const onAbort = () =>
      kill(
        new PluginExecError('cancelled', `the call was cancelled during ${call.command}; ${path} was killed`),
      );
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (err) => {
      done();
      reject(new PluginExecError('spawn', `cannot run ${path}: ${err.message}`, { cause: err }));
    });
    child.on('close', (exitCode) => {
      done();
      if (failure) reject(failure);
      else
        resolve({
          exitCode,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        });
    });
    // A plugin may exit without reading its stdin; that is not our error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(call.stdin);
  });
}

/**
 * The error a failed plugin reported, as libcni's pluginErr reads it: its stdout's error object,
 * else its stderr, else just the exit status.
 */
export function pluginErrorObject(outcome: ExecOutcome): CniErrorObject {
  const out = outcome.stdout.trim();
  const status = `exit status ${outcome.exitCode ?? 'unknown (killed by a signal)'}`;
  if (out === '') {
    const err = outcome.stderr.trim();
    return {
      code: 999,
      msg: err === '' ? `failed with no error message (${status})` : `failed (${status}): ${err}`,
    };
  }
  try {
    const parsed = JSON.parse(out) as Record<string, unknown>;
    if (typeof parsed.msg === 'string') {
      return {
        code: typeof parsed.code === 'number' ? parsed.code : 999,
        msg: parsed.msg,
        ...(typeof parsed.details === 'string' && parsed.details !== '' ? { details: parsed.details } : {}),
      };
    }
  } catch {
    // not JSON: fall through
  }
  return {
    code: 999,
    msg: `failed (${status}) and its error output is not a CNI error object: ${out.slice(0, 500)}`,
  };
}
