import type { DockerStatsJson } from '../docker/stats-types.js';
import type { TrackMeta } from './collector-options.js';
import { linuxStatsToSample } from './linux.js';
import type { StatsSample } from './sample.js';
import { windowsStatsToSample } from './windows.js';

/** Docker's JSON → a sample for the container's platform; undefined when the body has no reading. */
export function dockerStatsToSample(
  json: DockerStatsJson,
  meta: TrackMeta,
  processCount?: number,
): StatsSample | undefined {
  const options = meta.memoryLimitBytes === undefined ? {} : { memoryLimitBytes: meta.memoryLimitBytes };
  return meta.platform === 'windows'
    ? windowsStatsToSample(json, processCount === undefined ? options : { ...options, processCount })
    : linuxStatsToSample(json, options);
}
