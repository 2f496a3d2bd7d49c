/**
 * A zone's DNSSEC as Cloudflare's `GET/PATCH/DELETE /zones/{zone_id}/dnssec` shows it
 * (cloudflare.md §6): Cloudflare signs answers live, with ECDSA P-256 (algorithm 13), a key
 * signing key (flags 257, the one the API shows and the DS is made of) that signs the DNSKEY
 * RRset, and a zone signing key (256) for everything else.
 *
 * Decisions where Cloudflare's behaviour needs a registrar or is not documented:
 * - `status: "active"` is active at once: Cloudflare waits ("pending") until the parent
 *   publishes the DS, and there is no parent here. `disabled` is disabled at once (no
 *   "pending-disabled"). Both are deterministic for tests.
 * - Keys are made when DNSSEC is turned on and dropped when it is turned off or deleted;
 *   turning it on again makes new ones, as a new DS at the registrar would be needed anyway.
 * - `dnssec_presigned` (a secondary zone whose provider signs) and `dnssec_use_nsec3` are
 *   refused with a message: this is a primary zone, and denial is Cloudflare's compact NSEC.
 */

import {
  ALG_ECDSAP256SHA256,
  dsRdata,
  FLAGS_KSK,
  FLAGS_ZSK,
  generateKey,
  loadKey,
  type SigningKey,
  type StoredKey,
  storeKey,
} from "../../wire/dnssec/sign.js";
import { rdataToText } from "../../wire/rdata.js";
import { T } from "../../wire/types.js";
import { SettingsError } from "../errors.js";

/** What a zone keeps of its DNSSEC (in its profile, so the store and the workers carry it). */
export interface ZoneDnssec {
  status: "active" | "disabled";
  multi_signer: boolean;
  /** Present while active. */
  ksk?: StoredKey;
  zsk?: StoredKey;
  modified_on: string | null;
}

/** The keys a zone signs with while DNSSEC is active. */
export interface ZoneSigner {
  ksk: SigningKey;
  zsk: SigningKey;
}

export function signerOf(d: ZoneDnssec | undefined): ZoneSigner | undefined {
  if (d?.status !== "active" || d.ksk === undefined || d.zsk === undefined) return undefined;
  return { ksk: loadKey(d.ksk), zsk: loadKey(d.zsk) };
}

/** The `dnssec` object as Cloudflare's API returns it. */
export interface DnssecJson {
  status: "active" | "disabled";
  dnssec_multi_signer: boolean;
  dnssec_presigned: boolean;
  dnssec_use_nsec3: boolean;
  modified_on: string | null;
  algorithm: string | null;
  digest: string | null;
  digest_algorithm: string | null;
  digest_type: string | null;
  ds: string | null;
  flags: number | null;
  key_tag: number | null;
  key_type: string | null;
  public_key: string | null;
}

const DS_TTL = 3600;

export function dnssecJson(origin: string, d: ZoneDnssec | undefined): DnssecJson {
  const base = {
    status: d?.status ?? "disabled",
    dnssec_multi_signer: d?.multi_signer ?? false,
    dnssec_presigned: false,
    dnssec_use_nsec3: false,
    modified_on: d?.modified_on ?? null,
  } as const;
  const signer = signerOf(d);
  if (signer === undefined) {
    return {
      ...base,
      algorithm: null,
      digest: null,
      digest_algorithm: null,
      digest_type: null,
      ds: null,
      flags: null,
      key_tag: null,
      key_type: null,
      public_key: null,
    };
  }
  const ksk = signer.ksk;
  const ds = dsRdata(origin, ksk.rdata);
  const digest = ds.subarray(4).toString("hex").toUpperCase();
  return {
    ...base,
    algorithm: String(ALG_ECDSAP256SHA256),
    digest,
    digest_algorithm: "SHA256",
    digest_type: "2",
    ds: `${origin} ${DS_TTL} IN DS ${rdataToText(T.DS, ds)}`,
    flags: FLAGS_KSK,
    key_tag: ksk.tag,
    key_type: "ECDSAP256SHA256",
    public_key: ksk.rdata.subarray(4).toString("base64"),
  };
}

/**
 * One zone signing key as `GET /zones/{zone_id}/dnssec/zsk` lists it (Cloudflare's API
 * reference, "List DNSSEC ZSKs"; the multi-signer setup reads Cloudflare's ZSK from it to add
 * to the other provider). `SigningKey` carries only the public key: Cloudflare also gives its
 * private key encrypted under a key-encryption key (`privkey`, `kek`), which has no meaning
 * outside Cloudflare, so the emulator leaves both out.
 */
export interface ZskJson {
  DNSKEY: {
    Algorithm: number;
    Flags: number;
    Hdr: { Class: number; Name: string; Rdlength: number; Rrtype: number; Ttl: number };
    Protocol: number;
    PublicKey: string;
  };
  Location: "database";
  Name: string;
  SigningKey: { pubkey: string };
  Tag: "active";
}

/** The zone's ZSKs: one while DNSSEC is active, none while it is off. */
export function zskJson(origin: string, d: ZoneDnssec | undefined, ttl: number): ZskJson[] {
  const signer = signerOf(d);
  if (signer === undefined) return [];
  const rdata = signer.zsk.rdata;
  const publicKey = rdata.subarray(4).toString("base64");
  return [
    {
      DNSKEY: {
        Algorithm: rdata[3],
        Flags: rdata.readUInt16BE(0),
        Hdr: { Class: 1, Name: origin, Rdlength: rdata.length, Rrtype: T.DNSKEY, Ttl: ttl },
        Protocol: rdata[2],
        PublicKey: publicKey,
      },
      Location: "database",
      Name: "zsk_default",
      SigningKey: { pubkey: `${rdata.readUInt16BE(0)} ${rdata[2]} ${rdata[3]} ${publicKey}` },
      Tag: "active",
    },
  ];
}

function invalid(message: string, path: string): SettingsError {
  return new SettingsError("INVALID_FIELD", message, path);
}

/** Cloudflare's PATCH (see the decisions above). Throws SettingsError; `now` for modified_on. */
export function patchDnssec(
  cur: ZoneDnssec | undefined,
  body: unknown,
  now: () => Date,
): ZoneDnssec {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw invalid("the body must be a JSON object of DNSSEC settings", "");
  const next: ZoneDnssec = cur
    ? { ...cur }
    : { status: "disabled", multi_signer: false, modified_on: null };
  for (const [k, v] of Object.entries(body)) {
    switch (k) {
      case "status":
        if (v !== "active" && v !== "disabled")
          throw invalid('status must be "active" or "disabled"', k);
        next.status = v;
        break;
      case "dnssec_multi_signer":
        if (typeof v !== "boolean") throw invalid(`${k} must be true or false`, k);
        next.multi_signer = v;
        break;
      case "dnssec_presigned":
        if (v !== false)
          throw invalid(
            "dnssec_presigned is for secondary zones signed by their primary provider; this zone is signed by Cloudflare",
            k,
          );
        break;
      case "dnssec_use_nsec3":
        if (v !== false)
          throw invalid(
            "dnssec_use_nsec3 is not emulated: denial of existence is Cloudflare's compact NSEC",
            k,
          );
        break;
      default:
        throw invalid(`${k} is not a DNSSEC setting`, k);
    }
  }
  if (next.status === "active" && next.ksk === undefined) {
    next.ksk = storeKey(generateKey(FLAGS_KSK));
    next.zsk = storeKey(generateKey(FLAGS_ZSK));
  }
  if (next.status === "disabled") {
    delete next.ksk;
    delete next.zsk;
  }
  next.modified_on = now().toISOString();
  return next;
}
