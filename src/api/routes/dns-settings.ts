/**
 * A zone's DNS settings (cloudflare.md §3): `GET/PATCH /zones/{zone_id}/dns_settings`.
 * Validation, defaults and what a change does to the served zone are rules/dns-settings.ts
 * and rules/zones.ts: a change to what is served is committed like any record change.
 *
 * Also the two single-setting routes Cloudflare had before `dns_settings` took their fields
 * (removed on 2024-09-13, "Legacy DNS Settings Endpoints"; older clients and the multi-signer
 * DNSSEC guide still call `use_apex_ns`): `GET/PATCH .../dns_settings/use_apex_ns` maps onto
 * `multi_provider` and `.../secondary_overrides` onto `secondary_overrides`. Their PATCH body
 * is `{"id": "use_apex_ns", "value": true}` as Cloudflare documented it. No schema of their
 * answer survives; it is `{id, value, editable, modified_on}`, the shape of Cloudflare's
 * other single-setting routes (a decision).
 */

import type { FastifyInstance } from "fastify";
import { SettingsError } from "../../cloudflare/errors.js";
import { settingsJson } from "../../cloudflare/rules/dns-settings.js";
import type { ApiContext } from "../context.js";
import { ok } from "../envelope.js";
import { zoneFor } from "./zones.js";

/** Legacy route → the `dns_settings` field it stands for. */
const LEGACY = {
  use_apex_ns: "multi_provider",
  secondary_overrides: "secondary_overrides",
} as const;

function legacyValue(id: string, body: unknown): boolean {
  const b = body as { id?: unknown; value?: unknown } | null;
  if (typeof b !== "object" || b === null || Array.isArray(b))
    throw new SettingsError("INVALID_FIELD", `the body must be {"id": "${id}", "value": ...}`);
  if (b.id !== undefined && b.id !== id)
    throw new SettingsError("INVALID_FIELD", `id must be "${id}"`, "id");
  if (typeof b.value !== "boolean")
    throw new SettingsError("INVALID_FIELD", "value must be true or false", "value");
  return b.value;
}

export function dnsSettingsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const path = "/zones/:zone_id/dns_settings";
  app.get(path, async (req) => ok(settingsJson(ctx.cloudflare.dnsSettings(zoneFor(ctx, req)))));
  app.patch(path, async (req) =>
    ok(settingsJson(ctx.cloudflare.editDnsSettings(zoneFor(ctx, req), req.body))),
  );
  for (const [id, field] of Object.entries(LEGACY)) {
    const answer = (value: boolean) => ({ id, value, editable: true, modified_on: null });
    app.get(`${path}/${id}`, async (req) =>
      ok(answer(ctx.cloudflare.dnsSettings(zoneFor(ctx, req))[field])),
    );
    app.patch(`${path}/${id}`, async (req) => {
      const zone = zoneFor(ctx, req);
      const value = legacyValue(id, req.body);
      return ok(answer(ctx.cloudflare.editDnsSettings(zone, { [field]: value })[field]));
    });
  }
}
