/**
 * Builds DNS messages with name compression (RFC 1035 §4.1.4) under a size budget.
 *
 * Names are handled in their uncompressed wire form as latin1 strings, so a name read from a
 * query, an owner name and a name inside RDATA all compare without conversion. Compression
 * matches case-insensitively (ASCII only, RFC 4343), as BIND does by default, so an answer's
 * owner name points at the question and carries the question's case.
 *
 * Only the RDATA names of the RFC 1035 types are compressed (RFC 3597 §4); other types' RDATA
 * is copied as it is.
 */

import { T } from "./types.js";

/** RFC 1035 §4.1.4: pointers are 14-bit offsets. */
const MAX_POINTER = 0x3fff;

/** Lowercase ASCII letters only; other bytes (including ≥ 0x80) stay as they are. */
export function asciiLower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return asciiLowerSlow(s);
  }
  return s.toLowerCase();
}

function asciiLowerSlow(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c + 32) : s[i];
  }
  return out;
}

/** Length of the uncompressed wire name starting at `p` in a latin1 string. */
function wireNameEnd(s: string, p: number): number {
  for (;;) {
    const len = s.charCodeAt(p);
    if (len === 0 || Number.isNaN(len)) return p + 1;
    p += len + 1;
  }
}

export class Overflow extends Error {}

/** Node's own latin1 copy (undocumented but stable since Node 0.x), without `write`'s argument juggling. */
type Latin1Writer = { latin1Write(s: string, offset: number, length: number): number };

/** Copy `s[start..end)` as latin1 bytes to `buf` at `pos`. Short runs are faster by hand. */
function writeLatin1(buf: Buffer, s: string, start: number, end: number, pos: number): void {
  const n = end - start;
  if (n <= 24) {
    for (let i = 0; i < n; i++) buf[pos + i] = s.charCodeAt(start + i);
  } else if (start === 0 && end === s.length) {
    (buf as unknown as Latin1Writer).latin1Write(s, pos, n);
  } else {
    (buf as unknown as Latin1Writer).latin1Write(s.slice(start, end), pos, n);
  }
}

export class MessageWriter {
  pos: number;
  private readonly comp = new Map<string, number>();
  /** The last name written with compression and where: owners repeat record after record. */
  private lastName = "";
  private lastAt = -1;

  constructor(
    readonly buf: Buffer,
    /** Largest message this writer may produce. */
    public limit: number,
    start = 12,
  ) {
    this.pos = start;
  }

  private need(n: number): void {
    if (this.pos + n > this.limit) throw new Overflow();
  }

  /** Write a name (uncompressed wire form as latin1), compressed when `compress`. */
  name(wire: string, compress = true): void {
    if (!compress) {
      this.raw(wire);
      return;
    }
    if (wire === this.lastName && this.lastAt >= 0) {
      this.need(2);
      this.buf[this.pos++] = 0xc0 | (this.lastAt >> 8);
      this.buf[this.pos++] = this.lastAt & 0xff;
      return;
    }
    const lower = asciiLower(wire);
    let p = 0;
    let ptr = -1;
    while (lower.charCodeAt(p) !== 0) {
      const off = this.comp.get(lower.slice(p));
      if (off !== undefined) {
        ptr = off;
        break;
      }
      p += lower.charCodeAt(p) + 1;
    }
    const literal = ptr >= 0 ? p : wire.length;
    this.need(literal + (ptr >= 0 ? 2 : 0));
    const start = this.pos;
    writeLatin1(this.buf, wire, 0, literal, start);
    this.pos += literal;
    if (ptr >= 0) {
      this.buf[this.pos++] = 0xc0 | (ptr >> 8);
      this.buf[this.pos++] = ptr & 0xff;
    }
    // Where this name now is as a whole: at `start` if it began with literal labels, or
    // wherever the pointer leads when it is one pointer.
    const at = p > 0 ? start : ptr;
    this.lastName = wire;
    this.lastAt = at <= MAX_POINTER ? at : -1;
    // The labels written literally become compression targets for later names.
    let q = 0;
    while (q < p) {
      if (start + q > MAX_POINTER) break;
      this.comp.set(lower.slice(q), start + q);
      q += lower.charCodeAt(q) + 1;
    }
  }

  u16(v: number): void {
    this.need(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.need(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  raw(s: string): void {
    this.need(s.length);
    writeLatin1(this.buf, s, 0, s.length, this.pos);
    this.pos += s.length;
  }

  bytes(b: Uint8Array): void {
    this.need(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** One resource record; `owner` and `rdata` are latin1 wire strings. */
  rr(owner: string, type: number, cls: number, ttl: number, rdata: string): void {
    this.name(owner);
    this.need(10);
    this.buf.writeUInt16BE(type, this.pos);
    this.buf.writeUInt16BE(cls, this.pos + 2);
    this.buf.writeUInt32BE(ttl >>> 0, this.pos + 4);
    const lenAt = this.pos + 8;
    this.pos += 10;
    const start = this.pos;
    this.rdata(type, rdata);
    this.buf.writeUInt16BE(this.pos - start, lenAt);
  }

  private rdata(type: number, rd: string): void {
    switch (type) {
      // RFC 1035 types whose RDATA is one domain name.
      case T.NS:
      case T.CNAME:
      case T.PTR:
      case 3: // MD
      case 4: // MF
      case 7: // MB
      case 8: // MG
      case 9: // MR
        this.name(rd);
        return;
      case T.MX:
        this.raw(rd.slice(0, 2));
        this.name(rd.slice(2));
        return;
      case T.SOA: {
        const e1 = wireNameEnd(rd, 0);
        const e2 = wireNameEnd(rd, e1);
        this.name(rd.slice(0, e1));
        this.name(rd.slice(e1, e2));
        this.raw(rd.slice(e2));
        return;
      }
      case 14: {
        // MINFO: two names
        const e1 = wireNameEnd(rd, 0);
        this.name(rd.slice(0, e1));
        this.name(rd.slice(e1));
        return;
      }
      default:
        this.raw(rd);
    }
  }

  /** Undo everything written after `mark` (a previous `pos`), including compression targets. */
  rollback(mark: number): void {
    this.pos = mark;
    if (this.lastAt >= mark) this.lastAt = -1;
    for (const [k, off] of this.comp) if (off >= mark) this.comp.delete(k);
  }
}
