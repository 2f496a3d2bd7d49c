/**
 * The server's limits, with their defaults in one place (docs/limits.md). Durations are in
 * milliseconds. The TCP limits are enforced by transport/tcp.ts; the transfer counts by
 * server/transfer.ts, the API body size by api/server.ts and the records per zone by
 * CloudflareZones.commit (through primary.ts). The IXFR journal has its own bounds
 * (`journal`, zone/journal.ts).
 */

export interface Limits {
  /**
   * Close a TCP connection after this long without any traffic, including one that stopped
   * reading a long answer. RFC 7766 §6.2.3 asks for an idle timeout "on the order of
   * seconds"; BIND's default (tcp-idle-timeout) is 30 s, ours is shorter.
   */
  tcpIdleMs: number;
  /**
   * Once the first octet of a message has arrived, the whole message (length prefix and
   * body) must arrive within this long. The idle timer restarts on every octet, so without
   * this a peer sending one octet a second would hold its connection forever.
   */
  tcpMessageMs: number;
  /** Open TCP connections in total; a new connection beyond it is closed at once. */
  tcpMaxConnections: number;
  /**
   * Open TCP connections from one source address (RFC 7766 §6.2.2: servers should limit the
   * connections one client can hold open, so one client cannot use them all up).
   */
  tcpMaxConnectionsPerIp: number;
  /**
   * A multi-message answer (AXFR, IXFR) not written in full after this long is cut: the
   * connection is closed and the transfer logged as aborted. A reader that never drains
   * holds a connection and a few messages of memory for at most this long.
   */
  transferMs: number;
  /** Transfers (AXFR/IXFR streams) in progress at once; beyond it a request is REFUSED. */
  transfersMax: number;
  /** Transfers of one zone in progress at once; beyond it a request is REFUSED. */
  transfersPerZone: number;
  /** Largest API request body, in bytes (larger: 413). */
  apiBodyBytes: number;
  /** Records a zone may hold; a write that would take a zone past it is refused. */
  zoneRecords: number;
  /**
   * On close, transfers in progress get this long to finish; then their connections are
   * cut. Listeners stop accepting at once.
   */
  shutdownMs: number;
  /**
   * Bytes of AXFR messages kept for the secondaries asking for a version again
   * (server/axfr-cache.ts); 0 keeps none. A million-record zone takes about 35 MB per shape
   * (signed and unsigned transfers are packed differently).
   */
  axfrCacheBytes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  tcpIdleMs: 10_000,
  tcpMessageMs: 10_000,
  tcpMaxConnections: 256,
  tcpMaxConnectionsPerIp: 32,
  transferMs: 300_000,
  transfersMax: 32,
  transfersPerZone: 16,
  apiBodyBytes: 1024 * 1024,
  zoneRecords: 1_000_000,
  shutdownMs: 5_000,
  axfrCacheBytes: 128 * 1024 * 1024,
});

/** Limits where 0 means "none" (every other limit is at least 1). */
const ZERO_ALLOWED: ReadonlySet<keyof Limits> = new Set(["axfrCacheBytes"]);

/** The smallest value a limit takes. */
export function limitMinimum(key: keyof Limits): number {
  return ZERO_ALLOWED.has(key) ? 0 : 1;
}

/** Fill in defaults and validate once, at the boundary; the result is frozen. */
export function resolveLimits(partial: Partial<Limits> = {}): Readonly<Limits> {
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(partial) as Array<keyof Limits>) {
    if (!(key in DEFAULT_LIMITS)) throw new RangeError(`limits.${String(key)} is not a limit`);
  }
  for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof Limits>) {
    const v = partial[key];
    if (v === undefined) continue;
    const min = limitMinimum(key);
    if (!Number.isSafeInteger(v) || v < min) {
      const what = min === 0 ? "a whole number" : "a positive integer";
      throw new RangeError(`limits.${key} must be ${what}, got ${String(v)}`);
    }
    limits[key] = v;
  }
  return Object.freeze(limits);
}

/**
 * The API's request budget (opt-in): at most `requests` per `seconds` for one credential,
 * as Cloudflare's "1200 requests per five minute period per user" (api/rate-limit.ts).
 */
export interface RateLimit {
  requests: number;
  seconds: number;
}

/** `N/SECONDS` (e.g. `1200/300`), or the object itself, checked; RangeError otherwise. */
export function parseRateLimit(v: string | RateLimit): RateLimit {
  const m = typeof v === "string" ? /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v) : undefined;
  const requests = typeof v === "string" ? Number(m?.[1]) : v.requests;
  const seconds = typeof v === "string" ? Number(m?.[2]) : v.seconds;
  const ok = (n: number, max: number) => Number.isSafeInteger(n) && n >= 1 && n <= max;
  if (!ok(requests, 1_000_000) || !ok(seconds, 86_400)) {
    const shown = typeof v === "string" ? `"${v}"` : JSON.stringify(v);
    throw new RangeError(
      `an API rate limit is N/SECONDS, N from 1 to 1000000 requests per 1 to 86400 seconds (e.g. 1200/300), not ${shown}`,
    );
  }
  return { requests, seconds };
}
