/**
 * The emulator's own extension, outside Cloudflare's paths (served under `/dns-primary/v1`):
 * what was configured versus what a secondary receives, and why. Cloudflare never shows
 * this; it is what one needs when a secondary disagrees with the dashboard.
 *
 * - `GET /zones`: the served zones, `{id, name, serial}`, sorted by name; `?name=` keeps the
 *   zone of that name; paged with `page` and `per_page` (default 100, at most 1000).
 * - `GET /zones/{zone_id}/rendering`: `{ zone, records, transferred }`:
 *   - `zone`: id, name, serial and the settings the rules use (multi_provider,
 *     flatten_all_cnames, ns_ttl, the assigned nameservers, the anycast pairs);
 *   - `records`: every configured record (as the dns_records API lists them: the SOA is
 *     Cloudflare's own and left out) with its disposition (rules/explain.ts), whether queries
 *     and transfers see it as stored, a sentence saying why, and what is served in its place;
 *   - `transferred`: the RRsets an AXFR carries at those names, `{name, type, ttl, rdata}`
 *     with the RDATA in presentation form.
 *   `?name=` keeps one owner name ("@" and relative names are in the zone). Paged by owner
 *   name with `page` and `per_page` (default 100 names, at most 1000): a name's records and
 *   RRsets are never split across pages, and `result_info` counts names.
 *
 * Same authentication, envelope and errors as the Cloudflare routes (7003 for an unknown
 * zone id). Built on the same decisions as the renderer (explainName), read through the
 * zone's public methods; nothing is logged or changed.
 */

import type { FastifyInstance } from "fastify";
import { invalidQuery } from "../../cloudflare/errors.js";
import type { RecordJson } from "../../cloudflare/records/content.js";
import { fieldsOf } from "../../cloudflare/records/plan.js";
import { explainName, type RecordExplanation } from "../../cloudflare/rules/explain.js";
import { canonicalName, nameKey, withoutTrailingDot } from "../../wire/name.js";
import { rdataToText } from "../../wire/rdata.js";
import { T, typeToText } from "../../wire/types.js";
import type { RenderContext } from "../../zone/render.js";
import type { RRset } from "../../zone/rrset.js";
import { recordKey, type Zone } from "../../zone/zone.js";
import type { ApiContext } from "../context.js";
import { ok, type ResultInfo } from "../envelope.js";
import { pageRequest, paginate } from "../paging.js";
import { zoneFor } from "./zones.js";

/** The prefix this module is registered under (server.ts). */
export const EXTENSION_PREFIX = "/dns-primary/v1";

const NAMES_PAGE = { perPage: 100, maxPerPage: 1000 };
const ZONES_PAGE = { perPage: 100, maxPerPage: 1000 };

export interface ZoneListItem {
  id: string;
  name: string;
  serial: number;
}

export interface RenderingZone extends ZoneListItem {
  multi_provider: boolean;
  flatten_all_cnames: boolean;
  ns_ttl: number;
  /** Assigned nameservers, without the trailing dot (as Cloudflare shows names). */
  nameservers: string[];
  anycast: { ipv4: string[]; ipv6: string[] };
  /** The account's `enforce_dns_only`: proxied records are served as DNS-only. */
  enforce_dns_only: boolean;
}

/**
 * A configured record as the records API shows it (its id, name, type, content, priority,
 * data, ttl where 1 is "automatic", proxied), then what became of it.
 */
export interface RenderingRecord
  extends Pick<RecordJson, "name" | "type" | "content" | "priority" | "data" | "ttl" | "proxied"> {
  id: string;
  disposition: RecordExplanation["disposition"];
  /** Queries are answered with this record as configured. */
  served: boolean;
  /** Zone transfers carry this record as configured. */
  in_transfer: boolean;
  /** Why, in a sentence; absent for a record transferred as configured. */
  reason?: string;
  /** Served as configured but with this TTL (an apex NS record takes the zone's ns_ttl). */
  served_ttl?: number;
  /** proxied / flattened: the addresses served and transferred in its place, and their TTL. */
  addresses?: string[];
  address_ttl?: number;
  /** withheld: "caa" or "certificate-validation". */
  withheld?: string;
  /** flattened / unresolved-cname: the CNAME's target and the names followed. */
  target?: string;
  chain?: string[];
}

export interface TransferredSet {
  name: string;
  type: string;
  ttl: number;
  rdata: string[];
}

export interface Rendering {
  zone: RenderingZone;
  records: RenderingRecord[];
  transferred: TransferredSet[];
}

/** The context explainName reads: the zone's stored records and their Cloudflare fields. */
function renderContext(zone: Zone, name: string): RenderContext {
  const key = nameKey(name);
  return {
    origin: zone.origin,
    meta: (type, rdata) => zone.meta.get(recordKey(key, type, rdata)),
    metaAt: (k, type, rdata) => zone.meta.get(recordKey(k, type, rdata)),
    storedAt: (k) => zone.storedSets(k),
    dependsOnOthers: () => {},
  };
}

/** Canonical DNS order (RFC 4034 §6.1) of lowercased names: by labels from the right. */
function compareKeys(a: string, b: string): number {
  const la = a.split(".").reverse();
  const lb = b.split(".").reverse();
  for (let i = 0; i < Math.min(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return la[i] < lb[i] ? -1 : 1;
  }
  return la.length - lb.length;
}

/** Why, in a sentence; the account's enforcement first, when it is what made the difference. */
function why(e: RecordExplanation, z: RenderingZone, apex: boolean): string | undefined {
  const own = ownWhy(e, z, apex);
  if (e.dnsOnlyEnforced !== true) return own;
  const enforced = "proxied, but the account enforces DNS-only (enforce_dns_only)";
  return own === undefined
    ? `${enforced}: served and transferred as configured`
    : `${enforced}; as a DNS-only record, ${own}`;
}

function ownWhy(e: RecordExplanation, z: RenderingZone, apex: boolean): string | undefined {
  switch (e.disposition) {
    case "proxied":
      return "the name is proxied: queries and transfers get the zone's anycast addresses instead";
    case "flattened":
      return apex
        ? "a CNAME at the apex is always flattened to the addresses of its target"
        : "flatten_all_cnames is on: the CNAME is flattened to the addresses of its target";
    case "unresolved-cname":
      return `cannot flatten the CNAME: ${e.reason ?? "its target has no addresses here"}; ${
        apex ? "nothing is served for it at the apex" : "it is served and transferred as a CNAME"
      }`;
    case "withheld":
      return e.withheld === "caa"
        ? "CAA records are answered to queries but never transferred"
        : "a TXT record of certificate validation (_acme-challenge or a cf-dcv tag) is answered to queries but never transferred";
    case "apex-ns-ignored":
      return "multi_provider is off: apex NS records added by the user are ignored; the apex NS is the assigned nameservers";
    case "assigned-ns":
      return `names one of the zone's assigned nameservers, served with ns_ttl ${z.ns_ttl}`;
    case "transferred":
      if (e.type === T.NS && apex)
        return `multi_provider is on: served and transferred beside the assigned nameservers, with ns_ttl ${z.ns_ttl}`;
      return undefined;
  }
}

function zoneInfo(ctx: ApiContext, zone: Zone): RenderingZone {
  const s = ctx.cloudflare.rules(zone).settings;
  return {
    id: ctx.zoneIds.idOf(zone),
    name: withoutTrailingDot(zone.origin),
    serial: zone.serial,
    multi_provider: s.multiProvider,
    flatten_all_cnames: s.flattenAllCnames,
    ns_ttl: s.nsTtl,
    nameservers: s.nameservers.map(withoutTrailingDot),
    anycast: { ipv4: [...s.anycast.ipv4], ipv6: [...s.anycast.ipv6] },
    enforce_dns_only: s.dnsOnly,
  };
}

function transferredSets(name: string, sets: readonly RRset[]): TransferredSet[] {
  return sets.map((s) => ({
    name: withoutTrailingDot(name),
    type: typeToText(s.type),
    ttl: s.ttl,
    rdata: s.rdata.map((rd) => rdataToText(s.type, Buffer.from(rd, "latin1"))),
  }));
}

/** What was configured at one name, what a transfer carries there, and why. */
function renderName(
  zone: Zone,
  info: RenderingZone,
  key: string,
  name: string,
  stored: readonly RRset[],
  rules: ReturnType<ApiContext["cloudflare"]["rules"]>,
): { records: RenderingRecord[]; transferred: TransferredSet[] } {
  const apex = key === zone.key;
  const x = explainName(name, stored, rules, renderContext(zone, name));
  const records: RenderingRecord[] = [];
  for (const e of x.records) {
    if (apex && e.type === T.SOA) continue; // Cloudflare's own, not a configured record
    const meta = zone.meta.get(recordKey(key, e.type, e.rdata));
    const id = zone.recordId({ name: key, type: e.type, rdata: e.rdata });
    const f = fieldsOf(zone, { id, name, type: e.type, ttl: e.ttl, rdata: e.rdata, meta });
    const r: RenderingRecord = {
      id,
      name: f.name,
      type: f.type,
      content: f.content,
      ...(f.priority !== undefined ? { priority: f.priority } : {}),
      ...(f.data !== undefined ? { data: f.data } : {}),
      ttl: f.ttl,
      proxied: f.proxied,
      disposition: e.disposition,
      served: e.served,
      in_transfer: e.transferred,
    };
    const reason = why(e, info, apex);
    if (reason !== undefined) r.reason = reason;
    if (e.servedTtl !== undefined) r.served_ttl = e.servedTtl;
    if (e.addresses !== undefined) r.addresses = e.addresses;
    if (e.addressTtl !== undefined) r.address_ttl = e.addressTtl;
    if (e.withheld !== undefined) r.withheld = e.withheld;
    if (e.target !== undefined) r.target = withoutTrailingDot(e.target);
    if (e.chain !== undefined) r.chain = e.chain.map(withoutTrailingDot);
    records.push(r);
  }
  // What AXFR sends is what the zone holds for transfers (the same rules, applied at commit).
  return { records, transferred: transferredSets(name, zone.transferSets(key)) };
}

/** The owner name a `?name=` asks for, as a key in the zone. */
function nameFilter(q: Record<string, unknown>, zone: Zone): string | undefined {
  const v = q.name;
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v === "") throw invalidQuery("name must be given once");
  const zoneName = withoutTrailingDot(zone.origin).toLowerCase();
  const n = withoutTrailingDot(v);
  let abs: string;
  if (n === "@") abs = zoneName;
  else {
    const lower = n.toLowerCase();
    abs = lower === zoneName || lower.endsWith(`.${zoneName}`) ? lower : `${lower}.${zoneName}`;
  }
  try {
    return nameKey(canonicalName(abs));
  } catch {
    throw invalidQuery(`name "${v}" is not a DNS name`);
  }
}

/** The rendering of a zone: all of it, or the names of one page, or one name. */
export function zoneRendering(
  ctx: ApiContext,
  zone: Zone,
  q: Record<string, unknown>,
): { result: Rendering; info: ResultInfo } {
  const paging = pageRequest(q, NAMES_PAGE);
  const want = nameFilter(q, zone);
  const byKey = new Map<string, { name: string; sets: readonly RRset[] }>();
  for (const { key, name, sets } of zone.stored()) {
    if (want === undefined || key === want) byKey.set(key, { name, sets });
  }
  const keys = [...byKey.keys()].sort(compareKeys);
  const { page, info } = paginate(keys, paging);
  const zoneJson = zoneInfo(ctx, zone);
  const rules = ctx.cloudflare.rules(zone);
  const records: RenderingRecord[] = [];
  const transferred: TransferredSet[] = [];
  for (const key of page) {
    const { name, sets } = byKey.get(key)!;
    const r = renderName(zone, zoneJson, key, name, sets, rules);
    records.push(...r.records);
    transferred.push(...r.transferred);
  }
  return { result: { zone: zoneJson, records, transferred }, info };
}

export function renderingRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/zones", async (req) => {
    const q = req.query as Record<string, unknown>;
    const paging = pageRequest(q, ZONES_PAGE);
    let want: string | undefined;
    if (q.name !== undefined) {
      if (typeof q.name !== "string") throw invalidQuery("name must be given once");
      want = withoutTrailingDot(q.name.toLowerCase());
    }
    const zones: ZoneListItem[] = [];
    for (const zone of ctx.cloudflare.set.all()) {
      const name = withoutTrailingDot(zone.origin);
      if (want !== undefined && name.toLowerCase() !== want) continue;
      zones.push({ id: ctx.zoneIds.idOf(zone), name, serial: zone.serial });
    }
    zones.sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
    const { page, info } = paginate(zones, paging);
    return ok(page, info);
  });

  app.get("/zones/:zone_id/rendering", async (req) => {
    const zone = zoneFor(ctx, req);
    const { result, info } = zoneRendering(ctx, zone, req.query as Record<string, unknown>);
    return ok(result, info);
  });
}
