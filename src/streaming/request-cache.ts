/**
 * Single-use tokens for streaming URLs (upstream: cri-streaming `request_cache.go`). The gRPC
 * Exec/Attach/PortForward handlers store the validated request here and return a URL holding the
 * token; the HTTP server consumes it once. Tokens live one minute; at most 1000 are in flight,
 * and a full cache with nothing expired refuses new ones with `ResourceExhausted`.
 *
 * Unlike upstream's 6-byte tokens, ours carry 16 random bytes (22 base64url characters): the URL
 * is the only credential a streaming session has.
 */

import { randomBytes } from 'node:crypto';
import { CriError } from '../errors.js';

export interface RequestCacheOptions {
  /** Token lifetime (default 60 000 ms). */
  ttlMs?: number;
  /** Tokens in flight at most (default 1000). */
  maxInFlight?: number;
  /** Milliseconds since the epoch; injected by tests. */
  now?: () => number;
  /** Token bytes; injected by tests. */
  random?: (size: number) => Buffer;
}

export const DEFAULT_TOKEN_TTL_MS = 60_000;
export const DEFAULT_MAX_IN_FLIGHT = 1000;
const TOKEN_BYTES = 16;

export class RequestCache<T> {
  // A Map iterates in insertion order, and every entry gets the same TTL, so the oldest entry is
  // always the first: garbage collection stops at the first live one.
  private readonly entries = new Map<string, { request: T; expiresAt: number }>();
  private readonly ttlMs: number;
  private readonly maxInFlight: number;
  private readonly now: () => number;
  private readonly random: (size: number) => Buffer;

  constructor(options: RequestCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
    this.maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? randomBytes;
  }

  /** Stores `request` and returns its token. */
  insert(request: T): string {
    this.collectExpired();
    if (this.entries.size >= this.maxInFlight) {
      throw new CriError(
        'ResourceExhausted',
        `maximum number of in-flight streaming requests (${this.maxInFlight}) exceeded`,
      );
    }
    for (let attempt = 0; attempt < 10; attempt++) {
      const token = this.random(TOKEN_BYTES).toString('base64url');
      if (this.entries.has(token)) continue;
      this.entries.set(token, { request, expiresAt: this.now() + this.ttlMs });
      return token;
    }
    throw new CriError('Internal', 'failed to generate a unique streaming token');
  }

  /** Removes the token and returns its request, or `undefined` if unknown, used or expired. */
  consume(token: string): T | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    this.entries.delete(token);
    return this.now() > entry.expiresAt ? undefined : entry.request;
  }

  get size(): number {
    return this.entries.size;
  }

  private collectExpired(): void {
    const now = this.now();
    for (const [token, entry] of this.entries) {
      if (now <= entry.expiresAt) return;
      this.entries.delete(token);
    }
  }
}
