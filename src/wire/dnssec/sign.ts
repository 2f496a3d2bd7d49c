/**
 * DNSSEC signing material as Cloudflare uses it (cloudflare.md §6): ECDSA P-256 with SHA-256,
 * algorithm 13 (RFC 6605), through Node's crypto. The pieces, each by its RFC:
 *
 * - the DNSKEY RDATA of a key (RFC 4034 §2.1; the public key is the 64 octets x‖y, RFC 6605 §4)
 *   and its key tag (RFC 4034 Appendix B);
 * - the DS RDATA for a DNSKEY, SHA-256 over the owner's canonical wire name and the DNSKEY
 *   RDATA (RFC 4034 §5.1.4, RFC 4509);
 * - the canonical form of an RRset (RFC 4034 §6: owner and the names of the listed types
 *   lowercased, records sorted by their RDATA, duplicates dropped) and an RRSIG over it
 *   (RFC 4034 §3.1.8.1), the signature r‖s as RFC 6605 §4 lays it out.
 *
 * Pure: no clock, no zone. The caller gives the validity window and the signer's name.
 */

import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from "node:crypto";
import { labelCount, nameToWire } from "../name.js";
import { rdataNames } from "../rdata.js";
import { T } from "../types.js";

/** ECDSA Curve P-256 with SHA-256 (RFC 6605). */
export const ALG_ECDSAP256SHA256 = 13;
/** DS digest type SHA-256 (RFC 4509). */
export const DIGEST_SHA256 = 2;
/** DNSKEY flags: a zone key (ZSK) and a zone key that is a secure entry point (KSK). */
export const FLAGS_ZSK = 256;
export const FLAGS_KSK = 257;
/** RFC 4034 §2.1.2: the protocol field is always 3. */
const PROTOCOL = 3;
const CLASS_IN = 1;

export interface SigningKey {
  flags: number;
  algorithm: number;
  /** The DNSKEY RDATA. */
  rdata: Buffer;
  /** Its key tag (RFC 4034 Appendix B). */
  tag: number;
  privateKey: KeyObject;
}

/** A key as it is kept (a data dir, the API): the private key as a JWK's `d`, `x`, `y`. */
export interface StoredKey {
  flags: number;
  algorithm: number;
  d: string;
  x: string;
  y: string;
}

/** A new P-256 key with these flags. */
export function generateKey(flags: number): SigningKey {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return fromPrivate(flags, privateKey);
}

export function storeKey(k: SigningKey): StoredKey {
  const jwk = k.privateKey.export({ format: "jwk" });
  return { flags: k.flags, algorithm: k.algorithm, d: jwk.d!, x: jwk.x!, y: jwk.y! };
}

export function loadKey(s: StoredKey): SigningKey {
  if (s.algorithm !== ALG_ECDSAP256SHA256)
    throw new Error(`DNSSEC algorithm ${s.algorithm} is not supported (only 13)`);
  const privateKey = createPrivateKey({
    key: { kty: "EC", crv: "P-256", d: s.d, x: s.x, y: s.y },
    format: "jwk",
  });
  return fromPrivate(s.flags, privateKey);
}

function fromPrivate(flags: number, privateKey: KeyObject): SigningKey {
  const jwk = createPublicKey(privateKey).export({ format: "jwk" });
  const publicKey = Buffer.concat([
    Buffer.from(jwk.x!, "base64url"),
    Buffer.from(jwk.y!, "base64url"),
  ]);
  const rdata = dnskeyRdata(flags, ALG_ECDSAP256SHA256, publicKey);
  return { flags, algorithm: ALG_ECDSAP256SHA256, rdata, tag: keyTag(rdata), privateKey };
}

/** RFC 4034 §2.1: flags, protocol 3, algorithm, public key. */
export function dnskeyRdata(flags: number, algorithm: number, publicKey: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + publicKey.length);
  out.writeUInt16BE(flags, 0);
  out[2] = PROTOCOL;
  out[3] = algorithm;
  out.set(publicKey, 4);
  return out;
}

/** RFC 4034 Appendix B: the key tag of a DNSKEY RDATA (algorithm 1 aside, which is not used). */
export function keyTag(rdata: Uint8Array): number {
  let ac = 0;
  for (let i = 0; i < rdata.length; i++) ac += i & 1 ? rdata[i] : rdata[i] << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

/** RFC 4034 §5.1.4: the DS RDATA of a DNSKEY at `owner` (SHA-256, RFC 4509). */
export function dsRdata(owner: string, dnskey: Uint8Array): Buffer {
  const digest = createHash("sha256").update(canonicalNameWire(owner)).update(dnskey).digest();
  const out = Buffer.alloc(4 + digest.length);
  out.writeUInt16BE(keyTag(dnskey), 0);
  out[2] = dnskey[3];
  out[3] = DIGEST_SHA256;
  digest.copy(out, 4);
  return out;
}

/** A name in canonical wire form (RFC 4034 §6.2: uncompressed, ASCII letters lowercased). */
export function canonicalNameWire(name: string): Buffer {
  return lowerInPlace(nameToWire(name), 0);
}

/** Lowercase the ASCII letters of the labels of the wire name at `at` (not its lengths). */
function lowerInPlace(buf: Buffer, at: number): Buffer {
  for (let p = at; p < buf.length && buf[p] !== 0; p += buf[p] + 1) {
    for (let i = p + 1; i <= p + buf[p]; i++) {
      const c = buf[i];
      if (c >= 0x41 && c <= 0x5a) buf[i] = c + 32;
    }
  }
  return buf;
}

/**
 * The types whose RDATA names are lowercased in the canonical form: RFC 4034 §6.2's list as
 * RFC 6840 §5.1 left it (NSEC's next name keeps its case; HINFO has no name).
 */
const LOWERCASED = new Set<number>([
  T.NS,
  T.MD,
  T.MF,
  T.CNAME,
  T.SOA,
  T.MB,
  T.MG,
  T.MR,
  T.PTR,
  T.MINFO,
  T.MX,
  T.RP,
  T.AFSDB,
  T.RT,
  T.SIG,
  T.PX,
  T.NXT,
  T.NAPTR,
  T.KX,
  T.SRV,
  T.DNAME,
  T.A6,
  T.RRSIG,
]);

/** One RDATA in canonical form (a copy). */
export function canonicalRdata(type: number, rdata: Uint8Array): Buffer {
  const out = Buffer.from(rdata);
  if (!LOWERCASED.has(type)) return out;
  for (const n of rdataNames(type, out)) lowerInPlace(out, n.offset);
  return out;
}

export interface RrsetToSign {
  /** The owner as served (a wildcard's expansion signs as the wildcard: give `*.` here). */
  owner: string;
  type: number;
  /** The original TTL (RFC 4034 §3.1.4). */
  ttl: number;
  rdatas: readonly Uint8Array[];
}

export interface Validity {
  /** Seconds since the epoch (RFC 4034 §3.1.5; serial arithmetic beyond 2106 is not needed here). */
  inception: number;
  expiration: number;
}

/** RFC 4034 §3.1.3: the labels of the owner, a leading wildcard label not counted. */
export function rrsigLabels(owner: string): number {
  const n = labelCount(owner);
  return owner.startsWith("*.") ? n - 1 : n;
}

/**
 * The RRSIG RDATA over an RRset (RFC 4034 §3.1.8.1): the RRSIG's fields with the signer's
 * name, then every record in canonical form and order, signed with SHA-256 and ECDSA P-256.
 */
export function signRrset(set: RrsetToSign, signer: string, key: SigningKey, v: Validity): Buffer {
  const signerWire = canonicalNameWire(signer);
  const head = Buffer.alloc(18);
  head.writeUInt16BE(set.type, 0);
  head[2] = key.algorithm;
  head[3] = rrsigLabels(set.owner);
  head.writeUInt32BE(set.ttl >>> 0, 4);
  head.writeUInt32BE(v.expiration >>> 0, 8);
  head.writeUInt32BE(v.inception >>> 0, 12);
  head.writeUInt16BE(key.tag, 16);
  const rrsigFields = Buffer.concat([head, signerWire]);
  const data = Buffer.concat([rrsigFields, canonicalRrset(set)]);
  const signature = sign("sha256", data, { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  return Buffer.concat([rrsigFields, signature]);
}

/** RFC 4034 §6.3: the records of an RRset in canonical form, sorted by RDATA, once each. */
export function canonicalRrset(set: RrsetToSign): Buffer {
  const owner = canonicalNameWire(set.owner);
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16BE(set.type, 0);
  fixed.writeUInt16BE(CLASS_IN, 2);
  fixed.writeUInt32BE(set.ttl >>> 0, 4);
  const rdatas = set.rdatas.map((r) => canonicalRdata(set.type, r)).sort(Buffer.compare);
  const parts: Buffer[] = [];
  let last: Buffer | undefined;
  for (const rd of rdatas) {
    if (last !== undefined && last.equals(rd)) continue; // RFC 4034 §6.3: no duplicates
    last = rd;
    const len = Buffer.alloc(2);
    len.writeUInt16BE(rd.length, 0);
    parts.push(owner, fixed, len, rd);
  }
  return Buffer.concat(parts);
}
