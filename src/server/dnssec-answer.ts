/**
 * Live DNSSEC signing of an answer, as Cloudflare signs a zone with DNSSEC active (cloudflare.md
 * §6): for a query with DO set (RFC 3225), every RRset of the answer and authority sections
 * gets an RRSIG made now with the zone's ZSK (the DNSKEY RRset with its KSK), and denial of
 * existence is compact ("black lies", RFC 9824):
 *
 * - a name that does not exist is answered NOERROR with an NSEC at the name itself whose next
 *   name is `\000.name` and whose types are RRSIG, NSEC and NXNAME (RFC 9824 §3.2); with the
 *   CO flag the RCODE stays NXDOMAIN (§4);
 * - a name without the type asked for gets an NSEC at the name listing the types it has, with
 *   RRSIG and NSEC (§3.1);
 * - a referral gets an NSEC at the delegation proving there is no DS (types NS, RRSIG, NSEC),
 *   or the DS and its RRSIG (RFC 4035 §3.1.4).
 *
 * Every name is signed as itself: a wildcard's answer and a synthesized CNAME are signed at the
 * name asked for, which live signing allows and which spares the wildcard proofs. The additional
 * section is left unsigned (RFC 4035 §3.1.1 asks for its RRSIGs only if space permits).
 *
 * Signatures are valid from an hour before the current hour to two days after it, so one made
 * in this hour serves every answer of the hour: they are kept per RRset object (immutable; a
 * change makes new ones), owner, TTL and hour.
 */

import type { ZoneSigner } from "../cloudflare/rules/dnssec.js";
import { type SigningKey, signRrset, type Validity } from "../wire/dnssec/sign.js";
import { nameKey, nameToWireString, parentName } from "../wire/name.js";
import { typeBitmapWire } from "../wire/rdata/dnssec.js";
import { T } from "../wire/types.js";
import { type Answer, type Entry, negativeSoa, RCODE, rdataName } from "../zone/lookup.js";
import { RRset, type ZoneNode } from "../zone/rrset.js";
import type { Zone } from "../zone/zone.js";

/** RFC 9824 §3.2: the NXNAME pseudo-type, in the bitmap of a compact denial of a name. */
export const NXNAME = 128;

const HOUR = 3600;
const VALID_AFTER = 2 * 86400;

/**
 * The zone's keys while it is signed: Cloudflare's while its DNSSEC is active
 * (rules/cloudflare.ts), the registrar's for the parent zone it serves (cloudflare/registrar.ts).
 */
export function zoneSigner(zone: Zone | undefined): ZoneSigner | undefined {
  return zone?.renderer.signingKeys;
}

export function validityAt(nowSeconds: number): Validity {
  const hour = Math.floor(nowSeconds / HOUR) * HOUR;
  return { inception: hour - HOUR, expiration: hour + VALID_AFTER };
}

/**
 * Signatures kept by key (a key turned off and on again is another object, and its old
 * signatures must never be served), then by RRset object, then by owner, TTL and validity.
 * A set shared by many names (the proxied anycast pairs) keeps one per name; entries of an
 * earlier hour go once a set holds many.
 */
const kept = new WeakMap<SigningKey, WeakMap<RRset, Map<string, { at: number; sig: RRset }>>>();
const PER_SET = 256;

/**
 * The NSEC of a denial is made for each answer, so its signatures are kept by what they sign
 * (owner, TTL, validity and the NSEC's RDATA), per key, up to DENIALS of them: without this a
 * name that does not exist would cost a signature every time it is asked.
 */
const denials = new WeakMap<SigningKey, Map<string, RRset>>();
const DENIALS = 100_000;

function denialRrsig(owner: string, nsec: RRset, signer: ZoneSigner, origin: string, v: Validity) {
  let byContent = denials.get(signer.zsk);
  if (byContent === undefined) {
    byContent = new Map();
    denials.set(signer.zsk, byContent);
  }
  const key = `${nameKey(owner)}\0${nsec.ttl}\0${v.inception}\0${nsec.at(0)}`;
  const hit = byContent.get(key);
  if (hit !== undefined) return hit;
  const sig = signed(owner, nsec, signer.zsk, origin, v);
  // The oldest goes first (a Map keeps insertion order).
  if (byContent.size >= DENIALS) byContent.delete(byContent.keys().next().value as string);
  byContent.set(key, sig);
  return sig;
}

function signed(owner: string, set: RRset, k: SigningKey, origin: string, v: Validity): RRset {
  const rdatas: Buffer[] = [];
  for (let i = 0; i < set.size; i++) rdatas.push(Buffer.from(set.at(i), "latin1"));
  const sig = signRrset({ owner, type: set.type, ttl: set.ttl, rdatas }, origin, k, v);
  return new RRset(T.RRSIG, set.ttl, sig.toString("latin1"));
}

function rrsigFor(
  owner: string,
  set: RRset,
  signer: ZoneSigner,
  origin: string,
  v: Validity,
): RRset {
  const k: SigningKey = set.type === T.DNSKEY ? signer.ksk : signer.zsk;
  let bySet = kept.get(k);
  if (bySet === undefined) {
    bySet = new WeakMap();
    kept.set(k, bySet);
  }
  const key = `${nameKey(owner)}\0${set.ttl}\0${v.inception}`;
  let byOwner = bySet.get(set);
  const hit = byOwner?.get(key);
  if (hit !== undefined) return hit.sig;
  const out = signed(owner, set, k, origin, v);
  if (byOwner === undefined) {
    byOwner = new Map();
    bySet.set(set, byOwner);
  }
  if (byOwner.size >= PER_SET) {
    for (const [old, e] of byOwner) if (e.at !== v.inception) byOwner.delete(old);
    if (byOwner.size >= PER_SET) byOwner.clear();
  }
  byOwner.set(key, { at: v.inception, sig: out });
  return out;
}

/**
 * The NSEC of a compact denial at `owner` (RFC 9824 §3): next name `\000.owner`, the name
 * right after it in canonical order. When that is longer than a name may be (255 octets),
 * the owner with the last octet of its first label raised by one follows it just as closely.
 */
function compactNsec(owner: string, types: readonly number[], ttl: number): RRset {
  const wire = nameToWireString(owner);
  let next = `\u0001\u0000${wire}`;
  if (next.length > 255) {
    const len = wire.charCodeAt(0);
    const last = wire.charCodeAt(len);
    const lower = last >= 0x41 && last <= 0x5a ? last + 32 : last;
    next =
      lower < 0xff
        ? wire.slice(0, len) + String.fromCharCode(lower + 1) + wire.slice(len + 1)
        : wire;
  }
  return new RRset(T.NSEC, ttl, next + typeBitmapWire([...new Set(types)]).toString("latin1"));
}

/**
 * The answer with its RRSIGs and, when it denies, its NSEC (see the header). `answer` is left
 * as it was; the result is a new object.
 */
export function signAnswer(
  found: Answer,
  qname: string,
  zone: Zone,
  signer: ZoneSigner,
  opts: {
    co: boolean;
    nowSeconds: number;
    /** The served zone a name falls in (longest match), to leave other zones' data alone. */
    zoneOf: (name: string) => Zone | undefined;
  },
): Answer {
  const v = validityAt(opts.nowSeconds);
  const origin = zone.origin;
  // Only this zone's own data is signed with its keys (RFC 4035 §2.2): not a child zone's
  // served here, not another zone a CNAME leads to.
  const ours = (name: string) => opts.zoneOf(name) === zone;
  // A delegation's NS are the child's: never signed (RFC 4035 §2.2), whatever the AA bit says
  // (a CNAME into a delegation keeps AA for the answer section).
  const soa = found.authority.find((e) => e.set.type === T.SOA);
  const deleg =
    soa === undefined
      ? found.authority.find((e) => e.set.type === T.NS && nameKey(e.owner) !== zone.key)
      : undefined;
  const sign = (entries: readonly Entry[]): Entry[] => {
    const out: Entry[] = [];
    for (const e of entries) {
      out.push(e);
      if (e === deleg || (deleg !== undefined && e.set.type === T.NS)) continue;
      if (!ours(e.owner)) continue;
      const ttl = e.ttl ?? e.set.ttl;
      out.push({ owner: e.owner, set: rrsigFor(e.owner, e.set, signer, origin, v), ttl });
    }
    return out;
  };
  const answer = sign(found.answer);
  const authority = sign(found.authority);
  let rcode = found.rcode;
  if (deleg !== undefined && ours(deleg.owner)) {
    const ds = zone.node(nameKey(deleg.owner))?.get(T.DS);
    if (ds === undefined) {
      const nsec = compactNsec(deleg.owner, [T.NS, T.RRSIG, T.NSEC], negativeSoa(zone).ttl!);
      authority.push({ owner: deleg.owner, set: nsec });
      authority.push({
        owner: deleg.owner,
        set: denialRrsig(deleg.owner, nsec, signer, origin, v),
      });
    } else {
      authority.push({ owner: deleg.owner, set: ds });
      authority.push({ owner: deleg.owner, set: rrsigFor(deleg.owner, ds, signer, origin, v) });
    }
  } else if (soa !== undefined && ours(soa.owner)) {
    // The name the denial is about: the last name of a CNAME chain, or the name asked.
    const last = found.answer.at(-1);
    const target =
      last?.set.type === T.CNAME
        ? rdataName(last.set.at(0))
        : found.answer.length
          ? undefined
          : qname;
    if (target !== undefined && ours(target)) {
      const ttl = soa.ttl ?? soa.set.ttl;
      const exists = rcode !== RCODE.NXDOMAIN;
      const types = exists
        ? [...typesAt(zone, target), T.RRSIG, T.NSEC]
        : [T.RRSIG, T.NSEC, NXNAME];
      const nsec = compactNsec(target, types, ttl);
      authority.push({ owner: target, set: nsec, ttl });
      authority.push({ owner: target, set: denialRrsig(target, nsec, signer, origin, v), ttl });
      // RFC 9824 §3.2: the name "exists" in the answer's eyes unless the client takes CO.
      if (!exists && !opts.co) rcode = RCODE.NOERROR;
    }
  }
  return { ...found, rcode, answer, authority };
}

/**
 * The types served at a name (for a NODATA's bitmap): its node's, or, for a name a wildcard
 * answers (RFC 4592: it has no node of its own), the wildcard's at its closest encloser.
 */
function typesAt(zone: Zone, name: string): number[] {
  const own = zone.node(nameKey(name));
  if (own !== undefined) return typesOf(own);
  for (let key = parentName(nameKey(name)); ; key = parentName(key)) {
    if (zone.node(key) !== undefined) {
      const wild = zone.node(`*.${key}`);
      return wild === undefined ? [] : typesOf(wild);
    }
    if (key === zone.key || key === ".") return [];
  }
}

function typesOf(node: ZoneNode): number[] {
  const out: number[] = [];
  for (let i = 0; i < node.setCount; i++) out.push(node.setAt(i).type);
  return out;
}
