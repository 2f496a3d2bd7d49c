/**
 * Certificates, keys and fingerprints: TLSA (RFC 6698), SMIMEA (RFC 8162), SSHFP (RFC 4255,
 * RFC 6594), CERT (RFC 4398), OPENPGPKEY (RFC 7929), DHCID (RFC 4701), CAA (RFC 8659).
 */
import { quoteString } from "../text.js";
import { T } from "../types.js";
import {
  base64Rest,
  type Codec,
  decodeStringChecked,
  type Field,
  hexRest,
  mnemonic,
  record,
  u8,
  u16,
} from "./common.js";
import { ALGORITHMS } from "./dnssec.js";

/** RFC 6698 §2.1: usage, selector, matching type, certificate association data (hex). */
export const TLSA = record(
  u8("certificate usage"),
  u8("selector"),
  u8("matching type"),
  hexRest("certificate association data"),
);

/** SSHFP fingerprint lengths: SHA-1 (1, RFC 4255) and SHA-256 (2, RFC 6594). */
const SSHFP_LENGTH: Record<number, number> = { 1: 20, 2: 32 };
export const SSHFP = record(
  u8("algorithm"),
  u8("fingerprint type"),
  hexRest("fingerprint", (head) => SSHFP_LENGTH[head[1]]),
);

/** RFC 4398 §2.1 certificate types; BIND prints these mnemonics, as do we. */
const CERT_TYPES: ReadonlyMap<string, number> = new Map([
  ["PKIX", 1],
  ["SPKI", 2],
  ["PGP", 3],
  ["IPKIX", 4],
  ["ISPKI", 5],
  ["IPGP", 6],
  ["ACPKIX", 7],
  ["IACPKIX", 8],
  ["URI", 253],
  ["OID", 254],
]);

/** RFC 4398 §2: type, key tag, algorithm (mnemonic printed, §2.2), certificate (base64). */
export const CERT = record(
  mnemonic("certificate type", 16, CERT_TYPES, true),
  u16("key tag"),
  mnemonic("algorithm", 8, ALGORITHMS, true),
  base64Rest("certificate", true),
);

/** RFC 7929 §2.3 and RFC 4701 §3.3: just base64 data. */
export const OPENPGPKEY = record(base64Rest("key", true));
export const DHCID = record(base64Rest("digest", true));

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** RFC 8659 §4.1: the tag is 1-255 ASCII letters and digits (case kept as written). */
const caaTag: Field = {
  parse(p, w) {
    const t = p.next("tag").text;
    if (t.length === 0 || t.length > 255) p.fail(`tag "${t}" must be 1-255 characters`);
    for (let i = 0; i < t.length; i++) {
      if (!isAlnum(t.charCodeAt(i))) p.fail(`tag "${t}" may contain only letters and digits`);
    }
    w.u8(t.length);
    for (let i = 0; i < t.length; i++) w.u8(t.charCodeAt(i));
  },
  print(r) {
    const len = r.u8("tag length");
    return Buffer.from(r.bytes(len, "tag")).toString("latin1");
  },
  copy(r, w) {
    const len = r.u8("tag length");
    const tag = r.bytes(len, "tag");
    if (len === 0) r.fail("tag is empty");
    for (const c of tag)
      if (!isAlnum(c)) r.fail("tag contains a character other than a letter or digit");
    w.u8(len);
    w.bytes(tag);
  },
};

/**
 * RFC 8659 §4.1.1: the value is the rest of the RDATA, written as one string (quoted or
 * not, no 255-octet limit); BIND prints it quoted.
 */
const caaValue: Field = {
  parse(p, w) {
    const t = p.next("value");
    w.pos = decodeStringChecked(p, w, t.text, "value", w.pos, 0xffff);
  },
  print(r) {
    const start = r.pos;
    r.rest();
    return quoteString(r.buf, start, r.end);
  },
  copy: (r, w) => w.bytes(r.rest()),
};

export const CAA = record(u8("flags"), caaTag, caaValue);

export const CERTS: Array<[number, Codec]> = [
  [T.TLSA, TLSA],
  [T.SMIMEA, TLSA],
  [T.SSHFP, SSHFP],
  [T.CERT, CERT],
  [T.OPENPGPKEY, OPENPGPKEY],
  [T.DHCID, DHCID],
  [T.CAA, CAA],
];
