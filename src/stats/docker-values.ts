/**
 * Reading Docker's stats values into domain values, shared by the Linux and Windows mappers:
 * RFC 3339 nanosecond times to bigint Unix nanoseconds, and JSON numbers to bigint counters.
 */

import type { DockerNetworkStats } from '../docker/stats-types.js';
import { compareNames, type CpuPoint, type NetworkInterfaceSample } from './sample.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Unix nanoseconds of an RFC 3339 time with up to 9 fraction digits (Date keeps only milliseconds).
 * Undefined for a missing or malformed value and for Go's zero time (year 1), which Docker sends
 * for "no reading" (a stopped container, or `preread` of a one-shot call).
 */
export function parseDockerTime(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = m;
  if (Number(year) < 1970) return undefined;
  const ms = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
  if (!Number.isFinite(ms)) return undefined;
  let ns = BigInt(ms) * 1_000_000n + BigInt(fraction.padEnd(9, '0'));
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1n : 1n;
    const offsetMinutes = BigInt(Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    ns -= sign * offsetMinutes * 60_000_000_000n;
  }
  return ns > 0n ? ns : undefined;
}

/** A non-negative integer counter as bigint; undefined for anything else (absent, NaN, negative). */
export function toBigInt(value: number | undefined | null): bigint | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return undefined;
  return BigInt(Math.trunc(value));
}

/** `toBigInt`, but a 0 counts as "not reported" (Docker's `omitempty` fields and Windows' unfilled ones). */
export function toBigIntNonZero(value: number | undefined | null): bigint | undefined {
  const v = toBigInt(value);
  return v === 0n ? undefined : v;
}

/** `a − b` floored at 0; undefined when `a` is. A missing `b` subtracts nothing. */
export function minusFloored(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  if (a === undefined) return undefined;
  if (b === undefined) return a;
  return a > b ? a - b : 0n;
}

/** What is left of `limit` after `used`, floored at 0; undefined unless both are known. */
export function headroom(limit: bigint | undefined, used: bigint | undefined): bigint | undefined {
  if (limit === undefined || used === undefined) return undefined;
  return limit > used ? limit - used : 0n;
}

/**
 * `networks` as interfaces sorted by name. `withErrors: false` on Windows, whose error counters
 * are always 0 because HNS does not count errors.
 */
export function networkSamples(
  networks: Record<string, DockerNetworkStats> | undefined,
  { withErrors }: { withErrors: boolean },
): NetworkInterfaceSample[] {
  return Object.entries(networks ?? {})
    .map(([name, n]) => {
      const i: NetworkInterfaceSample = {
        name,
        rxBytes: toBigInt(n.rx_bytes),
        rxPackets: toBigInt(n.rx_packets),
        rxDropped: toBigInt(n.rx_dropped),
        txBytes: toBigInt(n.tx_bytes),
        txPackets: toBigInt(n.tx_packets),
        txDropped: toBigInt(n.tx_dropped),
      };
      if (withErrors) {
        i.rxErrors = toBigInt(n.rx_errors);
        i.txErrors = toBigInt(n.tx_errors);
      }
      return i;
    })
    .sort((a, b) => compareNames(a.name, b.name));
}

/**
 * The engine's previous reading (`preread` + `precpu_stats`) as a CPU point, scaled by `unitNs`
 * (1 on Linux, 100 on Windows). Undefined when the engine sent none: one-shot calls and a stream's
 * first message carry the zero time, and a zero total means the field was never filled.
 */
export function previousCpuPoint(
  preread: string | undefined,
  totalUsage: number | undefined,
  unitNs: bigint,
): CpuPoint | undefined {
  const timestampNs = parseDockerTime(preread);
  const usage = toBigIntNonZero(totalUsage);
  if (timestampNs === undefined || usage === undefined) return undefined;
  return { timestampNs, usageCoreNanoSeconds: usage * unitNs };
}
