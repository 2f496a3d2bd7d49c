/** Shared set-up for the API tests: zones from inline text, a store, an app. */

import type { FastifyInstance } from "fastify";
import { type ApiOptions, createApi } from "../../src/api/server.js";
import { CloudflareZones } from "../../src/cloudflare/rules/zones.js";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { zoneFromText } from "../../src/zone/load.js";
import { ZoneSet } from "../../src/zone/zoneset.js";

export const ACCOUNT = { id: "0123456789abcdef0123456789abcdef", name: "Lab account" };
export const SECRET = "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk=";
export const T0 = new Date("2024-05-01T12:00:00.000Z");
export const BASE = "/client/v4";

export function zoneText(origin: string, serial = 7): string {
  return `$ORIGIN ${origin}
$TTL 300
@    IN SOA ns1.${origin} admin.${origin} ${serial} 3600 600 86400 60
@    IN NS  ns1.${origin}
@    IN NS  ns2.${origin}
ns1  IN A   192.0.2.53
ns2  IN A   192.0.2.54
www  IN A   192.0.2.80
`;
}

/** Zones served the way the primary serves them: through Cloudflare's rules. */
export function zoneSet(origins: string[]): CloudflareZones {
  const zones = new CloudflareZones(new ZoneSet());
  origins.forEach((o, i) => {
    zones.add(
      zoneFromText(zoneText(o, 100 + i), { file: `${o}zone`, renderer: zones.renderer }).zone,
    );
  });
  return zones;
}

export interface Lab {
  app: FastifyInstance;
  transfers: TransferSettings;
  zones: CloudflareZones;
}

export function lab(
  t: { teardown(fn: () => unknown): void },
  opts: Partial<ApiOptions> & { origins?: string[] } = {},
): Lab {
  const transfers = opts.transfers ?? new TransferSettings({ now: () => T0 });
  const zones = opts.zones ?? zoneSet(opts.origins ?? ["example.com.", "example.org."]);
  const app = createApi({ account: ACCOUNT, now: () => T0, ...opts, transfers, zones });
  t.teardown(() => app.close());
  return { app, transfers, zones };
}

/** inject() with a JSON body and the parsed envelope. */
export async function call(
  app: FastifyInstance,
  method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH",
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: envelopes are checked field by field
): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const res = await app.inject({
    method,
    url: `${BASE}${path}`,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}
