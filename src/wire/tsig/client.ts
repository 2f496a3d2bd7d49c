/**
 * The client side of TSIG: signing a request (RFC 8945 §5.1) and verifying the answer, one
 * message or a stream of them (§5.4, §5.3.1). Used to send NOTIFY and by tests.
 */

import { FormatError } from "../message.js";
import { nameKey } from "../name.js";
import { canonicalAlgorithm, type TsigKey } from "./algorithms.js";
import {
  appendRecord,
  computeMac,
  coveredParts,
  encodeTsig,
  readTsig,
  TSIG_ERROR,
  type TsigRR,
  timers,
  tsigErrorName,
  variables,
} from "./record.js";
import { checkMacSize, DEFAULT_FUDGE, macMatches } from "./server.js";

/**
 * Sign a request: a new buffer with the TSIG RR appended and ARCOUNT one higher, and the MAC,
 * which the answer's MAC covers (give it to a ResponseVerifier). `now` is in seconds.
 */
export function signRequest(
  msg: Buffer,
  key: TsigKey,
  now: number,
  fudge = DEFAULT_FUDGE,
): { message: Buffer; mac: Buffer } {
  const fields = {
    keyName: key.name,
    algorithm: key.algorithm,
    timeSigned: Math.floor(now),
    fudge,
    error: TSIG_ERROR.NOERROR,
    otherData: Buffer.alloc(0),
  };
  // §4.3.2: the message as it is, its ID being the original ID.
  const mac = computeMac(key, null, [msg], variables(fields));
  const rr = encodeTsig({ ...fields, mac, originalId: msg.readUInt16BE(0) });
  return { message: appendRecord(msg, rr), mac };
}

export type ResponseFailure =
  /** The TSIG RR cannot be read, or its MAC Size is one §5.2.2.1 forbids. */
  | "FORMERR"
  /** No TSIG where one is required: the first or last message, or a 100th in a row. */
  | "UNSIGNED"
  /** Signed with another key or algorithm than the request (§5.4.1). */
  | "BADKEY"
  /** The MAC does not verify (§5.4.2). */
  | "BADSIG"
  /** Our clock is outside the answer's time signed ± fudge (§5.4.3). */
  | "BADTIME"
  /** The server reports a TSIG error: see `serverError`. */
  | "SERVER";

export type ResponseCheck =
  | { ok: true; signed: boolean; tsig: TsigRR | null }
  | {
      ok: false;
      error: ResponseFailure;
      reason: string;
      tsig: TsigRR | null;
      /** The server's TSIG error name (BADKEY, BADSIG, BADTIME, BADTRUNC...) for "SERVER". */
      serverError?: string;
      /** Whether the server's error answer carried a MAC that verified (BADTIME, BADTRUNC). */
      signed?: boolean;
      /** The server's clock, from the Other Data of a BADTIME answer (§5.2.3). */
      serverTime?: number;
    };

/** RFC 8945 §5.3.1: a client accepts up to 99 unsigned messages in a row in a stream. */
const MAX_UNSIGNED_RUN = 99;

/**
 * Verifies the answer to a signed request, message by message: the first signed message
 * covers the request MAC and the full variables, every later one the prior MAC, the
 * unsigned messages since it, and the timers (§5.3.1). After a failure every call returns
 * that failure (the client MUST close the connection). Call finish() after the last message.
 */
export class ResponseVerifier {
  private prior: Buffer;
  private first = true;
  private pending: Buffer[] = [];
  private failure: Extract<ResponseCheck, { ok: false }> | null = null;

  constructor(
    readonly key: TsigKey,
    requestMac: Buffer,
    private readonly now: () => number,
  ) {
    this.prior = requestMac;
  }

  private fail(
    error: ResponseFailure,
    reason: string,
    tsig: TsigRR | null,
    extra: { serverError?: string; signed?: boolean; serverTime?: number } = {},
  ): ResponseCheck {
    this.failure = { ok: false, error, reason, tsig, ...extra };
    return this.failure;
  }

  verify(message: Buffer): ResponseCheck {
    if (this.failure) return this.failure;
    let tsig: TsigRR | null;
    try {
      tsig = readTsig(message);
    } catch (e) {
      if (e instanceof FormatError) return this.fail("FORMERR", e.message, null);
      throw e;
    }
    if (tsig === null) {
      // §5.4: an answer without the TSIG it should carry is a format error; §5.3.1: later
      // messages of a stream may go unsigned, 99 in a row at most.
      if (this.first) return this.fail("UNSIGNED", "the answer is not signed", null);
      this.pending.push(message);
      if (this.pending.length > MAX_UNSIGNED_RUN) {
        return this.fail("UNSIGNED", `more than ${MAX_UNSIGNED_RUN} unsigned messages`, null);
      }
      return { ok: true, signed: false, tsig: null };
    }
    const algorithm = canonicalAlgorithm(tsig.algorithm);
    if (nameKey(tsig.keyName) !== this.key.name || algorithm !== this.key.algorithm) {
      return this.fail("BADKEY", `signed with ${tsig.keyName} ${tsig.algorithm}`, tsig);
    }
    const serverError = tsig.error === 0 ? undefined : tsigErrorName(tsig.error);
    if (serverError && tsig.mac.length === 0) {
      // §5.3.2: BADKEY and BADSIG answers are unsigned; nothing to verify.
      return this.fail("SERVER", `server says ${serverError}`, tsig, {
        serverError,
        signed: false,
      });
    }
    try {
      checkMacSize(tsig, algorithm);
    } catch (e) {
      if (e instanceof FormatError) return this.fail("FORMERR", e.message, tsig);
      throw e;
    }
    const tail = this.first ? variables(tsig) : timers(tsig.timeSigned, tsig.fudge);
    const mine = computeMac(
      this.key,
      this.prior,
      [...this.pending, ...coveredParts(message, tsig)],
      tail,
    );
    if (!macMatches(mine, tsig.mac)) return this.fail("BADSIG", "the MAC does not verify", tsig);
    this.first = false;
    this.pending = [];
    this.prior = tsig.mac;
    if (serverError) {
      const serverTime =
        tsig.error === TSIG_ERROR.BADTIME && tsig.otherData.length === 6
          ? tsig.otherData.readUIntBE(0, 6)
          : undefined;
      return this.fail("SERVER", `server says ${serverError}`, tsig, {
        serverError,
        signed: true,
        serverTime,
      });
    }
    if (Math.abs(this.now() - tsig.timeSigned) > tsig.fudge) {
      return this.fail("BADTIME", `signed at ${tsig.timeSigned}, outside ${tsig.fudge} s`, tsig);
    }
    return { ok: true, signed: true, tsig };
  }

  /** After the last message: fails unless it was signed and verified (§5.3.1). */
  finish(): ResponseCheck {
    if (this.failure) return this.failure;
    if (this.first) return this.fail("UNSIGNED", "no signed message received", null);
    if (this.pending.length > 0)
      return this.fail("UNSIGNED", "the last message is not signed", null);
    return { ok: true, signed: true, tsig: null };
  }
}
