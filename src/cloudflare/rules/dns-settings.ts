/**
 * A zone's DNS settings as Cloudflare's `GET/PATCH /zones/{zone_id}/dns_settings` shows them
 * (cloudflare.md §1 "SOA", "Apex NS and multi-provider DNS"; §3), their validation, and what
 * the renderer and the stored SOA are made of.
 *
 * Decisions where Cloudflare's docs are silent:
 * - A zone loaded from a file is seeded from it: its SOA gives `soa` (an explicit `mname`),
 *   its apex NS records are the zone's assigned nameservers and their TTL is `ns_ttl`. A
 *   plain zone file is therefore served as written.
 * - A zone created through the API gets two assigned `*.ns.cloudflare.com` nameservers and
 *   Cloudflare's SOA defaults, `mname` null (the first assigned nameserver) and
 *   `rname` `dns.cloudflare.com`.
 * - Fields that change nothing served here (`zone_mode`, `nameservers`, `foundation_dns`,
 *   `secondary_overrides`, `internal_dns`) are validated, stored and returned.
 */

import { canonicalName, NameError, parseName, withoutTrailingDot } from "../../wire/name.js";
import { rdataToText, type SoaFields, soaFields, soaRdata } from "../../wire/rdata.js";
import { T } from "../../wire/types.js";
import type { Zone } from "../../zone/zone.js";
import { SettingsError } from "../errors.js";
import { assignedNameservers, defaultAnycast } from "./anycast.js";
import type { RenderSettings } from "./cloudflare.js";
import { signerOf, type ZoneDnssec } from "./dnssec.js";

export interface SoaSettings {
  /** null: the zone's first assigned nameserver. */
  mname: string | null;
  rname: string;
  refresh: number;
  retry: number;
  expire: number;
  min_ttl: number;
  ttl: number;
}

export const ZONE_MODES = ["standard", "cdn_only", "dns_only"] as const;
export const NAMESERVER_TYPES = [
  "cloudflare.standard",
  "cloudflare.advanced",
  "custom.account",
  "custom.tenant",
  "custom.zone",
] as const;
/**
 * The account's zone defaults name no zone's own set (`custom.zone`, `ns_set`) and may ask for
 * a random standard pair, which a new zone shows as `cloudflare.standard`.
 */
export const DEFAULT_NAMESERVER_TYPES = [
  "cloudflare.standard",
  "cloudflare.advanced",
  "cloudflare.standard.random",
  "custom.account",
  "custom.tenant",
] as const;

/** The `dns_settings` object (names and shape as Cloudflare's API). */
export interface DnsSettings {
  flatten_all_cnames: boolean;
  foundation_dns: boolean;
  internal_dns: { reference_zone_id: string | null };
  multi_provider: boolean;
  nameservers: {
    type: (typeof NAMESERVER_TYPES)[number] | (typeof DEFAULT_NAMESERVER_TYPES)[number];
    ns_set?: number;
  };
  ns_ttl: number;
  secondary_overrides: boolean;
  soa: SoaSettings;
  zone_mode: (typeof ZONE_MODES)[number];
}

/** What the emulator adds to a zone's settings: what Cloudflare would assign. */
export interface ZoneProfile {
  /** Assigned nameservers (absolute names). */
  nameservers: string[];
  /** The anycast pairs proxied names are served with. */
  anycast: { ipv4: [string, string]; ipv6: [string, string] };
  /**
   * The account enforces DNS-only (`enforce_dns_only`, account-settings.ts): proxied records
   * are served and transferred as DNS-only. Set on each zone as the account changes, so a
   * zone's stored settings say how its stored records and journal were rendered.
   */
  dnsOnly?: boolean;
  /** The zone's DNSSEC and its keys, once it was turned on (dnssec.ts). */
  dnssec?: ZoneDnssec;
}

/** Cloudflare's SOA defaults and API ranges (cloudflare.md §1 "SOA"). */
export const SOA_RANGES = {
  refresh: { min: 600, max: 86400, default: 10000 },
  retry: { min: 600, max: 86400, default: 2400 },
  expire: { min: 86400, max: 2419200, default: 604800 },
  min_ttl: { min: 60, max: 86400, default: 1800 },
  ttl: { min: 300, max: 86400, default: 3600 },
} as const;
export const NS_TTL = { min: 30, max: 86400, default: 86400 } as const;
export const DEFAULT_RNAME = "dns.cloudflare.com.";

function baseSettings(soa: SoaSettings, nsTtl: number): DnsSettings {
  return {
    flatten_all_cnames: false,
    foundation_dns: false,
    internal_dns: { reference_zone_id: null },
    multi_provider: false,
    nameservers: { type: "cloudflare.standard" },
    ns_ttl: nsTtl,
    secondary_overrides: false,
    soa,
    zone_mode: "standard",
  };
}

/** Cloudflare's DNS settings for a new zone: the account's zone defaults until changed. */
export function cloudflareDefaults(): DnsSettings {
  return baseSettings(
    {
      mname: null,
      rname: DEFAULT_RNAME,
      refresh: SOA_RANGES.refresh.default,
      retry: SOA_RANGES.retry.default,
      expire: SOA_RANGES.expire.default,
      min_ttl: SOA_RANGES.min_ttl.default,
      ttl: SOA_RANGES.ttl.default,
    },
    NS_TTL.default,
  );
}

/**
 * What the account imposes on a new zone (account-settings.ts): its zone defaults, and
 * whether proxied records are served as DNS-only.
 */
export interface AccountImposed {
  zoneDefaults: DnsSettings;
  enforceDnsOnly: boolean;
}

/** Settings and profile of a zone created through the API: the account's zone defaults. */
export function newZoneSettings(
  origin: string,
  account?: AccountImposed,
): { dns: DnsSettings; profile: ZoneProfile } {
  return {
    dns: fromDefaults(account),
    profile: profileOf(origin, assignedNameservers(origin), account),
  };
}

/**
 * Settings and profile of a zone loaded from a file: served as the file says (see above).
 * What the file cannot say (multi-provider, flattening, the fields stored only) comes from
 * the account's zone defaults, as for a zone created through the API; the file's SOA gives
 * `soa`, and its apex NS records `ns_ttl` (the defaults' when it has none).
 */
export function seededSettings(
  zone: Zone,
  account?: AccountImposed,
): { dns: DnsSettings; profile: ZoneProfile } {
  const soaSet = zone.storedSets(zone.key).find((s) => s.type === T.SOA)!;
  const soa = soaFields(Buffer.from(soaSet.at(0), "latin1"));
  const ns = zone.storedSets(zone.key).find((s) => s.type === T.NS);
  const nameservers = ns
    ? ns.rdata.map((r) => rdataToText(T.NS, Buffer.from(r, "latin1")))
    : assignedNameservers(zone.origin);
  const defaults = fromDefaults(account);
  return {
    dns: {
      ...defaults,
      ns_ttl: ns?.ttl ?? defaults.ns_ttl,
      soa: {
        mname: soa.mname,
        rname: soa.rname,
        refresh: soa.refresh,
        retry: soa.retry,
        expire: soa.expire,
        min_ttl: soa.minimum,
        ttl: soaSet.ttl,
      },
    },
    profile: profileOf(zone.origin, nameservers, account),
  };
}

/** A new zone's settings: the account's zone defaults, in a zone's terms. */
function fromDefaults(account: AccountImposed | undefined): DnsSettings {
  const dns = copySettings(account?.zoneDefaults ?? cloudflareDefaults());
  if (dns.nameservers.type === "cloudflare.standard.random")
    dns.nameservers = { type: "cloudflare.standard" };
  return dns;
}

function profileOf(origin: string, nameservers: string[], account?: AccountImposed): ZoneProfile {
  const profile: ZoneProfile = { nameservers, anycast: defaultAnycast(origin) };
  if (account?.enforceDnsOnly === true) profile.dnsOnly = true;
  return profile;
}

/** A deep copy: settings objects are shared by nothing. */
export function copySettings(dns: DnsSettings): DnsSettings {
  return {
    ...dns,
    internal_dns: { ...dns.internal_dns },
    nameservers: { ...dns.nameservers },
    soa: { ...dns.soa },
  };
}

export function renderSettings(dns: DnsSettings, profile: ZoneProfile): RenderSettings {
  return {
    multiProvider: dns.multi_provider,
    flattenAllCnames: dns.flatten_all_cnames,
    nsTtl: dns.ns_ttl,
    nameservers: profile.nameservers,
    anycast: profile.anycast,
    dnsOnly: profile.dnsOnly === true,
    dnssec: signerOf(profile.dnssec),
  };
}

/** The stored SOA the settings describe, with the given serial. */
export function soaFromSettings(
  dns: DnsSettings,
  profile: ZoneProfile,
  serial: number,
): { ttl: number; rdata: Buffer } {
  const s = dns.soa;
  const fields: SoaFields = {
    mname: s.mname ?? profile.nameservers[0],
    rname: s.rname,
    serial,
    refresh: s.refresh,
    retry: s.retry,
    expire: s.expire,
    minimum: s.min_ttl,
  };
  return { ttl: s.ttl, rdata: soaRdata(fields) };
}

/** The settings as the API returns them. */
export function settingsJson(dns: DnsSettings): DnsSettings {
  return {
    ...dns,
    internal_dns: { ...dns.internal_dns },
    nameservers: { ...dns.nameservers },
    soa: {
      ...dns.soa,
      mname: dns.soa.mname === null ? null : withoutTrailingDot(dns.soa.mname),
      rname: withoutTrailingDot(dns.soa.rname),
    },
  };
}

function invalid(message: string, path: string): SettingsError {
  return new SettingsError("INVALID_FIELD", message, path);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== "boolean") throw invalid(`${path} must be true or false`, path);
  return v;
}

function ranged(v: unknown, path: string, r: { min: number; max: number }): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < r.min || v > r.max) {
    throw invalid(`${path} must be a whole number from ${r.min} to ${r.max}`, path);
  }
  return v;
}

function oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
  if (typeof v !== "string" || !values.includes(v as T)) {
    throw invalid(`${path} must be one of ${values.map((x) => `"${x}"`).join(", ")}`, path);
  }
  return v as T;
}

function domain(v: unknown, path: string): string {
  if (typeof v !== "string" || v === "") throw invalid(`${path} must be a domain name`, path);
  try {
    // Names in settings are absolute, with or without the trailing dot (Cloudflare's form).
    return canonicalName(parseName(v.endsWith(".") ? v : `${v}.`));
  } catch (e) {
    if (e instanceof NameError)
      throw invalid(`${path} is not a valid domain name: ${e.message}`, path);
    throw e;
  }
}

function patchSoa(cur: SoaSettings, body: unknown): SoaSettings {
  if (!isObject(body)) throw invalid("soa must be an object", "soa");
  const next = { ...cur };
  for (const [k, v] of Object.entries(body)) {
    const path = `soa.${k}`;
    switch (k) {
      case "mname":
        next.mname = v === null ? null : domain(v, path);
        break;
      case "rname":
        next.rname = domain(v, path);
        break;
      case "refresh":
      case "retry":
      case "expire":
      case "min_ttl":
      case "ttl":
        next[k] = ranged(v, path, SOA_RANGES[k]);
        break;
      default:
        throw invalid(`${path} is not a DNS setting`, path);
    }
  }
  return next;
}

/**
 * Cloudflare's PATCH: the given fields change, the others stay. Throws SettingsError (400).
 * `defaults`: the account's zone defaults, whose `nameservers` differ (see above).
 */
export function patchDnsSettings(cur: DnsSettings, body: unknown, defaults = false): DnsSettings {
  if (!isObject(body)) throw invalid("the body must be a JSON object of DNS settings", "");
  const next: DnsSettings = { ...cur };
  for (const [k, v] of Object.entries(body)) {
    switch (k) {
      case "multi_provider":
      case "flatten_all_cnames":
      case "foundation_dns":
      case "secondary_overrides":
        next[k] = bool(v, k);
        break;
      case "ns_ttl":
        next.ns_ttl = ranged(v, k, NS_TTL);
        break;
      case "soa":
        next.soa = patchSoa(cur.soa, v);
        break;
      case "zone_mode":
        next.zone_mode = oneOf(v, k, ZONE_MODES);
        break;
      case "nameservers": {
        if (!isObject(v)) throw invalid("nameservers must be an object", k);
        const types = defaults ? DEFAULT_NAMESERVER_TYPES : NAMESERVER_TYPES;
        const type = oneOf<DnsSettings["nameservers"]["type"]>(v.type, "nameservers.type", types);
        const ns: DnsSettings["nameservers"] = { type };
        if (defaults && v.ns_set !== undefined)
          throw invalid("nameservers.ns_set is a zone's own setting, not a default", k);
        if (v.ns_set !== undefined)
          ns.ns_set = ranged(v.ns_set, "nameservers.ns_set", { min: 1, max: 5 });
        next.nameservers = ns;
        break;
      }
      case "internal_dns": {
        if (!isObject(v)) throw invalid("internal_dns must be an object", k);
        const ref = v.reference_zone_id;
        if (
          ref !== null &&
          ref !== undefined &&
          (typeof ref !== "string" || !/^[0-9a-f]{32}$/.test(ref))
        )
          throw invalid("internal_dns.reference_zone_id must be a zone id or null", k);
        next.internal_dns = { reference_zone_id: (ref as string | undefined) ?? null };
        break;
      }
      default:
        throw invalid(`${k} is not a DNS setting`, k);
    }
  }
  return next;
}
