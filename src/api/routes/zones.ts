/**
 * Zones, read-only for now: `GET /zones` and `GET /zones/{zone_id}` (cloudflare.md §3). A zone
 * is one the primary serves; its id is derived from its name (ids.ts).
 *
 * Decisions where the emulator has nothing better to show:
 * - `status` is always "active" and `type` "full": every served zone is authoritative here.
 * - `name_servers` are the targets of the zone's apex NS records, without the trailing dot.
 * - `created_on` is when the API first saw the zone (start-up, for zones loaded from files);
 *   `modified_on` moves with every committed change to the zone's records.
 * - `GET /zones` filters by `name` (exact and case-insensitive by default, or with
 *   Cloudflare's operators `contains:`, `starts_with:`, `ends_with:`, `not_equal:`), `status`,
 *   `type`, `account.id` and `account.name`; it sorts by name (`direction=desc` reverses);
 *   `per_page` defaults to 20 and is at most 50, as on Cloudflare.
 */

import type { FastifyInstance, FastifyRequest } from "fastify";
import { rdataToText } from "../../wire/rdata.js";
import { T } from "../../wire/types.js";
import type { Zone } from "../../zone/zone.js";
import type { ApiContext } from "../context.js";
import { pathOf } from "../context.js";
import { ok } from "../envelope.js";
import { couldNotRoute, invalidQuery } from "../errors.js";
import { pageRequest, paginate } from "../paging.js";

const ZONES_PAGE = { perPage: 20, maxPerPage: 50 };

export interface ZoneResult {
  id: string;
  name: string;
  status: "active";
  paused: boolean;
  type: "full";
  development_mode: number;
  name_servers: string[];
  original_name_servers: null;
  original_registrar: null;
  original_dnshost: null;
  account: { id: string; name: string };
  created_on: string;
  modified_on: string;
  activated_on: string;
}

/** The zone named by `zone_id` in the path, or 7003. */
export function zoneFor(ctx: ApiContext, req: FastifyRequest): Zone {
  const { zone_id } = req.params as { zone_id: string };
  const zone = ctx.zones.get(zone_id);
  if (zone === undefined) throw couldNotRoute(pathOf(req.url));
  return zone;
}

/**
 * Zone timestamps, kept by the API: the zone model has no clock. Weakly held, so a zone
 * removed from the set is not kept alive here.
 */
export class ZoneTimes {
  private readonly times = new WeakMap<Zone, { created: string; modified: string }>();
  constructor(private readonly now: () => Date) {}

  of(zone: Zone): { created: string; modified: string } {
    let t = this.times.get(zone);
    if (t === undefined) {
      const at = this.now().toISOString();
      const entry = { created: at, modified: at };
      zone.onChange(() => {
        entry.modified = this.now().toISOString();
      });
      this.times.set(zone, entry);
      t = entry;
    }
    return t;
  }
}

function nameServers(zone: Zone): string[] {
  const ns = zone.apex.get(T.NS);
  if (ns === undefined) return [];
  const out: string[] = [];
  for (let i = 0; i < ns.size; i++) {
    out.push(withoutDot(rdataToText(T.NS, Buffer.from(ns.at(i), "latin1"))));
  }
  return out;
}

function withoutDot(name: string): string {
  return name.length > 1 && name.endsWith(".") ? name.slice(0, -1) : name;
}

type NameFilter = (name: string) => boolean;

/** Cloudflare's `name` filter: `op:value`, op defaulting to `equal`. */
function nameFilter(v: unknown): NameFilter | undefined {
  if (v === undefined || v === "") return undefined;
  if (typeof v !== "string") throw invalidQuery("name must be given once");
  const m =
    /^(equal|not_equal|starts_with|ends_with|contains|starts_with_case_sensitive|ends_with_case_sensitive|contains_case_sensitive):(.*)$/s.exec(
      v,
    );
  const op = m?.[1] ?? "equal";
  const raw = withoutDot(m?.[2] ?? v);
  const sensitive = op.endsWith("_case_sensitive");
  const want = sensitive ? raw : raw.toLowerCase();
  const norm = (n: string) => (sensitive ? n : n.toLowerCase());
  switch (op.replace("_case_sensitive", "")) {
    case "equal":
      return (n) => norm(n) === want;
    case "not_equal":
      return (n) => norm(n) !== want;
    case "starts_with":
      return (n) => norm(n).startsWith(want);
    case "ends_with":
      return (n) => norm(n).endsWith(want);
    default:
      return (n) => norm(n).includes(want);
  }
}

/** A filter on a field every zone shares: matches all zones or none. */
function sameFor(v: unknown, value: string, what: string): boolean {
  if (v === undefined || v === "") return true;
  const values = Array.isArray(v) ? v : [v];
  if (!values.every((x) => typeof x === "string")) throw invalidQuery(`${what} must be text`);
  return values.includes(value);
}

export function zoneRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const times = ctx.times;
  // Zones served at start are "created" now, and their changes are tracked from now on.
  for (const zone of ctx.zones.zones.all()) times.of(zone);

  const result = (zone: Zone): ZoneResult => {
    const t = times.of(zone);
    return {
      id: ctx.zones.idOf(zone),
      name: withoutDot(zone.origin),
      status: "active",
      paused: false,
      type: "full",
      development_mode: 0,
      name_servers: nameServers(zone),
      original_name_servers: null,
      original_registrar: null,
      original_dnshost: null,
      account: { id: ctx.account.id, name: ctx.account.name },
      created_on: t.created,
      modified_on: t.modified,
      activated_on: t.created,
    };
  };

  app.get("/zones", async (req) => {
    const q = req.query as Record<string, unknown>;
    const paging = pageRequest(q, ZONES_PAGE);
    const byName = nameFilter(q.name);
    const direction = q.direction ?? "asc";
    if (direction !== "asc" && direction !== "desc") {
      throw invalidQuery('direction must be "asc" or "desc"');
    }
    const all =
      sameFor(q.status, "active", "status") &&
      sameFor(q.type, "full", "type") &&
      sameFor(q["account.id"], ctx.account.id, "account.id") &&
      sameFor(q["account.name"], ctx.account.name, "account.name");
    const names = all
      ? ctx.zones.zones
          .all()
          .map((z) => ({ z, name: withoutDot(z.origin) }))
          .filter((e) => byName === undefined || byName(e.name))
      : [];
    names.sort((a, b) => (a.z.key < b.z.key ? -1 : a.z.key > b.z.key ? 1 : 0));
    if (direction === "desc") names.reverse();
    const { page, info } = paginate(names, paging);
    return ok(
      page.map((e) => result(e.z)),
      info,
    );
  });

  app.get("/zones/:zone_id", async (req) => ok(result(zoneFor(ctx, req))));
}
