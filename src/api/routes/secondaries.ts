/**
 * The emulator's own extension (under `/dns-primary/v1`): what each of a zone's secondaries
 * did, for the operator whose secondary disagrees. Cloudflare shows only `checked_time` and
 * `last_transferred_time`; this is the detail behind them (transfer/activity.ts).
 *
 * `GET /zones/{zone_id}/secondaries`:
 * `{ zone: {id, name, serial, outgoing_status}, secondaries, recent_refusals, incoming_notify }`
 * - `outgoing_status`: "Enabled", "Disabled", or null when the zone has no outgoing config;
 *   `outgoing_entitled`: false while the zone is not enabled for outgoing zone transfers
 *   (routes/entitlements.ts), whatever the status says;
 * - `secondaries`: each linked peer in link order (seen or not), then every other source seen
 *   (inside an ACL, refused, or a peer no longer linked, with `via` null), most recently
 *   active first; each with `last_notify` (a NOTIFY cancelled says why in `detail`),
 *   `last_check`, `last_transfer`, `last_refusal` (null when none) and counts;
 * - `recent_refusals`: the zone's most recent refused transfer requests, newest first, with
 *   the reason;
 * - `incoming_notify`: NOTIFY messages received for the zone (answered NOTIMP).
 * Times are ISO 8601. Same authentication, envelope and errors as the other routes (7003 for
 * an unknown zone id); nothing is changed.
 */

import type { FastifyInstance } from "fastify";
import type { SecondariesView } from "../../cloudflare/transfer/activity.js";
import type { OutgoingStatus } from "../../cloudflare/transfer/settings.js";
import { withoutTrailingDot } from "../../wire/name.js";
import type { Zone } from "../../zone/zone.js";
import type { ApiContext } from "../context.js";
import { ok } from "../envelope.js";
import { zoneFor } from "./zones.js";

export interface SecondariesZone {
  id: string;
  /** Without the trailing dot, as the other routes show names. */
  name: string;
  serial: number;
  outgoing_status: OutgoingStatus | null;
  outgoing_entitled: boolean;
}

export interface Secondaries extends SecondariesView {
  zone: SecondariesZone;
}

export function zoneSecondaries(ctx: ApiContext, zone: Zone): Secondaries {
  const name = withoutTrailingDot(zone.origin);
  const view = ctx.activity.secondaries(zone.origin, ctx.transfers.linkedPeers(zone.origin));
  return {
    zone: {
      id: ctx.zoneIds.idOf(zone),
      name,
      serial: zone.serial,
      outgoing_status: ctx.transfers.outgoing(zone.origin)?.status ?? null,
      outgoing_entitled: ctx.transfers.entitled(zone.origin),
    },
    ...view,
  };
}

export function secondaryRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/zones/:zone_id/secondaries", async (req) =>
    ok(zoneSecondaries(ctx, zoneFor(ctx, req))),
  );
}
