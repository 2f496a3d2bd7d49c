/**
 * The steps of answering a DNS message (the chain and its order are in query.ts). The first
 * three work on the bytes alone; from `classify` on, a step reads and fills in the request
 * object (query-request.ts) and returns undefined to go on, or the answer that ends the chain
 * (null: no answer at all).
 */

import { FormatError, OPCODE, parseQuery } from "../wire/message.js";
import { nameKey, readNameWire } from "../wire/name.js";
import { T } from "../wire/types.js";
import { lookup, RCODE } from "../zone/lookup.js";
import { NXNAME, signAnswer, zoneSigner } from "./dnssec-answer.js";
import type { HandlerResult, RequestContext } from "./handler.js";
import { faultDelivery, findFaults, regressSerial } from "./query-faults.js";
import {
  BADVERS,
  CLASS_ANY,
  CLASS_IN,
  encodeReply,
  fail,
  MAX_MESSAGE,
  type PlainQuery,
  type QueryEnv,
  QueryRequest,
} from "./query-request.js";

/**
 * Step 1: is this a request to answer at all? Not when it is shorter than a header, nor when
 * it is a response (QR=1): answering a response could start a loop between servers.
 */
export function screen(msg: Buffer): boolean {
  return msg.length >= 12 && (msg[2] & 0x80) === 0;
}

/**
 * Observer, before the cache: a plain SOA query is a secondary's check (Cloudflare's
 * `checked_time`), told whether its answer comes from the cache or not.
 */
export function noteSoaCheck(
  env: QueryEnv,
  msg: Buffer,
  plain: PlainQuery,
  ctx: RequestContext,
): void {
  if (env.onSoaQuery && msg[plain.nameEnd] === 0 && msg[plain.nameEnd + 1] === T.SOA)
    env.onSoaQuery(readNameWire(msg, 12).name, ctx);
}

/**
 * Step 2, the hot path, before anything is parsed: a plain query whose whole answer is cached
 * and fits the transport gets a copy of it, with its own ID, RD and CD bits and question case.
 * It allocates nothing but the copy; anything that must see a query before it is answered
 * goes before this step or is an observer like `noteSoaCheck`.
 */
export function fromCache(
  env: QueryEnv,
  msg: Buffer,
  plain: PlainQuery,
  ctx: RequestContext,
): Buffer | undefined {
  const cached = env.cache.get(cacheKey(plain), env.zones.generation);
  if (cached === undefined) return undefined;
  if (ctx.transport !== "tcp" && cached.length > Math.min(plain.udpSize, env.maxUdp))
    return undefined;
  return patchCached(msg, cached, plain.nameEnd);
}

/**
 * The answer cache's key for a question. An answer to a query with DO may carry signatures
 * made in this hour (dnssec-answer.ts), valid for two days: the hour is part of its key, so
 * an answer is never served from the cache after the hour it was signed in.
 */
function cacheKey(plain: PlainQuery): string {
  return plain.dnssecOk ? `${plain.key}${Math.floor(Date.now() / 3_600_000)}` : plain.key;
}

/** The cached answer as an answer to `msg`: its ID, RD and CD bits, its question's case. */
function patchCached(msg: Buffer, cached: Buffer, nameEnd: number): Buffer {
  const out = Buffer.allocUnsafe(cached.length);
  cached.copy(out);
  out[0] = msg[0];
  out[1] = msg[1];
  out[2] = (cached[2] & 0xfe) | (msg[2] & 0x01); // RD
  out[3] = (cached[3] & 0xef) | (msg[3] & 0x10); // CD
  msg.copy(out, 12, 12, nameEnd); // the question as the client wrote it (case)
  return out;
}

/**
 * Step 3: the request read (wire/message.ts) into the object the next steps share, or
 * FORMERR (RFC 1035 §4.1.1) without a question, since none could be read.
 */
export function parse(
  env: QueryEnv,
  msg: Buffer,
  ctx: RequestContext,
  plain: PlainQuery | null,
): QueryRequest | Buffer {
  try {
    return new QueryRequest(env, msg, ctx, parseQuery(msg), plain);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    env.logger?.debug({ remote: ctx.remoteAddress, reason: e.message }, "FORMERR");
    return encodeReply(
      {
        id: msg.readUInt16BE(0),
        requestFlags: msg.readUInt16BE(2),
        rcode: RCODE.FORMERR,
        aa: false,
        question: undefined,
        answer: undefined,
        edns: null,
        limit: 512,
      },
      env.maxUdp,
    );
  }
}

/**
 * Step 4: what kind of request this is. An SOA query that was not plain is a check too (the
 * observer); a NOTIFY (RFC 1996) is told to its observer and goes on, to be answered NOTIMP
 * by `checkQuestion` (this server is a primary); an AXFR or IXFR goes to the transfer chain
 * (transfer.ts), which answers it whole. Anything else is an ordinary query.
 */
export function classify(rq: QueryRequest): HandlerResult | undefined {
  const { env, q, ctx } = rq;
  // A NOTIFY carries the SOA type too (RFC 1996 §3.7), but it is not a secondary's check.
  if (!rq.plain && q.qtype === T.SOA && q.opcode === OPCODE.QUERY) env.onSoaQuery?.(q.qname, ctx);
  if (q.opcode === OPCODE.NOTIFY) {
    env.logger?.info(
      { zone: q.qname, remote: ctx.remoteAddress, port: ctx.remotePort },
      "NOTIFY received; this server is a primary",
    );
    env.onNotify?.(q.qname, ctx);
  }
  if (
    isTransfer(q.qtype) &&
    env.transfer &&
    (!q.edns || q.edns.version === 0) &&
    q.opcode === OPCODE.QUERY
  )
    return env.transfer(rq.msg, q, ctx);
  return undefined;
}

const isTransfer = (qtype: number) => qtype === T.AXFR || qtype === T.IXFR;

/**
 * Step 5, RFC 8945: a TSIG that is malformed is FORMERR (§5.2.2.1), one that fails NOTAUTH
 * with its error (§5.3.2); from here on every answer to a verified request is signed (§5.3),
 * and over UDP the room for the answer shrinks by the size of the signature.
 */
export function verifyTsig(rq: QueryRequest): HandlerResult | undefined {
  const { env, ctx } = rq;
  if (rq.q.arcount === 0 || !env.keyring) return undefined;
  const signed = env.keyring.check(rq.msg);
  if (signed.kind === "ok") {
    rq.signer = signed.signer;
    if (!rq.tcp) {
      rq.room -= signed.signer.overhead;
      rq.limit = rq.room;
    }
    return undefined;
  }
  if (signed.kind === "malformed") {
    // RFC 8945 §5.2.2.1, §5.1: a MAC Size out of bounds or an unreadable TSIG is FORMERR.
    env.logger?.info(
      { remote: ctx.remoteAddress, reason: signed.reason },
      "TSIG malformed; FORMERR",
    );
    return fail(rq, RCODE.FORMERR);
  }
  if (signed.kind === "failed") {
    // RFC 8945 §5.3.2: NOTAUTH with the TSIG error (BADKEY, BADSIG unsigned; BADTIME signed).
    env.logger?.info(
      {
        remote: ctx.remoteAddress,
        key: signed.keyName,
        error: signed.error,
        detail: signed.detail,
      },
      "TSIG check failed",
    );
    rq.rcode = RCODE.NOTAUTH;
    return signed.answer(encodeReply(rq, env.maxUdp));
  }
  return undefined;
}

/**
 * Step 6: a question this handler answers. BADVERS for an EDNS version other than 0 (RFC 6891
 * §6.1.3); NOTIMP for an opcode other than QUERY (a NOTIFY to a primary, UPDATE) and for
 * MAILB/MAILA (obsolete, RFC 1035 §3.2.3); FORMERR for a meta type as the question; REFUSED
 * for a class other than IN (and ANY), and for a transfer when no transfer chain is given.
 */
export function checkQuestion(rq: QueryRequest): HandlerResult | undefined {
  const { q, env, ctx } = rq;
  // RFC 6891 §6.1.3: our highest version (0) goes with BADVERS.
  if (q.edns && q.edns.version !== 0) return fail(rq, BADVERS);
  if (q.opcode !== OPCODE.QUERY) {
    env.logger?.debug({ remote: ctx.remoteAddress, opcode: q.opcode }, "NOTIMP");
    return fail(rq, RCODE.NOTIMP);
  }
  // RFC 9824 §3.5: NXNAME (128) only ever appears in a denial's bitmap; asked for, FORMERR.
  if (
    q.qtype === T.OPT ||
    q.qtype === T.TSIG ||
    q.qtype === 249 /* TKEY */ ||
    q.qtype === 0 ||
    q.qtype === NXNAME
  )
    return fail(rq, RCODE.FORMERR);
  if (q.qclass !== CLASS_IN && q.qclass !== CLASS_ANY) return fail(rq, RCODE.REFUSED);
  if (q.qtype === 253 || q.qtype === 254) return fail(rq, RCODE.NOTIMP);
  if (isTransfer(q.qtype)) {
    // No transfer policy configured: refuse, as a server without transfer ACLs does.
    env.logger?.info(
      { remote: ctx.remoteAddress, zone: q.qname, qtype: q.qtype },
      "zone transfer refused",
    );
    return fail(rq, RCODE.REFUSED);
  }
  return undefined;
}

/**
 * Step 7: the zone the question falls in, by longest match (zone/zoneset.ts). None: REFUSED,
 * not authoritative (RFC 1034 §4.3.2 step 2). Then the zone's faults for this exchange
 * (query-faults.ts), asked only when some zone has one.
 */
export function findZone(rq: QueryRequest): HandlerResult | undefined {
  rq.zone = rq.env.zones.find(nameKey(rq.q.qname));
  if (rq.zone === undefined) return fail(rq, RCODE.REFUSED);
  findFaults(rq);
  return undefined;
}

/**
 * Step 9, unless a fault answered: the answer, looked up in the zone version current at this
 * moment (zone/lookup.ts) and encoded whole; the whole answer of a plain query is what the
 * cache keeps. When some zone has a fault, step 2 was skipped: the cache is asked here, once
 * this zone is known to have none. An answer a fault applies to neither comes from the cache
 * nor goes into it; serial-regression changes its SOA records before it is encoded.
 */
export function answer(rq: QueryRequest): HandlerResult | undefined {
  if (rq.response !== undefined) return undefined;
  const { env, q, plain } = rq;
  const faulted = rq.faults !== undefined;
  if (plain !== null && !faulted && faultsAnywhere(env)) {
    const cached = fromCache(env, rq.msg, plain, rq.ctx);
    if (cached !== undefined) {
      rq.response = cached;
      return undefined;
    }
  }
  const found = lookup(env.zones, q.qname, q.qtype);
  if (!found) return fail(rq, RCODE.REFUSED);
  rq.answer = found;
  // A fault's lowered serial is what gets signed (query-faults.ts).
  if (faulted) regressSerial(rq);
  const signer = rq.edns?.do ? zoneSigner(found.zone) : undefined;
  const answered =
    signer === undefined
      ? rq.answer
      : signAnswer(rq.answer, q.qname, found.zone!, signer, {
          co: rq.edns!.co,
          nowSeconds: Math.floor(Date.now() / 1000),
          zoneOf: (name) => env.zones.find(nameKey(name)),
        });
  rq.rcode = answered.rcode;
  rq.aa = answered.aa;
  rq.answer = answered;
  rq.limit = MAX_MESSAGE;
  rq.response = encodeReply(rq, env.maxUdp);
  if (plain !== null && !faulted) env.cache.set(cacheKey(plain), env.zones.generation, rq.response);
  return undefined;
}

/** Whether any zone has a fault: step 2 is then skipped, and the cache asked in `answer`. */
export function faultsAnywhere(env: QueryEnv): boolean {
  return env.faults !== undefined && env.faults.size > 0;
}

/**
 * Step 10: the answer sized for the transport. Over UDP, an answer larger than the client's
 * size (512 octets, or its EDNS size up to ours) is encoded again to that size: whole RRsets
 * only, TC when answer or authority data is left out (RFC 2181 §9).
 */
export function fit(rq: QueryRequest): HandlerResult | undefined {
  if (rq.response!.length <= rq.room) return undefined;
  rq.limit = rq.room;
  rq.response = encodeReply(rq, rq.env.maxUdp);
  return undefined;
}

/** Step 11, RFC 8945 §5.3: the answer to a signed request is signed. */
export function sign(rq: QueryRequest): HandlerResult | undefined {
  if (rq.signer) rq.response = rq.signer.sign(rq.response!);
  return undefined;
}

/**
 * Step 12: the answer handed to the transport; a fault that changes its delivery goes here
 * (query-faults.ts: udp-drop drops it, latency delays it).
 */
export function deliver(rq: QueryRequest): HandlerResult {
  const response = rq.response!;
  if (rq.faults === undefined) return response;
  const faulted = faultDelivery(rq, response);
  return faulted === undefined ? response : faulted;
}
