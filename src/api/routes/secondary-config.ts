/**
 * `GET /dns-primary/v1/zones/{zone_id}/secondary-config?for=bind|knot|nsd|powerdns&peer=NAME`
 * (the emulator's own route): the ready-to-paste configuration for one secondary of the zone,
 * as `dns-primary secondary-config` prints it (secondaries/config.ts writes both), from this
 * server's live facts: its DNS address, where NOTIFY leaves from, the zone's linked peers (a
 * peer's ip is the address its secondary sends from) and their TSIG. The dashboard shows it
 * with a copy button.
 *
 * Result: `{ for, zone, peer, config }`. `peer` may be left out when the zone links at most
 * one peer. Errors (same envelope): 89102 for a `for` or `peer` that does not fit (the message
 * lists what does), 7003 for an unknown zone or a zone without an outgoing configuration.
 */

import type { FastifyInstance } from "fastify";
import { invalidQuery } from "../../cloudflare/errors.js";
import {
  SECONDARY_KINDS,
  type SecondaryFacts,
  SecondaryFactsError,
  type SecondaryKind,
  secondaryConfig,
  secondaryFacts,
} from "../../secondaries/config.js";
import { withoutTrailingDot } from "../../wire/name.js";
import type { ApiContext } from "../context.js";
import { ok } from "../envelope.js";
import { zoneFor } from "./zones.js";

export interface SecondaryConfigResult {
  for: SecondaryKind;
  zone: string;
  peer: string | null;
  config: string;
}

export function secondaryConfigRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/zones/:zone_id/secondary-config", async (req) => {
    const zone = zoneFor(ctx, req);
    const q = req.query as Record<string, unknown>;
    const kind = q.for ?? "bind";
    if (typeof kind !== "string" || !(SECONDARY_KINDS as readonly string[]).includes(kind))
      throw invalidQuery(`for must be one of ${SECONDARY_KINDS.join(", ")}`);
    const cfg = ctx.transfers.getOutgoing(zone.origin);
    const peers = cfg.peers.map((id) => ctx.transfers.getPeer(id));
    const names = peers.map((p) => p.name).join(", ") || "none";
    const name = q.peer;
    if (name !== undefined && typeof name !== "string") throw invalidQuery("peer is one name");
    let peer: (typeof peers)[number] | undefined = peers[0];
    if (name !== undefined && name !== "") {
      peer = peers.find((p) => p.name === name);
      if (peer === undefined)
        throw invalidQuery(`no peer named "${name}" is linked to the zone (linked: ${names})`);
    } else if (peers.length > 1) {
      throw invalidQuery(`the zone links ${peers.length} peers; say which with peer (${names})`);
    }
    const tsig = peer?.tsig_id === undefined ? undefined : ctx.transfers.getTsig(peer.tsig_id);
    const server = ctx.server();
    let facts: SecondaryFacts;
    try {
      facts = secondaryFacts({
        zone: zone.origin,
        primary: server.dns,
        notifyFrom: server.notify_source?.host ?? server.dns.host,
        ...(peer ? { peer } : {}),
        ...(tsig ? { tsig } : {}),
      });
    } catch (err) {
      // A peer ip of the other address family than the DNS address: said, not a 500.
      if (err instanceof SecondaryFactsError) throw invalidQuery(err.message);
      throw err;
    }
    const result: SecondaryConfigResult = {
      for: kind as SecondaryKind,
      zone: withoutTrailingDot(zone.origin),
      peer: peer?.name ?? null,
      config: secondaryConfig(kind as SecondaryKind, facts),
    };
    return ok(result);
  });
}
