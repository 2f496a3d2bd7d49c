/**
 * Reading the parts of a request that the server acts on: header, question, EDNS(0) OPT.
 * The raw buffer is kept untouched (TSIG verification will need the exact bytes received).
 */

import { readNameWire } from "./name.js";
import { T } from "./types.js";

export const FLAG = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  AD: 0x0020,
  CD: 0x0010,
} as const;

export const OPCODE = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

/** Header RCODEs (RFC 1035 §4.1.1, RFC 2136 §2.2). */
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
} as const;

const RCODE_NAMES = Object.keys(RCODE);

/** The mnemonic of a header RCODE, or RCODE<n>. */
export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}

export interface Edns {
  /** Advertised UDP payload size (RFC 6891 §6.2.3: values below 512 are treated as 512). */
  udpSize: number;
  version: number;
  /** DNSSEC OK (RFC 3225). */
  do: boolean;
  /** Compact answers OK (RFC 9824 §4): NXDOMAIN may stay NXDOMAIN in a compact denial. */
  co: boolean;
}

export interface Query {
  id: number;
  flags: number;
  opcode: number;
  /** Question name, canonical presentation form in the case it was sent. */
  qname: string;
  qtype: number;
  qclass: number;
  /** Offset just after the question section. */
  questionEnd: number;
  edns: Edns | null;
  ancount: number;
  nscount: number;
  arcount: number;
  /** Offset of the first answer-section record (just after the question). */
  recordsStart: number;
}

export class FormatError extends Error {
  override name = "FormatError";
}

/** What a record header looks like once its owner name has been skipped. */
export interface RawRecord {
  name: string;
  type: number;
  cls: number;
  ttl: number;
  rdataOffset: number;
  rdlength: number;
  /** Offset of the record's first byte. */
  start: number;
  end: number;
}

/** Walk one resource record starting at `p`. */
export function readRecord(msg: Buffer, p: number): RawRecord {
  const { name, next } = readNameWire(msg, p);
  if (next + 10 > msg.length)
    throw new FormatError("record header runs past the end of the message");
  const type = msg.readUInt16BE(next);
  const cls = msg.readUInt16BE(next + 2);
  const ttl = msg.readUInt32BE(next + 4);
  const rdlength = msg.readUInt16BE(next + 8);
  const rdataOffset = next + 10;
  if (rdataOffset + rdlength > msg.length)
    throw new FormatError("RDATA runs past the end of the message");
  return { name, type, cls, ttl, rdataOffset, rdlength, start: p, end: rdataOffset + rdlength };
}

/**
 * Parse a request. Throws FormatError (the caller answers FORMERR) when the message is not a
 * well-formed single-question query. The header must already be known to be 12 bytes long.
 */
export function parseQuery(msg: Buffer): Query {
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  const qdcount = msg.readUInt16BE(4);
  const ancount = msg.readUInt16BE(6);
  const nscount = msg.readUInt16BE(8);
  const arcount = msg.readUInt16BE(10);
  const opcode = (flags >> 11) & 0xf;
  // RFC 1035 §4.1.2 allows several questions, but no server answers more than one.
  if (qdcount !== 1) throw new FormatError(`QDCOUNT is ${qdcount}, not 1`);
  let qname: string;
  let p: number;
  try {
    const r = readNameWire(msg, 12);
    qname = r.name;
    p = r.next;
  } catch (e) {
    throw new FormatError((e as Error).message);
  }
  if (p + 4 > msg.length) throw new FormatError("question runs past the end of the message");
  const qtype = msg.readUInt16BE(p);
  const qclass = msg.readUInt16BE(p + 2);
  const questionEnd = p + 4;

  let edns: Edns | null = null;
  let q = questionEnd;
  try {
    for (let i = 0; i < ancount + nscount; i++) q = readRecord(msg, q).end;
    for (let i = 0; i < arcount; i++) {
      const rr = readRecord(msg, q);
      if (rr.type === T.OPT) {
        // RFC 6891 §6.1.1: one OPT at most, owned by the root.
        if (edns) throw new FormatError("more than one OPT record");
        if (rr.name !== ".") throw new FormatError("OPT record not owned by the root");
        edns = {
          udpSize: Math.max(512, rr.cls),
          version: (rr.ttl >>> 16) & 0xff,
          do: (rr.ttl & 0x8000) !== 0,
          co: (rr.ttl & 0x4000) !== 0,
        };
        validateOptions(msg, rr.rdataOffset, rr.rdlength);
      }
      q = rr.end;
    }
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError((e as Error).message);
  }
  // Trailing bytes after the last record: RFC 1035 gives them no meaning; BIND returns FORMERR.
  if (q !== msg.length) throw new FormatError("trailing bytes after the last record");
  return {
    id,
    flags,
    opcode,
    qname,
    qtype,
    qclass,
    questionEnd,
    edns,
    ancount,
    nscount,
    arcount,
    recordsStart: questionEnd,
  };
}

/** RFC 6891 §6.1.2: options are {code, length, data}; a length running past the RDATA is malformed. */
function validateOptions(msg: Buffer, off: number, len: number): void {
  let p = off;
  const end = off + len;
  while (p < end) {
    if (p + 4 > end) throw new FormatError("truncated EDNS option");
    const olen = msg.readUInt16BE(p + 2);
    p += 4 + olen;
    if (p > end) throw new FormatError("EDNS option runs past the OPT RDATA");
  }
}

/**
 * The SOA a client puts in the authority section of an IXFR request (RFC 1995 §3): its
 * owner and serial. Throws FormatError when it is missing or malformed.
 */
export function readIxfrSoa(msg: Buffer, q: Query): { name: string; serial: number } {
  try {
    let p = q.recordsStart;
    for (let i = 0; i < q.ancount; i++) p = readRecord(msg, p).end;
    if (q.nscount < 1)
      throw new FormatError("IXFR request without an SOA in the authority section");
    const rr = readRecord(msg, p);
    if (rr.type !== T.SOA || rr.rdlength < 22)
      throw new FormatError("IXFR authority record is not an SOA");
    // The serial is the first of the five 32-bit fields after the two (maybe compressed) names.
    const mname = readNameWire(msg, rr.rdataOffset);
    const rname = readNameWire(msg, mname.next);
    if (rname.next + 20 !== rr.end) throw new FormatError("malformed SOA in the IXFR request");
    return { name: rr.name, serial: msg.readUInt32BE(rname.next) };
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError((e as Error).message);
  }
}
