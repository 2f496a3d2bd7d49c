/**
 * Presentation-format building blocks shared by the RDATA codecs: character-strings
 * (RFC 1035 §5.1), base64 (RFC 4648 §4), hex (RFC 4648 §8) and base32hex without padding
 * (RFC 4648 §7, as NSEC3 uses it, RFC 5155 §3.3).
 */
import { RdataError } from "./rdata/error.js";

/**
 * Decode the text of a character-string (quotes already removed, escapes as written) into
 * `out` at `pos`. `\X` is X, `\DDD` is the octet DDD (RFC 1035 §5.1). Characters from U+0080
 * up are written as UTF-8: text reaching here is Unicode (a zone file read as UTF-8, or an
 * API string), so "é" becomes C3 A9 as it would in BIND reading the same UTF-8 file.
 * Returns the end position, or -1 when more than `max` octets would be written.
 */
export function decodeCharString(text: string, out: Uint8Array, pos: number, max: number): number {
  const limit = pos + max;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c === 0x5c) {
      if (i + 1 >= n) throw new RdataError(`trailing backslash in "${text}"`);
      c = text.charCodeAt(++i);
      if (c >= 0x30 && c <= 0x39) {
        const d1 = text.charCodeAt(i + 1) - 0x30;
        const d2 = text.charCodeAt(i + 2) - 0x30;
        // NaN (past the end) fails both comparisons, so this also catches "\1" at the end.
        if (!(d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9)) {
          throw new RdataError(
            `bad escape "\\${text.slice(i, i + 3)}" in "${text}": \\DDD needs 3 digits`,
          );
        }
        const v = (c - 0x30) * 100 + d1 * 10 + d2;
        if (v > 255)
          throw new RdataError(`bad escape "\\${text.slice(i, i + 3)}" in "${text}": above 255`);
        if (pos >= limit) return -1;
        out[pos++] = v;
        i += 2;
        continue;
      }
    }
    if (c < 0x80) {
      if (pos >= limit) return -1;
      out[pos++] = c;
      continue;
    }
    // UTF-8 (RFC 3629) for everything else; a surrogate pair is one code point.
    let cp = c;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    const need = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (pos + need > limit) return -1;
    if (need === 2) {
      out[pos++] = 0xc0 | (cp >> 6);
    } else if (need === 3) {
      out[pos++] = 0xe0 | (cp >> 12);
      out[pos++] = 0x80 | ((cp >> 6) & 0x3f);
    } else {
      out[pos++] = 0xf0 | (cp >> 18);
      out[pos++] = 0x80 | ((cp >> 12) & 0x3f);
      out[pos++] = 0x80 | ((cp >> 6) & 0x3f);
    }
    out[pos++] = 0x80 | (cp & 0x3f);
  }
  return pos;
}

/** One octet inside a quoted character-string: `"` and `\` escaped, non-printables as \DDD. */
export function escapeOctet(b: number): string {
  if (b === 0x22 || b === 0x5c) return `\\${String.fromCharCode(b)}`;
  if (b < 0x20 || b > 0x7e) return `\\${b.toString().padStart(3, "0")}`;
  return String.fromCharCode(b);
}

/** Quoted presentation of raw octets (the form BIND prints for TXT, HINFO, CAA, ...). */
export function quoteString(buf: Uint8Array, start: number, end: number): string {
  let out = '"';
  for (let i = start; i < end; i++) out += escapeOctet(buf[i]);
  return `${out}"`;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_VALUE[B64.charCodeAt(i)] = i;

/**
 * Strict base64 (RFC 4648 §4): whole quartets, `=` padding only at the end and unused bits
 * zero (BIND rejects "AR==" too). Node's decoder silently skips bad characters, so check first.
 */
export function decodeBase64(text: string): Buffer {
  const n = text.length;
  if (n % 4 !== 0) throw new RdataError(`bad base64 "${text}": length is not a multiple of 4`);
  let pad = 0;
  if (n > 0 && text.charCodeAt(n - 1) === 0x3d) pad = text.charCodeAt(n - 2) === 0x3d ? 2 : 1;
  for (let i = 0; i < n - pad; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || B64_VALUE[c] < 0) {
      throw new RdataError(`bad base64 "${text}": unexpected "${text[i]}"`);
    }
  }
  if (pad > 0) {
    const last = B64_VALUE[text.charCodeAt(n - pad - 1)];
    if ((pad === 1 && (last & 0x03) !== 0) || (pad === 2 && (last & 0x0f) !== 0)) {
      throw new RdataError(`bad base64 "${text}": non-zero bits after the last octet`);
    }
  }
  return Buffer.from(text, "base64");
}

export function encodeBase64(buf: Uint8Array): string {
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString("base64");
}

const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE["0123456789abcdef".charCodeAt(i)] = i;
  HEX_VALUE["0123456789ABCDEF".charCodeAt(i)] = i;
}

/** Value of one hex digit, or -1. */
export function hexDigit(c: number): number {
  return c < 128 ? HEX_VALUE[c] : -1;
}

/** Hex digits (either case, even count) into `out` at `pos`; returns the end position. */
export function decodeHexInto(text: string, out: Uint8Array, pos: number): number {
  if (text.length % 2 !== 0) throw new RdataError(`bad hex "${text}": odd number of digits`);
  for (let i = 0; i < text.length; i += 2) {
    const hi = hexDigit(text.charCodeAt(i));
    const lo = hexDigit(text.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) {
      throw new RdataError(`bad hex "${text}": unexpected "${text[hi < 0 ? i : i + 1]}"`);
    }
    out[pos++] = (hi << 4) | lo;
  }
  return pos;
}

/** Uppercase hex, the form BIND prints for DS, TLSA, SSHFP and RFC 3597 data. */
export function encodeHex(buf: Uint8Array, start = 0, end = buf.length): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start)
    .toString("hex")
    .toUpperCase();
}

const B32HEX = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
const B32_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 32; i++) {
  B32_VALUE[B32HEX.charCodeAt(i)] = i;
  B32_VALUE[B32HEX.toLowerCase().charCodeAt(i)] = i;
}

/** base32hex without padding (RFC 5155 §3.3); unused trailing bits must be zero. */
export function decodeBase32Hex(text: string): Buffer {
  // 8 characters carry 5 octets; a final group of 1, 3 or 6 characters cannot end on an octet.
  const rem = text.length % 8;
  if (rem === 1 || rem === 3 || rem === 6) {
    throw new RdataError(`bad base32hex "${text}": impossible length ${text.length}`);
  }
  const out = Buffer.allocUnsafe(Math.floor((text.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B32_VALUE[c] : -1;
    if (v < 0) throw new RdataError(`bad base32hex "${text}": unexpected "${text[i]}"`);
    acc = ((acc << 5) | v) & 0x1fff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) {
    throw new RdataError(`bad base32hex "${text}": non-zero bits after the last octet`);
  }
  return out;
}

/** Uppercase base32hex without padding (BIND's form for the NSEC3 next hashed owner). */
export function encodeBase32Hex(buf: Uint8Array, start = 0, end = buf.length): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (let i = start; i < end; i++) {
    acc = ((acc << 8) | buf[i]) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += B32HEX[(acc >> bits) & 0x1f];
    }
  }
  if (bits > 0) out += B32HEX[(acc << (5 - bits)) & 0x1f];
  return out;
}
