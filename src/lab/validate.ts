/**
 * DNSSEC validation for the lab check (check.ts), as a validating resolver does it from a
 * trust anchor (RFC 4035 §5): a DNSKEY RRset is trusted when a key in it matches a trusted DS
 * and signs it; an RRset is secure when an RRSIG over it verifies with a trusted key of its
 * zone and is within its validity period (RFC 4035 §5.3).
 *
 * Algorithms: 13 (ECDSA P-256/SHA-256, what Cloudflare signs with), 14 (P-384), 15 (Ed25519)
 * and 8 (RSA/SHA-256), those a secondary signing its own copy is likely to use. Digests of DS:
 * SHA-1, SHA-256 and SHA-384 (RFC 4034, 4509, 6605).
 */

import { createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import { canonicalNameWire, canonicalRrset, keyTag } from "../wire/dnssec/sign.js";
import { labelCount, nameKey, parentName, readNameWire } from "../wire/name.js";
import type { Rr } from "./client.js";

export interface Rrsig {
  typeCovered: number;
  algorithm: number;
  labels: number;
  originalTtl: number;
  expiration: number;
  inception: number;
  keyTag: number;
  signer: string;
  /** The RDATA up to the signature, the signer's name in canonical form (RFC 4034 §3.1.8.1). */
  fields: Buffer;
  signature: Buffer;
}

export function parseRrsig(rdata: Buffer): Rrsig {
  const { name: signer, next } = readNameWire(rdata, 18);
  return {
    typeCovered: rdata.readUInt16BE(0),
    algorithm: rdata[2],
    labels: rdata[3],
    originalTtl: rdata.readUInt32BE(4),
    expiration: rdata.readUInt32BE(8),
    inception: rdata.readUInt32BE(12),
    keyTag: rdata.readUInt16BE(16),
    signer,
    fields: Buffer.concat([rdata.subarray(0, 18), canonicalNameWire(signer)]),
    signature: rdata.subarray(next),
  };
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");

/** The public key of a DNSKEY RDATA, or undefined for an algorithm not handled here. */
function publicKey(dnskey: Buffer): KeyObject | undefined {
  const alg = dnskey[3];
  const key = dnskey.subarray(4);
  try {
    if (alg === 13 || alg === 14) {
      const half = alg === 13 ? 32 : 48;
      return createPublicKey({
        key: {
          kty: "EC",
          crv: alg === 13 ? "P-256" : "P-384",
          x: b64url(key.subarray(0, half)),
          y: b64url(key.subarray(half)),
        },
        format: "jwk",
      });
    }
    if (alg === 15)
      return createPublicKey({
        key: { kty: "OKP", crv: "Ed25519", x: b64url(key) },
        format: "jwk",
      });
    if (alg === 8) {
      // RFC 3110 §2: exponent length (one byte, or zero then two), exponent, modulus.
      const long = key[0] === 0;
      const elen = long ? key.readUInt16BE(1) : key[0];
      const at = long ? 3 : 1;
      return createPublicKey({
        key: {
          kty: "RSA",
          e: b64url(key.subarray(at, at + elen)),
          n: b64url(key.subarray(at + elen)),
        },
        format: "jwk",
      });
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function verifyWith(alg: number, data: Buffer, key: KeyObject, sig: Buffer): boolean {
  if (alg === 13) return verify("sha256", data, { key, dsaEncoding: "ieee-p1363" }, sig);
  if (alg === 14) return verify("sha384", data, { key, dsaEncoding: "ieee-p1363" }, sig);
  if (alg === 15) return verify(null, data, key, sig);
  return verify("sha256", data, key, sig);
}

/** Whether a DS RDATA names this DNSKEY RDATA at `owner` (RFC 4034 §5.1.4). */
export function dsMatches(ds: Buffer, owner: string, dnskey: Buffer): boolean {
  if (ds.readUInt16BE(0) !== keyTag(dnskey) || ds[2] !== dnskey[3]) return false;
  const hash = { 1: "sha1", 2: "sha256", 4: "sha384" }[ds[3]];
  if (hash === undefined) return false;
  const digest = createHash(hash).update(canonicalNameWire(owner)).update(dnskey).digest();
  return digest.equals(ds.subarray(4));
}

/**
 * The owner a signature was made over (RFC 4035 §5.3.2): the name itself, or, for a
 * wildcard's expansion (the RRSIG counts fewer labels than the name has), the wildcard.
 */
export function signedOwner(name: string, labels: number): string {
  let suffix = name;
  for (let n = labelCount(name); n > labels; n--) suffix = parentName(suffix);
  if (suffix === name) return name;
  return suffix === "." ? "*." : `*.${suffix}`;
}

export type Verdict = { secure: true; keyTag: number } | { secure: false; reason: string };

/**
 * Whether one of `sigs` (RRSIG records at the RRset's owner) verifies the RRset with one of
 * `keys` (DNSKEY RDATA trusted for `zone`) at `now` (seconds).
 */
export function verifyRrset(
  rrset: readonly Rr[],
  sigs: readonly Rr[],
  keys: readonly Buffer[],
  zone: string,
  now: number,
): Verdict {
  const { name, type } = rrset[0];
  const covering = sigs.map((s) => parseRrsig(s.rdata)).filter((s) => s.typeCovered === type);
  if (covering.length === 0) return { secure: false, reason: "no RRSIG" };
  const reasons: string[] = [];
  for (const sig of covering) {
    if (nameKey(sig.signer) !== nameKey(zone)) {
      reasons.push(`signed by ${sig.signer}, not ${zone}`);
      continue;
    }
    if (now < sig.inception || now > sig.expiration) {
      reasons.push(`RRSIG ${sig.keyTag} outside its validity period`);
      continue;
    }
    const owner = signedOwner(name, sig.labels);
    const data = Buffer.concat([
      sig.fields,
      canonicalRrset({ owner, type, ttl: sig.originalTtl, rdatas: rrset.map((r) => r.rdata) }),
    ]);
    const candidates = keys.filter((k) => keyTag(k) === sig.keyTag && k[3] === sig.algorithm);
    if (candidates.length === 0) {
      reasons.push(`RRSIG by key ${sig.keyTag}, which is not a trusted DNSKEY`);
      continue;
    }
    for (const k of candidates) {
      const pk = publicKey(k);
      if (pk === undefined) {
        reasons.push(`algorithm ${sig.algorithm} is not handled`);
        continue;
      }
      if (verifyWith(sig.algorithm, data, pk, sig.signature))
        return { secure: true, keyTag: sig.keyTag };
      reasons.push(`RRSIG by key ${sig.keyTag} does not verify`);
    }
  }
  return { secure: false, reason: reasons.join("; ") };
}

/**
 * The DNSKEY RRset of `zone` trusted by a DS set: the keys of the RRset when one matching a DS
 * signs it (RFC 4035 §5.2); otherwise why not.
 */
export function trustedKeys(
  dnskeys: readonly Rr[],
  sigs: readonly Rr[],
  ds: readonly Buffer[],
  zone: string,
  now: number,
): { keys: Buffer[] } | { reason: string } {
  if (dnskeys.length === 0) return { reason: `no DNSKEY at ${zone}` };
  const entry = dnskeys.map((k) => k.rdata).filter((k) => ds.some((d) => dsMatches(d, zone, k)));
  if (entry.length === 0) return { reason: `no DNSKEY of ${zone} matches its DS` };
  const v = verifyRrset(dnskeys, sigs, entry, zone, now);
  if (!v.secure) return { reason: `the DNSKEY RRset of ${zone}: ${v.reason}` };
  return { keys: dnskeys.map((k) => k.rdata) };
}
