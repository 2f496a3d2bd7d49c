/**
 * The emulator's own route (under `/dns-primary/v1`) for what Cloudflare's account team
 * grants: `GET/PUT /zones/{zone_id}/entitlements` → `{ "outgoing_zone_transfers": true }`.
 *
 * The setup guide starts "Make sure your account team has enabled your zone for outgoing
 * zone transfers". Every zone here has the entitlement unless it is revoked (here, by the
 * config file's `outgoing_entitled: false`, or by `primary.transfers.setEntitled`). Without
 * it the zone's `secondary_dns/outgoing` routes answer 403 (89105), transfers are REFUSED and
 * no NOTIFY goes out; its outgoing configuration stays as it is for when it is granted again.
 * Like faults, a change made here is not kept across a restart.
 */

import type { FastifyInstance } from "fastify";
import { invalidField } from "../../cloudflare/errors.js";
import type { ApiContext } from "../context.js";
import { ok } from "../envelope.js";
import { zoneFor } from "./zones.js";

export function entitlementRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const path = "/zones/:zone_id/entitlements";
  const result = (origin: string) => ({
    outgoing_zone_transfers: ctx.transfers.entitled(origin),
  });
  app.get(path, async (req) => ok(result(zoneFor(ctx, req).origin)));
  app.put(path, async (req) => {
    const zone = zoneFor(ctx, req);
    const body = req.body as { outgoing_zone_transfers?: unknown } | undefined;
    const keys = typeof body === "object" && body !== null ? Object.keys(body) : [];
    const unknown = keys.find((k) => k !== "outgoing_zone_transfers");
    if (unknown !== undefined) throw invalidField(`${unknown} is not an entitlement`);
    const v = body?.outgoing_zone_transfers;
    if (typeof v !== "boolean") throw invalidField("outgoing_zone_transfers must be true or false");
    ctx.transfers.setEntitled(zone.origin, v);
    return ok(result(zone.origin));
  });
}
