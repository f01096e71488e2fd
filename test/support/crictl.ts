import { execFile, spawn } from 'node:child_process';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs crictl against an endpoint; never throws for a non-zero exit (tests assert on it). */
export function crictl(
  binary: string,
  endpoint: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      binary,
      ['--runtime-endpoint', endpoint, '--image-endpoint', endpoint, '--timeout', '30s', ...args],
      {
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, CRI_CONFIG_FILE: '/dev/null' },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export interface PortForward {
  /** The local port crictl listens on (the one asked for, or the one it picked for `0:`). */
  localPort: number;
  stop(): void;
}

/**
 * Starts `crictl port-forward POD LOCAL:REMOTE` and resolves once it listens (it prints
 * "Forwarding from 127.0.0.1:<port>"); `localPort` 0 lets crictl pick one.
 */
export function startPortForward(
  binary: string,
  endpoint: string,
  podId: string,
  ports: { local: number; remote: number },
  transport?: 'spdy' | 'websocket',
): Promise<PortForward> {
  const child = spawn(
    binary,
    [
      '--runtime-endpoint',
      endpoint,
      'port-forward',
      ...(transport ? ['--transport', transport] : []),
      podId,
      `${ports.local}:${ports.remote}`,
    ],
    { env: { ...process.env, CRI_CONFIG_FILE: '/dev/null' } },
  );
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      reject(new Error(`crictl port-forward did not start within 20 s: ${text}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const listening = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(text);
      if (!listening) return;
      clearTimeout(timer);
      resolve({ localPort: Number(listening[1]), stop: () => child.kill('SIGINT') });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
}

/**
 * Runs a crictl command that never ends by itself (`stats --watch`), interrupts it after `ms` as a
 * person's Ctrl+C would (SIGINT; crictl then exits 0), and returns what it printed by then.
 */
export function crictlFor(
  binary: string,
  endpoint: string,
  args: string[],
  ms: number,
): Promise<CommandResult> {
  const child = spawn(
    binary,
    ['--runtime-endpoint', endpoint, '--image-endpoint', endpoint, '--timeout', '30s', ...args],
    { env: { ...process.env, CRI_CONFIG_FILE: '/dev/null' } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const interrupt = setTimeout(() => child.kill('SIGINT'), ms);
  // One that ignores the interrupt is ended all the same, and the test sees a non-zero code.
  const kill = setTimeout(() => child.kill('SIGKILL'), ms + 10_000);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(interrupt);
      clearTimeout(kill);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}
