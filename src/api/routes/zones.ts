/**
 * Zones (cloudflare.md §3): `GET/POST /zones`, `GET/PATCH/DELETE /zones/{zone_id}`. A zone is
 * one the primary serves; its id is derived from its name (cloudflare/ids.ts), so a zone loaded
 * from a file, or deleted and created again, keeps its id. Timestamps are the model's
 * (cloudflare/zone-times.ts), as is the check of a new zone's name (cloudflare/zone-name.ts).
 *
 * Decisions where the emulator has nothing better to show:
 * - `status` is always "active" and `type` "full": every served zone is authoritative here,
 *   a new one included (there is no registrar to wait for). Creating a "partial" or
 *   "secondary" zone is refused.
 * - `name_servers` are the zone's assigned nameservers (dns_settings), without the dot.
 * - PATCH accepts `paused` (stored and shown; nothing is proxied here, so it changes nothing
 *   served) and `type: "full"`; other fields are refused with a message.
 * - DELETE stops serving the zone at once and removes its outgoing transfer configuration;
 *   a zone file it came from is left on disk (it is served again at the next start).
 * - `created_on` is when the API first saw the zone (start-up, for zones loaded from files);
 *   `modified_on` moves with every committed change to the zone's records.
 * - `GET /zones` filters by `name` (exact and case-insensitive by default, or with
 *   Cloudflare's operators `contains:`, `starts_with:`, `ends_with:`, `not_equal:` and their
 *   `_case_sensitive` forms), `status`, `type` (repeated, or comma-separated), `account.id`
 *   and `account.name` (with the same operators), all of them (`match=all`, the default) or
 *   any (`match=any`). `order` takes Cloudflare's fields (`name`, `status`, `account.id`,
 *   `account.name`, `plan.id`); every zone here shares all but the name, so the order is by
 *   name whatever the field, `direction=desc` reversing it. `per_page` defaults to 20 and is
 *   at most 50, as on Cloudflare.
 */

import type { FastifyInstance, FastifyRequest } from "fastify";
import { invalidField, invalidQuery } from "../../cloudflare/errors.js";
import { isId } from "../../cloudflare/ids.js";
import { isObject, objectBody } from "../../cloudflare/json.js";
import { zoneName } from "../../cloudflare/zone-name.js";
import { createZone, deleteZone } from "../../cloudflare/zones.js";
import { canonicalName, withoutTrailingDot } from "../../wire/name.js";
import type { Zone } from "../../zone/zone.js";
import type { ApiContext } from "../context.js";
import { pathOf } from "../context.js";
import { ok } from "../envelope.js";
import { couldNotRoute } from "../errors.js";
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

/**
 * The zone named by `zone_id` in the path, or 7003. Cloudflare's 7003 sentence is kept; when
 * the "id" is plainly a zone name, a hint follows it, since that is the usual mistake.
 */
export function zoneFor(ctx: ApiContext, req: FastifyRequest): Zone {
  const { zone_id } = req.params as { zone_id: string };
  const zone = ctx.zoneIds.get(zone_id);
  if (zone === undefined) throw couldNotRoute(pathOf(req.url), zoneNameHint(ctx, zone_id));
  return zone;
}

/** What to say when a zone name stands where a zone id belongs; undefined otherwise. */
function zoneNameHint(ctx: ApiContext, given: string): string | undefined {
  if (isId(given) || !given.includes(".")) return undefined;
  const name = withoutTrailingDot(given).toLowerCase();
  const find = `GET /zones?name=${name} finds a zone's id`;
  let served: Zone | undefined;
  try {
    served = ctx.cloudflare.set.get(canonicalName(name));
  } catch {
    // Not even a name (an empty label, a label too long): the general hint.
  }
  if (served !== undefined) {
    return `${name} is a zone name, not an id: its id is ${ctx.zoneIds.idOf(served)} (${find})`;
  }
  return `a zone id is 32 hexadecimal digits, not a name (${find})`;
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
  const raw = withoutTrailingDot(m?.[2] ?? v);
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

/** A filter on a field every zone shares (undefined when not asked): all zones or none. */
function sameFor(v: unknown, value: string, what: string): boolean | undefined {
  if (v === undefined || v === "") return undefined;
  const values = Array.isArray(v) ? v : [v];
  if (!values.every((x) => typeof x === "string")) throw invalidQuery(`${what} must be text`);
  // The SDK repeats `type=full&type=partial`; Cloudflare documents `type=full,partial`.
  return values.flatMap((x) => x.split(",")).includes(value);
}

const ORDERS = ["name", "status", "account.id", "account.name", "plan.id"];
const STATUSES = ["initializing", "pending", "active", "moved"];

export function zoneRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const times = ctx.times;
  // Zones served at start are "created" now, and their changes are tracked from now on.
  for (const zone of ctx.cloudflare.set.all()) times.of(zone);

  const result = (zone: Zone): ZoneResult => {
    const t = times.of(zone);
    return {
      id: ctx.zoneIds.idOf(zone),
      name: withoutTrailingDot(zone.origin),
      status: "active",
      paused: t.paused,
      type: "full",
      development_mode: 0,
      name_servers: ctx.cloudflare.profile(zone).nameservers.map(withoutTrailingDot),
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
    const match = q.match ?? "all";
    if (match !== "all" && match !== "any") throw invalidQuery('match must be "all" or "any"');
    if (q.order !== undefined && !ORDERS.includes(q.order as string))
      throw invalidQuery(`order must be one of ${ORDERS.join(", ")}`);
    if (typeof q.status === "string" && q.status !== "" && !STATUSES.includes(q.status))
      throw invalidQuery(`status must be one of ${STATUSES.join(", ")}`);
    const accountName = nameFilter(q["account.name"]);
    // The filters on fields every zone shares: true, false, or not asked (undefined).
    const shared = [
      sameFor(q.status, "active", "status"),
      sameFor(q.type, "full", "type"),
      sameFor(q["account.id"], ctx.account.id, "account.id"),
      accountName === undefined ? undefined : accountName(ctx.account.name),
    ].filter((x) => x !== undefined);
    const sorted = ctx.cloudflare.set.byKey();
    const named = (z: Zone) => byName === undefined || byName(withoutTrailingDot(z.origin));
    let zones: readonly Zone[];
    if (match === "all") {
      zones = shared.every((x) => x) ? sorted.filter(named) : [];
    } else if (shared.some((x) => x)) {
      zones = sorted; // one shared filter holds for every zone
    } else {
      zones = byName === undefined ? (shared.length === 0 ? sorted : []) : sorted.filter(named);
    }
    if (direction === "desc") zones = [...zones].reverse();
    const { page, info } = paginate(zones, paging);
    return ok(page.map(result), info);
  });

  app.get("/zones/:zone_id", async (req) => ok(result(zoneFor(ctx, req))));

  app.post("/zones", async (req) => {
    const body = objectBody(req.body);
    const origin = zoneName(body.name); // checked first, as before the account and the type
    const account = body.account;
    if (account !== undefined) {
      const id = isObject(account) ? account.id : undefined;
      if (id !== undefined && id !== ctx.account.id) throw couldNotRoute(`/accounts/${String(id)}`);
    }
    if (body.type !== undefined && body.type !== "full") {
      throw invalidField(
        `type ${JSON.stringify(body.type)} is not supported: dns-primary serves full zones only`,
      );
    }
    return ok(result(createZone(ctx, origin)));
  });

  app.patch("/zones/:zone_id", async (req) => {
    const zone = zoneFor(ctx, req);
    const body = objectBody(req.body);
    const t = times.of(zone);
    let paused = t.paused;
    for (const [k, v] of Object.entries(body)) {
      if (k === "paused") {
        if (typeof v !== "boolean") throw invalidField("paused must be true or false");
        paused = v;
      } else if (k === "type") {
        if (v !== "full")
          throw invalidField('type can only be "full": dns-primary serves full zones only');
      } else {
        throw invalidField(`${k} cannot be changed on dns-primary (paused and type can)`);
      }
    }
    if (paused !== t.paused) {
      t.paused = paused;
      t.modified = ctx.now().toISOString();
    }
    return ok(result(zone));
  });

  app.delete("/zones/:zone_id", async (req) => ok(deleteZone(ctx, zoneFor(ctx, req))));
}
