/**
 * The zones a server is authoritative for, found by longest match (RFC 1034 §4.3.2 step 2:
 * "search the available zones for the zone which is the nearest ancestor to QNAME").
 */

import { nameKey, parentName } from "../wire/name.js";
import type { Zone } from "./zone.js";

export class ZoneSet {
  private readonly zones = new Map<string, Zone>();
  /** Incremented whenever any zone changes or a zone is added or removed; caches key on it. */
  generation = 0;

  add(zone: Zone): void {
    if (this.zones.has(zone.key)) throw new Error(`zone ${zone.origin} is already loaded`);
    this.zones.set(zone.key, zone);
    zone.onChange(() => {
      this.generation++;
    });
    this.generation++;
  }

  remove(origin: string): boolean {
    const ok = this.zones.delete(nameKey(origin));
    if (ok) this.generation++;
    return ok;
  }

  get(origin: string): Zone | undefined {
    return this.zones.get(nameKey(origin));
  }

  /** The zone nearest above `key` (a lowercased canonical name), if any. */
  find(key: string): Zone | undefined {
    let k = key;
    for (;;) {
      const z = this.zones.get(k);
      if (z) return z;
      if (k === ".") return undefined;
      k = parentName(k);
    }
  }

  all(): Zone[] {
    return [...this.zones.values()];
  }

  get size(): number {
    return this.zones.size;
  }
}
