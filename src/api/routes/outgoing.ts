/**
 * A primary zone's outgoing transfer configuration (cloudflare.md §3):
 * `GET/POST/PUT/DELETE /zones/{zone_id}/secondary_dns/outgoing`, `POST .../enable`,
 * `.../disable`, `.../force_notify`, and `GET .../status`. The store validates and keeps the
 * configuration; the zone comes from the ZoneSet, and `soa_serial` is the serial it serves now
 * (the serial is Cloudflare's, shown read-only, cloudflare.md §1).
 *
 * Decisions: a zone without an outgoing configuration answers 404 (7003) to every call but
 * POST, `status` included. A zone not enabled for outgoing zone transfers (the entitlement the
 * setup guide asks the account team for; transfer/settings.ts `entitled`) answers 403 (89105)
 * to every call: Cloudflare's own answer is not documented.
 */

import type { FastifyInstance } from "fastify";
import { notEntitled } from "../../cloudflare/errors.js";
import type { OutgoingConfig, OutgoingInput } from "../../cloudflare/transfer/settings.js";
import { withoutTrailingDot } from "../../wire/name.js";
import type { Zone } from "../../zone/zone.js";
import type { ApiContext } from "../context.js";
import { ok } from "../envelope.js";
import { zoneFor } from "./zones.js";

/** The zone of the path, when it is entitled to outgoing transfers (else 403, 89105). */
function entitledZone(ctx: ApiContext, req: Parameters<typeof zoneFor>[1]): Zone {
  const zone = zoneFor(ctx, req);
  if (!ctx.transfers.entitled(zone.origin)) throw notEntitled(withoutTrailingDot(zone.origin));
  return zone;
}

export interface OutgoingResult {
  id: string;
  name: string;
  peers: string[];
  created_time: string;
  checked_time: string | null;
  last_transferred_time: string | null;
  soa_serial: number;
}

export function outgoingResult(cfg: OutgoingConfig, zone: Zone): OutgoingResult {
  return {
    id: cfg.id,
    name: cfg.name,
    peers: [...cfg.peers],
    created_time: cfg.created_time,
    checked_time: cfg.checked_time,
    last_transferred_time: cfg.last_transferred_time,
    soa_serial: zone.serial,
  };
}

export function outgoingRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const s = ctx.transfers;
  const base = "/zones/:zone_id/secondary_dns/outgoing";

  app.get(base, async (req) => {
    const zone = entitledZone(ctx, req);
    return ok(outgoingResult(s.getOutgoing(zone.origin), zone));
  });
  // The store validates every body; an absent one on POST links no peers.
  app.post(base, async (req) => {
    const zone = entitledZone(ctx, req);
    return ok(
      outgoingResult(s.createOutgoing(zone.origin, req.body as OutgoingInput | undefined), zone),
    );
  });
  app.put(base, async (req) => {
    const zone = entitledZone(ctx, req);
    return ok(outgoingResult(s.updateOutgoing(zone.origin, req.body as OutgoingInput), zone));
  });
  app.delete(base, async (req) => {
    const zone = entitledZone(ctx, req);
    return ok(s.deleteOutgoing(zone.origin));
  });
  app.post(`${base}/enable`, async (req) => ok(s.enable(entitledZone(ctx, req).origin)));
  app.post(`${base}/disable`, async (req) => ok(s.disable(entitledZone(ctx, req).origin)));
  app.post(`${base}/force_notify`, async (req) => ok(s.forceNotify(entitledZone(ctx, req).origin)));
  app.get(`${base}/status`, async (req) => ok(s.getOutgoing(entitledZone(ctx, req).origin).status));
}
