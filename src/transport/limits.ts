/**
 * Transport limits, with their defaults in one place. Durations are in milliseconds.
 */

export interface Limits {
  /**
   * Close a TCP connection after this long without any traffic, including a peer that sent a
   * length prefix and then stalled. RFC 7766 §6.2.3 asks for an idle timeout "on the order
   * of seconds"; BIND's default (tcp-idle-timeout) is 30 s, ours is shorter.
   */
  tcpIdleMs: number;
  /** Open TCP connections in total; a new connection beyond it is closed at once. */
  tcpMaxConnections: number;
  /**
   * Open TCP connections from one source address (RFC 7766 §6.2.2: servers should limit the
   * connections one client can hold open, so one client cannot use them all up).
   */
  tcpMaxConnectionsPerIp: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  tcpIdleMs: 10_000,
  tcpMaxConnections: 256,
  tcpMaxConnectionsPerIp: 32,
});

/** Fill in defaults and validate once, at the boundary; the result is frozen. */
export function resolveLimits(partial: Partial<Limits> = {}): Readonly<Limits> {
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof Limits>) {
    const v = partial[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new RangeError(`limits.${key} must be a positive integer, got ${String(v)}`);
    }
    limits[key] = v;
  }
  return Object.freeze(limits);
}
