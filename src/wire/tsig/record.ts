/**
 * The TSIG record (RFC 8945 §4.2): finding and reading it in a message, writing it, and the
 * digest input of §4.3 fed to the HMAC without copying the message.
 */

import type { Hmac } from "node:crypto";
import { FormatError, readRecord } from "../message.js";
import { labelToText, NameError, nameKey, nameToWire, readNameWire } from "../name.js";
import { T } from "../types.js";
import { hmac, type TsigKey } from "./algorithms.js";

/** CLASS ANY (RFC 8945 §4.2: "CLASS: This MUST be ANY"). */
const CLASS_ANY = 255;

/** TSIG error codes (RFC 8945 §3, IANA "DNS RCODEs"). */
export const TSIG_ERROR = {
  NOERROR: 0,
  BADSIG: 16,
  BADKEY: 17,
  BADTIME: 18,
  BADMODE: 19,
  BADNAME: 20,
  BADALG: 21,
  BADTRUNC: 22,
} as const;

export type TsigErrorName = Exclude<keyof typeof TSIG_ERROR, "NOERROR">;

/** The name of a TSIG error code, or `ERRORn`. */
export function tsigErrorName(code: number): string {
  for (const [k, v] of Object.entries(TSIG_ERROR)) if (v === code) return k;
  return `ERROR${code}`;
}

/**
 * A TSIG RR as read from a message: its fields (key name in the case it was sent; the
 * algorithm lowercase, maybe one we do not know) and where it starts.
 */
export interface TsigRR extends TsigFields {
  /** Offset of the TSIG RR's first byte in the message: what precedes it is what is signed. */
  offset: number;
}

/**
 * Find the TSIG RR of a message. Null when there is none. FormatError when it is anywhere but
 * last in the additional section, when there are two, or when it is malformed (RFC 8945 §5.2:
 * "If a TSIG RR is present in any other position, the DNS message is dropped and a response
 * with RCODE 1 (FORMERR) MUST be returned"; a TSIG RR that "cannot be interpreted" is the same).
 */
export function readTsig(msg: Buffer): TsigRR | null {
  if (msg.length < 12) throw new FormatError("message shorter than its header");
  const qdcount = msg.readUInt16BE(4);
  const ancount = msg.readUInt16BE(6);
  const nscount = msg.readUInt16BE(8);
  const arcount = msg.readUInt16BE(10);
  let p = 12;
  try {
    for (let i = 0; i < qdcount; i++) {
      p = readNameWire(msg, p).next + 4;
      if (p > msg.length) throw new FormatError("question runs past the end of the message");
    }
    const total = ancount + nscount + arcount;
    for (let i = 0; i < total; i++) {
      const rr = readRecord(msg, p);
      if (rr.type === T.TSIG) {
        if (i !== total - 1 || i < ancount + nscount) {
          throw new FormatError("TSIG record is not the last record of the additional section");
        }
        if (rr.end !== msg.length) throw new FormatError("trailing bytes after the TSIG record");
        // RFC 8945 §4.2: CLASS MUST be ANY, TTL MUST be 0.
        if (rr.cls !== CLASS_ANY) throw new FormatError("TSIG record class is not ANY");
        if (rr.ttl !== 0) throw new FormatError("TSIG record TTL is not 0");
        return readRdata(msg, rr.name, rr.rdataOffset, rr.end, p);
      }
      p = rr.end;
    }
  } catch (e) {
    if (e instanceof NameError) throw new FormatError(e.message);
    throw e;
  }
  return null;
}

function readRdata(msg: Buffer, keyName: string, start: number, end: number, offset: number) {
  const bad = (what: string) => new FormatError(`TSIG RDATA: ${what}`);
  // RFC 8945 §4.2: the algorithm name "MUST NOT be compressed".
  let p = start;
  let algorithm = "";
  for (;;) {
    if (p >= end) throw bad("algorithm name runs past the RDATA");
    const len = msg[p];
    if (len === 0) break;
    if (len > 63) throw bad("algorithm name is compressed or has a bad label");
    if (p + 1 + len > end) throw bad("algorithm name runs past the RDATA");
    algorithm += `${labelToText(msg, p + 1, p + 1 + len)}.`;
    p += 1 + len;
  }
  p += 1;
  if (p - start > 255) throw bad("algorithm name longer than 255 octets");
  if (p + 10 > end) throw bad("truncated before the MAC");
  const timeSigned = msg.readUIntBE(p, 6);
  const fudge = msg.readUInt16BE(p + 6);
  const macSize = msg.readUInt16BE(p + 8);
  p += 10;
  if (p + macSize + 6 > end) throw bad("MAC size runs past the RDATA");
  const mac = Buffer.from(msg.subarray(p, p + macSize));
  p += macSize;
  const originalId = msg.readUInt16BE(p);
  const error = msg.readUInt16BE(p + 2);
  const otherLen = msg.readUInt16BE(p + 4);
  p += 6;
  if (p + otherLen !== end) throw bad("Other Len does not match the RDATA length");
  const otherData = Buffer.from(msg.subarray(p, end));
  return {
    keyName,
    algorithm: algorithm === "" ? "." : algorithm.toLowerCase(),
    timeSigned,
    fudge,
    mac,
    originalId,
    error,
    otherData,
    offset,
  };
}

/** The fields of a TSIG RR to write; names are canonical presentation forms. */
export interface TsigFields {
  keyName: string;
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  otherData: Buffer;
}

/** Wire form of a whole TSIG RR; names uncompressed and lowercase (RFC 8945 §4.2, §4.3.3). */
export function encodeTsig(f: TsigFields): Buffer {
  const owner = nameToWire(nameKey(f.keyName));
  const alg = nameToWire(nameKey(f.algorithm));
  const rdlength = alg.length + 16 + f.mac.length + f.otherData.length;
  const out = Buffer.alloc(owner.length + 10 + rdlength);
  let p = owner.copy(out, 0);
  p = out.writeUInt16BE(T.TSIG, p);
  p = out.writeUInt16BE(CLASS_ANY, p);
  p = out.writeUInt32BE(0, p);
  p = out.writeUInt16BE(rdlength, p);
  p += alg.copy(out, p);
  p = out.writeUIntBE(f.timeSigned, p, 6);
  p = out.writeUInt16BE(f.fudge, p);
  p = out.writeUInt16BE(f.mac.length, p);
  p += f.mac.copy(out, p);
  p = out.writeUInt16BE(f.originalId, p);
  p = out.writeUInt16BE(f.error, p);
  p = out.writeUInt16BE(f.otherData.length, p);
  f.otherData.copy(out, p);
  return out;
}

/** A new message: `message` followed by the TSIG RR `rr`, with ARCOUNT one higher. */
export function appendRecord(message: Buffer, rr: Buffer): Buffer {
  const arcount = message.readUInt16BE(10);
  if (arcount === 0xffff) throw new RangeError("ARCOUNT would overflow");
  const out = Buffer.concat([message, rr]);
  out.writeUInt16BE(arcount + 1, 10);
  return out;
}

/** RFC 8945 §4.3.3: the TSIG variables, names in canonical wire form. */
export function variables(f: Omit<TsigFields, "mac" | "originalId">): Buffer {
  const owner = nameToWire(nameKey(f.keyName));
  const alg = nameToWire(nameKey(f.algorithm));
  const out = Buffer.alloc(owner.length + 6 + alg.length + 12 + f.otherData.length);
  let p = owner.copy(out, 0);
  p = out.writeUInt16BE(CLASS_ANY, p);
  p = out.writeUInt32BE(0, p);
  p += alg.copy(out, p);
  p = out.writeUIntBE(f.timeSigned, p, 6);
  p = out.writeUInt16BE(f.fudge, p);
  p = out.writeUInt16BE(f.error, p);
  p = out.writeUInt16BE(f.otherData.length, p);
  f.otherData.copy(out, p);
  return out;
}

/** RFC 8945 §5.3.1: the timers that replace the variables on later messages of a stream. */
export function timers(timeSigned: number, fudge: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeUIntBE(timeSigned, 0, 6);
  out.writeUInt16BE(fudge, 6);
  return out;
}

/** 48-bit time for Other Data of a BADTIME answer (RFC 8945 §5.2.3). */
export function time48(seconds: number): Buffer {
  const out = Buffer.alloc(6);
  out.writeUIntBE(Math.floor(seconds), 0, 6);
  return out;
}

/**
 * The MAC computation of RFC 8945 §4.3, one part after another:
 * - `prior`: the request MAC (§4.3.1) or the prior MAC of a stream (§5.3.1), fed with its
 *   2-octet length; absent for requests;
 * - `messages`: the DNS message(s) as they are to be covered;
 * - `tail`: the TSIG variables (§4.3.3) or the timers (§5.3.1).
 */
export function computeMac(
  key: TsigKey,
  prior: Buffer | null,
  messages: Buffer[],
  tail: Buffer,
): Buffer {
  const h: Hmac = hmac(key);
  if (prior !== null) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(prior.length, 0);
    h.update(len);
    h.update(prior);
  }
  for (const m of messages) h.update(m);
  h.update(tail);
  return h.digest();
}

/**
 * The bytes a received TSIG covers, without copying the body: the header with ARCOUNT one
 * lower and the original ID restored (RFC 8945 §4.3.2), then everything up to the TSIG RR.
 */
export function coveredParts(msg: Buffer, tsig: TsigRR): Buffer[] {
  const header = Buffer.from(msg.subarray(0, 12));
  header.writeUInt16BE(tsig.originalId, 0);
  header.writeUInt16BE(msg.readUInt16BE(10) - 1, 10);
  return [header, msg.subarray(12, tsig.offset)];
}
