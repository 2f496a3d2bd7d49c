/**
 * A zone's DNS settings (cloudflare.md §3): `GET/PATCH /zones/{zone_id}/dns_settings`.
 * Validation, defaults and what a change does to the served zone are rules/dns-settings.ts
 * and rules/zones.ts: a change to what is served is committed like any record change.
 */

import type { FastifyInstance } from "fastify";
import { settingsJson } from "../../cloudflare/rules/dns-settings.js";
import type { ApiContext } from "../context.js";
import { ok } from "../envelope.js";
import { zoneFor } from "./zones.js";

export function dnsSettingsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const path = "/zones/:zone_id/dns_settings";
  app.get(path, async (req) => ok(settingsJson(ctx.cloudflare.dnsSettings(zoneFor(ctx, req)))));
  app.patch(path, async (req) =>
    ok(settingsJson(ctx.cloudflare.editDnsSettings(zoneFor(ctx, req), req.body))),
  );
}
