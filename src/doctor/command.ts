import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { Config } from '../config/config.js';
import type { DockerClient } from '../docker/client.js';
import { exitCode, formatReport, runChecks } from './checks.js';
import { nodeEnv } from './node-env.js';

/** `wincri doctor`: runs the checks, writes the report (or JSON); returns the exit code (0/1/2). */
export async function doctor(
  config: Config,
  command: { json: boolean; kubeletConfig?: string },
  docker: DockerClient,
  write: (text: string) => void,
): Promise<number> {
  const kubelet =
    command.kubeletConfig === undefined
      ? undefined
      : (parseYaml(await readFile(command.kubeletConfig, 'utf8')) as Record<string, unknown>);
  const results = await runChecks(nodeEnv(config, docker, kubelet));
  const code = exitCode(results);
  write(command.json ? `${JSON.stringify({ results, exitCode: code }, null, 2)}\n` : formatReport(results));
  return code;
}
