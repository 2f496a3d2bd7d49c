/** When each zone was created and last changed, as Cloudflare's API shows it. */

import type { Zone } from "../zone/zone.js";

/**
 * Zone timestamps, kept beside the zones: the zone model has no clock. Weakly held, so a zone
 * removed from the set is not kept alive here.
 */
export class ZoneTimes {
  private readonly times = new WeakMap<
    Zone,
    { created: string; modified: string; paused: boolean }
  >();
  constructor(private readonly now: () => Date) {}

  of(zone: Zone): { created: string; modified: string; paused: boolean } {
    let t = this.times.get(zone);
    if (t === undefined) {
      const at = this.now().toISOString();
      const entry = { created: at, modified: at, paused: false };
      zone.onChange(() => {
        entry.modified = this.now().toISOString();
      });
      this.times.set(zone, entry);
      t = entry;
    }
    return t;
  }
}
