/**
 * The uncompressed SPDY/3 name/value header block (draft 3, section 2.6.10): a u32 pair count,
 * then per pair a u32-length name and a u32-length value, all big-endian. Several values of one
 * name travel NUL-separated in one value. Names go out lowercased: moby/spdystream rejects an
 * uppercase name (`UnlowercasedHeaderName`) and two entries with one name (`DuplicateHeaders`).
 */

import { SpdyProtocolError } from './frames.js';

/** Header names (lowercase) to their values, in arrival order. */
export type SpdyHeaders = Map<string, string[]>;

export type HeaderInput = SpdyHeaders | Record<string, string | string[]>;

export function toSpdyHeaders(input: HeaderInput): SpdyHeaders {
  const entries = input instanceof Map ? [...input] : Object.entries(input);
  const headers: SpdyHeaders = new Map();
  for (const [name, value] of entries) {
    const key = name.toLowerCase();
    const values = Array.isArray(value) ? value : [value];
    headers.set(key, [...(headers.get(key) ?? []), ...values]);
  }
  return headers;
}

export function serializeHeaderBlock(input: HeaderInput): Buffer {
  const headers = toSpdyHeaders(input);
  const parts: Buffer[] = [u32(headers.size)];
  for (const [name, values] of headers) {
    const nameBytes = Buffer.from(name, 'utf8');
    const valueBytes = Buffer.from(values.join('\0'), 'utf8');
    parts.push(u32(nameBytes.length), nameBytes, u32(valueBytes.length), valueBytes);
  }
  return Buffer.concat(parts);
}

/**
 * Parses one block from the front of `buf`. Returns `undefined` when `buf` holds only part of a
 * block (so the caller waits for more inflated output), otherwise the headers and the bytes used.
 * Uppercase names are folded and repeated names merged: a server can be lenient where the Go peer
 * is strict, since it never sends either.
 */
export function parseHeaderBlock(buf: Buffer): { headers: SpdyHeaders; consumed: number } | undefined {
  if (buf.length < 4) return undefined;
  const count = buf.readUInt32BE(0);
  // Each pair needs at least 8 bytes of lengths; a count beyond that is garbage, not a long wait.
  if (count > 0x7fffffff / 8) throw new SpdyProtocolError(`header block claims ${count} pairs`);
  let offset = 4;
  const headers: SpdyHeaders = new Map();
  for (let i = 0; i < count; i++) {
    const name = readString(buf, offset);
    if (name === undefined) return undefined;
    offset = name.next;
    const value = readString(buf, offset);
    if (value === undefined) return undefined;
    offset = value.next;
    if (name.text.length === 0) throw new SpdyProtocolError('header block has an empty name');
    const key = name.text.toLowerCase();
    headers.set(key, [...(headers.get(key) ?? []), ...value.text.split('\0')]);
  }
  return { headers, consumed: offset };
}

function readString(buf: Buffer, offset: number): { text: string; next: number } | undefined {
  if (buf.length < offset + 4) return undefined;
  const length = buf.readUInt32BE(offset);
  const start = offset + 4;
  if (buf.length < start + length) return undefined;
  return { text: buf.toString('utf8', start, start + length), next: start + length };
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
