/**
 * The query handler: bytes of a request in, bytes of a response out (RFC 1034 §4.3.2,
 * RFC 1035 §4.1, RFC 6891). Lookup semantics live in zone/lookup.ts; this module decides
 * rcodes and flags, sizes the response for the transport and keeps the answer cache.
 */

import type { Logger } from "pino";
import { FLAG, FormatError, OPCODE, parseQuery, type Query } from "../wire/message.js";
import { nameToWireString, readNameWire } from "../wire/name.js";
import { T } from "../wire/types.js";
import { MessageWriter, Overflow } from "../wire/writer.js";
import { type Answer, type Entry, lookup, RCODE } from "../zone/lookup.js";
import type { ZoneSet } from "../zone/zoneset.js";
import { AnswerCache, plainQueryKey } from "./answer-cache.js";
import type { DnsHandler, HandlerResult, RequestContext } from "./handler.js";
import type { Keyring } from "./signed.js";

export interface QueryHandlerOptions {
  logger?: Logger;
  /**
   * Largest UDP response we send, whatever the client advertises. 1232 avoids IP
   * fragmentation on common paths (DNS Flag Day 2020), as BIND 9.18 and Knot default to.
   */
  maxUdpPayload?: number;
  /** Entries in the answer cache (0 disables it). */
  cacheEntries?: number;
  /** Verifies signed requests and signs their answers; without it TSIGs are ignored. */
  keyring?: Keyring;
  /**
   * Told of every SOA query (before the answer cache), so that a primary can record when a
   * secondary last checked a zone (Cloudflare's `checked_time`).
   */
  onSoaQuery?: (qname: string, ctx: RequestContext) => void;
  /**
   * Told of every NOTIFY request (RFC 1996) received, once per message, before it is answered
   * NOTIMP: this server is a primary and never acts on one.
   */
  onNotify?: (qname: string, ctx: RequestContext) => void;
  /** Answers AXFR and IXFR; without it every transfer is refused. */
  transfer?: (msg: Buffer, q: Query, ctx: RequestContext) => HandlerResult;
}

const CLASS_IN = 1;
const CLASS_ANY = 255;
/** RFC 6891 §9: extended RCODE 16 = BADVERS (upper 8 bits go in the OPT TTL). */
const BADVERS = 16;
const MAX_MESSAGE = 65535;

const scratch = Buffer.allocUnsafe(MAX_MESSAGE);

interface Reply {
  id: number;
  /** Flags of the request: RD and CD are copied, the opcode is echoed. */
  requestFlags: number;
  rcode: number;
  aa: boolean;
  /** Question to echo, if any. */
  question?: { qname: string; qtype: number; qclass: number };
  answer?: Answer;
  edns: { udpSize: number; do: boolean } | null;
  /** Largest message allowed. */
  limit: number;
}

/** Encode a response. Whole RRsets only; what does not fit sets TC (RFC 2181 §9). */
export function encodeReply(r: Reply, ourPayload: number): Buffer {
  const buf = scratch;
  const optLen = r.edns ? 11 : 0;
  const w = new MessageWriter(buf, r.limit - optLen);
  let qd = 0;
  if (r.question) {
    const wire = nameToWireString(r.question.qname);
    w.name(wire);
    w.u16(r.question.qtype);
    w.u16(r.question.qclass);
    qd = 1;
  }
  let tc = false;
  const counts = [0, 0, 0];
  const sections: Entry[][] = r.answer
    ? [r.answer.answer, r.answer.authority, r.answer.additional]
    : [];
  for (let s = 0; s < sections.length && !tc; s++) {
    for (const e of sections[s]) {
      const mark = w.pos;
      try {
        const owner = nameToWireString(e.owner);
        const ttl = e.ttl ?? e.set.ttl;
        const set = e.set;
        for (let i = 0; i < set.size; i++) w.rr(owner, set.type, CLASS_IN, ttl, set.at(i));
        counts[s] += set.size;
      } catch (err) {
        if (!(err instanceof Overflow)) throw err;
        w.rollback(mark);
        // Missing answer or authority data, or required glue, means the client must retry
        // over TCP; optional additional data is simply left out (RFC 2181 §9, RFC 9471).
        if (s < 2 || e.required) tc = true;
        if (tc) break;
      }
    }
  }
  let arcount = counts[2];
  w.limit = r.limit;
  if (r.edns) {
    // RFC 6891 §6.1.2: root owner, TYPE OPT, CLASS = our payload size, TTL = ext-RCODE,
    // version 0 and the DO bit echoed (RFC 3225 §3), no options.
    w.raw("\0");
    w.u16(T.OPT);
    w.u16(ourPayload);
    const ext = r.rcode >> 4;
    w.u32(((ext & 0xff) << 24) | (r.edns.do ? 0x8000 : 0));
    w.u16(0);
    arcount++;
  }
  const opcode = r.requestFlags & 0x7800;
  const flags =
    FLAG.QR |
    opcode |
    (r.aa ? FLAG.AA : 0) |
    (tc ? FLAG.TC : 0) |
    (r.requestFlags & (FLAG.RD | FLAG.CD)) |
    (r.rcode & 0xf);
  buf.writeUInt16BE(r.id, 0);
  buf.writeUInt16BE(flags, 2);
  buf.writeUInt16BE(qd, 4);
  buf.writeUInt16BE(counts[0], 6);
  buf.writeUInt16BE(counts[1], 8);
  buf.writeUInt16BE(arcount, 10);
  const out = Buffer.allocUnsafe(w.pos);
  buf.copy(out, 0, 0, w.pos);
  return out;
}

export function createQueryHandler(zones: ZoneSet, opts: QueryHandlerOptions = {}): DnsHandler {
  const maxUdp = opts.maxUdpPayload ?? 1232;
  const cache = new AnswerCache(opts.cacheEntries ?? 100_000);
  const log = opts.logger;

  function fromCache(msg: Buffer, cached: Buffer, nameEnd: number): Buffer {
    const out = Buffer.allocUnsafe(cached.length);
    cached.copy(out);
    out[0] = msg[0];
    out[1] = msg[1];
    out[2] = (cached[2] & 0xfe) | (msg[2] & 0x01); // RD
    out[3] = (cached[3] & 0xef) | (msg[3] & 0x10); // CD
    msg.copy(out, 12, 12, nameEnd); // the question as the client wrote it (case)
    return out;
  }

  function handle(msg: Buffer, ctx: RequestContext): HandlerResult {
    if (msg.length < 12) return null;
    // A response (QR=1) is never answered: answering could start a loop between servers.
    if (msg[2] & 0x80) return null;
    const tcp = ctx.transport === "tcp";
    const plain = plainQueryKey(msg);
    if (plain && opts.onSoaQuery && msg[plain.nameEnd] === 0 && msg[plain.nameEnd + 1] === T.SOA) {
      opts.onSoaQuery(readNameWire(msg, 12).name, ctx);
    }
    if (plain) {
      const cached = cache.get(plain.key, zones.generation);
      if (cached && (tcp || cached.length <= Math.min(plain.udpSize, maxUdp))) {
        return fromCache(msg, cached, plain.nameEnd);
      }
    }
    let q: Query;
    try {
      q = parseQuery(msg);
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      log?.debug({ remote: ctx.remoteAddress, reason: e.message }, "FORMERR");
      return encodeReply(
        {
          id: msg.readUInt16BE(0),
          requestFlags: msg.readUInt16BE(2),
          rcode: RCODE.FORMERR,
          aa: false,
          edns: null,
          limit: 512,
        },
        maxUdp,
      );
    }
    // A NOTIFY carries the SOA type too (RFC 1996 §3.7), but it is not a secondary's check.
    if (!plain && q.qtype === T.SOA && q.opcode === OPCODE.QUERY) opts.onSoaQuery?.(q.qname, ctx);
    if (q.opcode === OPCODE.NOTIFY) {
      log?.info(
        { zone: q.qname, remote: ctx.remoteAddress, port: ctx.remotePort },
        "NOTIFY received; this server is a primary",
      );
      opts.onNotify?.(q.qname, ctx);
    }
    const isTransfer = q.qtype === T.AXFR || q.qtype === T.IXFR;
    if (
      isTransfer &&
      opts.transfer &&
      (!q.edns || q.edns.version === 0) &&
      q.opcode === OPCODE.QUERY
    ) {
      return opts.transfer(msg, q, ctx);
    }
    // RFC 8945 §5.3: a signed request gets a signed answer, whatever it is.
    const signed = q.arcount > 0 && opts.keyring ? opts.keyring.check(msg) : undefined;
    const signer = signed?.kind === "ok" ? signed.signer : undefined;
    let limit = tcp ? MAX_MESSAGE : q.edns ? Math.min(q.edns.udpSize, maxUdp) : 512;
    if (signer && !tcp) limit -= signer.overhead;
    const r: Reply = {
      id: q.id,
      requestFlags: q.flags,
      rcode: RCODE.NOERROR,
      aa: false,
      question: { qname: q.qname, qtype: q.qtype, qclass: q.qclass },
      edns: q.edns ? { udpSize: q.edns.udpSize, do: q.edns.do } : null,
      limit,
    };
    const done = (reply: Buffer) => (signer ? signer.sign(reply) : reply);
    const fail = (rcode: number) => {
      r.rcode = rcode;
      return done(encodeReply(r, maxUdp));
    };
    if (signed?.kind === "malformed") {
      // RFC 8945 §5.2.2.1, §5.1: a MAC Size out of bounds or an unreadable TSIG is FORMERR.
      log?.info({ remote: ctx.remoteAddress, reason: signed.reason }, "TSIG malformed; FORMERR");
      return fail(RCODE.FORMERR);
    }
    if (signed?.kind === "failed") {
      // RFC 8945 §5.3.2: NOTAUTH with the TSIG error (BADKEY, BADSIG unsigned; BADTIME signed).
      log?.info(
        {
          remote: ctx.remoteAddress,
          key: signed.keyName,
          error: signed.error,
          detail: signed.detail,
        },
        "TSIG check failed",
      );
      r.rcode = RCODE.NOTAUTH;
      return signed.answer(encodeReply(r, maxUdp));
    }
    if (q.edns && q.edns.version !== 0) {
      // RFC 6891 §6.1.3: unknown EDNS version → BADVERS, with our highest version (0).
      return fail(BADVERS);
    }
    if (q.opcode !== OPCODE.QUERY) {
      // We serve QUERY only here; NOTIFY to a primary and UPDATE are not implemented.
      log?.debug({ remote: ctx.remoteAddress, opcode: q.opcode }, "NOTIMP");
      return fail(RCODE.NOTIMP);
    }
    if (q.qtype === T.OPT || q.qtype === T.TSIG || q.qtype === 249 /* TKEY */ || q.qtype === 0) {
      return fail(RCODE.FORMERR);
    }
    if (q.qclass !== CLASS_IN && q.qclass !== CLASS_ANY) return fail(RCODE.REFUSED);
    // MAILB/MAILA (RFC 1035 §3.2.3) are obsolete.
    if (q.qtype === 253 || q.qtype === 254) return fail(RCODE.NOTIMP);
    if (isTransfer) {
      // No transfer policy configured: refuse, as a server without transfer ACLs does.
      log?.info(
        { remote: ctx.remoteAddress, zone: q.qname, qtype: q.qtype },
        "zone transfer refused",
      );
      return fail(RCODE.REFUSED);
    }
    const answer = lookup(zones, q.qname, q.qtype);
    // RFC 1034 §4.3.2 step 2: not authoritative for any zone containing QNAME.
    if (!answer) return fail(RCODE.REFUSED);
    r.rcode = answer.rcode;
    r.aa = answer.aa;
    r.answer = answer;
    r.limit = MAX_MESSAGE;
    const full = encodeReply(r, maxUdp);
    if (plain) cache.set(plain.key, zones.generation, full);
    if (full.length <= limit) return done(full);
    r.limit = limit;
    return done(encodeReply(r, maxUdp));
  }

  return { handle };
}
