import { readFile } from 'node:fs/promises';
import { invalidArgument } from '../../errors.js';
import type { Platform } from '../../platform/index.js';
import type { SecurityConfig } from '../../platform/contract.js';

/**
 * The localhost security profile a pod or container config names, read for the platform mapper
 * (which is pure); undefined when the config names none.
 */
export async function securityProfileJson(
  platform: Platform,
  config: SecurityConfig,
): Promise<string | undefined> {
  const file = platform.securityProfileFile(config);
  return file === undefined ? undefined : readSeccompProfile(file);
}

/** Reads a localhost seccomp profile; INVALID_ARGUMENT naming the file when it cannot be used. */
async function readSeccompProfile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw invalidArgument(`seccomp profile ${path} cannot be read: ${(err as Error).message}`, err);
  }
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (err) {
    throw invalidArgument(`seccomp profile ${path} is not JSON`, err);
  }
}
