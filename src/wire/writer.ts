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

import { nameToWireString } from "./name.js";
import { T } from "./types.js";

/** RFC 1035 §4.1.4: pointers are 14-bit offsets. */
const MAX_POINTER = 0x3fff;

/** Length of the uncompressed wire name starting at `p` in a latin1 string. */
function wireNameEnd(s: string, p: number): number {
  for (;;) {
    const len = s.charCodeAt(p);
    if (len === 0 || Number.isNaN(len)) return p + 1;
    p += len + 1;
  }
}

/**
 * Thrown when a write would pass the writer's limit. One instance serves every throw: a
 * full message is routine during a zone transfer, and a fresh Error would capture a stack
 * trace each time.
 */
export class Overflow extends Error {
  override name = "Overflow";
}
const OVERFLOW = new Overflow("message full");

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

/** ASCII lowercase of one octet (RFC 4343 §3: other octets compare as they are). */
function lowerOctet(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

/** A wire name has at most 127 labels (RFC 1035 §2.3.4: 255 octets). */
const MAX_LABELS = 128;
/** For the name being written: where each label starts, and the hash of the suffix from there. */
const labelAt = new Int32Array(MAX_LABELS);
const suffixHash = new Int32Array(MAX_LABELS);

export class MessageWriter {
  pos: number;
  /**
   * Compression targets: the hash of a lowercased name suffix → the offset where it was
   * written. A hit is checked against the message itself (`spellsAt`), so a collision costs
   * a missed pointer, never a wrong one. Hashes of bytes already in the buffer, instead of
   * suffix strings as keys: no string is cut, lowercased or hashed by the engine per name,
   * which made up half of an AXFR's CPU time.
   */
  private readonly comp = new Map<number, number>();
  /** The last name written with compression (as given) and where: owners repeat record after record. */
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
    if (this.pos + n > this.limit) throw OVERFLOW;
  }

  /** Write a name given in uncompressed wire form as latin1, compressed when `compress`. */
  name(wire: string, compress = true): void {
    if (!compress) this.raw(wire);
    else if (!this.repeat(wire)) this.wireName(wire, 0, wire.length);
  }

  /** The wire name `s[from..to)` (inside RDATA), compressed. */
  private wireName(s: string, from: number, to: number): void {
    const start = this.pos;
    this.room(start, to - from);
    writeLatin1(this.buf, s, from, to, start);
    this.compress(from === 0 && to === s.length ? s : "", start, start + to - from);
  }

  /** Write a canonical presentation name (name.ts), compressed: owners and questions. */
  presentationName(name: string): void {
    if (this.repeat(name)) return;
    if (name.indexOf("\\") >= 0) {
      this.name(nameToWireString(name)); // escapes: the general conversion
      this.lastName = name;
      return;
    }
    // Without escapes, "www.example." is the wire form "\3www\7example\0" with each dot
    // turned into the length of the label after it: written straight into the message.
    const start = this.pos;
    const end = start + (name === "." ? 1 : name.length + 1);
    this.room(start, end - start);
    const buf = this.buf;
    let at = start;
    for (let i = 0; i < name.length && name !== "."; ) {
      const dot = name.indexOf(".", i);
      buf[at] = dot - i;
      writeLatin1(buf, name, i, dot, at + 1);
      at += dot - i + 1;
      i = dot + 1;
    }
    buf[at] = 0;
    this.compress(name, start, end);
  }

  /** The name written just before, again: one pointer to it. */
  private repeat(name: string): boolean {
    if (name !== this.lastName || this.lastAt < 0) return false;
    this.need(2);
    this.buf[this.pos++] = 0xc0 | (this.lastAt >> 8);
    this.buf[this.pos++] = this.lastAt & 0xff;
    return true;
  }

  /** The buffer can hold `n` octets at `at` before compression shortens them. */
  private room(at: number, n: number): void {
    if (at + n > this.buf.length) throw OVERFLOW;
  }

  /**
   * The uncompressed name just copied to `start..end` is cut at its longest suffix already
   * in the message and ended with a pointer there (RFC 1035 §4.1.4); its own literal labels
   * become targets for later names. `given` is the name as the caller gave it (for `repeat`).
   */
  private compress(given: string, start: number, end: number): void {
    const buf = this.buf;
    let labels = 0;
    for (let p = start; buf[p] !== 0 && p < end && labels < MAX_LABELS; p += buf[p] + 1)
      labelAt[labels++] = p;
    let h = 0;
    for (let i = labels - 1; i >= 0; i--) {
      const at = labelAt[i];
      const stop = at + buf[at] + 1;
      for (let k = at; k < stop; k++) h = (Math.imul(h, 31) + lowerOctet(buf[k])) | 0;
      suffixHash[i] = h & 0x3fffffff; // a small integer: a fast Map key
    }
    let hit = labels;
    let ptr = -1;
    for (let i = 0; i < labels; i++) {
      const off = this.comp.get(suffixHash[i]);
      if (off !== undefined && this.spellsAt(labelAt[i], off)) {
        hit = i;
        ptr = off;
        break;
      }
    }
    const length = ptr >= 0 ? labelAt[hit] - start + 2 : end - start;
    if (start + length > this.limit) throw OVERFLOW;
    this.pos = start + length;
    if (ptr >= 0) {
      buf[this.pos - 2] = 0xc0 | (ptr >> 8);
      buf[this.pos - 1] = ptr & 0xff;
    }
    // Where this name now is as a whole: at `start` if it began with literal labels, or
    // wherever the pointer leads when it is one pointer.
    const at = hit > 0 ? start : ptr;
    this.lastName = given;
    this.lastAt = at <= MAX_POINTER ? at : -1;
    // The first name written with a suffix stays its target (a colliding hash keeps the earlier one).
    for (let i = 0; i < hit; i++) {
      const off = labelAt[i];
      if (off > MAX_POINTER) break;
      if (!this.comp.has(suffixHash[i])) this.comp.set(suffixHash[i], off);
    }
  }

  /**
   * Whether the name at `off` (following its pointers) spells the same labels as the
   * uncompressed suffix at `at`, ignoring ASCII case.
   */
  private spellsAt(at: number, off: number): boolean {
    const buf = this.buf;
    for (let hops = 0; hops < MAX_LABELS; hops++) {
      let len = buf[off];
      if ((len & 0xc0) === 0xc0) {
        off = ((len & 0x3f) << 8) | buf[off + 1];
        continue;
      }
      if (len !== buf[at]) return false;
      if (len === 0) return true;
      for (off++, at++; len > 0; len--, off++, at++)
        if (lowerOctet(buf[off]) !== lowerOctet(buf[at])) return false;
    }
    return false;
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

  /** One resource record; `owner` is a canonical presentation name, `rdata` a latin1 wire string. */
  rr(owner: string, type: number, cls: number, ttl: number, rdata: string): void {
    this.presentationName(owner);
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
        this.wireName(rd, 0, rd.length);
        return;
      case T.MX:
        this.rawPart(rd, 0, 2);
        this.wireName(rd, 2, rd.length);
        return;
      case T.SOA: {
        const e1 = wireNameEnd(rd, 0);
        const e2 = wireNameEnd(rd, e1);
        this.wireName(rd, 0, e1);
        this.wireName(rd, e1, e2);
        this.rawPart(rd, e2, rd.length);
        return;
      }
      case 14: {
        // MINFO: two names
        const e1 = wireNameEnd(rd, 0);
        this.wireName(rd, 0, e1);
        this.wireName(rd, e1, rd.length);
        return;
      }
      default:
        this.raw(rd);
    }
  }

  /** `s[from..to)` as it is (part of an RDATA string, without cutting it out). */
  private rawPart(s: string, from: number, to: number): void {
    this.need(to - from);
    writeLatin1(this.buf, s, from, to, this.pos);
    this.pos += to - from;
  }

  /** Undo everything written after `mark` (a previous `pos`), including compression targets. */
  rollback(mark: number): void {
    this.pos = mark;
    if (this.lastAt >= mark) this.lastAt = -1;
    for (const [k, off] of this.comp) if (off >= mark) this.comp.delete(k);
  }
}
