/**
 * Ids as the API shows them: 32 lowercase hexadecimal digits (cloudflare.md §3). Zone ids are
 * derived from the zone name (zoneId() in transfer/settings.ts), so they are the same after a
 * restart and equal the id of the zone's outgoing configuration.
 */

import type { Zone } from "../zone/zone.js";
import type { ZoneSet } from "../zone/zoneset.js";
import { zoneId } from "./transfer/settings.js";

const ID_RE = /^[0-9a-f]{32}$/;

export function isId(s: string): boolean {
  return ID_RE.test(s);
}

/**
 * zone_id → zone through the live ZoneSet. The id table is rebuilt only when an id is missed
 * and the zone set has changed since the last build (its generation moved), so a stream of
 * unknown ids costs one map lookup each.
 */
export class ZoneIndex {
  private readonly byId = new Map<string, string>();
  private readonly idByKey = new Map<string, string>();
  private builtAt = -1;

  constructor(readonly zones: ZoneSet) {}

  /** The id of a zone (cached; sha256 of its name otherwise). */
  idOf(zone: Zone): string {
    let id = this.idByKey.get(zone.key);
    if (id === undefined) {
      id = zoneId(zone.origin);
      this.idByKey.set(zone.key, id);
    }
    return id;
  }

  /** The zone with this id, if it is served now. */
  get(id: string): Zone | undefined {
    if (!isId(id)) return undefined;
    const found = this.lookup(id);
    if (found !== undefined) return found;
    if (this.builtAt === this.zones.generation) return undefined;
    this.rebuild();
    return this.lookup(id);
  }

  private lookup(id: string): Zone | undefined {
    const key = this.byId.get(id);
    if (key === undefined) return undefined;
    const zone = this.zones.get(key);
    // A zone removed since: drop it (its id comes back when the zone does).
    if (zone === undefined) this.byId.delete(id);
    return zone;
  }

  private rebuild(): void {
    this.byId.clear();
    for (const zone of this.zones.all()) this.byId.set(this.idOf(zone), zone.key);
    this.builtAt = this.zones.generation;
  }
}
