/**
 * A zone's DNSSEC (cloudflare.md §6): `GET/PATCH/DELETE /zones/{zone_id}/dnssec`, with
 * Cloudflare's object. What a change does (keys, the DNSKEY at the apex, a new serial) and
 * the decisions where Cloudflare waits for a registrar are rules/dnssec.ts and rules/zones.ts.
 * DELETE answers the zone's id, as the SDK's string result. `GET .../dnssec/zsk` lists the
 * zone signing key, which a multi-signer setup adds to the other providers.
 */

import type { FastifyInstance } from "fastify";
import type { ApiContext } from "../context.js";
import { ok } from "../envelope.js";
import { zoneFor } from "./zones.js";

export function dnssecRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const path = "/zones/:zone_id/dnssec";
  app.get(path, async (req) => ok(ctx.cloudflare.dnssec(zoneFor(ctx, req))));
  app.patch(path, async (req) =>
    ok(ctx.cloudflare.editDnssec(zoneFor(ctx, req), req.body, ctx.now)),
  );
  app.get(`${path}/zsk`, async (req) => ok(ctx.cloudflare.dnssecZsks(zoneFor(ctx, req))));
  app.delete(path, async (req) => {
    const zone = zoneFor(ctx, req);
    ctx.cloudflare.editDnssec(zone, undefined, ctx.now, true);
    return ok(ctx.zoneIds.idOf(zone));
  });
}
