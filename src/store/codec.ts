/**
 * Zones, changes and changesets as JSON for the store. RDATA (latin1 strings of wire bytes)
 * is written in base64; names as presentation text; Cloudflare fields (RecordMeta, ids and
 * times included) as they are.
 */

import { createHash } from "node:crypto";
import { nameKey } from "../wire/name.js";
import { T } from "../wire/types.js";
import type { Changeset, RR } from "../zone/journal.js";
import {
  type Change,
  type RecordInput,
  type RecordMeta,
  type RecordRef,
  recordKey,
  toLatin1,
  type Zone,
  type ZoneRecord,
} from "../zone/zone.js";

// The Disk* types are the JSON the log and the snapshot hold: tuples, so that a million
// records do not repeat their field names on disk.

/** A record on disk: name, type, TTL, RDATA (base64), Cloudflare fields. */
export type DiskRecord = [string, number, number, string, RecordMeta?];
/** A removed record on disk: name, type, RDATA (base64). */
export type DiskRef = [string, number, string];
/** A journal RR on disk: name, type, TTL, RDATA (base64). */
export type DiskRR = [string, number, number, string];

/** A journal changeset on disk: SOA from (f) and to (t), removed (r), added (a). */
export interface DiskChangeset {
  f: DiskRR;
  t: DiskRR;
  r: DiskRR[];
  a: DiskRR[];
}

const b64 = (rdata: Uint8Array | string) =>
  Buffer.from(toLatin1(rdata), "latin1").toString("base64");
const latin1 = (base64: string) => Buffer.from(base64, "base64").toString("latin1");

export function encodeRecord(r: RecordInput): DiskRecord {
  return r.meta
    ? [r.name, r.type, r.ttl, b64(r.rdata), r.meta]
    : [r.name, r.type, r.ttl, b64(r.rdata)];
}

export function decodeRecord(s: DiskRecord): RecordInput {
  const r: RecordInput = { name: s[0], type: s[1], ttl: s[2], rdata: latin1(s[3]) };
  if (s[4] !== undefined && s[4] !== null) r.meta = s[4];
  return r;
}

export function encodeChange(c: Change): { remove: DiskRef[]; add: DiskRecord[] } {
  return {
    remove: (c.remove ?? []).map((r: RecordRef) => [r.name, r.type, b64(r.rdata)]),
    add: (c.add ?? []).map(encodeRecord),
  };
}

export function decodeChange(c: { remove: DiskRef[]; add: DiskRecord[] }): Change {
  return {
    remove: c.remove.map(([name, type, rdata]) => ({ name, type, rdata: latin1(rdata) })),
    add: c.add.map(decodeRecord),
  };
}

const encodeRR = (r: RR): DiskRR => [r.name, r.type, r.ttl, b64(r.rdata)];
const decodeRR = (s: DiskRR): RR => ({ name: s[0], type: s[1], ttl: s[2], rdata: latin1(s[3]) });

export function encodeChangeset(cs: Changeset): DiskChangeset {
  return {
    f: encodeRR(cs.soaFrom),
    t: encodeRR(cs.soaTo),
    r: cs.removed.map(encodeRR),
    a: cs.added.map(encodeRR),
  };
}

export function decodeChangeset(s: DiskChangeset): Changeset {
  return {
    soaFrom: decodeRR(s.f),
    soaTo: decodeRR(s.t),
    removed: s.r.map(decodeRR),
    added: s.a.map(decodeRR),
  };
}

/** Every stored record of a zone, with its Cloudflare fields. */
export function* zoneRecords(zone: Zone): Generator<ZoneRecord> {
  for (const { name, sets } of zone.stored()) {
    for (const set of sets) {
      for (let i = 0; i < set.size; i++) {
        const rdata = set.at(i);
        const meta = zone.meta.get(recordKey(name, set.type, rdata));
        yield meta
          ? { name, type: set.type, ttl: set.ttl, rdata, meta }
          : { name, type: set.type, ttl: set.ttl, rdata };
      }
    }
  }
}

/**
 * What a zone's source (its file, or inline records) said, independent of record order and
 * of the SOA serial: the same file gives the same fingerprint, an edited one another. A
 * multiset hash (the sum of the records' hashes), so no sorting of a big zone is needed.
 */
export function fingerprint(zone: Zone): string {
  const acc = new Uint32Array(8);
  let n = 0;
  for (const r of zoneRecords(zone)) {
    let rdata = toLatin1(r.rdata);
    if (r.type === T.SOA && nameKey(r.name) === zone.key) {
      // The serial is the primary's (cloudflare.md §1): a file whose serial alone moved is the same.
      const at = rdata.length - 20;
      rdata = `${rdata.slice(0, at)}\0\0\0\0${rdata.slice(at + 4)}`;
    }
    const h = createHash("sha256")
      .update(`${nameKey(r.name)}\0${r.type}\0${r.ttl}\0`)
      .update(rdata, "latin1")
      .update(r.meta ? `\0${JSON.stringify(r.meta)}` : "")
      .digest();
    for (let i = 0; i < 8; i++) acc[i] = (acc[i] + h.readUInt32BE(i * 4)) >>> 0;
    n++;
  }
  return `${n}:${Buffer.from(acc.buffer).toString("hex")}`;
}
