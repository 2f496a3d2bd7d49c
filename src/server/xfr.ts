/**
 * Zone transfer answers as streams of messages: AXFR (RFC 5936) and IXFR (RFC 1995).
 *
 * Each message is built from the wire-form records of one consistent version of the zone
 * (a snapshot taken when the transfer starts, and journal changesets, which are immutable),
 * with name compression, under a size budget well below 64 KiB, and optionally passed through
 * a signer (TSIG, RFC 8945 §5.3.1: every message is signed). Generation yields to the event
 * loop regularly, and the transport waits for `drain`, so a slow secondary costs a few
 * messages of memory, never the zone.
 */

import { FLAG } from "../wire/message.js";
import { T } from "../wire/types.js";
import { MessageWriter, Overflow } from "../wire/writer.js";
import type { Changeset, RR } from "../zone/journal.js";
import type { ZoneNode } from "../zone/rrset.js";
import type { Zone } from "../zone/zone.js";
import type { AxfrCache, AxfrFiller } from "./axfr-cache.js";
import { isControl, type StreamItem } from "./handler.js";

/** NSD sends 16 KiB messages, BIND about 20 KiB; Knot up to 64 KiB. */
export const DEFAULT_MESSAGE_SIZE = 16 * 1024;
/** Our EDNS payload size when none is configured (RFC 9715 / DNS Flag Day 2020). */
export const DEFAULT_PAYLOAD = 1232;
/** Room kept at the end of every message for the OPT and TSIG records. */
const TRAILER_ROOM = 512;
const MAX_MESSAGE = 65535;
/** Let other work (queries) run after this many messages. */
const YIELD_EVERY = 16;

export interface XfrRequest {
  id: number;
  /** The request's flags: the opcode and RD are echoed. */
  flags: number;
  /** The question as asked (case kept). */
  qname: string;
  qtype: number;
  qclass: number;
  /** EDNS in the request: an OPT goes into every message. */
  edns: boolean;
}

export interface XfrStats {
  records: number;
  messages: number;
  bytes: number;
  /** Sent from the messages kept from an earlier AXFR of the same version (axfr-cache.ts). */
  kept?: true;
}

export interface XfrOptions {
  messageSize?: number;
  /** Turns a finished message into the bytes to send (TSIG signing). */
  sign?: (message: Buffer) => Buffer;
  /** Our EDNS payload size, for the OPT of each message. */
  payload?: number;
  /** Octets kept free at the end of every message for the OPT and TSIG (default 512). */
  reserve?: number;
  // What a fault (server/transfer-faults.ts) changes; absent, the answer is the zone's.
  /** The SOA that opens (and closes) an AXFR, instead of the apex's (serial-regression). */
  soa?: RR;
  /** The SOA that closes an AXFR, when it is not the opening one (axfr-soa-mismatch). */
  closingSoa?: RR;
  /**
   * The closing SOA in a message of its own, so that a stream cut or changed after some
   * messages is cut before it even when the zone fits one message.
   */
  closeApart?: boolean;
  /** Every AXFR record but the SOA sent twice (axfr-duplicate-records). */
  duplicate?: boolean;
  /** Where the messages of an AXFR are kept for the next request (axfr-cache.ts). */
  keep?: AxfrFiller;
}

/** The header flags of every answer message: QR, AA, and the request's opcode and RD echoed. */
export function answerFlags(req: XfrRequest): number {
  return FLAG.QR | FLAG.AA | (req.flags & (0x7800 | FLAG.RD));
}

/** One record to send: owner (a canonical name), type, TTL, RDATA. */
interface WireRR {
  owner: string;
  type: number;
  ttl: number;
  rdata: string;
}

/** Packs records into messages. */
class MessagePacker {
  private buf!: Buffer;
  private w!: MessageWriter;
  private count = 0;
  private first = true;
  readonly done: Buffer[] = [];
  private readonly reserve: number;

  constructor(
    private readonly req: XfrRequest,
    private readonly stats: XfrStats,
    private readonly opts: XfrOptions,
  ) {
    this.reserve = opts.reserve ?? TRAILER_ROOM;
    this.start();
  }

  private start(limit = (this.opts.messageSize ?? DEFAULT_MESSAGE_SIZE) - this.reserve): void {
    this.buf = Buffer.allocUnsafe(limit + this.reserve);
    this.w = new MessageWriter(this.buf, limit);
    this.count = 0;
    if (this.first) {
      // RFC 5936 §2.2.1: the first message carries a copy of the question.
      this.w.presentationName(this.req.qname);
      this.w.u16(this.req.qtype);
      this.w.u16(this.req.qclass);
    }
  }

  add(rr: WireRR): void {
    this.record(rr.owner, rr.type, rr.ttl, rr.rdata);
  }

  /** One record (owner a canonical name); starts a new message when this one is full. */
  record(owner: string, type: number, ttl: number, rdata: string): void {
    const mark = this.w.pos;
    try {
      this.w.rr(owner, type, 1, ttl, rdata);
      this.count++;
      return;
    } catch (err) {
      if (!(err instanceof Overflow)) throw err;
      this.w.rollback(mark);
    }
    if (this.count > 0) this.flush();
    try {
      this.w.rr(owner, type, 1, ttl, rdata);
    } catch (err) {
      if (!(err instanceof Overflow)) throw err;
      // One record larger than the usual budget: it gets a message of its own, up to 64 KiB.
      this.start(MAX_MESSAGE - this.reserve);
      this.w.rr(owner, type, 1, ttl, rdata);
    }
    this.count++;
  }

  /** Finish the current message (header, OPT, signature). */
  flush(): void {
    const w = this.w;
    let arcount = 0;
    w.limit = this.buf.length;
    if (this.req.edns) {
      w.raw("\0");
      w.u16(T.OPT);
      w.u16(this.opts.payload ?? DEFAULT_PAYLOAD);
      w.u32(0);
      w.u16(0);
      arcount = 1;
    }
    const b = this.buf;
    b.writeUInt16BE(this.req.id, 0);
    b.writeUInt16BE(answerFlags(this.req), 2);
    b.writeUInt16BE(this.first ? 1 : 0, 4);
    b.writeUInt16BE(this.count, 6);
    b.writeUInt16BE(0, 8);
    b.writeUInt16BE(arcount, 10);
    let msg = b.subarray(0, w.pos);
    // Kept before it is signed: the signer makes a new buffer and leaves this one as it is.
    this.opts.keep?.add(msg, this.count);
    if (this.opts.sign) msg = this.opts.sign(msg);
    this.done.push(msg);
    this.stats.messages++;
    this.stats.records += this.count;
    this.stats.bytes += msg.length;
    this.first = false;
    this.start();
  }

  get pending(): number {
    return this.count;
  }
}

function soaOf(apex: ZoneNode): WireRR {
  const soa = apex.get(T.SOA)!;
  return { owner: apex.name, type: T.SOA, ttl: soa.ttl, rdata: soa.at(0) };
}

function wireRR(r: RR): WireRR {
  return { owner: r.name, type: r.type, ttl: r.ttl, rdata: r.rdata };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The AXFR messages, built one at a time (the synchronous core of axfrMessages). */
export function* axfrParts(
  req: XfrRequest,
  apex: ZoneNode,
  nodes: readonly ZoneNode[],
  stats: XfrStats,
  opts: XfrOptions = {},
): Generator<Buffer> {
  const p = new MessagePacker(req, stats, opts);
  const soa = opts.soa ? wireRR(opts.soa) : soaOf(apex);
  const copies = opts.duplicate ? 2 : 1;
  p.add(soa);
  for (const node of nodes) {
    if (node.empty) continue;
    const owner = node.name;
    for (let s = 0; s < node.setCount; s++) {
      const set = node.setAt(s);
      if (set.type === T.SOA && node.name === apex.name) continue;
      for (let i = 0; i < set.size; i++)
        for (let c = 0; c < copies; c++) p.record(owner, set.type, set.ttl, set.at(i));
    }
    if (p.done.length > 0) yield* p.done.splice(0);
  }
  if (opts.closeApart && p.pending > 0) p.flush();
  p.add(opts.closingSoa ? wireRR(opts.closingSoa) : soa);
  p.flush();
  yield* p.done.splice(0);
  // Only a stream taken to its end is kept (a transfer cut before never gets here).
  opts.keep?.end();
}

/** The RFC 1995 §4 incremental messages (the synchronous core of ixfrMessages). */
export function* ixfrParts(
  req: XfrRequest,
  current: RR,
  changesets: readonly Changeset[],
  stats: XfrStats,
  opts: XfrOptions = {},
): Generator<Buffer> {
  const p = new MessagePacker(req, stats, opts);
  const soa = wireRR(current);
  p.add(soa);
  for (const cs of changesets) {
    p.add(wireRR(cs.soaFrom));
    for (const r of cs.removed) p.add(wireRR(r));
    p.add(wireRR(cs.soaTo));
    for (const r of cs.added) p.add(wireRR(r));
    if (p.done.length > 0) yield* p.done.splice(0);
  }
  if (opts.closeApart && p.pending > 0) p.flush();
  p.add(soa);
  p.flush();
  yield* p.done.splice(0);
}

/** Yield the messages of a synchronous generator, letting other work run now and then. */
async function* paced(parts: Generator<Buffer>): AsyncGenerator<Buffer> {
  let n = 0;
  for (const m of parts) {
    yield m;
    if (++n % YIELD_EVERY === 0) await tick();
  }
}

/**
 * Where an AXFR's messages may be kept (axfr-cache.ts): the zone and the version sent. Given
 * only for a transfer without a fault planned (transfer-steps.ts), as a fault may change
 * the messages (`soa`, `closingSoa`, `closeApart`, `duplicate`) or the stream.
 */
export interface AxfrKeeping {
  cache: AxfrCache;
  zone: Zone;
  version: number;
}

/**
 * AXFR (RFC 5936 §2.2): the SOA, every other record, the SOA again. `nodes` is a snapshot of
 * one version and `apex` its apex node. Also the AXFR-style answer to an IXFR (RFC 1995 §4).
 * With `keeping`, the messages of that version are sent again when they are kept, and kept
 * when they are built.
 */
export function axfrMessages(
  req: XfrRequest,
  apex: ZoneNode,
  nodes: readonly ZoneNode[],
  stats: XfrStats,
  opts: XfrOptions = {},
  keeping?: AxfrKeeping,
): AsyncGenerator<Buffer> {
  if (keeping === undefined) return paced(axfrParts(req, apex, nodes, stats, opts));
  const { cache, zone, version } = keeping;
  const shape = {
    req,
    messageSize: opts.messageSize ?? DEFAULT_MESSAGE_SIZE,
    payload: opts.payload ?? DEFAULT_PAYLOAD,
    reserve: opts.reserve ?? TRAILER_ROOM,
  };
  const kept = cache.replay(zone, version, shape, stats);
  if (kept !== undefined) return paced(signed(kept, stats, opts.sign));
  const keep = cache.filler(zone, version, shape);
  return paced(axfrParts(req, apex, nodes, stats, keep ? { ...opts, keep } : opts));
}

/** Kept messages (already the request's own copies), signed when the transfer is, counted. */
function* signed(
  messages: Generator<Buffer>,
  stats: XfrStats,
  sign: XfrOptions["sign"],
): Generator<Buffer> {
  for (const m of messages) {
    const out = sign ? sign(m) : m;
    stats.messages++;
    stats.bytes += out.length;
    yield out;
  }
}

/**
 * The incremental answer of RFC 1995 §4: the new SOA, then for each changeset the old SOA,
 * the removed records, the next SOA and the added records, then the new SOA again.
 */
export function ixfrMessages(
  req: XfrRequest,
  current: RR,
  changesets: readonly Changeset[],
  stats: XfrStats,
  opts: XfrOptions = {},
): AsyncGenerator<Buffer> {
  return paced(ixfrParts(req, current, changesets, stats, opts));
}

/** A single-SOA answer (RFC 1995 §4: the client is current, or UDP cannot carry more). */
export function singleSoaMessage(req: XfrRequest, soa: RR, opts: XfrOptions = {}): Buffer {
  const stats: XfrStats = { records: 0, messages: 0, bytes: 0 };
  const p = new MessagePacker(req, stats, opts);
  p.add(wireRR(soa));
  p.flush();
  return p.done[0];
}

/**
 * Every message of a stream, collected (IXFR over UDP, tests): what a client would receive,
 * so it skips `pace` and `delay` and stops at `close`, `reset` and `stall` (handler.ts).
 */
export async function collect(messages: AsyncIterable<StreamItem>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const m of messages) {
    if (!isControl(m)) out.push(m);
    else if (m.control !== "pace" && m.control !== "delay") break;
  }
  return out;
}
