/**
 * Subprotocol negotiation for the two upgrade kinds a streaming URL accepts
 * (k8s.io/streaming `httpstream.Handshake` and `wsstream` handshake).
 */

import type { IncomingHttpHeaders } from 'node:http';

export const HEADER_PROTOCOL_VERSION = 'x-stream-protocol-version';
export const HEADER_ACCEPTED_PROTOCOL_VERSIONS = 'X-Accepted-Stream-Protocol-Versions';

/** SPDY exec/attach protocols, the server's preference order (upstream `SupportedStreamingProtocols`). */
export const SPDY_COMMAND_PROTOCOLS = [
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
] as const;
export const SPDY_PORT_FORWARD_PROTOCOLS = ['portforward.k8s.io'] as const;

/** WebSocket exec/attach subprotocols; `''` is a client that offers none (binary, plain-text errors). */
export const WEBSOCKET_COMMAND_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
  '',
] as const;
/** client-go's SPDY-over-WebSocket tunnel for port-forward (`SPDY/3.1+` + the SPDY protocol). */
export const WEBSOCKET_PORT_FORWARD_PROTOCOLS = ['SPDY/3.1+portforward.k8s.io'] as const;

export type Negotiation =
  | { ok: true; protocol: string }
  | { ok: false; status: 400 | 403; message: string; headers: Record<string, string | string[]> };

function splitList(values: string | string[] | undefined): string[] {
  const list = Array.isArray(values) ? values : values === undefined ? [] : [values];
  return list
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

/**
 * Picks the first protocol the client offers (in its order) that the server supports.
 * Missing header: 400. No common protocol: 403 listing what the server accepts.
 */
export function negotiateSpdyProtocol(
  headers: IncomingHttpHeaders,
  supported: readonly string[],
): Negotiation {
  const raw = headers[HEADER_PROTOCOL_VERSION];
  if (raw === undefined) {
    return {
      ok: false,
      status: 400,
      message: `unable to upgrade: header X-Stream-Protocol-Version does not exist in request`,
      headers: {},
    };
  }
  const offered = splitList(raw);
  if (offered.length === 0) {
    return {
      ok: false,
      status: 400,
      message: `unable to upgrade: header X-Stream-Protocol-Version contains no valid protocols`,
      headers: {},
    };
  }
  const protocol = offered.find((p) => supported.includes(p));
  if (protocol === undefined) {
    return {
      ok: false,
      status: 403,
      message: `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]`,
      headers: { [HEADER_ACCEPTED_PROTOCOL_VERSIONS]: [...supported] },
    };
  }
  return { ok: true, protocol };
}

/** WebSocket subprotocol choice; a client offering none gets `''` where that is supported. */
export function negotiateWebSocketProtocol(
  headers: IncomingHttpHeaders,
  supported: readonly string[],
): Negotiation {
  const offered = splitList(headers['sec-websocket-protocol']);
  const candidates = offered.length === 0 ? [''] : offered;
  const protocol = candidates.find((p) => supported.includes(p));
  if (protocol === undefined) {
    return {
      ok: false,
      status: 403,
      message: `unable to upgrade: requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${supported.filter((p) => p !== '').join(' ')}]`,
      headers: {},
    };
  }
  return { ok: true, protocol };
}

export function isWebSocketUpgrade(headers: IncomingHttpHeaders): boolean {
  return (headers.upgrade ?? '').toLowerCase() === 'websocket' && hasConnectionUpgrade(headers);
}

export function isSpdyUpgrade(headers: IncomingHttpHeaders): boolean {
  return (headers.upgrade ?? '').toLowerCase().includes('spdy/3.1') && hasConnectionUpgrade(headers);
}

function hasConnectionUpgrade(headers: IncomingHttpHeaders): boolean {
  return (headers.connection ?? '').toLowerCase().includes('upgrade');
}
