/**
 * Nanosecond timestamps. The CRI's int64 times exceed 2^53, and Docker's RFC3339Nano strings carry
 * nine fraction digits that a JS Date (milliseconds) would drop; so they are parsed by hand into
 * bigint, and int64 fields are produced as decimal strings (proto-loader `longs: String`).
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;

/**
 * Docker's time string ("2024-05-01T10:20:30.123456789Z", or with an offset) as ns since the epoch.
 * Docker's zero time ("0001-01-01T00:00:00Z": never started, never finished) and "" become 0n, which
 * is what the CRI means by "not set". Throws on anything else that is not RFC 3339.
 */
export function parseRfc3339Nano(text: string): bigint {
  if (text === '') return 0n;
  const m = RFC3339.exec(text);
  if (!m) throw new Error(`not an RFC 3339 time: ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  const year = Number(y);
  if (year <= 1) return 0n;
  const seconds = Date.UTC(year, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000;
  let offsetSeconds = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetSeconds = sign * (Number(zone.slice(1, 3)) * 3600 + Number(zone.slice(4, 6)) * 60);
  }
  return BigInt(seconds - offsetSeconds) * 1_000_000_000n + BigInt(frac.padEnd(9, '0') || '0');
}

/** Now in ns since the epoch (millisecond precision plus a monotonic sub-millisecond part). */
export function nowNs(): bigint {
  const subMs = process.hrtime.bigint() % 1_000_000n;
  return BigInt(Date.now()) * 1_000_000n + subMs;
}

let lastStamp = 0n;

/**
 * nowNs that never goes backwards in this process, for the times a status or an event is stamped
 * with. The kubelet (EventedPLEG) keeps a pod's cached status against any newer-looking one stamped
 * earlier, so a stamp must order after every stamp given before it.
 */
export function stampNs(): bigint {
  const now = nowNs();
  lastStamp = now > lastStamp ? now : lastStamp + 1n;
  return lastStamp;
}

/** An int64 for a response: decimal string, as `longs: String` expects. */
export const int64 = (value: bigint | number): string => String(value);
