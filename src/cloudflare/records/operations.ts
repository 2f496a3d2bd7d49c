/**
 * The DNS-record operations every face shares (the REST routes, the library's record handle,
 * the dashboard through the routes): a record as Cloudflare's API shows it, the list with
 * Cloudflare's filters and order (cloudflare.md §3 "List DNS Records"), and writes planned
 * (plan.ts) then committed as one change through the zones' one change path.
 *
 * `listRecords` filters as Cloudflare documents: `type`, `name` (and `name.exact`,
 * `.contains`, `.startswith`, `.endswith`), `content` (same operators), `proxied`, `comment`
 * (same operators, `.present`, `.absent`), `tag` ("name" or "name:value", same operators,
 * `.present`, `.absent`), `search` (in name, content, comment and tags), `match` (`all`, the
 * default, or `any`) and `tag_match`; sorted by `order` (`type`, `name`, `content`, `ttl`,
 * `proxied`; default name then type) and `direction`. Paging is the caller's.
 */

import { withoutTrailingDot } from "../../wire/name.js";
import { typeFromText } from "../../wire/types.js";
import { type Zone, ZoneError } from "../../zone/zone.js";
import { ApiError, invalidQuery } from "../errors.js";
import type { ZoneIndex } from "../ids.js";
import type { CloudflareZones } from "../rules/zones.js";
import type { ZoneTimes } from "../zone-times.js";
import type { RecordJson } from "./content.js";
import { type ApiRecord, apiRecords, fieldsOf, RecordPlan } from "./plan.js";

/** What the record operations use: the live stores (the API and the library pass the same). */
export interface RecordsContext {
  /** Zone ids ⇄ zones; the zones themselves are `cloudflare.set`. */
  readonly zoneIds: ZoneIndex;
  readonly times: ZoneTimes;
  readonly now: () => Date;
  /** Zone settings and the one change path (rules/zones.ts). */
  readonly cloudflare: CloudflareZones;
}

export interface RecordResult extends RecordJson {
  id: string;
  zone_id: string;
  zone_name: string;
  meta: {
    auto_added: boolean;
    managed_by_apps: boolean;
    managed_by_argo_tunnel: boolean;
    source: string;
  };
  created_on: string;
  modified_on: string;
}

/** Cloudflare's JSON for one record. */
export function recordResult(ctx: RecordsContext, zone: Zone, r: ApiRecord): RecordResult {
  const t = ctx.times.of(zone);
  const json = fieldsOf(zone, r);
  return {
    id: r.id,
    zone_id: ctx.zoneIds.idOf(zone),
    zone_name: withoutTrailingDot(zone.origin),
    ...json,
    meta: {
      auto_added: false,
      managed_by_apps: false,
      managed_by_argo_tunnel: false,
      source: "primary",
    },
    created_on: r.meta?.created ?? t.created,
    modified_on: r.meta?.modified ?? r.meta?.created ?? t.created,
  };
}

/**
 * Plan writes on a zone and commit them as one change. A ZoneError at commit (a rule the
 * plan did not foresee) is the caller's input, so a 400; nothing was changed.
 */
export function commitPlan<T>(ctx: RecordsContext, zone: Zone, build: (plan: RecordPlan) => T): T {
  const plan = new RecordPlan(zone, ctx.now(), ctx.times.of(zone).created);
  const out = build(plan);
  if (!plan.empty) {
    try {
      ctx.cloudflare.commit(zone, plan.change());
    } catch (e) {
      if (e instanceof ZoneError) throw new ApiError("INVALID_CONTENT", e.message);
      throw e;
    }
  }
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Filters                                                                                     */

type Test = (value: string) => boolean;

const OPS = ["exact", "contains", "startswith", "endswith"] as const;

function textTest(op: (typeof OPS)[number], want: string): Test {
  const w = want.toLowerCase();
  switch (op) {
    case "exact":
      return (v) => v.toLowerCase() === w;
    case "contains":
      return (v) => v.toLowerCase().includes(w);
    case "startswith":
      return (v) => v.toLowerCase().startsWith(w);
    case "endswith":
      return (v) => v.toLowerCase().endsWith(w);
  }
}

function one(q: Record<string, unknown>, key: string): string | undefined {
  const v = q[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw invalidQuery(`${key} must be given once`);
  return v;
}

type Filter = (r: RecordResult) => boolean;

/** The filters of a list request, each a predicate on the record's JSON. */
function filters(q: Record<string, unknown>, zoneName: string): { tests: Filter[]; any: boolean } {
  const tests: Filter[] = [];
  const field = (base: string, get: (r: RecordResult) => string | null, absolute = false) => {
    const plain = one(q, base);
    if (plain !== undefined) {
      const want = absolute ? absName(plain, zoneName) : plain;
      tests.push((r) => (get(r) ?? "").toLowerCase() === want.toLowerCase());
    }
    for (const op of OPS) {
      const v = one(q, `${base}.${op}`);
      if (v === undefined) continue;
      const t = textTest(op, op === "exact" && absolute ? absName(v, zoneName) : v);
      tests.push((r) => t(get(r) ?? ""));
    }
  };
  field("name", (r) => r.name, true);
  field("content", (r) => r.content);
  field("comment", (r) => r.comment);
  if (one(q, "comment.present") !== undefined) tests.push((r) => r.comment !== null);
  if (one(q, "comment.absent") !== undefined) tests.push((r) => r.comment === null);

  const type = one(q, "type");
  if (type !== undefined) {
    if (typeFromText(type.toUpperCase()) === undefined)
      throw invalidQuery(`type ${type} is not a DNS record type`);
    tests.push((r) => r.type === type.toUpperCase());
  }
  const proxied = one(q, "proxied");
  if (proxied !== undefined) {
    if (proxied !== "true" && proxied !== "false")
      throw invalidQuery("proxied must be true or false");
    tests.push((r) => r.proxied === (proxied === "true"));
  }

  // Tags: "name" or "name:value"; each operator applies to the value of the named tag.
  const tagParts = (t: string): [string, string | undefined] => {
    const i = t.indexOf(":");
    return i < 0 ? [t.toLowerCase(), undefined] : [t.slice(0, i).toLowerCase(), t.slice(i + 1)];
  };
  const tagTests: Filter[] = [];
  const tagged =
    (name: string, test: (value: string | undefined) => boolean): Filter =>
    (r) =>
      r.tags.some((t) => {
        const [n, v] = tagParts(t);
        return n === name && test(v);
      });
  const tag = one(q, "tag");
  if (tag !== undefined) {
    const [n, v] = tagParts(tag);
    tagTests.push(tagged(n, (x) => v === undefined || x === v));
  }
  for (const op of OPS) {
    const v = one(q, `tag.${op}`);
    if (v === undefined) continue;
    const [n, val] = tagParts(v);
    const t = textTest(op, val ?? "");
    tagTests.push(tagged(n, (x) => x !== undefined && t(x)));
  }
  const present = one(q, "tag.present");
  if (present !== undefined) tagTests.push(tagged(present.toLowerCase(), () => true));
  const absent = one(q, "tag.absent");
  if (absent !== undefined) {
    const has = tagged(absent.toLowerCase(), () => true);
    tagTests.push((r) => !has(r));
  }
  const tagMatch = one(q, "tag_match") ?? "all";
  if (tagMatch !== "all" && tagMatch !== "any")
    throw invalidQuery('tag_match must be "all" or "any"');
  if (tagTests.length > 0)
    tests.push(
      tagMatch === "all" ? (r) => tagTests.every((f) => f(r)) : (r) => tagTests.some((f) => f(r)),
    );

  const search = one(q, "search");
  if (search !== undefined) {
    const s = search.toLowerCase();
    tests.push(
      (r) =>
        r.name.includes(s) ||
        r.content.toLowerCase().includes(s) ||
        (r.comment ?? "").toLowerCase().includes(s) ||
        r.tags.some((t) => t.toLowerCase().includes(s)),
    );
  }
  const match = one(q, "match") ?? "all";
  if (match !== "all" && match !== "any") throw invalidQuery('match must be "all" or "any"');
  return { tests, any: match === "any" };
}

/** A name filter as Cloudflare reads it: "@" and relative names are in the zone. */
function absName(v: string, zoneName: string): string {
  const n = withoutTrailingDot(v);
  if (n === "@") return zoneName;
  const lower = n.toLowerCase();
  return lower === zoneName || lower.endsWith(`.${zoneName}`) ? n : `${n}.${zoneName}`;
}

const ORDERS: Record<string, (a: RecordResult, b: RecordResult) => number> = {
  type: (a, b) => cmp(a.type, b.type) || cmp(a.name, b.name) || cmp(a.content, b.content),
  name: (a, b) => cmp(a.name, b.name) || cmp(a.type, b.type) || cmp(a.content, b.content),
  content: (a, b) => cmp(a.content, b.content) || cmp(a.name, b.name),
  ttl: (a, b) => a.ttl - b.ttl || cmp(a.name, b.name),
  proxied: (a, b) => Number(a.proxied) - Number(b.proxied) || cmp(a.name, b.name),
};

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every record of the zone matching the request, sorted. */
export function listRecords(
  ctx: RecordsContext,
  zone: Zone,
  q: Record<string, unknown>,
): RecordResult[] {
  const { tests, any } = filters(q, withoutTrailingDot(zone.origin).toLowerCase());
  const order = one(q, "order") ?? "name";
  const by = ORDERS[order];
  if (by === undefined)
    throw invalidQuery(`order must be one of ${Object.keys(ORDERS).join(", ")}`);
  const direction = one(q, "direction") ?? "asc";
  if (direction !== "asc" && direction !== "desc")
    throw invalidQuery('direction must be "asc" or "desc"');
  const out: RecordResult[] = [];
  for (const r of apiRecords(zone)) {
    const json = recordResult(ctx, zone, r);
    if (tests.length === 0 || (any ? tests.some((f) => f(json)) : tests.every((f) => f(json))))
      out.push(json);
  }
  out.sort(by);
  if (direction === "desc") out.reverse();
  return out;
}
