/**
 * TSIG on requests, for every handler (queries and transfers): find the key a request names
 * in the transfer settings, verify it, and sign what we answer (RFC 8945 §5.3: an answer to a
 * signed request is signed, errors included).
 */

import type { TransferSettings, Tsig } from "../cloudflare/transfer/settings.js";
import { FormatError } from "../wire/message.js";
import {
  errorResponseTsig,
  ResponseSigner,
  readTsig,
  type TsigKey,
  tsigKey,
  type Verified,
  verifyRequest,
} from "../wire/tsig.js";

export type SignedRequest =
  /** No TSIG on the request. */
  | { kind: "none" }
  /** Verified: sign every answer with `signer`. */
  | { kind: "ok"; signer: ResponseSigner; keyName: string }
  /** Failed: answer NOTAUTH through `answer()` (RFC 8945 §5.3.2). */
  | {
      kind: "failed";
      error: string;
      /** Why it failed, for the log and the secondaries view (wire/tsig/server.ts). */
      detail: string;
      keyName: string;
      answer: (notauth: Buffer) => Buffer;
    }
  /** Malformed TSIG (RFC 8945 §5.2.2.1, §5.1): FORMERR. */
  | { kind: "malformed"; reason: string };

export interface Keyring {
  /** Verify the TSIG of a request, if it has one. */
  check(msg: Buffer): SignedRequest;
}

/**
 * The signing key of a stored TSIG, made once per version of it (a key derives its HMAC
 * state from the secret; the TSIG may be edited through the API at any time).
 */
export function tsigKeys(): (t: Tsig) => TsigKey {
  const cache = new Map<string, { source: string; key: TsigKey }>();
  return (t) => {
    const source = `${t.name}|${t.algo}|${t.secret}`;
    const cached = cache.get(t.id);
    if (cached?.source === source) return cached.key;
    const key = tsigKey(t.name, t.algo, t.secret);
    cache.set(t.id, { source, key });
    return key;
  };
}

/** Keys come from the transfer settings, read at each request (changes apply at once). */
export function createKeyring(
  settings: Pick<TransferSettings, "tsigByName">,
  now: () => number,
): Keyring {
  const keyOf = tsigKeys();
  const findKey = (name: string): TsigKey | undefined => {
    const t = settings.tsigByName(name);
    // verifyRequest checks that the request's algorithm is the key's (else BADKEY).
    return t === undefined ? undefined : keyOf(t);
  };
  return {
    check(msg) {
      let verified: Verified;
      try {
        const tsig = readTsig(msg);
        if (!tsig) return { kind: "none" };
        verified = verifyRequest(msg, tsig, findKey, now());
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        return { kind: "malformed", reason: e.message };
      }
      if (verified.ok) {
        return {
          kind: "ok",
          signer: new ResponseSigner(verified.key, verified.tsig, now),
          keyName: verified.key.name,
        };
      }
      const failure = verified;
      return {
        kind: "failed",
        error: failure.error,
        detail: failure.detail,
        keyName: failure.tsig.keyName,
        answer: (notauth) => errorResponseTsig(notauth, failure, now()),
      };
    },
  };
}
