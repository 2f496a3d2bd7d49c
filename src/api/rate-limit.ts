/**
 * Cloudflare's API rate limit, emulated when asked for (`--api-rate-limit N/SECONDS`): "1200
 * requests per five minute period per user ... If you exceed this limit, all API calls for
 * the next five minutes will be blocked, receiving a HTTP 429 - Too Many Requests response"
 * (Cloudflare docs, fundamentals/api/reference/limits).
 *
 * - A user is a credential as the authentication reads it (auth.ts): the token of
 *   `Authorization: Bearer TOKEN` (any spelling of the scheme and spaces), else `X-Auth-Key`
 *   (the email beside it does not matter), else the client's address (a lab that sends none).
 *   Kept as a SHA-256, so a user costs the same whatever the header's length.
 * - A window opens at a user's first request and lasts SECONDS; the request past N in it is
 *   answered 429 and the user is blocked for SECONDS from then on. A blocked request does not
 *   count.
 * - The 429 is Cloudflare's body (code 971, "Please wait and consider throttling your request
 *   speed") with `Retry-After`, the whole seconds until the block ends. Every answer carries
 *   `Ratelimit: "default";r=REMAINING;t=RESET` and `Ratelimit-Policy: "default";q=N;w=SECONDS`
 *   (the headers of Cloudflare's 2025-09-03 changelog; the policy's name is a decision).
 * - Only Cloudflare's routes (`/client/v4`) are limited, not the emulator's own
 *   (`/dns-primary/v1`) nor the dashboard's files.
 */

import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { RateLimit } from "../transport/limits.js";
import { bearerToken } from "./auth.js";

/** Users remembered at most; past it the ones whose window ended are forgotten first. */
const MAX_USERS = 10_000;

interface Window {
  /** When the window (or the block) ends, ms. */
  ends: number;
  used: number;
  blocked: boolean;
}

export interface RateDecision {
  allowed: boolean;
  /** Requests left in the window. */
  remaining: number;
  /** Whole seconds until the window or the block ends. */
  reset: number;
}

export class RateLimiter {
  private readonly users = new Map<string, Window>();

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Count one request of `user`, or refuse it. */
  take(user: string): RateDecision {
    const now = this.now();
    const ms = this.limit.seconds * 1000;
    let w = this.users.get(user);
    if (w === undefined || now >= w.ends) {
      if (w === undefined && this.users.size >= MAX_USERS) this.forget(now);
      w = { ends: now + ms, used: 0, blocked: false };
      this.users.set(user, w);
    }
    const reset = Math.max(1, Math.ceil((w.ends - now) / 1000));
    if (w.blocked) return { allowed: false, remaining: 0, reset };
    if (w.used >= this.limit.requests) {
      w.blocked = true;
      w.ends = now + ms;
      return { allowed: false, remaining: 0, reset: this.limit.seconds };
    }
    w.used++;
    return { allowed: true, remaining: this.limit.requests - w.used, reset };
  }

  /** Drop ended windows; if none had ended, the oldest user not blocked (or the oldest). */
  private forget(now: number): void {
    for (const [user, w] of this.users) if (now >= w.ends) this.users.delete(user);
    if (this.users.size < MAX_USERS) return;
    let victim: string | undefined;
    for (const [user, w] of this.users) {
      victim ??= user;
      if (!w.blocked) {
        victim = user;
        break;
      }
    }
    if (victim !== undefined) this.users.delete(victim);
  }
}

/** Who is asking, as the limit counts users (see above). */
export function userOf(headers: IncomingHttpHeaders, address: string): string {
  const auth = headers.authorization;
  if (typeof auth === "string" && auth.trim() !== "") {
    return credential(bearerToken(auth) ?? auth.trim());
  }
  const key = headers["x-auth-key"];
  if (typeof key === "string" && key.trim() !== "") return credential(key.trim());
  return `ip:${address}`;
}

function credential(secret: string): string {
  return `c:${createHash("sha256").update(secret, "utf8").digest("base64")}`;
}

/** The headers of an answer (see above). */
export function rateHeaders(limit: RateLimit, d: RateDecision): Record<string, string> {
  const h: Record<string, string> = {
    ratelimit: `"default";r=${d.remaining};t=${d.reset}`,
    "ratelimit-policy": `"default";q=${limit.requests};w=${limit.seconds}`,
  };
  if (!d.allowed) h["retry-after"] = String(d.reset);
  return h;
}
