/**
 * The one object an ordinary query carries through the steps of query.ts, and the encoding of
 * every answer those steps give (RFC 1035 §4.1, RFC 6891).
 *
 * The request *is* the reply being built: `encodeReply` reads its header fields, question,
 * answer and size limit straight from it, so the path that looks up and encodes allocates one
 * object for both (the answer cache's path, before it, allocates none of this).
 */

import type { Logger } from "pino";
import type { Fault, Faults } from "../faults/faults.js";
import { type Edns, FLAG, type Query } from "../wire/message.js";
import type { ResponseSigner } from "../wire/tsig.js";
import { T } from "../wire/types.js";
import { MessageWriter, Overflow } from "../wire/writer.js";
import { type Answer, type Entry, RCODE } from "../zone/lookup.js";
import type { Zone } from "../zone/zone.js";
import type { ZoneSet } from "../zone/zoneset.js";
import type { AnswerCache, plainQueryKey } from "./answer-cache.js";
import type { HandlerResult, RequestContext } from "./handler.js";
import type { Keyring } from "./signed.js";

/** What the handler's user plugs in (QueryHandlerOptions, query.ts). */
export interface QueryHooks {
  logger?: Logger;
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
  /**
   * The server's faults (faults/): the query point asks them for the zone of each answer,
   * once some zone has one (query-faults.ts); without them nothing misbehaves.
   */
  faults?: Pick<Faults, "size" | "active" | "applied">;
}

/** What the steps depend on: built once per handler (query.ts). */
export interface QueryEnv extends QueryHooks {
  zones: ZoneSet;
  cache: AnswerCache;
  /** Largest UDP response we send, whatever the client advertises. */
  maxUdp: number;
}

/** The largest DNS message (RFC 1035 §4.2.2: a 16-bit length); TCP answers may be this big. */
export const MAX_MESSAGE = 65535;
export const CLASS_IN = 1;
export const CLASS_ANY = 255;
/** RFC 6891 §9: extended RCODE 16 = BADVERS (the upper 8 bits go in the OPT TTL). */
export const BADVERS = 16;

/** A plain query's cache key and what the cache path reads (answer-cache.ts). */
export type PlainQuery = NonNullable<ReturnType<typeof plainQueryKey>>;

/** What `encodeReply` writes: a header, the question to echo, the answer, the OPT. */
export interface Reply {
  id: number;
  /** Flags of the request: RD and CD are copied, the opcode is echoed. */
  requestFlags: number;
  rcode: number;
  aa: boolean;
  /** Question to echo, if any. */
  question: { qname: string; qtype: number; qclass: number } | undefined;
  answer: Answer | undefined;
  /** The request's OPT: present means one is answered, with DO echoed. */
  edns: Pick<Edns, "do" | "co"> | null;
  /** Largest message allowed. */
  limit: number;
}

/** An ordinary request on its way through the steps; each step fills in what it learns. */
export class QueryRequest implements Reply {
  readonly id: number;
  readonly requestFlags: number;
  readonly question: Query;
  readonly edns: Edns | null;
  rcode: number = RCODE.NOERROR;
  aa = false;
  answer: Answer | undefined = undefined;
  /** The size the answer is encoded to: unbounded at first (what the cache keeps), then `room`. */
  limit: number;
  /** The largest message the transport takes: 64 KiB over TCP, else the client's UDP size. */
  room: number;
  /** Set when the TSIG verified: every answer is signed with it (RFC 8945 §5.3). */
  signer: ResponseSigner | undefined = undefined;
  /** The zone the question falls in (longest match). */
  zone: Zone | undefined = undefined;
  /** The zone's active query faults for this exchange; undefined when none applies. */
  faults: readonly Fault[] | undefined = undefined;
  /** The answer so far: whole, then sized to the transport, then signed. */
  response: Buffer | undefined = undefined;

  constructor(
    readonly env: QueryEnv,
    readonly msg: Buffer,
    readonly ctx: RequestContext,
    readonly q: Query,
    /** The cache key, for a plain query (answer-cache.ts). */
    readonly plain: PlainQuery | null,
  ) {
    this.id = q.id;
    this.requestFlags = q.flags;
    this.question = q;
    this.edns = q.edns;
    this.room =
      ctx.transport === "tcp" ? MAX_MESSAGE : q.edns ? Math.min(q.edns.udpSize, env.maxUdp) : 512;
    this.limit = this.room;
  }

  get tcp(): boolean {
    return this.ctx.transport === "tcp";
  }
}

/** An error answer (the question echoed, no records), signed when the request was: it ends the chain. */
export function fail(rq: QueryRequest, rcode: number): Buffer {
  rq.rcode = rcode;
  rq.limit = rq.room;
  const reply = encodeReply(rq, rq.env.maxUdp);
  return rq.signer ? rq.signer.sign(reply) : reply;
}

const scratch = Buffer.allocUnsafe(MAX_MESSAGE);

/** Encode a response. Whole RRsets only; what does not fit sets TC (RFC 2181 §9). */
export function encodeReply(r: Reply, ourPayload: number): Buffer {
  const buf = scratch;
  const optLen = r.edns ? 11 : 0;
  const w = new MessageWriter(buf, r.limit - optLen);
  let qd = 0;
  if (r.question) {
    w.presentationName(r.question.qname);
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
        const owner = e.owner;
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
    w.u32(((ext & 0xff) << 24) | (r.edns.do ? 0x8000 : 0) | (r.edns.do && r.edns.co ? 0x4000 : 0));
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
