/**
 * Cloudflare's rules for what a zone serves and transfers (docs/cloudflare.md §1), as a
 * Renderer (see zone/render.ts):
 *
 * - a proxied name (one of its A/AAAA/CNAME records is proxied) serves the zone's two
 *   anycast A and two anycast AAAA records, TTL 300, in place of its A/AAAA/CNAME; a proxied
 *   record's `settings.ipv4_only` / `ipv6_only` keep one family;
 * - a DNS-only CNAME at the apex is always flattened to the addresses its target serves; one
 *   below the apex only when `flatten_all_cnames` is on (`settings.flatten_cname` changes
 *   nothing);
 * - the apex NS RRset is the assigned nameservers (TTL `ns_ttl`), plus the user's apex NS
 *   records when `multi_provider` is on;
 * - transfers withhold CAA and the TXT records of certificate validation.
 *
 * Each rule is decided once, by `decide()` (what happens at a name) and `withheldReason()`
 * (what a transfer leaves out); `render()`, `transfer()` and the explanation of a name
 * (explain.ts) are all built on those two, so there is one copy of the rules.
 *
 * Decisions (beyond cloudflare.md):
 * - When proxied records at a name disagree on ipv4_only / ipv6_only, the name serves every
 *   family one of them asks for; a record with both flags (or neither) asks for both.
 * - While the account enforces DNS-only, a proxied record is what it would be if it were
 *   not proxied in every respect: a proxied CNAME at the apex is flattened like a DNS-only
 *   one, a proxied flattening target gives its own addresses.
 * - Flattening follows at most MAX_CNAME_CHAIN names. A target inside the zone is looked up
 *   among the zone's stored records with these same rules (a proxied target gives the anycast
 *   addresses); a target outside it, or one in the zone without addresses (a delegated
 *   child), is asked of `resolveElsewhere`. Wildcards are not expanded. A target with no A
 *   and no AAAA, a loop or a longer chain is unresolved: below the apex the CNAME is served
 *   as stored, at the apex nothing is served for it; either way a warning is logged once
 *   per name until it resolves again.
 * - Flattened RRsets take the CNAME's TTL, whatever the target's TTL is.
 * - A TXT record is certificate validation when its owner's first label is
 *   `_acme-challenge` (any case) or one of its tags is named `cf-dcv` ("cf-dcv" or
 *   "cf-dcv:<value>", any case).
 */

import {
  canonicalName,
  isInZone,
  nameKey,
  nameToWireString,
  readNameWire,
} from "../../wire/name.js";
import { parseIPv4, parseIPv6 } from "../../wire/rdata/ip.js";
import { T } from "../../wire/types.js";
import type { RenderContext, Renderer } from "../../zone/render.js";
import { RRset } from "../../zone/rrset.js";
import type { RecordMeta } from "../../zone/zone.js";
import { assignedNameservers, defaultAnycast } from "./anycast.js";
import type { ZoneSigner } from "./dnssec.js";

export interface RenderSettings {
  multiProvider: boolean;
  flattenAllCnames: boolean;
  nsTtl: number;
  /** Assigned nameservers, absolute with the trailing dot. */
  nameservers: string[];
  anycast: { ipv4: [string, string]; ipv6: [string, string] };
  /**
   * The account enforces DNS-only (`enforce_dns_only`): every record is served as if it were
   * not proxied, the records themselves unchanged (cloudflare.md §5).
   */
  dnsOnly: boolean;
  /**
   * The zone's keys while DNSSEC is active (dnssec.ts): the apex serves them as DNSKEY beside
   * the user's DNSKEY records, and answers are signed with them at query time.
   */
  dnssec?: ZoneSigner;
}

/** Addresses served at a name of another zone (latin1 wire RDATA), for flattening. */
export interface ElsewhereAddresses {
  a: string[];
  aaaa: string[];
  ttl?: number;
}

export interface CloudflareRulesOptions {
  /**
   * The A/AAAA records a name of another zone finally resolves to, or undefined when no zone
   * here has it. Following CNAMEs inside that other zone is up to the callee.
   */
  resolveElsewhere?: (key: string) => ElsewhereAddresses | undefined;
  warn?: (message: string) => void;
}

/** Proxied records always have TTL "auto" = 300 s. */
export const PROXIED_TTL = 300;
/** `ns_ttl` default. */
export const DEFAULT_NS_TTL = 86400;
/** The TTL of the DNSKEY RRset while DNSSEC is active. */
export const DNSKEY_TTL = 3600;
/** Names followed at most when flattening a CNAME (its target included). */
export const MAX_CNAME_CHAIN = 8;

/** The settings a new zone starts with: Cloudflare's defaults and the zone's assigned values. */
export function defaultRenderSettings(origin: string): RenderSettings {
  return {
    multiProvider: false,
    flattenAllCnames: false,
    nsTtl: DEFAULT_NS_TTL,
    nameservers: assignedNameservers(origin),
    anycast: defaultAnycast(origin),
    dnsOnly: false,
  };
}

/** Which anycast families a proxied name serves. */
export interface Families {
  readonly v4: boolean;
  readonly v6: boolean;
}

const BOTH: Families = Object.freeze({ v4: true, v6: true });
const V4: Families = Object.freeze({ v4: true, v6: false });
const V6: Families = Object.freeze({ v4: false, v6: true });

/** What became of a DNS-only CNAME that the rules flatten. */
export type CnameOutcome =
  | {
      kind: "flattened";
      /** The CNAME's target. */
      target: string;
      /** The names looked at, from the target to the one that had the addresses. */
      chain: string[];
      ttl: number;
      /** Wire RDATA (latin1) of the A and AAAA records served instead. */
      a: readonly string[];
      aaaa: readonly string[];
    }
  | { kind: "unresolved"; target: string; chain: string[]; reason: string };

/** What the rules do at one name; `decide()` returns undefined where they change nothing. */
export interface NameDecision {
  apex: boolean;
  /** The name counts as proxied: A/AAAA/CNAME give way to the anycast RRsets of these families. */
  proxied?: Families;
  /** A DNS-only CNAME at the name is flattened (or could not be). */
  cname?: CnameOutcome;
  /** At the apex, when the served NS RRset differs from the stored one: the served one. */
  apexNs?: { set: RRset | undefined };
  /** At the apex while DNSSEC is active: Cloudflare's keys and the user's DNSKEY records. */
  dnskey?: RRset;
}

export type WithheldReason = "caa" | "certificate-validation";

/** What the rules make of one stored apex NS record. */
export type ApexNsDisposition = "assigned-ns" | "transferred" | "apex-ns-ignored";

interface Derived {
  a4: RRset;
  a6: RRset;
  /** Wire RDATA of the assigned nameservers, and their keys. */
  nsRdata: string[];
  nsKeys: Set<string>;
}

function ipv4Wire(text: string): string {
  const b = new Uint8Array(4);
  if (!parseIPv4(text, 0, text.length, b, 0))
    throw new Error(`anycast IPv4 address "${text}" is not valid`);
  return String.fromCharCode(...b);
}

function ipv6Wire(text: string): string {
  const b = new Uint8Array(16);
  if (!parseIPv6(text, b, 0)) throw new Error(`anycast IPv6 address "${text}" is not valid`);
  return String.fromCharCode(...b);
}

/** The name in wire RDATA that starts with a name (CNAME, NS), as text. */
function rdataName(rdata: string): string {
  return readNameWire(Buffer.from(rdata, "latin1"), 0).name;
}

function isAcmeChallenge(name: string): boolean {
  return (
    name.length >= 16 &&
    name.charCodeAt(0) === 0x5f &&
    name.slice(0, 16).toLowerCase() === "_acme-challenge."
  );
}

function hasDcvTag(meta: RecordMeta | undefined): boolean {
  const tags = meta?.tags;
  if (tags === undefined) return false;
  for (const tag of tags) {
    const colon = tag.indexOf(":");
    if ((colon < 0 ? tag : tag.slice(0, colon)).trim().toLowerCase() === "cf-dcv") return true;
  }
  return false;
}

/**
 * Which families a name's proxied records ask for, or undefined when none of its
 * A/AAAA/CNAME records is proxied. `key` undefined: the name being rendered (ctx.meta).
 */
function proxiedFamilies(
  sets: readonly RRset[],
  ctx: RenderContext,
  key: string | undefined,
): Families | undefined {
  let v4 = false;
  let v6 = false;
  for (const s of sets) {
    const t = s.type;
    if (t !== T.A && t !== T.AAAA && t !== T.CNAME) continue;
    for (let i = 0; i < s.size; i++) {
      const rd = s.at(i);
      const m = key === undefined ? ctx.meta(t, rd) : ctx.metaAt(key, t, rd);
      if (m?.proxied !== true) continue;
      const only4 = m.settings?.ipv4_only === true;
      const only6 = m.settings?.ipv6_only === true;
      if (only4 === only6) return BOTH;
      if (only4) v4 = true;
      else v6 = true;
    }
  }
  if (v4 && v6) return BOTH;
  return v4 ? V4 : v6 ? V6 : undefined;
}

export class CloudflareRules implements Renderer {
  readonly ownsApexNs = true;
  /** Replaced as a whole when the zone's DNS settings change (the zone is then re-rendered). */
  settings: RenderSettings;
  private readonly resolveElsewhere?: (key: string) => ElsewhereAddresses | undefined;
  private readonly warn?: (message: string) => void;
  private derivedFrom?: RenderSettings;
  private derivedValue?: Derived;
  /** Names warned about (key → message), so a re-render does not repeat the warning. */
  private readonly warned = new Map<string, string>();

  constructor(settings: RenderSettings, opts: CloudflareRulesOptions = {}) {
    this.settings = settings;
    this.resolveElsewhere = opts.resolveElsewhere;
    this.warn = opts.warn;
    this.derived(); // fail early on bad addresses
  }

  /** Cloudflare's keys while the zone's DNSSEC is active. */
  get signingKeys(): ZoneSigner | undefined {
    return this.settings.dnssec;
  }

  /** The anycast RRsets and assigned nameservers of the current settings (shared by all names). */
  private derived(): Derived {
    const s = this.settings;
    if (this.derivedFrom !== s || this.derivedValue === undefined) {
      const ns = s.nameservers.map((n) => canonicalName(n));
      this.derivedValue = {
        a4: RRset.of(T.A, PROXIED_TTL, [...new Set(s.anycast.ipv4.map(ipv4Wire))]),
        a6: RRset.of(T.AAAA, PROXIED_TTL, [...new Set(s.anycast.ipv6.map(ipv6Wire))]),
        nsRdata: [...new Set(ns.map(nameToWireString))],
        nsKeys: new Set(ns.map(nameKey)),
      };
      this.derivedFrom = s;
    }
    return this.derivedValue;
  }

  /** Wire RDATA of the anycast addresses of the given families. */
  anycastRdata(f: Families): { a: readonly string[]; aaaa: readonly string[] } {
    const d = this.derived();
    return { a: f.v4 ? d.a4.rdata : [], aaaa: f.v6 ? d.a6.rdata : [] };
  }

  render(name: string, stored: readonly RRset[], ctx: RenderContext): readonly RRset[] {
    const d = this.decide(name, stored, ctx);
    if (this.warned.size > 0 || d?.cname?.kind === "unresolved") this.noteWarning(name, d);
    return d === undefined ? stored : this.apply(stored, d);
  }

  transfer(name: string, served: readonly RRset[], ctx: RenderContext): readonly RRset[] {
    let out: RRset[] | undefined;
    for (let i = 0; i < served.length; i++) {
      const s = served[i];
      let keep: RRset | undefined = s;
      if (s.type === T.CAA) keep = undefined;
      else if (s.type === T.TXT) keep = this.transferTxt(name, s, ctx);
      // Cloudflare's own keys sign its live answers and are not transferred (docs/dnssec.md);
      // the user's DNSKEY records are records like any other.
      else if (s.type === T.DNSKEY && this.settings.dnssec !== undefined)
        keep = ctx.storedAt(nameKey(name)).find((x) => x.type === T.DNSKEY);
      if (keep !== s && out === undefined) out = served.slice(0, i);
      if (out !== undefined && keep !== undefined) out.push(keep);
    }
    return out ?? served;
  }

  /** Why a served record is left out of transfers, or undefined when it is transferred. */
  withheldReason(
    name: string,
    type: number,
    rdata: string,
    ctx: RenderContext,
  ): WithheldReason | undefined {
    if (type === T.CAA) return "caa";
    if (type === T.TXT && (isAcmeChallenge(name) || hasDcvTag(ctx.meta(type, rdata))))
      return "certificate-validation";
    return undefined;
  }

  private transferTxt(name: string, s: RRset, ctx: RenderContext): RRset | undefined {
    let kept: string[] | undefined;
    for (let i = 0; i < s.size; i++) {
      const rd = s.at(i);
      const withheld = this.withheldReason(name, T.TXT, rd, ctx) !== undefined;
      if (withheld && kept === undefined) kept = s.rdata.slice(0, i);
      else if (!withheld && kept !== undefined) kept.push(rd);
    }
    if (kept === undefined) return s;
    return kept.length === 0 ? undefined : RRset.of(T.TXT, s.ttl, kept);
  }

  /** proxiedFamilies(), unless the account serves every record as DNS-only. */
  private proxiedAt(
    sets: readonly RRset[],
    ctx: RenderContext,
    key: string | undefined,
  ): Families | undefined {
    return this.settings.dnsOnly ? undefined : proxiedFamilies(sets, ctx, key);
  }

  /** What an apex NS record becomes under the current settings. */
  apexNsDisposition(rdata: string): ApexNsDisposition {
    if (this.derived().nsKeys.has(nameKey(rdataName(rdata)))) return "assigned-ns";
    return this.settings.multiProvider ? "transferred" : "apex-ns-ignored";
  }

  /**
   * What the rules do at a name, or undefined when they serve it as stored. Pure apart from
   * ctx.dependsOnOthers(), called whenever another name was looked at.
   */
  decide(name: string, stored: readonly RRset[], ctx: RenderContext): NameDecision | undefined {
    const origin = ctx.origin;
    const apex =
      name.length === origin.length && (name === origin || nameKey(name) === nameKey(origin));
    let cname: RRset | undefined;
    let addresses = false;
    for (const s of stored) {
      if (s.type === T.CNAME) cname = s;
      else if (s.type === T.A || s.type === T.AAAA) addresses = true;
    }
    if (!apex && cname === undefined && !addresses) return undefined;

    let d: NameDecision | undefined;
    const proxied = this.proxiedAt(stored, ctx, undefined);
    if (proxied !== undefined) d = { apex, proxied };
    else if (cname !== undefined && (apex || this.settings.flattenAllCnames))
      d = { apex, cname: this.flatten(name, cname, ctx) };
    if (apex) {
      const ns = this.apexNs(stored);
      if (ns !== "unchanged") {
        d ??= { apex };
        d.apexNs = { set: ns };
      }
      if (this.settings.dnssec !== undefined) {
        d ??= { apex };
        d.dnskey = this.apexDnskey(stored, this.settings.dnssec);
      }
    }
    return d;
  }

  /** The served RRsets for a decision (see decide()); `stored` itself when nothing changes. */
  apply(stored: readonly RRset[], d: NameDecision): readonly RRset[] {
    const dropsCname = d.cname !== undefined && (d.cname.kind === "flattened" || d.apex);
    if (d.proxied === undefined && d.apexNs === undefined && !dropsCname && !d.dnskey)
      return stored;
    const out: RRset[] = [];
    let nsPlaced = false;
    for (const s of stored) {
      const t = s.type;
      if (d.proxied !== undefined && (t === T.A || t === T.AAAA || t === T.CNAME)) continue;
      if (t === T.CNAME && dropsCname) continue;
      if (t === T.NS && d.apexNs !== undefined) {
        if (d.apexNs.set !== undefined) out.push(d.apexNs.set);
        nsPlaced = true;
        continue;
      }
      if (t === T.DNSKEY && d.dnskey !== undefined) continue;
      out.push(s);
    }
    if (d.dnskey !== undefined) out.push(d.dnskey);
    if (d.proxied !== undefined) {
      const dv = this.derived();
      if (d.proxied.v4) out.push(dv.a4);
      if (d.proxied.v6) out.push(dv.a6);
    }
    if (d.cname?.kind === "flattened") {
      const c = d.cname;
      if (c.a.length > 0) out.push(RRset.of(T.A, c.ttl, c.a));
      if (c.aaaa.length > 0) out.push(RRset.of(T.AAAA, c.ttl, c.aaaa));
    }
    if (!nsPlaced && d.apexNs?.set !== undefined) out.push(d.apexNs.set);
    return out;
  }

  /** Cloudflare's KSK and ZSK, then the user's DNSKEY records (other signers' keys). */
  private apexDnskey(stored: readonly RRset[], signer: ZoneSigner): RRset {
    const ours = [signer.ksk.rdata.toString("latin1"), signer.zsk.rdata.toString("latin1")];
    const user = stored.find((s) => s.type === T.DNSKEY);
    const rdata = [...ours, ...(user?.rdata ?? []).filter((rd) => !ours.includes(rd))];
    return RRset.of(T.DNSKEY, DNSKEY_TTL, rdata);
  }

  /** The apex NS RRset to serve, or "unchanged" when it is the stored one. */
  private apexNs(stored: readonly RRset[]): RRset | undefined | "unchanged" {
    const dv = this.derived();
    const storedNs = stored.find((s) => s.type === T.NS);
    const rdata = dv.nsRdata.slice();
    if (this.settings.multiProvider && storedNs !== undefined) {
      const seen = new Set<string>();
      for (const rd of storedNs.rdata) {
        if (this.apexNsDisposition(rd) !== "transferred") continue;
        const key = nameKey(rdataName(rd));
        if (seen.has(key)) continue;
        seen.add(key);
        rdata.push(rd);
      }
    }
    if (rdata.length === 0) return storedNs === undefined ? "unchanged" : undefined;
    if (
      storedNs !== undefined &&
      storedNs.ttl === this.settings.nsTtl &&
      storedNs.size === rdata.length &&
      rdata.every((rd, i) => storedNs.at(i) === rd)
    )
      return "unchanged";
    return RRset.of(T.NS, this.settings.nsTtl, rdata);
  }

  private flatten(name: string, cname: RRset, ctx: RenderContext): CnameOutcome {
    const target = rdataName(cname.at(0));
    const chain: string[] = [];
    const r = this.resolve(name, target, ctx, chain);
    if (typeof r === "string") return { kind: "unresolved", target, chain, reason: r };
    return { kind: "flattened", target, chain, ttl: cname.ttl, a: r.a, aaaa: r.aaaa };
  }

  /** The addresses `target` serves, or why there are none. */
  private resolve(
    from: string,
    target: string,
    ctx: RenderContext,
    chain: string[],
  ): { a: readonly string[]; aaaa: readonly string[] } | string {
    const originKey = nameKey(ctx.origin);
    const seen = new Set([nameKey(from)]);
    let cur = target;
    for (let step = 0; step < MAX_CNAME_CHAIN; step++) {
      const key = nameKey(cur);
      if (seen.has(key)) return `the CNAME chain loops at ${cur}`;
      seen.add(key);
      chain.push(cur);
      ctx.dependsOnOthers();
      if (isInZone(key, originKey)) {
        const sets = ctx.storedAt(key);
        const proxied = this.proxiedAt(sets, ctx, key);
        if (proxied !== undefined) return this.anycastRdata(proxied);
        let next: string | undefined;
        let a: readonly string[] = [];
        let aaaa: readonly string[] = [];
        for (const s of sets) {
          if (s.type === T.CNAME) next = rdataName(s.at(0));
          else if (s.type === T.A) a = s.rdata;
          else if (s.type === T.AAAA) aaaa = s.rdata;
        }
        if (next !== undefined) {
          cur = next;
          continue;
        }
        if (a.length > 0 || aaaa.length > 0) return { a, aaaa };
      }
      const other = this.resolveElsewhere?.(key);
      if (other !== undefined && (other.a.length > 0 || other.aaaa.length > 0))
        return { a: other.a, aaaa: other.aaaa };
      return `${cur} has no A or AAAA record here`;
    }
    return `the CNAME chain is longer than ${MAX_CNAME_CHAIN} names`;
  }

  /** Warn once per name about an unresolved CNAME; forget names that resolve again. */
  private noteWarning(name: string, d: NameDecision | undefined): void {
    const key = nameKey(name);
    const c = d?.cname;
    if (c?.kind !== "unresolved") {
      this.warned.delete(key);
      return;
    }
    const what = d?.apex
      ? "nothing is served for it at the apex"
      : "it is served and transferred as a CNAME";
    const message = `${name}: cannot flatten the CNAME to ${c.target} (${c.reason}); ${what}`;
    if (this.warned.get(key) === message) return;
    this.warned.set(key, message);
    this.warn?.(message);
  }
}
