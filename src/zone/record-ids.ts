/**
 * Which names hold the record with a given id: the API finds records by id (PATCH, PUT and
 * DELETE .../dns_records/{id}), and a zone's ids are derived from its records (Zone.recordId).
 *
 * Kept lean for zones of a million records: the first seven hex digits of an id (28 bits, a
 * small integer key) lead to the key of the name holding it, and the record itself is found
 * by recomputing the ids of that name's few records. Holding every id and record key as
 * strings cost about 235 bytes a record (235 MB beside a 1,000,000-record zone); this holds
 * one map entry pointing at a name key the zone already has.
 *
 * A bucket lists one name key per record whose id starts with those digits, so a name with
 * two such records (or two names sharing the digits) is listed twice and removed once each.
 */

/** The 28-bit prefix of a 32-hex-digit id, or -1 for anything else. */
function prefixOf(id: string): number {
  if (id.length < 7) return -1;
  const n = Number.parseInt(id.slice(0, 7), 16);
  return Number.isNaN(n) ? -1 : n;
}

export class RecordIdIndex {
  private readonly byPrefix = new Map<number, string | string[]>();

  /** The record with `id` is held at the name `key`. */
  add(id: string, key: string): void {
    const p = prefixOf(id);
    if (p < 0) return;
    const cur = this.byPrefix.get(p);
    if (cur === undefined) this.byPrefix.set(p, key);
    else if (typeof cur === "string") this.byPrefix.set(p, [cur, key]);
    else cur.push(key);
  }

  /** The record with `id` is no longer held at `key`. */
  remove(id: string, key: string): void {
    const p = prefixOf(id);
    const cur = this.byPrefix.get(p);
    if (cur === undefined) return;
    if (typeof cur === "string") {
      if (cur === key) this.byPrefix.delete(p);
      return;
    }
    const i = cur.indexOf(key);
    if (i >= 0) cur.splice(i, 1);
    if (cur.length === 1) this.byPrefix.set(p, cur[0]);
  }

  /** The names that may hold the record with `id` (each to be checked). */
  keysFor(id: string): readonly string[] {
    const cur = this.byPrefix.get(prefixOf(id));
    return cur === undefined ? [] : typeof cur === "string" ? [cur] : cur;
  }
}
