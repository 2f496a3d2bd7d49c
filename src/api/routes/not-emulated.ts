/**
 * Endpoints of Cloudflare's API under the official SDK's `dns` and `zones` resources that
 * dns-primary does not emulate. Each answers 403 with code 89106 and a sentence naming what is
 * not emulated, after the usual checks (an unknown zone or account id is still 7003), so that
 * a client meets "not here" rather than a route that does not exist (7000). 403, not 501:
 * the SDK retries every 5xx. `test/api/sdk-endpoints.test.ts` reads every endpoint the
 * installed SDK calls and checks that each is routed. docs/api.md lists the table.
 */

import type { FastifyInstance, HTTPMethods } from "fastify";
import { ApiError } from "../../cloudflare/errors.js";
import type { ApiContext } from "../context.js";
import { checkAccount } from "./accounts.js";
import { zoneFor } from "./zones.js";

interface NotEmulated {
  methods: HTTPMethods[];
  path: string;
  /** What is not emulated, as the sentence says it. */
  what: string;
}

const SECONDARY = "secondary zones (incoming zone transfers): dns-primary serves primary zones";
const PLANS = "plans and subscriptions";
const TRACING = "observability tracing";

export const NOT_EMULATED: readonly NotEmulated[] = [
  { methods: ["POST"], path: "/zones/:zone_id/dns_records/scan", what: "DNS record scans" },
  {
    methods: ["GET", "POST"],
    path: "/zones/:zone_id/dns_records/scan/review",
    what: "DNS record scans",
  },
  { methods: ["POST"], path: "/zones/:zone_id/dns_records/scan/trigger", what: "DNS record scans" },
  { methods: ["GET"], path: "/zones/:zone_id/dns_records/usage", what: "DNS record usage" },
  { methods: ["GET"], path: "/accounts/:account_id/dns_records/usage", what: "DNS record usage" },
  {
    methods: ["GET", "POST"],
    path: "/accounts/:account_id/dns_settings/views",
    what: "internal DNS views",
  },
  {
    methods: ["GET", "PATCH", "DELETE"],
    path: "/accounts/:account_id/dns_settings/views/:view_id",
    what: "internal DNS views",
  },
  { methods: ["GET"], path: "/zones/:zone_id/dns_analytics/report", what: "DNS analytics" },
  { methods: ["GET"], path: "/zones/:zone_id/dns_analytics/report/bytime", what: "DNS analytics" },
  { methods: ["POST"], path: "/zones/:zone_id/secondary_dns/force_axfr", what: SECONDARY },
  {
    methods: ["GET", "POST", "PUT", "DELETE"],
    path: "/zones/:zone_id/secondary_dns/incoming",
    what: SECONDARY,
  },
  { methods: ["PUT"], path: "/zones/:zone_id/activation_check", what: "activation checks" },
  { methods: ["GET", "PUT"], path: "/zones/:zone_id/custom_ns", what: "custom nameservers" },
  { methods: ["GET", "POST", "PATCH", "DELETE"], path: "/zones/:zone_id/hold", what: "zone holds" },
  {
    methods: ["GET", "PATCH"],
    path: "/zones/:zone_id/settings/:setting_id",
    what: "zone settings of Cloudflare's proxy",
  },
  {
    methods: ["GET", "POST", "PUT", "PATCH"],
    path: "/zones/:zone_id/environments",
    what: "zone environments",
  },
  {
    methods: ["DELETE"],
    path: "/zones/:zone_id/environments/:environment_id",
    what: "zone environments",
  },
  {
    methods: ["POST"],
    path: "/zones/:zone_id/environments/:environment_id/rollback",
    what: "zone environments",
  },
  { methods: ["GET", "POST", "PUT"], path: "/zones/:zone_id/subscription", what: PLANS },
  { methods: ["GET"], path: "/zones/:zone_id/available_plans", what: PLANS },
  { methods: ["GET"], path: "/zones/:zone_id/available_plans/:plan_id", what: PLANS },
  { methods: ["GET"], path: "/zones/:zone_id/available_rate_plans", what: PLANS },
  {
    methods: ["GET"],
    path: "/zones/:zone_id/entitlements",
    what: "Cloudflare's list of a zone's entitlements (the outgoing-transfer entitlement is /dns-primary/v1/zones/{zone_id}/entitlements)",
  },
  {
    methods: ["GET", "PATCH"],
    path: "/zones/:zone_id/ct/alerting",
    what: "certificate transparency alerting",
  },
  {
    methods: ["GET", "PUT", "DELETE"],
    path: "/zones/:zone_id/observability/tracing/rules",
    what: TRACING,
  },
  {
    methods: ["GET", "PATCH", "DELETE"],
    path: "/zones/:zone_id/observability/tracing/settings",
    what: TRACING,
  },
];

export function notEmulatedRoutes(app: FastifyInstance, ctx: ApiContext): void {
  for (const e of NOT_EMULATED) {
    app.route({
      method: e.methods,
      url: e.path,
      handler: async (req) => {
        if (e.path.startsWith("/zones/")) zoneFor(ctx, req);
        else checkAccount(ctx, req);
        throw new ApiError("NOT_EMULATED", `${e.what}: not emulated by dns-primary`);
      },
    });
  }
}
