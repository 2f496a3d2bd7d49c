/**
 * Authentication as the v4 API takes it (cloudflare.md §3): `Authorization: Bearer TOKEN`, or
 * the legacy pair `X-Auth-Email` + `X-Auth-Key`.
 *
 * Decision: the emulator knows one credential, `apiToken`. When it is set, a request passes
 * with `Bearer <apiToken>`, or with any `X-Auth-Email` and `X-Auth-Key: <apiToken>`; anything
 * else is refused with 403 and code 10000, as Cloudflare refuses it. When it is unset (a lab
 * on 127.0.0.1), every request passes, with or without credentials.
 */

import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export type Authenticator = (headers: IncomingHttpHeaders) => boolean;

export function createAuthenticator(apiToken: string | undefined): Authenticator {
  if (apiToken === undefined || apiToken === "") return () => true;
  // Compare digests: equal length, so timingSafeEqual applies and the token's length stays private.
  const expected = digest(apiToken);
  const matches = (given: string): boolean => timingSafeEqual(digest(given), expected);
  return (headers) => {
    const authorization = single(headers.authorization);
    if (authorization !== undefined) {
      const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
      return m !== null && matches(m[1]);
    }
    const email = single(headers["x-auth-email"]);
    const key = single(headers["x-auth-key"]);
    return email !== undefined && email !== "" && key !== undefined && matches(key);
  };
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? undefined : v;
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}
