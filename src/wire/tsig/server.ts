/**
 * The server side of TSIG: verifying a signed request (RFC 8945 §5.2), signing the answer or
 * every message of an answer stream (§5.3, §5.3.1), and the TSIG of an error answer (§5.3.2).
 */

import { timingSafeEqual } from "node:crypto";
import { FormatError } from "../message.js";
import { nameKey, withoutTrailingDot } from "../name.js";
import {
  canonicalAlgorithm,
  macLength,
  minMacLength,
  type TsigAlgorithm,
  type TsigKey,
} from "./algorithms.js";
import {
  appendRecord,
  computeMac,
  coveredParts,
  encodeTsig,
  TSIG_ERROR,
  type TsigRR,
  time48,
  timers,
  variables,
} from "./record.js";

/** Fudge we put in what we sign, in seconds: 300, what dig, kdig, BIND and Knot send. */
export const DEFAULT_FUDGE = 300;

/** How a key is found: by lowercase canonical name and canonical algorithm. */
export type FindKey = (name: string, algorithm: TsigAlgorithm) => TsigKey | undefined;

export type VerifyError = "BADKEY" | "BADSIG" | "BADTIME" | "BADTRUNC";

export type Verified =
  | { ok: true; key: TsigKey; tsig: TsigRR }
  | {
      ok: false;
      error: VerifyError;
      tsig: TsigRR;
      key?: TsigKey;
      /** Why, in words for the log: which key, which algorithm, how far off the clock. */
      detail: string;
    };

export interface SignerOptions {
  /** Fudge to sign with (default DEFAULT_FUDGE). */
  fudge?: number;
  /** Always send the full MAC, even to a request whose MAC was truncated. */
  fullMac?: boolean;
}

export interface VerifyPolicy {
  /**
   * Shortest MAC accepted, in octets: a MAC that §5.2.2.1 permits but that is shorter than
   * this gets BADTRUNC (§5.2.4). Default: the full length, which is what BIND 9.18 requires of
   * a key configured without a digest length; 0 accepts every truncation §5.2.2.1 permits.
   */
  minMacSize?: number;
}

/** Equal when `mine`, truncated to the length of `theirs`, equals `theirs`; constant time. */
export function macMatches(mine: Buffer, theirs: Buffer): boolean {
  if (theirs.length === 0 || theirs.length > mine.length) return false;
  return timingSafeEqual(mine.subarray(0, theirs.length), theirs);
}

/**
 * The §5.2.2.1 rules on the MAC Size of what we receive: larger than the hash output, or
 * shorter than the larger of 10 octets and half the hash output, is a FORMERR.
 */
export function checkMacSize(tsig: TsigRR, algorithm: TsigAlgorithm): void {
  if (tsig.mac.length > macLength(algorithm)) {
    throw new FormatError(`TSIG MAC of ${tsig.mac.length} octets is longer than ${algorithm}'s`);
  }
  if (tsig.mac.length < minMacLength(algorithm)) {
    throw new FormatError(
      `TSIG MAC of ${tsig.mac.length} octets is shorter than the ${minMacLength(algorithm)} allowed for ${algorithm}`,
    );
  }
}

/**
 * Verify a request's TSIG (from readTsig on the same bytes) in the order of RFC 8945 §5.2:
 * key, MAC, time, truncation policy. The MAC is computed over the exact bytes received, never
 * a re-encoding. `now` is in seconds. Throws FormatError for a MAC Size that §5.2.2.1 says to
 * answer with FORMERR (longer than the hash, or shorter than the minimum).
 */
export function verifyRequest(
  msg: Buffer,
  tsig: TsigRR,
  findKey: FindKey,
  now: number,
  policy: VerifyPolicy = {},
): Verified {
  // §5.2.1: an unknown key or algorithm, or a key known under another algorithm, is BADKEY.
  const algorithm = canonicalAlgorithm(tsig.algorithm);
  if (!algorithm) {
    return { ok: false, error: "BADKEY", tsig, detail: `unknown algorithm ${tsig.algorithm}` };
  }
  const key = findKey(nameKey(tsig.keyName), algorithm);
  if (!key) return { ok: false, error: "BADKEY", tsig, detail: `no key named ${tsig.keyName}` };
  if (key.algorithm !== algorithm) {
    // The usual mistake behind a BADKEY: the right name, the wrong algorithm configured.
    const detail = `key ${key.name} is ${bare(key.algorithm)}, the request used ${bare(algorithm)}`;
    return { ok: false, error: "BADKEY", tsig, detail };
  }
  checkMacSize(tsig, algorithm);
  // §5.2.2: our own MAC over what was received, compared with theirs.
  const mine = computeMac(key, null, coveredParts(msg, tsig), variables(tsig));
  if (!macMatches(mine, tsig.mac)) {
    const detail = `the MAC does not verify with key ${key.name} (${bare(algorithm)}): another secret?`;
    return { ok: false, error: "BADSIG", tsig, key, detail };
  }
  // §5.2.3: the time signed must lie within fudge of our clock.
  const skew = Math.round(now - tsig.timeSigned);
  if (Math.abs(skew) > tsig.fudge) {
    const detail = `signed ${Math.abs(skew)} s ${skew > 0 ? "ago" : "ahead"}, fudge ${tsig.fudge} s`;
    return { ok: false, error: "BADTIME", tsig, key, detail };
  }
  // §5.2.4: a truncation that §5.2.2.1 permits but local policy does not is BADTRUNC.
  const full = macLength(algorithm);
  if (tsig.mac.length < Math.min(policy.minMacSize ?? full, full)) {
    const detail = `MAC truncated to ${tsig.mac.length} octets, policy wants ${Math.min(policy.minMacSize ?? full, full)}`;
    return { ok: false, error: "BADTRUNC", tsig, key, detail };
  }
  return { ok: true, key, tsig };
}

/** Octets the TSIG RR adds to a message signed with `key` (at most; BADTIME adds 6 more). */
export function tsigOverhead(key: TsigKey): number {
  // owner + type/class/ttl/rdlength + algorithm + time/fudge/size + MAC + id/error/otherlen
  return key.name.length + 1 + 10 + key.algorithm.length + 1 + 10 + macLength(key.algorithm) + 6;
}

/**
 * Signs the answer to a verified request: one message, or every message of a stream (AXFR,
 * IXFR over TCP). The first message covers the request MAC, the message and all the TSIG
 * variables (§4.3.1, §4.3.3); every later one covers the prior MAC, the message and the
 * timers only (§5.3.1). Every message is signed.
 */
export class ResponseSigner {
  private prior: Buffer;
  private first = true;
  /** Octets each signed message grows by (at most). */
  readonly overhead: number;
  private readonly macSize: number;
  private readonly fudge: number;

  constructor(
    readonly key: TsigKey,
    readonly request: TsigRR,
    private readonly now: () => number,
    options: SignerOptions = {},
  ) {
    this.prior = request.mac;
    this.fudge = options.fudge ?? DEFAULT_FUDGE;
    this.overhead = tsigOverhead(key);
    // §5.2.2.1: a request MAC truncated as permitted is answered with a MAC truncated alike,
    // and it is that truncated request MAC (as received) that the answer covers.
    const full = macLength(key.algorithm);
    const truncated = request.mac.length >= minMacLength(key.algorithm) && !options.fullMac;
    this.macSize = truncated ? Math.min(request.mac.length, full) : full;
  }

  /** A new buffer: `message` with the TSIG RR appended and ARCOUNT one higher. */
  sign(message: Buffer): Buffer {
    return this.signWith(message, TSIG_ERROR.NOERROR);
  }

  /**
   * Sign with an error code in the TSIG and, for BADTIME, the client's time signed and our
   * time in Other Data (see errorResponseTsig, which is the way to use this).
   */
  signWith(message: Buffer, error: number, timeSigned?: number, otherData?: Buffer): Buffer {
    const fields = {
      keyName: this.key.name,
      algorithm: this.key.algorithm,
      timeSigned: timeSigned ?? Math.floor(this.now()),
      fudge: this.fudge,
      error,
      otherData: otherData ?? Buffer.alloc(0),
    };
    const tail = this.first ? variables(fields) : timers(fields.timeSigned, fields.fudge);
    const full = computeMac(this.key, this.prior, [message], tail);
    const mac = full.subarray(0, this.macSize);
    this.first = false;
    this.prior = mac;
    const originalId = message.readUInt16BE(0);
    return appendRecord(message, encodeTsig({ ...fields, mac, originalId }));
  }
}

/**
 * The error answer's TSIG for a failed verification: `message` (the NOTAUTH answer the caller
 * built) with the TSIG RR appended and ARCOUNT one higher.
 * - BADKEY (§5.2.1) and BADSIG (§5.2.2): "This response MUST be unsigned" (§5.3.2): MAC Size 0.
 * - BADTIME (§5.2.3): signed with the request's key, Time Signed echoing the client's, our
 *   time as a 48-bit Other Data; the fudge is the client's too, as its time is.
 * - BADTRUNC (§5.2.4, §5.3.2): signed as usual, error 22.
 */
export function errorResponseTsig(
  message: Buffer,
  failure: Extract<Verified, { ok: false }>,
  now: number,
): Buffer {
  const { tsig, key } = failure;
  if (failure.error === "BADTIME" || failure.error === "BADTRUNC") {
    if (!key) throw new TypeError(`${failure.error} needs the verified key`);
    if (failure.error === "BADTRUNC") {
      const signer = new ResponseSigner(key, tsig, () => now, { fullMac: true });
      return signer.signWith(message, TSIG_ERROR.BADTRUNC);
    }
    const signer = new ResponseSigner(key, tsig, () => now, { fudge: tsig.fudge });
    return signer.signWith(message, TSIG_ERROR.BADTIME, tsig.timeSigned, time48(now));
  }
  const rr = encodeTsig({
    keyName: tsig.keyName,
    algorithm: tsig.algorithm,
    timeSigned: Math.floor(now),
    fudge: tsig.fudge,
    mac: Buffer.alloc(0),
    originalId: message.readUInt16BE(0),
    error: TSIG_ERROR[failure.error],
    otherData: Buffer.alloc(0),
  });
  return appendRecord(message, rr);
}

/** "hmac-sha256." → "hmac-sha256", as people write algorithms in configurations. */
const bare = (algorithm: string): string => withoutTrailingDot(algorithm);
