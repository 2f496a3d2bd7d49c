/**
 * DNSSEC types: DS/CDS/TA/DLV, DNSKEY/CDNSKEY/KEY, RRSIG/SIG, NSEC, NSEC3, NSEC3PARAM
 * (RFC 4034, RFC 5155, RFC 7344, RFC 2535), and the two other users of the NSEC type
 * bitmap: CSYNC (RFC 7477) and ZONEMD (RFC 8976, which shares nothing else but is digest-y).
 */
import { decodeBase32Hex, decodeHexInto, encodeBase32Hex, encodeHex } from "../text.js";
import { T, typeFromText, typeToText } from "../types.js";
import {
  base64Rest,
  type Codec,
  type Field,
  hexRest,
  mnemonic,
  name,
  type Parser,
  parseUint,
  record,
  u8,
  u16,
  u32,
} from "./common.js";
import { RdataError } from "./error.js";

/** DNSSEC algorithm mnemonics (IANA "DNS Security Algorithm Numbers"), accepted on input. */
export const ALGORITHMS: ReadonlyMap<string, number> = new Map([
  ["RSAMD5", 1],
  ["DH", 2],
  ["DSA", 3],
  ["RSASHA1", 5],
  ["DSA-NSEC3-SHA1", 6],
  ["RSASHA1-NSEC3-SHA1", 7],
  ["RSASHA256", 8],
  ["RSASHA512", 10],
  ["ECC-GOST", 12],
  ["ECDSAP256SHA256", 13],
  ["ECDSAP384SHA384", 14],
  ["ED25519", 15],
  ["ED448", 16],
  ["INDIRECT", 252],
  ["PRIVATEDNS", 253],
  ["PRIVATEOID", 254],
]);

/** BIND prints algorithms as numbers in DS, DNSKEY and RRSIG; so do we. */
const algorithm = mnemonic("algorithm", 8, ALGORITHMS, false);

/**
 * RFC 4034 §5.1.4 digest lengths for the digest types whose length is fixed: SHA-1 (1),
 * SHA-256 (2, RFC 4509), SHA-384 (4, RFC 6605). BIND checks exactly these.
 */
const DS_DIGEST_LENGTH: Record<number, number> = { 1: 20, 2: 32, 4: 48 };

/** RFC 4034 §5: key tag, algorithm, digest type, digest (hex, may be split). */
export const DS = record(
  u16("key tag"),
  algorithm,
  u8("digest type"),
  hexRest("digest", (head) => DS_DIGEST_LENGTH[head[3]]),
);

/** RFC 4034 §2: flags, protocol, algorithm, public key (base64, may be split). */
export const DNSKEY = record(
  u16("flags"),
  u8("protocol"),
  algorithm,
  base64Rest("public key", true),
);
/** RFC 2535 §3.1: as DNSKEY, but the key may be absent (the "no key" flag combination). */
export const KEY = record(u16("flags"), u8("protocol"), algorithm, base64Rest("public key", false));

/* ------------------------------------------------------------------------------------------ */
/* RRSIG                                                                                       */

/** Days since 1970-01-01 of a proleptic Gregorian date (no Date: it maps years < 100 to 19xx). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * RFC 4034 §3.2: YYYYMMDDHHmmSS in UTC, or the number of seconds since 1970 as an unsigned
 * 32-bit integer. Dates outside 1970-2106 wrap modulo 2^32 (RFC 4034 §3.1.5, serial
 * arithmetic), as BIND does. A second of 60 is accepted like BIND (a leap second).
 */
export function parseSigTime(p: Parser, text: string, what: string): number {
  if (text.length !== 14) return parseUint(p, text, what, 0xffffffff);
  if (!/^[0-9]{14}$/.test(text)) p.fail(`${what} "${text}" is not YYYYMMDDHHmmSS or a number`);
  const y = Number(text.slice(0, 4));
  const mo = Number(text.slice(4, 6));
  const d = Number(text.slice(6, 8));
  const h = Number(text.slice(8, 10));
  const mi = Number(text.slice(10, 12));
  const s = Number(text.slice(12, 14));
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 60) {
    p.fail(`${what} "${text}" is not a valid date and time`);
  }
  const seconds = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  return ((seconds % 0x100000000) + 0x100000000) % 0x100000000;
}

export function formatSigTime(v: number): string {
  const iso = new Date(v * 1000).toISOString(); // 2003-03-22T17:31:03.000Z
  return (
    iso.slice(0, 4) +
    iso.slice(5, 7) +
    iso.slice(8, 10) +
    iso.slice(11, 13) +
    iso.slice(14, 16) +
    iso.slice(17, 19)
  );
}

function sigTime(what: string): Field {
  return {
    parse: (p, w) => w.u32(parseSigTime(p, p.next(what).text, what)),
    print: (r) => formatSigTime(r.u32(what)),
    copy: (r, w) => w.u32(r.u32(what)),
  };
}

/** A type number written as a mnemonic or TYPEnnn (RFC 3597 §5). */
function typeField(what: string): Field {
  return {
    parse(p, w) {
      const t = p.next(what).text;
      const v = typeFromText(t);
      if (v === undefined) return p.fail(`${what} "${t}" is not a known type mnemonic or TYPEnnn`);
      w.u16(v);
    },
    print: (r) => typeToText(r.u16(what)),
    copy: (r, w) => w.u16(r.u16(what)),
  };
}

/**
 * RFC 4034 §3: type covered, algorithm, labels, original TTL (a plain number, as BIND
 * requires), expiration, inception, key tag, signer's name (never compressed on output,
 * RFC 4034 §3.1.7), signature (base64, may be split).
 */
export const RRSIG = record(
  typeField("type covered"),
  algorithm,
  u8("labels"),
  u32("original TTL"),
  sigTime("expiration"),
  sigTime("inception"),
  u16("key tag"),
  name("signer"),
  base64Rest("signature", true),
);

/* ------------------------------------------------------------------------------------------ */
/* Type bitmaps                                                                                */

/** The wire form of a type bitmap (see `typeBitmap` below) for types in any order. */
export function typeBitmapWire(types: readonly number[]): Buffer {
  const sorted = [...types].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let k = 0;
  while (k < sorted.length) {
    const window = sorted[k] >> 8;
    const bitmap = new Uint8Array(32);
    let len = 0;
    for (; k < sorted.length && sorted[k] >> 8 === window; k++) {
      const low = sorted[k] & 0xff;
      bitmap[low >> 3] |= 0x80 >> (low & 7);
      len = (low >> 3) + 1;
    }
    parts.push(Uint8Array.of(window, len), bitmap.subarray(0, len));
  }
  return Buffer.concat(parts);
}

/** The types of a type bitmap's wire form (the inverse of typeBitmapWire), ascending. */
export function typeBitmapTypes(wire: Uint8Array): number[] {
  const types: number[] = [];
  for (let p = 0; p + 2 <= wire.length; ) {
    const window = wire[p];
    const len = wire[p + 1];
    for (let i = 0; i < len && p + 2 + i < wire.length; i++)
      for (let bit = 0; bit < 8; bit++)
        if (wire[p + 2 + i] & (0x80 >> bit)) types.push((window << 8) | (i * 8 + bit));
    p += 2 + len;
  }
  return types;
}

/**
 * RFC 4034 §4.1.2: the type list as window blocks (window number, length 1-32, bitmap),
 * windows ascending, empty windows and trailing zero octets omitted. The input list may be
 * in any order and repeat types (BIND accepts both); the output is sorted.
 */
export const typeBitmap: Field = {
  parse(p, w) {
    const types: number[] = [];
    for (const t of p.rest()) {
      const v = typeFromText(t.text);
      if (v === undefined) {
        return p.fail(`type "${t.text}" in the type list is not a known type mnemonic or TYPEnnn`);
      }
      types.push(v);
    }
    w.bytes(typeBitmapWire(types));
  },
  print(r) {
    const names: string[] = [];
    while (r.left() > 0) {
      const window = r.u8("bitmap window");
      const len = r.u8("bitmap length");
      const bits = r.bytes(len, "bitmap");
      for (let i = 0; i < len; i++) {
        for (let bit = 0; bit < 8; bit++) {
          if (bits[i] & (0x80 >> bit)) names.push(typeToText((window << 8) | (i << 3) | bit));
        }
      }
    }
    return names.join(" ");
  },
  copy(r, w) {
    let last = -1;
    while (r.left() > 0) {
      const window = r.u8("bitmap window");
      const len = r.u8("bitmap length");
      if (window <= last) r.fail("type bitmap windows are not in increasing order");
      if (len < 1 || len > 32) r.fail(`type bitmap window length ${len} is not 1-32`);
      const bits = r.bytes(len, "bitmap");
      if (bits[len - 1] === 0) r.fail("type bitmap window ends with a zero octet");
      w.u8(window);
      w.u8(len);
      w.bytes(bits);
      last = window;
    }
  },
};

/** RFC 4034 §4: next owner name and the type bitmap. */
export const NSEC = record(name("next domain name"), typeBitmap);

/* ------------------------------------------------------------------------------------------ */
/* NSEC3 (RFC 5155)                                                                            */

/** RFC 5155 §3.3: the salt is hex, or "-" when empty. One field, at most 255 octets. */
const salt: Field = {
  parse(p, w) {
    const t = p.next("salt").text;
    if (t === "-") {
      w.u8(0);
      return;
    }
    const at = w.pos;
    w.room(1 + (t.length >> 1));
    let end: number;
    try {
      end = decodeHexInto(t, w.buf, at + 1);
    } catch (e) {
      if (e instanceof RdataError) p.fail(`salt: ${e.message} (write "-" for no salt)`);
      throw e;
    }
    if (end - at - 1 > 255) p.fail("salt is longer than 255 octets");
    w.buf[at] = end - at - 1;
    w.pos = end;
  },
  print(r) {
    const len = r.u8("salt length");
    return len === 0 ? "-" : encodeHex(r.bytes(len, "salt"));
  },
  copy(r, w) {
    const len = r.u8("salt length");
    w.u8(len);
    w.bytes(r.bytes(len, "salt"));
  },
};

/** SHA-1 (hash algorithm 1, RFC 5155 §11) hashes are 20 octets; BIND checks this. */
function checkHashLength(alg: number, n: number, fail: (m: string) => never): void {
  if (n === 0) fail("next hashed owner name is empty");
  if (alg === 1 && n !== 20) fail(`next hashed owner name must be 20 octets for SHA-1, not ${n}`);
}

/** RFC 5155 §3.3: unpadded base32hex (RFC 4648 §7), printed uppercase like BIND. */
const nextHashed: Field = {
  parse(p, w) {
    const t = p.next("next hashed owner name").text;
    let hash: Buffer;
    try {
      hash = decodeBase32Hex(t);
    } catch (e) {
      if (e instanceof RdataError) p.fail(`next hashed owner name: ${e.message}`);
      throw e;
    }
    checkHashLength(w.buf[0], hash.length, (m) => p.fail(m));
    w.u8(hash.length);
    w.bytes(hash);
  },
  print(r) {
    const len = r.u8("hash length");
    return encodeBase32Hex(r.bytes(len, "next hashed owner name"));
  },
  copy(r, w) {
    const len = r.u8("hash length");
    checkHashLength(w.buf[0], len, (m) => r.fail(m));
    w.u8(len);
    w.bytes(r.bytes(len, "next hashed owner name"));
  },
};

export const NSEC3 = record(
  u8("hash algorithm"),
  u8("flags"),
  u16("iterations"),
  salt,
  nextHashed,
  typeBitmap,
);
export const NSEC3PARAM = record(u8("hash algorithm"), u8("flags"), u16("iterations"), salt);

/** RFC 7477 §2.1: SOA serial, flags, type bitmap. */
export const CSYNC = record(u32("serial"), u16("flags"), typeBitmap);

const ZONEMD_DIGEST_LENGTH: Record<number, number> = { 1: 48, 2: 64 };

/**
 * RFC 8976 §2.2: serial, scheme, hash algorithm, digest. SHA-384 (1) is 48 octets and
 * SHA-512 (2) 64; any digest is at least 12 octets (§2.2.4).
 */
export const ZONEMD = record(
  u32("serial"),
  u8("scheme"),
  u8("hash algorithm"),
  hexRest("digest", (head) => ZONEMD_DIGEST_LENGTH[head[5]], 12),
);

export const DNSSEC: Array<[number, Codec]> = [
  [T.DS, DS],
  [T.CDS, DS],
  [T.TA, DS],
  [T.DLV, DS],
  [T.DNSKEY, DNSKEY],
  [T.CDNSKEY, DNSKEY],
  [T.KEY, KEY],
  [T.RRSIG, RRSIG],
  [T.SIG, RRSIG],
  [T.NSEC, NSEC],
  [T.NSEC3, NSEC3],
  [T.NSEC3PARAM, NSEC3PARAM],
  [T.CSYNC, CSYNC],
  [T.ZONEMD, ZONEMD],
];
