/**
 * The one place wincri asks the host itself about Windows features (at start, and in `doctor`):
 * Windows PowerShell's `Get-CimInstance` over `Win32_OptionalFeature` (src/platform/windows-features.ts).
 * Called by its full path under %SystemRoot%, never through PATH, since wincri runs as SYSTEM.
 */
import { execFile } from 'node:child_process';
import {
  readWindowsFeatures,
  whyFeaturesUnread,
  type RunProgram,
  type WindowsFeatures,
} from './windows-features.js';

/** PowerShell's cold start on Server Core takes seconds; a hung WMI must not hold wincri's start. */
const QUERY_MS = 20_000;

export const runProgram: RunProgram = (file, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, windowsHide: true, maxBuffer: 1 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const said = stderr.trim().slice(0, 300);
        const why = err.killed ? `no answer within ${timeoutMs} ms` : (err.message.split('\n')[0] ?? '');
        reject(new Error(said ? `${why}: ${said}` : why));
      },
    );
  });

export function powershellPath(env: NodeJS.ProcessEnv): string {
  return `${env['SystemRoot'] ?? 'C:\\Windows'}\\System32\\WindowsPowerShell\\v1.0\\powershell.exe`;
}

/**
 * The engine host's feature table when wincri must find Hyper-V (no config override) and runs on
 * that host; else why not (a string), or undefined when the config decides.
 */
export async function hostWindowsFeatures(
  config: { hyperVAvailable?: boolean | undefined; dockerHost: string },
  host: { platform: string; env: NodeJS.ProcessEnv; run: RunProgram } = {
    platform: process.platform,
    env: process.env,
    run: runProgram,
  },
): Promise<WindowsFeatures | string | undefined> {
  if (config.hyperVAvailable !== undefined) return undefined;
  const unread = whyFeaturesUnread(host.platform, config.dockerHost);
  if (unread) return unread;
  const features = await readWindowsFeatures(host.run, powershellPath(host.env), QUERY_MS);
  return features instanceof Error ? features.message : features;
}
