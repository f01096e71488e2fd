import { readFileSync } from 'node:fs';
import type { DockerStatsJson } from '../../src/docker/stats-types.js';

export const FIXTURES = [
  'linux-cgroupv1',
  'linux-cgroupv1-oneshot',
  'linux-cgroupv2',
  'linux-stopped',
  'windows-process',
  'windows-hyperv',
] as const;

export type FixtureName = (typeof FIXTURES)[number];

/** A recorded or documented Docker stats body from test/fixtures/stats (its `_source` left in). */
export function fixture(name: FixtureName): DockerStatsJson {
  const url = new URL(`../fixtures/stats/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as DockerStatsJson;
}
