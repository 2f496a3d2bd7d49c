/**
 * TSIG algorithms (RFC 8945 §6) and shared keys.
 */

import { createHmac, type Hmac } from "node:crypto";
import { canonicalName, NameError, nameKey } from "../name.js";

/** The algorithm names, in the canonical form used everywhere here (lowercase, absolute). */
export const TSIG_ALGORITHMS = [
  "hmac-md5.sig-alg.reg.int.",
  "hmac-sha1.",
  "hmac-sha224.",
  "hmac-sha256.",
  "hmac-sha384.",
  "hmac-sha512.",
] as const;

export type TsigAlgorithm = (typeof TSIG_ALGORITHMS)[number];

/** Node's hash name and the full HMAC output length in octets, per algorithm. */
const HASH: Record<TsigAlgorithm, { hash: string; size: number }> = {
  "hmac-md5.sig-alg.reg.int.": { hash: "md5", size: 16 },
  "hmac-sha1.": { hash: "sha1", size: 20 },
  "hmac-sha224.": { hash: "sha224", size: 28 },
  "hmac-sha256.": { hash: "sha256", size: 32 },
  "hmac-sha384.": { hash: "sha384", size: 48 },
  "hmac-sha512.": { hash: "sha512", size: 64 },
};

/**
 * The canonical algorithm for a name given by a user or read from the wire: case-insensitive,
 * trailing dot optional, and the short `hmac-md5` that dig, kdig and BIND accept for
 * `hmac-md5.sig-alg.reg.int.`. Undefined for anything else.
 */
export function canonicalAlgorithm(text: string): TsigAlgorithm | undefined {
  let t = text.toLowerCase();
  if (!t.endsWith(".")) t += ".";
  if (t === "hmac-md5.") return "hmac-md5.sig-alg.reg.int.";
  return (TSIG_ALGORITHMS as readonly string[]).includes(t) ? (t as TsigAlgorithm) : undefined;
}

/** Length in octets of the untruncated MAC. */
export function macLength(algorithm: TsigAlgorithm): number {
  return HASH[algorithm].size;
}

/**
 * Shortest MAC accepted at all: RFC 8945 §5.2.2.1 rule 3, "the larger of 10 (octets) and half
 * the length of the hash function in use".
 */
export function minMacLength(algorithm: TsigAlgorithm): number {
  return Math.max(10, Math.ceil(HASH[algorithm].size / 2));
}

export function hmac(key: TsigKey): Hmac {
  return createHmac(HASH[key.algorithm].hash, key.secret);
}

/** A shared secret. `name` is canonical and lowercase (key names compare case-insensitively). */
export interface TsigKey {
  readonly name: string;
  readonly algorithm: TsigAlgorithm;
  readonly secret: Buffer;
}

export class TsigKeyError extends Error {
  override name = "TsigKeyError";
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A key from its configured form: a name, an algorithm name (see canonicalAlgorithm) and the
 * secret in base64, as BIND, Knot, NSD and dig write it. Throws TsigKeyError with the reason.
 */
export function tsigKey(name: string, algorithm: string, secretBase64: string): TsigKey {
  let keyName: string;
  try {
    keyName = nameKey(canonicalName(name));
  } catch (e) {
    if (e instanceof NameError) throw new TsigKeyError(`TSIG key name: ${e.message}`);
    throw e;
  }
  const alg = canonicalAlgorithm(algorithm);
  if (alg === undefined) {
    throw new TsigKeyError(
      `TSIG algorithm "${algorithm}" is not one of ${TSIG_ALGORITHMS.join(", ")}`,
    );
  }
  const b64 = secretBase64.replace(/\s+/g, "");
  if (b64 === "" || !BASE64.test(b64)) {
    throw new TsigKeyError(`TSIG secret of key "${keyName}" is not base64`);
  }
  return { name: keyName, algorithm: alg, secret: Buffer.from(b64, "base64") };
}
