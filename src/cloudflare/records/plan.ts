/**
 * DNS-record writes as Cloudflare performs them: create, overwrite (PUT), edit (PATCH) and
 * delete, alone or in a batch, planned against a view of the zone and then committed as ONE
 * change (one new serial, one journal entry; cloudflare.md §3 "Batch").
 *
 * A plan keeps its own overlay of the names it touched, so each operation of a batch sees
 * the ones before it (a batch deletes, then patches, then puts, then posts) and the first
 * failing operation throws before anything is committed: all or nothing.
 *
 * Record identity: a record's id is derived from (zone, name, type, RDATA) (Zone.recordId),
 * so records from files have stable ids without storing any; a record whose data is edited
 * keeps its id in its Cloudflare fields (RecordMeta.id), and a new record whose derived id is
 * still held by an edited one gets a random id.
 *
 * Cloudflare's conflict rules, with its codes (cloudflare.md §3):
 * - the same name, type and content twice → 81057;
 * - A/AAAA where a CNAME is → 81054; a CNAME where anything else is → 81053;
 * - NS below the apex beside other types (DS excepted), or other types beside such NS → 81056.
 */

import { randomBytes } from "node:crypto";
import { nameKey } from "../../wire/name.js";
import { T } from "../../wire/types.js";
import {
  type Change,
  type RecordInput,
  type RecordMeta,
  type RecordRef,
  recordKey,
  type Zone,
  type ZoneRecord,
} from "../../zone/zone.js";
import {
  cnameConflict,
  hostConflict,
  nsConflict,
  recordExists,
  recordNotFound,
} from "../errors.js";
import {
  AUTO_TTL_SECONDS,
  mergeRecordBody,
  type RecordBody,
  type RecordJson,
  recordJson,
  type ValidRecord,
  validRecord,
} from "./content.js";

/** A stored record with everything the API shows of it: the zone's record and its id. */
export interface ApiRecord extends ZoneRecord {
  id: string;
}

/** The Cloudflare fields a validated record carries into the zone. */
function metaOf(
  v: ValidRecord,
  id: string | undefined,
  created: string,
  modified: string,
): RecordMeta {
  const meta: RecordMeta = { created, modified };
  if (id !== undefined) meta.id = id;
  if (v.proxied) meta.proxied = true;
  if (v.auto) meta.auto = true;
  if (v.comment !== undefined) meta.comment = v.comment;
  if (v.tags !== undefined) meta.tags = v.tags;
  if (v.settings !== undefined) meta.settings = v.settings;
  return meta;
}

/** Cloudflare JSON fields of a stored record (without id, zone and times). */
export function fieldsOf(zone: Zone, r: ApiRecord): RecordJson {
  return recordJson(zone.origin, {
    name: r.name,
    type: r.type,
    rdata: Buffer.from(r.rdata, "latin1"),
    ttl: r.ttl,
    // One TTL per RRset (RFC 2181 §5.2): "automatic" only while the set is served at 300.
    auto: r.meta?.auto === true && r.ttl === AUTO_TTL_SECONDS,
    proxied: r.meta?.proxied,
    comment: r.meta?.comment,
    tags: r.meta?.tags,
    settings: r.meta?.settings,
  });
}

/** Every record the API shows: all stored records but the apex SOA (Cloudflare's own). */
export function* apiRecords(zone: Zone): Generator<ApiRecord> {
  for (const { key, name, sets } of zone.stored()) {
    for (const set of sets) {
      if (set.type === T.SOA && key === zone.key) continue;
      for (let i = 0; i < set.size; i++) {
        const rdata = set.at(i);
        const meta = zone.meta.get(recordKey(key, set.type, rdata));
        yield {
          id: zone.recordId({ name: key, type: set.type, rdata }),
          name,
          type: set.type,
          ttl: set.ttl,
          rdata,
          ...(meta ? { meta } : {}),
        };
      }
    }
  }
}

/** The record with this id, or 81044. */
export function findApiRecord(zone: Zone, id: string): ApiRecord {
  const r = /^[0-9a-f]{32}$/.test(id) ? zone.findRecord(id) : undefined;
  if (r === undefined || (r.type === T.SOA && nameKey(r.name) === zone.key)) throw recordNotFound();
  return { id, ...r };
}

interface Slot {
  name: string;
  /** type → record key → record */
  types: Map<number, Map<string, ApiRecord>>;
}

/** The operations of one batch (Cloudflare's `POST .../dns_records/batch` body). */
export interface BatchBody {
  deletes?: Array<{ id: string }>;
  patches?: Array<RecordBody & { id: string }>;
  puts?: Array<RecordBody & { id: string }>;
  posts?: RecordBody[];
}

export class RecordPlan {
  private readonly slots = new Map<string, Slot>();
  /**
   * Records of the zone removed, and records added, by id. An edit is both: the zone's
   * record removed and the new one added under the same id.
   */
  private readonly removed = new Map<string, ApiRecord>();
  private readonly added = new Map<string, ApiRecord>();
  private readonly now: string;

  constructor(
    readonly zone: Zone,
    now: Date,
    /** When the zone's records without a time of their own were created (file records). */
    private readonly zoneCreated = now.toISOString(),
  ) {
    this.now = now.toISOString();
  }

  private slot(key: string, name: string): Slot {
    let s = this.slots.get(key);
    if (s === undefined) {
      s = { name, types: new Map() };
      for (const set of this.zone.storedSets(key)) {
        const m = new Map<string, ApiRecord>();
        for (let i = 0; i < set.size; i++) {
          const rdata = set.at(i);
          const rk = recordKey(key, set.type, rdata);
          const meta = this.zone.meta.get(rk);
          m.set(rk, {
            id: meta?.id ?? this.zone.derivedId(rk),
            name,
            type: set.type,
            ttl: set.ttl,
            rdata,
            ...(meta ? { meta } : {}),
          });
        }
        s.types.set(set.type, m);
      }
      this.slots.set(key, s);
    }
    return s;
  }

  /** The record with this id as the plan stands (81044 when it is gone or never was). */
  get(id: string): ApiRecord {
    const a = this.added.get(id);
    if (a !== undefined) return a;
    if (this.removed.has(id)) throw recordNotFound();
    return findApiRecord(this.zone, id);
  }

  delete(id: string): ApiRecord {
    const r = this.get(id);
    const key = nameKey(r.name);
    const s = this.slot(key, r.name);
    s.types.get(r.type)?.delete(recordKey(key, r.type, r.rdata));
    if (this.added.has(id)) this.added.delete(id);
    else this.removed.set(id, r);
    return r;
  }

  /** POST: a new record. */
  create(body: RecordBody): ApiRecord {
    const v = validRecord(this.zone.origin, body);
    return this.put(v, undefined, this.now);
  }

  /** PUT: the record replaced by the body, keeping its id and creation time. */
  overwrite(id: string, body: RecordBody): ApiRecord {
    const v = validRecord(this.zone.origin, body);
    const old = this.delete(id);
    return this.put(v, id, old.meta?.created ?? this.zoneCreated);
  }

  /** PATCH: the body's fields over the record's. */
  edit(id: string, body: RecordBody): ApiRecord {
    const cur = this.get(id);
    const v = validRecord(this.zone.origin, mergeRecordBody(fieldsOf(this.zone, cur), body));
    this.delete(id);
    return this.put(v, id, cur.meta?.created ?? this.zoneCreated);
  }

  private put(v: ValidRecord, keepId: string | undefined, created: string | undefined): ApiRecord {
    const key = nameKey(v.name);
    const s = this.slot(key, v.name);
    const rdata = v.rdata.toString("latin1");
    const rk = recordKey(key, v.type, rdata);
    checkConflicts(this.zone, key, s, v.type, rk);
    const derived = this.zone.derivedId(rk);
    let id = keepId ?? derived;
    if (keepId === undefined && this.taken(derived)) id = randomBytes(16).toString("hex");
    const meta = metaOf(v, id === derived ? undefined : id, created ?? this.now, this.now);
    // RFC 2181 §5.2: one TTL per RRset; the newest record's TTL applies to the whole set.
    const set = s.types.get(v.type) ?? new Map<string, ApiRecord>();
    s.types.set(v.type, set);
    const rec: ApiRecord = { id, name: v.name, type: v.type, ttl: v.ttl, rdata, meta };
    set.set(rk, rec);
    this.added.set(id, rec);
    return rec;
  }

  /** An id still held by a record of the zone (one edited since it was created) or of the plan. */
  private taken(id: string): boolean {
    if (this.added.has(id)) return true;
    if (this.removed.has(id)) return false;
    // Held by an edited record, not by the record with that data (checked as a conflict).
    return this.zone.holdsOwnId(id);
  }

  /** The plan as one change of the zone. */
  change(): Change {
    const remove: RecordRef[] = [];
    for (const r of this.removed.values())
      remove.push({ name: r.name, type: r.type, rdata: r.rdata });
    const add: RecordInput[] = [];
    for (const r of this.added.values())
      add.push({ name: r.name, type: r.type, ttl: r.ttl, rdata: r.rdata, meta: r.meta });
    return { remove, add };
  }

  get empty(): boolean {
    return this.removed.size === 0 && this.added.size === 0;
  }
}

/** Cloudflare's rules for a record of `type` joining the records at a name. */
function checkConflicts(zone: Zone, key: string, s: Slot, type: number, rk: string): void {
  const has = (t: number) => (s.types.get(t)?.size ?? 0) > 0;
  if (s.types.get(type)?.has(rk)) throw recordExists();
  const others = [...s.types].filter(([t, m]) => t !== type && m.size > 0).map(([t]) => t);
  const apex = key === zone.key;
  if ((type === T.A || type === T.AAAA) && has(T.CNAME)) throw cnameConflict();
  if (type === T.CNAME) {
    if (has(T.CNAME)) throw cnameConflict();
    // At the apex the SOA (and NS) are Cloudflare's: a CNAME there is flattened.
    const beside = others.filter((t) => !(apex && (t === T.SOA || t === T.NS)));
    if (beside.length > 0) throw hostConflict();
  }
  // Beside a CNAME only the apex's own SOA and NS may be (the apex CNAME is flattened).
  if (type !== T.CNAME && has(T.CNAME) && !(apex && type === T.NS)) throw hostConflict();
  if (!apex) {
    if (type === T.NS && others.some((t) => t !== T.DS)) throw nsConflict();
    if (type !== T.NS && type !== T.DS && has(T.NS)) throw nsConflict();
  }
}
