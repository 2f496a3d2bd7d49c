/**
 * Authentication as the v4 API takes it (cloudflare.md §3): `Authorization: Bearer TOKEN`, or
 * the legacy pair `X-Auth-Email` + `X-Auth-Key` (a global API key always needs both headers).
 *
 * Decision: the emulator knows one credential, `apiToken`. When it is set, a request passes
 * with `Bearer <apiToken>`, or with any non-empty `X-Auth-Email` and `X-Auth-Key: <apiToken>`.
 * Everything else is refused the way Cloudflare's API refuses it (its answers as clients
 * report them):
 * - no credential at all: 400, 9106 "Missing X-Auth-Key, X-Auth-Email or Authorization headers";
 * - half of the legacy pair, or an `Authorization` that is not `Bearer <token>`: 400, 6003
 *   "Invalid request headers", with the header at fault in `error_chain` (6100/6101 missing
 *   X-Auth-Email/X-Auth-Key, 6111 "Invalid format for Authorization header");
 * - a well-formed credential that is not the token: 403, 10000 "Authentication error".
 * When it is unset (a lab on 127.0.0.1), every request passes, with or without credentials.
 */

import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { ApiError } from "../cloudflare/errors.js";
import { authenticationError, invalidHeaders, missingCredentials } from "./errors.js";

/** The refusal for a request's credentials, or undefined when they pass. */
export type Authenticator = (headers: IncomingHttpHeaders) => ApiError | undefined;

export function createAuthenticator(apiToken: string | undefined): Authenticator {
  if (apiToken === undefined || apiToken === "") return () => undefined;
  // Compare digests: equal length, so timingSafeEqual applies and the token's length stays private.
  const expected = digest(apiToken);
  const matches = (given: string): boolean => timingSafeEqual(digest(given), expected);
  return (headers) => {
    const authorization = single(headers.authorization);
    if (authorization !== undefined) {
      const token = bearerToken(authorization);
      if (token === undefined)
        return invalidHeaders(6111, "Invalid format for Authorization header");
      return matches(token) ? undefined : authenticationError();
    }
    const email = present(headers["x-auth-email"]);
    const key = present(headers["x-auth-key"]);
    if (email === undefined && key === undefined) return missingCredentials();
    if (email === undefined) return invalidHeaders(6100, "Missing X-Auth-Email header");
    if (key === undefined) return invalidHeaders(6101, "Missing X-Auth-Key header");
    return matches(key) ? undefined : authenticationError();
  };
}

/** The token of `Authorization: Bearer TOKEN` (the scheme in any case, spaces around), or undefined. */
export function bearerToken(authorization: string): string | undefined {
  return /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization)?.[1];
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? undefined : v;
}

/** A header given once and not empty. */
function present(v: string | string[] | undefined): string | undefined {
  const s = single(v);
  return s === undefined || s.trim() === "" ? undefined : s;
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}
