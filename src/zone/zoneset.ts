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
  /** byKey(), until a zone is added or removed. */
  private ordered: readonly Zone[] | undefined;

  add(zone: Zone): void {
    if (this.zones.has(zone.key)) throw new Error(`zone ${zone.origin} is already loaded`);
    this.zones.set(zone.key, zone);
    this.ordered = undefined;
    zone.onChange(() => {
      this.generation++;
    });
    this.generation++;
  }

  remove(origin: string): boolean {
    const ok = this.zones.delete(nameKey(origin));
    if (ok) {
      this.generation++;
      this.ordered = undefined;
    }
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

  /**
   * Every zone in the order of its key (lowercased name, code-unit order), as the API lists
   * them: sorted once after each addition or removal, not for every page of a listing
   * (10,000 zones sorted for each of 200 pages took most of a second).
   */
  byKey(): readonly Zone[] {
    this.ordered ??= [...this.zones.values()].sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    );
    return this.ordered;
  }

  get size(): number {
    return this.zones.size;
  }
}
