/**
 * The CRI container log line, as kubelet, crictl and critest read it
 * (k8s.io/cri-client pkg/logs, critest `parseCRILog`):
 *
 *   <timestamp> <stdout|stderr> <P|F> <text>\n
 *   2016-10-06T00:17:09.669794202Z stdout F hello World
 *
 * The timestamp is always written in kubelet's fixed-width form `2006-01-02T15:04:05.000000000Z07:00`
 * in UTC: nine fraction digits, so that lines of one file sort as strings. Docker's nanoseconds are
 * kept exactly, as text; a JS Date would drop six of the nine digits.
 *
 * `P` marks a piece of a line that continues in the next entry of the same stream; `F` ends a line.
 */

export type LogStream = 'stdout' | 'stderr';

/**
 * Longest text one CRI line carries, in bytes (the prefix is not counted). 16 KiB, the same as
 * containerd's `max_container_log_line_size` default and Docker's own split size, so that a
 * message Docker stored as a 16 KiB partial is copied as exactly one P line, and kubelet's reader
 * never meets a line it would have to buffer without bound. Changing it changes how many file
 * lines one message becomes, which resume counting depends on: keep it fixed for a file's life.
 */
export const MAX_LOG_LINE_BYTES = 16 * 1024;

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Normalizes an RFC3339(Nano) timestamp to the fixed-width UTC form, or returns undefined when
 * `text` is not one. Only the whole-second part goes through Date arithmetic (exact); the fraction
 * is carried as digits.
 */
export function toFixedTimestamp(text: string): string | undefined {
  const m = TIMESTAMP.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = m;
  const nanos = fraction.padEnd(9, '0');
  if (zone === 'Z') return `${y}-${mo}-${d}T${h}:${mi}:${s}.${nanos}Z`;
  const seconds = unixSecondsOf(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone}`);
  if (seconds === undefined) return undefined;
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${nanos}Z`;
}

function unixSecondsOf(wholeSecondTimestamp: string): number | undefined {
  const ms = Date.parse(wholeSecondTimestamp);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** Docker's `since` query value for a fixed-width timestamp: "<unix seconds>.<nine digits>". */
export function toDockerSince(fixed: string): string {
  const seconds = unixSecondsOf(`${fixed.slice(0, 19)}Z`);
  if (seconds === undefined) throw new Error(`not a fixed-width timestamp: ${fixed}`);
  return `${seconds}.${fixed.slice(20, 29)}`;
}

/** The fixed-width timestamp of `date` (millisecond precision: for lines without an engine time). */
export function fixedTimestampOf(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000000Z`;
}

/**
 * The CRI lines for one message of `stream` stamped `timestamp` (fixed-width). `text` excludes the
 * line's own "\n"; `complete` says whether the message ended a line. Text longer than
 * `maxLineBytes` is cut into P pieces at UTF-8 character boundaries; the last piece is F when the
 * message was complete, else P. Returns one buffer per file line.
 */
export function formatLines(
  timestamp: string,
  stream: LogStream,
  text: Buffer,
  complete: boolean,
  maxLineBytes: number = MAX_LOG_LINE_BYTES,
): Buffer[] {
  if (text.length === 0 && !complete) return [];
  const lines: Buffer[] = [];
  let start = 0;
  do {
    let end = Math.min(start + maxLineBytes, text.length);
    if (end < text.length) end = characterBoundary(text, start, end);
    const last = end >= text.length;
    const tag = last && complete ? 'F' : 'P';
    // One allocation per line: the copier formats every line a container prints.
    const head = `${timestamp} ${stream} ${tag} `;
    const line = Buffer.allocUnsafe(head.length + (end - start) + 1);
    line.write(head, 0, 'latin1');
    text.copy(line, head.length, start, end);
    line[line.length - 1] = 0x0a;
    lines.push(line);
    start = end;
  } while (start < text.length);
  return lines;
}

/** Moves `end` back to the start of a UTF-8 character, unless that would leave the piece empty. */
function characterBoundary(text: Buffer, start: number, end: number): number {
  let cut = end;
  // 0b10xxxxxx is a continuation byte; a character is at most 4 bytes.
  while (cut > start && cut > end - 4 && ((text[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return cut > start ? cut : end;
}

/** One parsed CRI line (as far as resuming needs: time and stream). */
export interface CriLineHead {
  timestamp: string;
  stream: LogStream;
}

/** Reads the timestamp and stream of a CRI line; undefined when the line is not one. */
export function parseLineHead(line: string): CriLineHead | undefined {
  const first = line.indexOf(' ');
  if (first < 0) return undefined;
  const second = line.indexOf(' ', first + 1);
  if (second < 0) return undefined;
  const stream = line.slice(first + 1, second);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const timestamp = toFixedTimestamp(line.slice(0, first));
  return timestamp === undefined ? undefined : { timestamp, stream };
}
