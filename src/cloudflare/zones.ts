/**
 * Creating and deleting a zone, as Cloudflare's `POST /zones` and `DELETE /zones/{id}` do
 * (cloudflare.md §3): the one place both happen, whichever face asks (the REST API, the
 * library's createZone/removeZone).
 */

import { nameKey, withoutTrailingDot } from "../wire/name.js";
import type { Zone } from "../zone/zone.js";
import { ApiError } from "./errors.js";
import type { ZoneIndex } from "./ids.js";
import type { CloudflareZones } from "./rules/zones.js";
import type { TransferSettings } from "./transfer/settings.js";
import { zoneName } from "./zone-name.js";
import type { ZoneTimes } from "./zone-times.js";

/** What the zone operations change. */
export interface ZoneModel {
  cloudflare: CloudflareZones;
  transfers: Pick<TransferSettings, "outgoing" | "deleteOutgoing">;
  times: ZoneTimes;
  zoneIds: ZoneIndex;
}

/**
 * A new, empty zone (its SOA and NS from the DNS settings' defaults), its timestamps started.
 * `name` is checked as Cloudflare checks it (1049); a zone already served is 1061.
 */
export function createZone(model: ZoneModel, name: unknown): Zone {
  const origin = zoneName(name);
  if (model.cloudflare.set.get(origin)?.key === nameKey(origin))
    throw new ApiError("ZONE_EXISTS", `${withoutTrailingDot(origin)} already exists`);
  const zone = model.cloudflare.create(origin);
  model.times.of(zone);
  return zone;
}

/**
 * Stop serving a zone at once and remove its outgoing transfer configuration, as Cloudflare
 * does with a deleted zone's secondary-DNS settings. The TSIGs and peers stay: they belong to
 * the account. Returns the zone's id, which it gets back if it is created again.
 */
export function deleteZone(model: ZoneModel, zone: Zone): { id: string } {
  const id = model.zoneIds.idOf(zone);
  if (model.transfers.outgoing(zone.origin) !== undefined)
    model.transfers.deleteOutgoing(zone.origin);
  model.cloudflare.remove(zone);
  return { id };
}
