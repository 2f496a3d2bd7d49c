/**
 * The authoritative lookup of RFC 1034 §4.3.2, as a pure function over the zones: no sockets,
 * no wire format. It returns what belongs in each section; the query handler turns that into
 * a message (flags, truncation, compression).
 *
 * Covered: exact matches, CNAME chains followed through every zone we serve (with a loop
 * guard), DNAME substitution (RFC 6672), wildcards that respect closer names and empty
 * non-terminals (RFC 4592), delegations returned as referrals with glue, NXDOMAIN and NODATA
 * with the SOA at the negative-caching TTL (RFC 2308 §3), and additional-section addresses
 * for NS, MX and SRV targets (RFC 1034 §3.7, RFC 2782).
 */

import {
  isInZone,
  nameKey,
  nameToWireString,
  parentName,
  parseName,
  readNameWire,
} from "../wire/name.js";
import { additionalTargets } from "../wire/rdata.js";
import { T } from "../wire/types.js";
import { RRset, type ZoneNode } from "./rrset.js";
import type { Zone } from "./zone.js";
import type { ZoneSet } from "./zoneset.js";

export interface Entry {
  /** Owner name as it goes on the wire (canonical presentation form). */
  owner: string;
  set: RRset;
  /** TTL to send instead of the RRset's own (negative caching, synthesized CNAMEs). */
  ttl?: number;
  /** In-domain glue of a referral: if it does not fit, the response is truncated (RFC 9471). */
  required?: boolean;
}

import { RCODE } from "../wire/message.js";

export { RCODE };

export interface Answer {
  rcode: number;
  /** Authoritative answer flag. */
  aa: boolean;
  answer: Entry[];
  authority: Entry[];
  additional: Entry[];
  /** The zone that answered first, when any did. */
  zone?: Zone;
}

/** How many CNAME/DNAME steps we follow before giving up (BIND also stops at 16). */
export const MAX_CHAIN = 16;

function single(owner: string, type: number, ttl: number, rdata: string): Entry {
  return { owner, set: new RRset(type, ttl, rdata) };
}

/** Read the target name out of a CNAME/DNAME RDATA (an uncompressed wire name). */
export function rdataName(rdata: string): string {
  return readNameWire(Buffer.from(rdata, "latin1"), 0).name;
}

/** The ancestors of `key` strictly below `apexKey`, top-down, plus `key` itself. */
function pathFromApex(
  name: string,
  key: string,
  apexKey: string,
): Array<{ name: string; key: string }> {
  const out: Array<{ name: string; key: string }> = [];
  let n = name;
  let k = key;
  while (k !== apexKey) {
    out.push({ name: n, key: k });
    k = parentName(k);
    n = parentName(n);
  }
  return out.reverse();
}

type Step =
  | { kind: "answer"; entries: Entry[] }
  | { kind: "cname"; entries: Entry[]; target: string }
  | { kind: "nodata" }
  | { kind: "nxdomain" }
  | { kind: "delegation"; cut: ZoneNode }
  | { kind: "yxdomain"; entries: Entry[] };

/** One lookup inside one zone, without following CNAMEs. */
export function lookupInZone(zone: Zone, qname: string, qkey: string, qtype: number): Step {
  const apex = zone.apex;
  const path = pathFromApex(qname, qkey, zone.key);
  // DNAME at the apex rewrites every name below it (RFC 6672 §2.3).
  if (path.length > 0) {
    const d = apex.get(T.DNAME);
    if (d) return dnameStep(apex.name, d, qname);
  }
  let encloser: ZoneNode = apex;
  let found: ZoneNode | undefined = path.length === 0 ? apex : undefined;
  for (let i = 0; i < path.length; i++) {
    const node = zone.node(path[i].key);
    if (!node) break;
    const last = i === path.length - 1;
    // A zone cut: names at and below it belong to the child (RFC 1034 §4.3.2 step 3b),
    // except DS, which lives on the parent side of the cut (RFC 4035 §2.4).
    if (node.get(T.NS) && !(last && qtype === T.DS)) {
      return { kind: "delegation", cut: node };
    }
    if (!last) {
      const d = node.get(T.DNAME);
      if (d) return dnameStep(node.name, d, qname);
    }
    encloser = node;
    if (last) found = node;
  }

  if (found) return matchNode(found, qname, qtype);

  // RFC 4592 §3.3.1: the source of synthesis is "*." + the closest encloser; an existing
  // closer name (including an empty non-terminal) already blocked it by being found above.
  const wild = zone.node(`*.${nameKey(encloser.name)}`);
  if (wild) return matchNode(wild, qname, qtype);
  return { kind: "nxdomain" };
}

function matchNode(node: ZoneNode, owner: string, qtype: number): Step {
  if (qtype === T.ANY) {
    if (node.empty) return { kind: "nodata" };
    return { kind: "answer", entries: node.sets.map((set) => ({ owner, set })) };
  }
  const cname = node.get(T.CNAME);
  if (cname && qtype !== T.CNAME) {
    return { kind: "cname", entries: [{ owner, set: cname }], target: rdataName(cname.at(0)) };
  }
  const set = node.get(qtype);
  if (set) return { kind: "answer", entries: [{ owner, set }] };
  return { kind: "nodata" };
}

/** RFC 6672 §3.1: answer with the DNAME and a synthesized CNAME to the rewritten name. */
function dnameStep(dnameOwner: string, d: RRset, qname: string): Step {
  const target = rdataName(d.at(0));
  // Canonical names differ only in case, so the owner's length marks where the prefix ends.
  const prefix = qname.slice(0, qname.length - dnameOwner.length);
  const entries: Entry[] = [{ owner: dnameOwner, set: d }];
  let newName: string;
  try {
    newName = parseName(target === "." ? prefix : prefix + target);
  } catch {
    // RFC 6672 §2.2: the substituted name would exceed 255 octets.
    return { kind: "yxdomain", entries };
  }
  // The synthesized CNAME carries the DNAME's TTL (RFC 6672 §3.1).
  entries.push(single(qname, T.CNAME, d.ttl, nameToWireString(newName)));
  return { kind: "cname", entries, target: newName };
}

/** The apex SOA as a negative answer carries it (also the TTL of a compact denial's NSEC). */
export function negativeSoa(zone: Zone): Entry {
  const soa = zone.apex.get(T.SOA)!;
  // RFC 2308 §3: the SOA in a negative answer carries min(SOA TTL, SOA MINIMUM).
  const rd = soa.at(0);
  const minimum = Buffer.from(rd.slice(rd.length - 4), "latin1").readUInt32BE(0);
  return { owner: zone.apex.name, set: soa, ttl: Math.min(soa.ttl, minimum) };
}

/** Addresses of names targeted by the given RRsets, found in `zone` (glue included). */
function addAdditional(zone: Zone, entries: Entry[], out: Entry[], seen: Set<string>): void {
  for (const e of entries) {
    const t = e.set.type;
    if (t !== T.NS && t !== T.MX && t !== T.SRV) continue;
    for (let i = 0; i < e.set.size; i++) {
      for (const target of additionalTargets(t, Buffer.from(e.set.at(i), "latin1"))) {
        const key = nameKey(target);
        if (seen.has(key)) continue;
        seen.add(key);
        const node = zone.node(key);
        if (!node) continue;
        const a = node.get(T.A);
        const aaaa = node.get(T.AAAA);
        if (a) out.push({ owner: node.name, set: a });
        if (aaaa) out.push({ owner: node.name, set: aaaa });
      }
    }
  }
}

/**
 * Answer a question from the zones. Returns `undefined` when no zone is authoritative for the
 * name (the caller answers REFUSED).
 */
export function lookup(zones: ZoneSet, qname: string, qtype: number): Answer | undefined {
  let name = qname;
  let key = nameKey(qname);
  let zone = zones.find(key);
  if (!zone) return undefined;
  if (qtype === T.DS && key === zone.key && key !== ".") {
    // RFC 4035 §3.1.4.1: the DS RRset lives on the parent side of the cut; a server that is
    // authoritative for the parent too answers from the parent zone.
    zone = zones.find(parentName(key)) ?? zone;
  }
  const result: Answer = {
    rcode: RCODE.NOERROR,
    aa: true,
    answer: [],
    authority: [],
    additional: [],
    zone,
  };
  const visited = new Set<string>();
  for (let steps = 0; ; steps++) {
    visited.add(key);
    const step = lookupInZone(zone, name, key, qtype);
    switch (step.kind) {
      case "answer":
        result.answer.push(...step.entries);
        // ANY answers get no additional data (as BIND does): they are big enough already.
        if (qtype !== T.ANY) addAdditional(zone, step.entries, result.additional, new Set());
        return result;
      case "nodata":
        result.authority.push(negativeSoa(zone));
        return result;
      case "nxdomain":
        result.rcode = RCODE.NXDOMAIN;
        result.authority.push(negativeSoa(zone));
        return result;
      case "yxdomain":
        result.answer.push(...step.entries);
        result.rcode = RCODE.YXDOMAIN;
        return result;
      case "delegation": {
        // A referral (RFC 1034 §4.3.2 step 3b): not authoritative, NS in authority, glue.
        const ns = step.cut.get(T.NS)!;
        const auth: Entry = { owner: step.cut.name, set: ns };
        if (result.answer.length === 0) result.aa = false;
        result.authority.push(auth);
        addAdditional(zone, [auth], result.additional, new Set());
        for (const e of result.additional)
          e.required = isInZone(nameKey(e.owner), nameKey(step.cut.name));
        return result;
      }
      case "cname": {
        result.answer.push(...step.entries);
        const nextKey = nameKey(step.target);
        if (visited.has(nextKey) || steps + 1 >= MAX_CHAIN) return result;
        const nextZone = zones.find(nextKey);
        // A target outside every zone we serve ends the chain; the resolver follows it.
        if (!nextZone) return result;
        zone = nextZone;
        name = step.target;
        key = nextKey;
        break;
      }
    }
  }
}
