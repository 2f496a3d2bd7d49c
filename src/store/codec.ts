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
 *
 * Each record is hashed in four independent 32-bit lanes (FNV-1a style, each lane with its
 * own seed and multiplier, then the murmur3 finalizer), summed lane by lane: 128 bits, made
 * in about half a microsecond per record. Not a defence against a forged file; a check that
 * the file a user edits is the one it was. The former form (`legacyFingerprint`, a SHA-256
 * per record) took about 3 µs a record, seconds for a million-record zone at every start and
 * reload with a data dir. This one is marked `v2:`.
 */
export function fingerprint(zone: Zone): string {
  const acc = new Uint32Array(4);
  const withMeta = zone.meta.size > 0;
  let n = 0;
  for (const { key, sets } of zone.stored()) {
    for (const set of sets) {
      const apexSoa = set.type === T.SOA && key === zone.key;
      for (let i = 0; i < set.size; i++) {
        const rdata = set.at(i);
        const meta = withMeta ? zone.meta.get(recordKey(key, set.type, rdata)) : undefined;
        const h = new RecordHash();
        h.text(key); // the name's key: lowercased already
        h.number(set.type);
        h.number(set.ttl);
        // The serial is the primary's (cloudflare.md §1): a file whose serial alone moved is
        // the same. It is the first of the SOA's last five 32-bit fields.
        h.text(rdata, apexSoa ? rdata.length - 20 : -1);
        if (meta) h.text(JSON.stringify(meta));
        acc[0] = (acc[0] + fmix32(h.a)) >>> 0;
        acc[1] = (acc[1] + fmix32(h.b)) >>> 0;
        acc[2] = (acc[2] + fmix32(h.c)) >>> 0;
        acc[3] = (acc[3] + fmix32(h.d)) >>> 0;
        n++;
      }
    }
  }
  return `v2:${n}:${Buffer.from(acc.buffer).toString("hex")}`;
}

/** One record's four lanes (FNV-1a steps, each lane its own seed and multiplier). */
class RecordHash {
  a = 0x811c9dc5;
  b = 0x9e3779b9;
  c = 0x85ebca6b;
  d = 0xc2b2ae35;

  private octet(x: number): void {
    this.a = Math.imul(this.a ^ x, 0x01000193);
    this.b = Math.imul(this.b ^ x, 0x0100019d);
    this.c = Math.imul(this.c ^ x, 0x010001a9);
    this.d = Math.imul(this.d ^ x, 0x010001b7);
  }

  /** The characters of `s`, those of a 4-octet serial at `zeroAt` as 0. */
  text(s: string, zeroAt = -1): void {
    for (let i = 0; i < s.length; i++) {
      let x = s.charCodeAt(i);
      if (zeroAt >= 0 && i >= zeroAt && i < zeroAt + 4) x = 0;
      this.octet(x);
    }
    this.octet(0x10000); // the end of a field, so that fields cannot run into each other
  }

  number(v: number): void {
    this.octet(v & 0xffff);
    this.octet(v >>> 16);
    this.octet(0x10000);
  }
}

/** The murmur3 32-bit finalizer: every input bit reaches every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Whether `stored` (a fingerprint kept in the data dir, either form) is this zone's. */
export function sameSource(stored: string | undefined, zone: Zone, current: string): boolean {
  if (stored === undefined) return false;
  return stored.startsWith("v2:") ? stored === current : stored === legacyFingerprint(zone);
}

/** The fingerprint data dirs written before `v2:` hold: a SHA-256 per record, summed. */
export function legacyFingerprint(zone: Zone): string {
  const acc = new Uint32Array(8);
  let n = 0;
  for (const r of zoneRecords(zone)) {
    let rdata = toLatin1(r.rdata);
    if (r.type === T.SOA && nameKey(r.name) === zone.key) {
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
