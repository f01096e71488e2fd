/**
 * Monotonic counters for the metrics we export. Docker's cumulative numbers can go down for one
 * container id (its processes restarted in place, an interface recreated); a Prometheus COUNTER
 * that goes down reads as a reset and a scrape between the drop and a later high value loses the
 * difference. So each series keeps an offset: after a drop, the last value seen before it is added
 * to every later reading, and the exported counter only ever grows.
 *
 * State is per container (one MonotonicCounters each, owned by the collector), fed on every sample
 * rather than on every scrape, so a drop between two scrapes is still seen.
 */

import type { DiskSample, NetworkInterfaceSample, StatsSample } from './sample.js';

interface Series {
  last: bigint;
  offset: bigint;
}

export class MonotonicCounters {
  private readonly series = new Map<string, Series>();

  /** The raw reading made monotonic. An absent reading stays absent and leaves the series as it was. */
  adjust(key: string, raw: bigint | undefined): bigint | undefined {
    if (raw === undefined) return undefined;
    const s = this.series.get(key);
    if (!s) {
      this.series.set(key, { last: raw, offset: 0n });
      return raw;
    }
    if (raw < s.last) s.offset += s.last;
    s.last = raw;
    return raw + s.offset;
  }

  get size(): number {
    return this.series.size;
  }
}

const NETWORK_COUNTERS = [
  'rxBytes',
  'rxPackets',
  'rxErrors',
  'rxDropped',
  'txBytes',
  'txPackets',
  'txErrors',
  'txDropped',
] as const satisfies readonly (keyof NetworkInterfaceSample)[];
const DISK_COUNTERS = [
  'readBytes',
  'writeBytes',
  'reads',
  'writes',
] as const satisfies readonly (keyof DiskSample)[];

/** A copy of `item` with the `fields` adjusted under `prefix`; an absent field stays absent. */
function adjustFields<T extends object, K extends keyof T & string>(
  counters: MonotonicCounters,
  prefix: string,
  item: T,
  fields: readonly K[],
): T {
  const out = { ...item };
  for (const f of fields) {
    if (item[f] === undefined) continue;
    out[f] = counters.adjust(prefix + f, item[f] as bigint) as T[K];
  }
  return out;
}

/** A copy of `sample` whose cumulative fields (CPU times and throttling, page faults, OOM kills, network, disk) are monotonic. */
export function monotonicSample(counters: MonotonicCounters, sample: StatsSample): StatsSample {
  return {
    ...sample,
    cpu: adjustFields(counters, 'cpu/', sample.cpu, [
      'usageCoreNanoSeconds',
      'userNanoSeconds',
      'systemNanoSeconds',
      'cfsPeriods',
      'cfsThrottledPeriods',
      'cfsThrottledNanoSeconds',
    ]),
    memory: adjustFields(counters, 'mem/', sample.memory, ['pageFaults', 'majorPageFaults', 'oomKills']),
    network: sample.network.map((n) => adjustFields(counters, `net/${n.name}/`, n, NETWORK_COUNTERS)),
    disk: sample.disk.map((d) => adjustFields(counters, `disk/${d.device}/`, d, DISK_COUNTERS)),
  };
}
