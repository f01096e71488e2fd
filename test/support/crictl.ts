import { execFile } from 'node:child_process';

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
