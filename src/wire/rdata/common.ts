/**
 * Shared machinery for the RDATA codecs: a writer over one scratch buffer, a bounds-checked
 * reader, a token cursor, and small field codecs (numbers, names, strings, base64, hex) that
 * the per-family modules compose into record codecs.
 *
 * Every codec has three directions: text → wire (`fromText`), wire → text (`toText`), and a
 * validating wire → wire copy (`fromWire`) that expands compression pointers. The last one
 * also serves RFC 3597 `\#` input (which must be valid wire data for a known type) and
 * `rdataNames` (the writer records where it wrote each name).
 */

import {
  MAX_LABEL,
  MAX_NAME_WIRE,
  NameError,
  nameToWire,
  parseName,
  readNameWire,
} from "../name.js";
import {
  decodeBase64,
  decodeCharString,
  decodeHexInto,
  encodeBase64,
  encodeHex,
  quoteString,
} from "../text.js";
import type { Token } from "../token.js";
import { typeToText } from "../types.js";
import { RdataError } from "./error.js";

/** RDLENGTH is 16 bits (RFC 1035 §3.2.1). */
export const MAX_RDATA = 0xffff;

/**
 * Appends octets to a scratch buffer sized for the largest RDATA; `finish()` copies out
 * exactly the bytes written (small copies come from Node's buffer pool, so a million-record
 * load does one small allocation per record and no reallocation).
 */
export class Writer {
  readonly buf = Buffer.allocUnsafe(MAX_RDATA + 1);
  pos = 0;
  /** When set, each name written by `copyName`/`name` is recorded here (see rdataNames). */
  names: Array<{ offset: number; length: number }> | null = null;

  /** The type being written, for error messages. */
  type = 0;

  reset(type: number): this {
    this.type = type;
    this.pos = 0;
    this.names = null;
    return this;
  }
  room(n: number): void {
    if (this.pos + n > MAX_RDATA) {
      throw new RdataError(`${typeToText(this.type)} RDATA would be longer than 65535 octets`);
    }
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.room(2);
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v & 0xff;
  }
  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }
  bytes(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    this.room(n);
    // Short runs (labels, origins, addresses) copy faster in a loop than through a
    // subarray + native set.
    if (n <= 64) {
      const buf = this.buf;
      let o = this.pos;
      for (let i = start; i < end; i++) buf[o++] = src[i];
    } else {
      this.buf.set(src.subarray(start, end), this.pos);
    }
    this.pos += n;
  }
  /** What was written, as a latin1 string (one character per octet): no Buffer is made. */
  finishLatin1(): string {
    return this.buf.toString("latin1", 0, this.pos);
  }
  finish(): Buffer {
    const n = this.pos;
    const out = Buffer.allocUnsafe(n);
    if (n <= 64) {
      const buf = this.buf;
      for (let i = 0; i < n; i++) out[i] = buf[i];
    } else {
      this.buf.copy(out, 0, 0, n);
    }
    return out;
  }
}

/** Reads one RDATA inside `buf` (a whole message or the RDATA alone), between pos and end. */
export class Reader {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
    readonly type: number,
    /** RFC 3597 `\#` data: names must be uncompressed since there is no message around them. */
    readonly noPointers = false,
  ) {}

  fail(what: string): never {
    throw new RdataError(`${typeToText(this.type)} RDATA is malformed: ${what}`);
  }
  need(n: number, what: string): void {
    if (this.pos + n > this.end) this.fail(`${what} runs past the end`);
  }
  left(): number {
    return this.end - this.pos;
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++];
  }
  u16(what: string): number {
    this.need(2, what);
    const v = (this.buf[this.pos] << 8) | this.buf[this.pos + 1];
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  rest(): Uint8Array {
    const v = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }
  /** All octets consumed: RDLENGTH must match the fields exactly. */
  done(): void {
    if (this.pos !== this.end)
      this.fail(`${this.end - this.pos} octets left over after the last field`);
  }
  /** A name as canonical text (for printing); compression allowed unless noPointers. */
  name(what: string): string {
    const start = this.pos;
    const len = plainNameLength(this.buf, start, this.end);
    if (len > 0) {
      this.pos = start + len;
      return readNameWire(this.buf, start).name;
    }
    const { name, next } = this.readCompressed(what);
    this.pos = next;
    return name;
  }
  /** Copy a name uncompressed into `w`, recording its position when `w.names` is set. */
  copyName(w: Writer, what: string): void {
    const start = this.pos;
    const at = w.pos;
    const len = plainNameLength(this.buf, start, this.end);
    if (len > 0) {
      w.bytes(this.buf, start, start + len);
      this.pos = start + len;
    } else {
      const { name, next } = this.readCompressed(what);
      w.bytes(nameToWire(name));
      this.pos = next;
    }
    if (w.names) w.names.push({ offset: at, length: w.pos - at });
  }
  private readCompressed(what: string): { name: string; next: number } {
    let r: { name: string; next: number };
    try {
      // Pointers only point backwards (readNameWire enforces it), so nothing at or past the
      // end of this RDATA can legitimately be part of the name: cut the view there.
      r = readNameWire(this.buf.subarray(0, this.end), this.pos);
    } catch (e) {
      if (e instanceof NameError) {
        this.fail(
          /past the end/.test(e.message) ? `${what} runs past the end` : `${what}: ${e.message}`,
        );
      }
      throw e;
    }
    if (r.next > this.end) this.fail(`${what} runs past the end`);
    if (this.noPointers) this.fail(`${what} is compressed, which generic (\\#) data cannot be`);
    return r;
  }
}

/**
 * Length of an uncompressed, well-formed name at `pos` that ends before `end`, or 0 when it
 * has a pointer or any defect (the caller then takes the slow path through readNameWire,
 * which decompresses or reports the precise problem).
 */
function plainNameLength(buf: Uint8Array, pos: number, end: number): number {
  let p = pos;
  for (;;) {
    if (p >= end) return 0;
    const len = buf[p];
    if (len === 0) break;
    if (len > MAX_LABEL) return 0;
    p += len + 1;
  }
  p++;
  return p - pos <= MAX_NAME_WIRE ? p - pos : 0;
}

/** Cursor over the fields of one record; builds messages like `MX preference "x" ...`. */
export class Parser {
  tokens: Token[] = [];
  i = 0;
  origin = ".";
  type = 0;

  reset(tokens: Token[], origin: string, type: number): this {
    this.tokens = tokens;
    this.i = 0;
    this.origin = origin;
    this.type = type;
    return this;
  }
  get label(): string {
    return typeToText(this.type);
  }
  fail(message: string): never {
    throw new RdataError(`${this.label} ${message}`);
  }
  more(): boolean {
    return this.i < this.tokens.length;
  }
  next(what: string): Token {
    if (this.i >= this.tokens.length) this.fail(`${what} is missing`);
    return this.tokens[this.i++];
  }
  /** The remaining tokens (possibly none). */
  rest(): Token[] {
    const r = this.tokens.slice(this.i);
    this.i = this.tokens.length;
    return r;
  }
  done(): void {
    if (this.i < this.tokens.length) {
      this.fail(`has an unexpected extra field "${this.tokens[this.i].text}"`);
    }
  }
}

/** A decimal number with at most `max`; digits only, as BIND accepts (leading zeros fine). */
export function parseUint(p: Parser, text: string, what: string, max: number): number {
  const n = text.length;
  if (n === 0) p.fail(`${what} is empty`);
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) p.fail(`${what} "${text}" is not a number`);
    v = v * 10 + d;
  }
  if (v > max) p.fail(`${what} ${text} is out of range (0-${max})`);
  return v;
}

const TTL_UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * A 32-bit time interval: plain seconds or BIND's unit form ("1h30m", "2W"), as BIND accepts
 * for the SOA timers.
 */
export function parseInterval(p: Parser, text: string, what: string): number {
  const first = text.charCodeAt(0);
  if (first >= 0x30 && first <= 0x39 && !/[^0-9]/.test(text)) {
    return parseUint(p, text, what, 0xffffffff);
  }
  const re = /([0-9]+)([smhdw])/giy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * TTL_UNIT[m[2].toLowerCase()];
    at = re.lastIndex;
  }
  if (at === 0 || at !== text.length) p.fail(`${what} "${text}" is not a number or time interval`);
  if (total > 0xffffffff) p.fail(`${what} ${text} is out of range (0-4294967295 seconds)`);
  return total;
}

/* ------------------------------------------------------------------------------------------ */
/* Names                                                                                       */

let cachedOrigin = "";
let cachedOriginWire: Buffer = Buffer.from([0]);

function originWire(origin: string): Buffer {
  if (origin !== cachedOrigin) {
    cachedOriginWire = nameToWire(origin);
    cachedOrigin = origin;
  }
  return cachedOriginWire;
}

/**
 * Master-file name → uncompressed wire form in `w`, relative names resolved against the
 * origin (RFC 1035 §5.1). The common case (plain ASCII, no escapes) is converted in one pass
 * without building strings; anything else goes through parseName/nameToWire, which also
 * produce the error messages.
 */
export function writeName(p: Parser, w: Writer, text: string, what: string): void {
  const at = w.pos;
  if (!fastName(w, text, p.origin)) {
    w.pos = at;
    let wire: Buffer;
    try {
      wire = nameToWire(parseName(text, p.origin));
    } catch (e) {
      if (e instanceof NameError) p.fail(`${what} "${text}" is not a valid name: ${e.message}`);
      throw e;
    }
    w.bytes(wire);
  }
  if (w.names) w.names.push({ offset: at, length: w.pos - at });
}

function fastName(w: Writer, text: string, origin: string): boolean {
  const n = text.length;
  if (n === 0 || text === "@") return false;
  if (text === ".") {
    w.u8(0);
    return true;
  }
  w.room(n + 1);
  const buf = w.buf;
  const start = w.pos;
  let lenAt = start;
  let o = start + 1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      const len = o - lenAt - 1;
      if (len === 0 || len > MAX_LABEL) return false;
      buf[lenAt] = len;
      lenAt = o++;
    } else if (c === 0x5c || c > 0x7e) {
      return false;
    } else {
      buf[o++] = c;
    }
  }
  const last = o - lenAt - 1;
  if (last > MAX_LABEL) return false;
  if (last === 0) {
    // Ended with a dot: absolute.
    buf[lenAt] = 0;
    w.pos = o;
  } else {
    buf[lenAt] = last;
    w.pos = o;
    const ow = originWire(origin);
    w.bytes(ow);
  }
  return w.pos - start <= MAX_NAME_WIRE;
}

/* ------------------------------------------------------------------------------------------ */
/* Field codecs                                                                                */

/** One RDATA field in all three directions. */
export interface Field {
  parse(p: Parser, w: Writer): void;
  print(r: Reader): string;
  copy(r: Reader, w: Writer): void;
}

/** A record type's codec. */
export interface Codec {
  fromText(p: Parser, w: Writer): void;
  toText(r: Reader): string;
  /** Validating copy with names decompressed; must consume the RDATA exactly. */
  fromWire(r: Reader, w: Writer): void;
}

/** A codec that is just its fields in order. */
export function record(...fields: Field[]): Codec {
  return {
    fromText(p, w) {
      for (const f of fields) f.parse(p, w);
      p.done();
    },
    toText(r) {
      let out = "";
      for (let i = 0; i < fields.length; i++) {
        const s = fields[i].print(r);
        // An optional trailing field that is absent prints as nothing (KEY without a key).
        if (s !== "") out += i === 0 ? s : ` ${s}`;
      }
      r.done();
      return out;
    },
    fromWire(r, w) {
      for (const f of fields) f.copy(r, w);
      r.done();
    },
  };
}

export function u8(what: string): Field {
  return {
    parse: (p, w) => w.u8(parseUint(p, p.next(what).text, what, 0xff)),
    print: (r) => String(r.u8(what)),
    copy: (r, w) => w.u8(r.u8(what)),
  };
}

export function u16(what: string): Field {
  return {
    parse: (p, w) => w.u16(parseUint(p, p.next(what).text, what, 0xffff)),
    print: (r) => String(r.u16(what)),
    copy: (r, w) => w.u16(r.u16(what)),
  };
}

export function u32(what: string): Field {
  return {
    parse: (p, w) => w.u32(parseUint(p, p.next(what).text, what, 0xffffffff)),
    print: (r) => String(r.u32(what)),
    copy: (r, w) => w.u32(r.u32(what)),
  };
}

/** A 32-bit interval that also accepts BIND's units on input (SOA timers). */
export function interval(what: string): Field {
  return {
    parse: (p, w) => w.u32(parseInterval(p, p.next(what).text, what)),
    print: (r) => String(r.u32(what)),
    copy: (r, w) => w.u32(r.u32(what)),
  };
}

/** A u8 or u16 that may also be written as a mnemonic from `table` (e.g. algorithm names). */
export function mnemonic(
  what: string,
  bits: 8 | 16,
  table: ReadonlyMap<string, number>,
  printMnemonic: boolean,
): Field {
  const max = bits === 8 ? 0xff : 0xffff;
  const names = new Map<number, string>();
  for (const [k, v] of table) if (!names.has(v)) names.set(v, k);
  return {
    parse(p, w) {
      const t = p.next(what).text;
      const c = t.charCodeAt(0);
      let v: number | undefined;
      if (c >= 0x30 && c <= 0x39) v = parseUint(p, t, what, max);
      else v = table.get(t.toUpperCase());
      if (v === undefined) return p.fail(`${what} "${t}" is not a number or a known mnemonic`);
      if (bits === 8) w.u8(v);
      else w.u16(v);
    },
    print(r) {
      const v = bits === 8 ? r.u8(what) : r.u16(what);
      return (printMnemonic && names.get(v)) || String(v);
    },
    copy(r, w) {
      if (bits === 8) w.u8(r.u8(what));
      else w.u16(r.u16(what));
    },
  };
}

/** An embedded domain name. */
export function name(what: string): Field {
  return {
    parse: (p, w) => writeName(p, w, p.next(what).text, what),
    print: (r) => r.name(what),
    copy: (r, w) => r.copyName(w, what),
  };
}

/** Parse one character-string token into `w` with its length octet (RFC 1035 §3.3). */
export function writeCharString(p: Parser, w: Writer, text: string, what: string): void {
  const at = w.pos;
  w.room(1);
  const end = decodeStringChecked(p, w, text, what, at + 1, 255);
  w.buf[at] = end - at - 1;
  w.pos = end;
}

/** Decode string text into w.buf at `pos`, at most `max` octets; returns the end. */
export function decodeStringChecked(
  p: Parser,
  w: Writer,
  text: string,
  what: string,
  pos: number,
  max: number,
): number {
  let end: number;
  const room = MAX_RDATA - pos;
  try {
    end = decodeCharString(text, w.buf, pos, Math.min(max, room));
  } catch (e) {
    if (e instanceof RdataError) p.fail(`${what}: ${e.message}`);
    throw e;
  }
  if (end < 0) {
    if (max === 255 && max <= room) {
      p.fail(
        `${what} is longer than 255 octets; split it into several quoted strings of at most 255`,
      );
    }
    w.room(MAX_RDATA + 1); // throws the "longer than 65535 octets" error
  }
  return end;
}

/** One <character-string>: a length octet and up to 255 octets. */
export function charString(what: string): Field {
  return {
    parse: (p, w) => writeCharString(p, w, p.next(what).text, what),
    print(r) {
      const len = r.u8(what);
      const start = r.pos;
      r.need(len, what);
      r.pos += len;
      return quoteString(r.buf, start, start + len);
    },
    copy(r, w) {
      const len = r.u8(what);
      w.u8(len);
      w.bytes(r.bytes(len, what));
    },
  };
}

/** The rest of the RDATA as base64 text split over any number of fields (RFC 4034 §2.2). */
export function base64Rest(what: string, required: boolean): Field {
  return {
    parse(p, w) {
      let text = "";
      for (const t of p.rest()) text += t.text;
      if (required && text.length === 0) p.fail(`${what} is missing`);
      try {
        w.bytes(decodeBase64(text));
      } catch (e) {
        if (e instanceof RdataError) p.fail(`${what}: ${e.message}`);
        throw e;
      }
    },
    print: (r) => (r.left() === 0 && !required ? "" : encodeBase64(r.rest())),
    copy(r, w) {
      if (required && r.left() === 0) r.fail(`${what} is empty`);
      w.bytes(r.rest());
    },
  };
}

/** Join hex fields and write their octets; `required` rejects an empty result. */
export function writeHexFields(p: Parser, w: Writer, tokens: Token[], what: string): number {
  let text = "";
  for (const t of tokens) text += t.text;
  w.room(text.length >> 1);
  try {
    const end = decodeHexInto(text, w.buf, w.pos);
    const n = end - w.pos;
    w.pos = end;
    return n;
  } catch (e) {
    if (e instanceof RdataError) p.fail(`${what}: ${e.message}`);
    throw e;
  }
}

/**
 * The rest of the RDATA as hex split over any number of fields (DS, TLSA, SSHFP...); never
 * empty. `lengthFor` looks at the fields before this one (at the start of the writer's
 * buffer) and returns the exact octet count they demand, if any.
 */
export function hexRest(
  what: string,
  lengthFor?: (head: Uint8Array) => number | undefined,
  min = 1,
): Field {
  const check = (fail: (m: string) => never, head: Uint8Array, n: number) => {
    if (n === 0) fail(`${what} is missing`);
    const want = lengthFor?.(head);
    if (want !== undefined && want !== n) fail(`${what} must be ${want} octets, not ${n}`);
    if (n < min) fail(`${what} must be at least ${min} octets, not ${n}`);
  };
  return {
    parse(p, w) {
      check((m) => p.fail(m), w.buf, writeHexFields(p, w, p.rest(), what));
    },
    print: (r) => encodeHex(r.rest()),
    copy(r, w) {
      const start = w.pos;
      w.bytes(r.rest());
      check((m) => r.fail(m), w.buf, w.pos - start);
    },
  };
}
