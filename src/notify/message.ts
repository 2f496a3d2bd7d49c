/**
 * NOTIFY messages (RFC 1996): the request a primary sends and the parts of the answer it
 * matches. Pure wire code: no sockets, no clock. Signing (RFC 8945) is the sender's business,
 * with signRequest() on the bytes built here.
 */

import { FLAG, OPCODE } from "../wire/message.js";
import { readNameWire } from "../wire/name.js";
import { CLASS_IN, T } from "../wire/types.js";
import { MessageWriter } from "../wire/writer.js";

/** The zone's SOA as it is served: TTL and RDATA (uncompressed wire form, latin1). */
export interface NotifySoaRecord {
  ttl: number;
  rdata: string;
}

/** Room for a question and an SOA with two long names; a NOTIFY never comes near it. */
const MAX_REQUEST = 1024;

/**
 * A NOTIFY request for `zone` (canonical name) with message ID `id`: opcode NOTIFY, AA set,
 * the question `zone SOA IN`, and the zone's current SOA in the answer section when `soa` is
 * given (RFC 1996 §3.7: the primary MAY include it; BIND and Knot do). Names are compressed.
 */
export function notifyRequest(zone: string, soa: NotifySoaRecord | null, id: number): Buffer {
  const buf = Buffer.alloc(MAX_REQUEST);
  // RFC 1996 §3.7: "the AA bit MUST be set", opcode NOTIFY; RD, RA, TC clear.
  buf.writeUInt16BE(id & 0xffff, 0);
  buf.writeUInt16BE((OPCODE.NOTIFY << 11) | FLAG.AA, 2);
  buf.writeUInt16BE(1, 4);
  buf.writeUInt16BE(soa ? 1 : 0, 6);
  const w = new MessageWriter(buf, MAX_REQUEST);
  // RFC 1996 §3.7: QNAME the zone, QTYPE SOA.
  w.presentationName(zone);
  w.u16(T.SOA);
  w.u16(CLASS_IN);
  if (soa) w.rr(zone, T.SOA, CLASS_IN, soa.ttl, soa.rdata);
  return Buffer.from(buf.subarray(0, w.pos));
}

/** What a NOTIFY sender checks in an answer (RFC 1996 §4.7: a NOTIFY response, QR set). */
export interface NotifyResponse {
  id: number;
  qr: boolean;
  opcode: number;
  /** The 4-bit header RCODE (an OPT's extended bits are not read). */
  rcode: number;
  /** The first question, when there is one. */
  question?: { name: string; type: number; class: number };
}

/**
 * Read the header and first question of a datagram. Never throws: anything too short or with
 * a malformed question gives undefined, and a stranger's garbage is simply not an answer.
 */
export function readNotifyResponse(buf: Buffer): NotifyResponse | undefined {
  if (buf.length < 12) return undefined;
  const flags = buf.readUInt16BE(2);
  const res: NotifyResponse = {
    id: buf.readUInt16BE(0),
    qr: (flags & FLAG.QR) !== 0,
    opcode: (flags >> 11) & 0xf,
    rcode: flags & 0xf,
  };
  if (buf.readUInt16BE(4) === 0) return res;
  try {
    const { name, next } = readNameWire(buf, 12);
    if (next + 4 > buf.length) return undefined;
    res.question = { name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) };
  } catch {
    return undefined;
  }
  return res;
}

import { rcodeName } from "../wire/message.js";

export { rcodeName };
