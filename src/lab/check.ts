/**
 * The multi-provider consistency check (docs/registrar.md "The resolver check"): start at
 * the parent, follow the delegation of a zone to every one of its nameservers (Cloudflare's
 * and the secondaries'), ask each the same questions, and say per question whether every
 * server gave the same answer and, with a trust anchor, whether each answer validates from it.
 * This is what one otherwise does by hand with `dig @each-server`.
 *
 * - The delegation: the parent's referral for the zone (NS and glue), the addresses of
 *   nameservers without glue asked of the parent, and the parent's DS set (validated from the
 *   trust anchor when one is given).
 * - Each nameserver address is asked on `port` (53 unless told: a lab on one address with a
 *   port per server maps them with `servers`).
 * - Answers are compared as RRsets without their signatures, TTLs included; a compact denial
 *   (RFC 9824, NOERROR with NXNAME) counts as NXDOMAIN, the same answer told another way. The
 *   serial of each server is reported beside, not compared: a secondary that signs its copy
 *   gives it serials of its own.
 * - Validation (RFC 4035 §5): each server's DNSKEY RRset must be signed by a key matching the
 *   parent's DS, and every RRset of each answer (the NSEC and SOA of a denial) by a key of
 *   that set; a denial's NSEC must not list the type asked. NSEC ranges and NSEC3 are not
 *   checked: the signatures and the chain are.
 */

import { NXNAME } from "../server/dnssec-answer.js";
import { formatHostPort } from "../transport/errors.js";
import { dsRdata } from "../wire/dnssec/sign.js";
import { RCODE, rcodeName } from "../wire/message.js";
import { nameKey, readNameWire } from "../wire/name.js";
import { typeBitmapTypes } from "../wire/rdata/dnssec.js";
import { rdataFromLine, rdataToText, soaFields } from "../wire/rdata.js";
import { T, typeFromText, typeToText } from "../wire/types.js";
import { ask, type Reply, type Rr, type Server } from "./client.js";
import { trustedKeys, verifyRrset } from "./validate.js";

export interface LabCheckOptions {
  /** The zone to check. */
  zone: string;
  /** The parent's server (the registrar). */
  parent: Server;
  /** The port every nameserver address is asked on (default 53). */
  port?: number;
  /** Where to ask instead, by nameserver address: a lab on one address with many ports. */
  servers?: Record<string, Server>;
  /** The questions: `{ name, type }` (type a mnemonic); default the apex SOA. */
  questions: { name: string; type: string }[];
  /** DS (or DNSKEY) lines of the parent's key: validate when given. */
  trustAnchor?: string[];
  timeoutMs?: number;
  /** Seconds, for signature validity (default now). */
  now?: number;
}

export interface NameserverJson {
  name: string;
  address: string;
  /** Where it was asked. */
  server: string;
  serial: number | null;
  error?: string;
  /** With a trust anchor: its DNSKEY RRset's standing. */
  dnssec?: "secure" | "insecure" | string;
}

export interface AnswerJson {
  name: string;
  type: string;
  /** Every server gave the same answer. */
  same: boolean;
  /** Per server (by `server`): the rcode and RRsets as text, and the validation verdict. */
  by_server: Record<string, { rcode: string; answer: string[]; dnssec?: string }>;
}

export interface LabCheckReport {
  zone: string;
  parent: string;
  delegation: { nameservers: string[]; ds: string[]; dnssec?: string };
  nameservers: NameserverJson[];
  answers: AnswerJson[];
  /** Every answer the same everywhere, every server answering, and (with an anchor) secure. */
  ok: boolean;
  problems: string[];
}

const SIGNER_TYPES = new Set<number>([T.RRSIG, T.NSEC, T.NSEC3]);

function rrText(r: Rr): string {
  return `${r.name.toLowerCase()} ${r.ttl} ${typeToText(r.type)} ${rdataToText(r.type, r.rdata)}`;
}

/** RRsets of a section, by owner and type. */
function rrsets(rrs: readonly Rr[]): Rr[][] {
  const by = new Map<string, Rr[]>();
  for (const r of rrs) {
    if (r.type === T.RRSIG) continue;
    const k = `${nameKey(r.name)}\0${r.type}`;
    by.set(k, [...(by.get(k) ?? []), r]);
  }
  return [...by.values()];
}

function sigsFor(rrs: readonly Rr[], name: string): Rr[] {
  return rrs.filter((r) => r.type === T.RRSIG && nameKey(r.name) === nameKey(name));
}

/** A compact denial of a name (RFC 9824 §3.2) told as the NXDOMAIN it stands for. */
function effectiveRcode(reply: Reply, qname: string): number {
  if (reply.rcode !== 0 || reply.answer.length > 0) return reply.rcode;
  const nsec = reply.authority.find((r) => r.type === T.NSEC && nameKey(r.name) === nameKey(qname));
  return nsec && typeBitsOf(nsec).has(NXNAME) ? RCODE.NXDOMAIN : RCODE.NOERROR;
}

/** The types an NSEC lists: its bitmap, after the next name (RFC 4034 §4.1). */
function typeBitsOf(nsec: Rr): Set<number> {
  return new Set(typeBitmapTypes(nsec.rdata.subarray(readNameWire(nsec.rdata, 0).next)));
}

/** The trust anchor's lines (DS or DNSKEY records of `origin`) as DS RDATA. */
function anchorDs(lines: readonly string[], origin: string): Buffer[] {
  return lines.map((l) => {
    const { type, rdata, line } = rdataFromLine(l, [T.DS, T.DNSKEY], origin);
    if (!line) throw new Error(`trust anchor: not a DS or DNSKEY line: ${l}`);
    return type === T.DS ? rdata : dsRdata(origin, rdata);
  });
}

/** What the steps share. */
interface Run {
  o: LabCheckOptions;
  zone: string;
  timeout: number;
  now: number;
  problems: string[];
  parentAt: string;
  /** With a trust anchor: the delegation did not validate. */
  chainBroken?: boolean;
}

type Target = { ns: NameserverJson; at: Server; keys?: Buffer[] };

export async function labCheck(o: LabCheckOptions): Promise<LabCheckReport> {
  const run: Run = {
    o,
    zone: o.zone.endsWith(".") ? o.zone : `${o.zone}.`,
    timeout: o.timeoutMs ?? 3000,
    now: o.now ?? Math.floor(Date.now() / 1000),
    problems: [],
    parentAt: `${o.parent.host}:${o.parent.port}`,
  };
  const { delegation, referral, zoneDs } = await delegationOf(run);
  const { servers, targets } = await nameserversOf(run, delegation.nameservers, referral, zoneDs);
  const answers: AnswerJson[] = [];
  for (const q of o.questions) answers.push(await askEverywhere(run, q, targets, zoneDs));
  return {
    zone: run.zone,
    parent: run.parentAt,
    delegation,
    nameservers: servers,
    answers,
    ok: run.problems.length === 0,
    problems: run.problems,
  };
}

/** A zone's DNSKEY RRset as `server` answers it, trusted when a key matching `ds` signs it. */
async function keysAt(run: Run, server: Server, zone: string, ds: readonly Buffer[]) {
  const reply = await ask(server, zone, T.DNSKEY, run.timeout);
  const dnskeys = reply.answer.filter((r) => r.type === T.DNSKEY);
  return trustedKeys(dnskeys, sigsFor(reply.answer, zone), ds, zone, run.now);
}

/** Step 1: the delegation, from the parent; with a trust anchor, the DS set validated. */
async function delegationOf(
  run: Run,
): Promise<{ delegation: LabCheckReport["delegation"]; referral: Reply; zoneDs?: Buffer[] }> {
  const { o, zone, timeout, now, problems } = run;
  // 1. The delegation, from the parent.
  const referral = await ask(o.parent, zone, T.NS, timeout);
  const nsRrs = referral.authority.filter(
    (r) => r.type === T.NS && nameKey(r.name) === nameKey(zone),
  );
  const nameservers = [...new Set(nsRrs.map((r) => rdataToText(T.NS, r.rdata)))];
  if (nameservers.length === 0)
    problems.push(`the parent at ${run.parentAt} does not delegate ${zone}`);
  const parentZone = referral.authority.find((r) => r.type === T.SOA)?.name;
  const dsReply = await ask(o.parent, zone, T.DS, timeout);
  const dsRrs = dsReply.answer.filter((r) => r.type === T.DS);
  const delegation: LabCheckReport["delegation"] = {
    nameservers,
    ds: dsRrs.map((r) => rdataToText(T.DS, r.rdata)),
  };

  // 2. The parent's keys, from the trust anchor; then the DS set, from the parent's keys.
  let zoneDs: Buffer[] | undefined;
  if (o.trustAnchor !== undefined) {
    // The anchor's owner is the parent zone (a DS or DNSKEY line: "test. 300 IN DS ...").
    const owner = o.trustAnchor[0]?.trim().split(/\s+/)[0];
    const origin =
      owner && /\.$/.test(owner) ? owner : await parentOrigin(o.parent, zone, timeout, parentZone);
    const keys = await keysAt(run, o.parent, origin, anchorDs(o.trustAnchor, origin));
    if ("reason" in keys) {
      delegation.dnssec = `bogus: ${keys.reason}`;
    } else if (dsRrs.length > 0) {
      const v = verifyRrset(dsRrs, sigsFor(dsReply.answer, zone), keys.keys, origin, now);
      delegation.dnssec = v.secure ? "secure" : `bogus: the DS set: ${v.reason}`;
      if (v.secure) zoneDs = dsRrs.map((r) => r.rdata);
    } else {
      const nsec = dsReply.authority.filter(
        (r) => r.type === T.NSEC && nameKey(r.name) === nameKey(zone),
      );
      const v =
        nsec.length > 0
          ? verifyRrset(nsec, sigsFor(dsReply.authority, zone), keys.keys, origin, now)
          : undefined;
      delegation.dnssec =
        v?.secure && !typeBitsOf(nsec[0]).has(T.DS)
          ? "insecure"
          : "bogus: no signed proof that there is no DS";
    }
    if (delegation.dnssec.startsWith("bogus")) {
      problems.push(`delegation: ${delegation.dnssec}`);
      run.chainBroken = true;
    }
  }
  return { delegation, referral, ...(zoneDs ? { zoneDs } : {}) };
}

/** Step 2: every nameserver's addresses (glue, else asked of the parent), its serial and keys. */
async function nameserversOf(
  run: Run,
  nameservers: string[],
  referral: Reply,
  zoneDs: Buffer[] | undefined,
): Promise<{ servers: NameserverJson[]; targets: Target[] }> {
  const { o, zone, timeout, problems } = run;
  const servers: NameserverJson[] = [];
  const targets: Target[] = [];
  for (const ns of nameservers) {
    let addrs = referral.additional
      .filter((r) => (r.type === T.A || r.type === T.AAAA) && nameKey(r.name) === nameKey(ns))
      .map((r) => rdataToText(r.type, r.rdata));
    if (addrs.length === 0) {
      for (const type of [T.A, T.AAAA]) {
        const r = await ask(o.parent, ns, type, timeout).catch(() => undefined);
        addrs.push(
          ...(r?.answer ?? [])
            .filter((x) => x.type === type)
            .map((x) => rdataToText(type, x.rdata)),
        );
      }
    }
    addrs = [...new Set(addrs)];
    if (addrs.length === 0) {
      problems.push(`${ns}: no address (no glue, and the parent has none)`);
      servers.push({ name: ns, address: "", server: "", serial: null, error: "no address" });
      continue;
    }
    for (const address of addrs) {
      const at = o.servers?.[address] ?? { host: address, port: o.port ?? 53 };
      const where = formatHostPort(at.host, at.port);
      const entry: NameserverJson = { name: ns, address, server: where, serial: null };
      servers.push(entry);
      // Two names for one server: asked once.
      const twin = targets.find((x) => x.ns.server === where);
      if (twin !== undefined) {
        Object.assign(entry, {
          serial: twin.ns.serial,
          ...(twin.ns.dnssec ? { dnssec: twin.ns.dnssec } : {}),
        });
        continue;
      }
      try {
        const soa = await ask(at, zone, T.SOA, timeout);
        const rr = soa.answer.find((r) => r.type === T.SOA);
        if (!soa.aa || rr === undefined)
          throw new Error(`not authoritative (${rcodeName(soa.rcode)})`);
        entry.serial = soaFields(rr.rdata).serial;
        if (zoneDs !== undefined) {
          const keys = await keysAt(run, at, zone, zoneDs);
          entry.dnssec = "keys" in keys ? "secure" : `bogus: ${keys.reason}`;
          if (!("keys" in keys)) problems.push(`${ns} (${where}): ${entry.dnssec}`);
          targets.push({ ns: entry, at, ...("keys" in keys ? { keys: keys.keys } : {}) });
        } else {
          if (o.trustAnchor !== undefined) entry.dnssec = "insecure";
          targets.push({ ns: entry, at });
        }
      } catch (e) {
        entry.error = (e as Error).message;
        problems.push(`${ns} (${where}): ${entry.error}`);
      }
    }
  }
  return { servers, targets };
}

/** Step 3: one question at every server, compared, and validated with the server's keys. */
async function askEverywhere(
  run: Run,
  q: { name: string; type: string },
  targets: Target[],
  zoneDs: Buffer[] | undefined,
): Promise<AnswerJson> {
  const { zone, timeout, now, problems } = run;
  const type = typeNumber(q.type);
  const name = q.name.endsWith(".") ? q.name : `${q.name}.`;
  const item: AnswerJson = { name, type: typeToText(type), same: true, by_server: {} };
  const seen = new Set<string>();
  for (const t of targets) {
    try {
      const reply = await ask(t.at, name, type, timeout);
      const rcode = effectiveRcode(reply, name);
      const answer = rrsets(reply.answer)
        .flatMap((s) => s.map(rrText))
        .sort();
      const one: { rcode: string; answer: string[]; dnssec?: string } = {
        rcode: rcodeName(rcode),
        answer,
      };
      if (t.keys !== undefined) one.dnssec = validateAnswer(reply, name, type, zone, t.keys, now);
      else if (zoneDs !== undefined) one.dnssec = "bogus: the server's keys are not trusted";
      else if (run.o.trustAnchor !== undefined)
        one.dnssec = run.chainBroken
          ? "bogus: the chain from the trust anchor is broken"
          : "insecure";
      if (one.dnssec?.startsWith("bogus"))
        problems.push(`${name} ${item.type} at ${t.ns.server}: ${one.dnssec}`);
      item.by_server[t.ns.server] = one;
      seen.add(JSON.stringify([one.rcode, one.answer]));
    } catch (e) {
      item.by_server[t.ns.server] = { rcode: "no answer", answer: [(e as Error).message] };
      seen.add("error");
    }
  }
  item.same = seen.size <= 1;
  if (!item.same) problems.push(`${name} ${item.type}: the servers differ`);
  return item;
}

/** The parent zone's name: the owner of the SOA in its answers, else the root. */
async function parentOrigin(
  parent: Server,
  zone: string,
  timeout: number,
  known?: string,
): Promise<string> {
  if (known !== undefined) return known;
  const r = await ask(parent, zone, T.SOA, timeout);
  return (
    r.authority.find((x) => x.type === T.SOA)?.name ??
    r.answer.find((x) => x.type === T.SOA)?.name ??
    "."
  );
}

function typeNumber(text: string): number {
  const n = typeFromText(text);
  if (n === undefined) throw new Error(`unknown type ${text}`);
  return n;
}

/** "secure", or "bogus: why", for one answer from a server whose keys are trusted. */
function validateAnswer(
  reply: Reply,
  qname: string,
  qtype: number,
  zone: string,
  keys: Buffer[],
  now: number,
): string {
  const sections = [reply.answer, reply.authority];
  for (const section of sections) {
    for (const set of rrsets(section)) {
      // A referral's NS and the glue are not signed (RFC 4035 §2.2).
      if (set[0].type === T.NS && section === reply.authority) continue;
      const v = verifyRrset(set, sigsFor(section, set[0].name), keys, zone, now);
      if (!v.secure) return `bogus: ${set[0].name} ${typeToText(set[0].type)}: ${v.reason}`;
    }
  }
  const cut = reply.aa ? undefined : reply.authority.find((r) => r.type === T.NS);
  if (cut !== undefined) {
    // A referral: the NSEC at the cut must prove there is no DS, or the DS be there (§3.1.4).
    const nsec = reply.authority.find(
      (r) => r.type === T.NSEC && nameKey(r.name) === nameKey(cut.name),
    );
    const ds = reply.authority.some((r) => r.type === T.DS);
    if (!ds && (nsec === undefined || typeBitsOf(nsec).has(T.DS)))
      return `bogus: a referral to ${cut.name} without a DS or a proof that there is none`;
    return "secure";
  }
  if (reply.answer.filter((r) => !SIGNER_TYPES.has(r.type)).length === 0) {
    const nsec = reply.authority.find(
      (r) => r.type === T.NSEC && nameKey(r.name) === nameKey(qname),
    );
    if (nsec === undefined && reply.authority.every((r) => r.type !== T.NSEC && r.type !== T.NSEC3))
      return "bogus: a denial without NSEC";
    if (nsec !== undefined && typeBitsOf(nsec).has(qtype))
      return `bogus: the NSEC at ${qname} lists ${typeToText(qtype)}`;
  }
  return "secure";
}
