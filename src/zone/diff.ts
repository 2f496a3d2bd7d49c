/**
 * The difference between two versions of a zone's stored records, as one change — what
 * Knot's `zonefile-load: difference` and BIND's `ixfr-from-differences` compute when a zone
 * file is edited, so secondaries can follow by IXFR instead of a full transfer.
 */

import { T } from "../wire/types.js";
import { runPaced } from "./paced.js";
import type { RRset } from "./rrset.js";
import { type Change, type RecordInput, type RecordRef, recordKey, type Zone } from "./zone.js";

function sameMeta(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * The change that turns `from` into `to` (same origin). The apex SOA is compared without its
 * serial (the serial is the primary's to assign, cloudflare.md §1 "SOA"); a record whose TTL
 * or Cloudflare fields changed is removed and added again.
 */
export function diffZones(from: Zone, to: Zone): Change {
  const change: Required<Change> & { remove: RecordRef[]; add: RecordInput[] } = {
    remove: [],
    add: [],
  };
  for (const _ of diffSteps(from, to, change)) {
    // run to completion
  }
  return change;
}

/** The same, in slices that hand the event loop back, so queries keep being answered. */
export function diffZonesPaced(from: Zone, to: Zone, sliceMs?: number): Promise<Change> {
  const change: Required<Change> & { remove: RecordRef[]; add: RecordInput[] } = {
    remove: [],
    add: [],
  };
  return runPaced(diffSteps(from, to, change), sliceMs).then(() => change);
}

type Stored = { key: string; name: string; sets: readonly RRset[] };

/**
 * The stored RRsets of names of `zone`, asked in about the order of its own walk: a zone read
 * again from the same file holds its names in the same order, so most are found where the
 * walk stands, without a lookup in a map of a million names (a cache miss each). A name out
 * of step is looked up, and the walk skips ahead past names the other side no longer has.
 */
class WalkBeside {
  private readonly walk: Iterator<Stored>;
  private at: IteratorResult<Stored>;

  constructor(private readonly zone: Zone) {
    this.walk = zone.stored()[Symbol.iterator]();
    this.at = this.walk.next();
  }

  setsOf(key: string): readonly RRset[] {
    if (!this.at.done && this.at.value.key === key) {
      const sets = this.at.value.sets;
      this.at = this.walk.next();
      return sets;
    }
    const sets = this.zone.storedSets(key);
    if (sets.length > 0) {
      // Here but further on: names before it are gone from the other side. A few steps
      // only; beyond that every name is looked up, which is merely slower.
      for (let i = 0; i < 4 && !this.at.done && this.at.value.key !== key; i++)
        this.at = this.walk.next();
      if (!this.at.done && this.at.value.key === key) this.at = this.walk.next();
    }
    return sets;
  }
}

/** The difference, one name at a time (a step is yielded after each name). */
function* diffSteps(
  from: Zone,
  to: Zone,
  out: { remove: RecordRef[]; add: RecordInput[] },
): Generator<void> {
  if (from.key !== to.key) throw new Error(`cannot diff ${from.origin} against ${to.origin}`);
  const { remove, add } = out;
  // Most zone files carry no Cloudflare fields: then no record needs its key built.
  const withMeta = from.meta.size > 0 || to.meta.size > 0;
  const inFrom = new WalkBeside(from);
  for (const { key, name, sets } of to.stored()) {
    const old = inFrom.setsOf(key);
    for (const set of sets) {
      const before = old.find((s) => s.type === set.type);
      const isSoa = set.type === T.SOA && key === to.key;
      for (const rd of set.rdata) {
        const meta = withMeta ? to.meta.get(recordKey(name, set.type, rd)) : undefined;
        if (isSoa) {
          const prev = before?.at(0) ?? "";
          // Everything but the serial (the last 20 octets hold serial and timers).
          const same =
            prev.slice(0, -20) === rd.slice(0, -20) &&
            prev.slice(-16) === rd.slice(-16) &&
            before?.ttl === set.ttl;
          if (!same) add.push({ name, type: set.type, ttl: set.ttl, rdata: rd });
          continue;
        }
        const unchanged =
          before !== undefined &&
          before.ttl === set.ttl &&
          before.has(rd) &&
          (!withMeta || sameMeta(from.meta.get(recordKey(name, set.type, rd)), meta));
        if (!unchanged) {
          if (before?.has(rd)) remove.push({ name, type: set.type, rdata: rd });
          add.push({ name, type: set.type, ttl: set.ttl, rdata: rd, ...(meta ? { meta } : {}) });
        }
      }
      if (before && !isSoa) {
        for (const rd of before.rdata) {
          if (!set.has(rd)) remove.push({ name, type: set.type, rdata: rd });
        }
      }
    }
    for (const before of old) {
      if (!sets.some((s) => s.type === before.type)) {
        for (const rd of before.rdata) remove.push({ name, type: before.type, rdata: rd });
      }
    }
    yield;
  }
  // Names gone from the file.
  const inTo = new WalkBeside(to);
  for (const { key, name, sets } of from.stored()) {
    if (inTo.setsOf(key).length === 0) {
      for (const set of sets)
        for (const rd of set.rdata) remove.push({ name, type: set.type, rdata: rd });
    }
    yield;
  }
  return { remove, add };
}

/** True when a change changes nothing. */
export function isEmptyChange(c: Change): boolean {
  return (c.remove?.length ?? 0) === 0 && (c.add?.length ?? 0) === 0;
}
