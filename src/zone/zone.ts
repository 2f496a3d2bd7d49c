/**
 * A zone held in memory.
 *
 * Layout: one `ZoneNode` per owner name, in a Map keyed by the lowercased name. A node holds
 * its RRsets; an RRset holds the RDATA of its records as latin1 strings (one compact string
 * per record instead of a Buffer object each, which matters at a million records) and the
 * records' numeric ids, stable for the life of the record.
 *
 * Consistency: a node's RRsets are never mutated; a change builds new nodes for the names it
 * touches and swaps them into the map in one synchronous step. A query (which runs to
 * completion synchronously) therefore always sees one version, and a zone transfer that takes
 * `snapshot()` keeps iterating the version it started with while later changes replace nodes
 * in the map. A change costs time proportional to the records it touches plus the depth of
 * their names, not to the size of the zone.
 *
 * Empty non-terminals (RFC 4592 §2.2.2) exist as nodes without RRsets: `children` counts the
 * direct child nodes, and a node without RRsets and children is removed.
 */

import { T, typeToText } from "../wire/types.js";
import { isInZone, nameKey, parentName } from "../wire/name.js";
import { soaFields } from "../wire/rdata.js";

export interface RRset {
  readonly type: number;
  readonly ttl: number;
  /** Uncompressed wire RDATA of each record, as latin1 strings. */
  readonly rdata: readonly string[];
  /** Record id of each entry of `rdata`. */
  readonly ids: readonly number[];
}

export class ZoneNode {
  /** Number of direct child nodes (which may themselves be empty non-terminals). */
  children = 0;
  constructor(
    readonly name: string,
    readonly sets: readonly RRset[],
  ) {}

  get(type: number): RRset | undefined {
    for (const s of this.sets) if (s.type === type) return s;
    return undefined;
  }
}

/** Cloudflare fields a record may carry; kept beside the DNS data, not in it. */
export interface RecordMeta {
  proxied?: boolean;
  comment?: string;
  tags?: string[];
  settings?: Record<string, unknown>;
}

/** A record as handed to a zone: RDATA as wire bytes (or the latin1 string of them). */
export interface RecordInput {
  name: string;
  type: number;
  ttl: number;
  rdata: Uint8Array | string;
  meta?: RecordMeta;
  /** Where it came from, for messages (file:line). */
  source?: string;
}

export class ZoneError extends Error {
  override name = "ZoneError";
  constructor(
    message: string,
    readonly source?: string,
  ) {
    super(message);
  }
}

export interface ZoneWarning {
  message: string;
  source?: string;
}

export interface ChangeOptions {
  /** Receives non-fatal findings (TTL unified, duplicate dropped, out-of-zone data ignored). */
  warn?: (w: ZoneWarning) => void;
}

export interface Change {
  remove?: readonly number[];
  add?: readonly RecordInput[];
}

/** Types that may share an owner name with a CNAME (RFC 2181 §10.1, RFC 4035 §2.5). */
function allowedBesideCname(type: number): boolean {
  return type === T.CNAME || type === T.RRSIG || type === T.NSEC;
}

function toLatin1(r: Uint8Array | string): string {
  return typeof r === "string" ? r : Buffer.from(r.buffer, r.byteOffset, r.byteLength).toString("latin1");
}

interface StagedNode {
  name: string;
  sets: Map<number, { ttl: number; rdata: string[]; ids: number[] }>;
  source?: string;
}

export class Zone {
  readonly origin: string;
  readonly key: string;
  /** The file the zone was loaded from, when it was. */
  file?: string;
  /** Incremented on every committed change. */
  version = 0;
  readonly meta = new Map<number, RecordMeta>();
  private readonly nodes = new Map<string, ZoneNode>();
  private nextId = 1;
  private count = 0;
  private readonly listeners: Array<() => void> = [];

  private constructor(origin: string) {
    this.origin = origin;
    this.key = nameKey(origin);
  }

  /**
   * Build a zone from records. Enforces what every authoritative server enforces at load:
   * exactly one SOA, at the apex; at least one NS at the apex; a CNAME alone at its name.
   * Records outside the origin are ignored with a warning (as BIND does).
   */
  static build(origin: string, records: Iterable<RecordInput>, opts: ChangeOptions = {}): Zone {
    const zone = new Zone(origin);
    zone.apply({ add: Array.isArray(records) ? records : [...records] }, opts);
    return zone;
  }

  /** Called after every committed change (after the new version is in place). */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  node(key: string): ZoneNode | undefined {
    return this.nodes.get(key);
  }

  get apex(): ZoneNode {
    return this.nodes.get(this.key)!;
  }

  get soa(): ReturnType<typeof soaFields> {
    const set = this.apex.get(T.SOA)!;
    return soaFields(Buffer.from(set.rdata[0], "latin1"));
  }

  get serial(): number {
    return this.soa.serial;
  }

  get recordCount(): number {
    return this.count;
  }

  /** Number of names with data or empty non-terminals. */
  get nodeCount(): number {
    return this.nodes.size;
  }

  countsByType(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const n of this.nodes.values()) {
      for (const s of n.sets) {
        const t = typeToText(s.type);
        counts[t] = (counts[t] ?? 0) + s.rdata.length;
      }
    }
    return counts;
  }

  /**
   * The current nodes, as an array that later changes do not affect (nodes are immutable
   * apart from their child count). A transfer iterates this to send one consistent version.
   */
  snapshot(): ZoneNode[] {
    return Array.from(this.nodes.values());
  }

  /**
   * Apply a change atomically: removals by id, then additions. Either everything is applied
   * (one new version) or a ZoneError is thrown and the zone is untouched. Returns the ids
   * given to the added records, in order.
   */
  apply(change: Change, opts: ChangeOptions = {}): number[] {
    const warn = opts.warn ?? (() => {});
    const staged = new Map<string, StagedNode>();
    const stage = (key: string, name: string): StagedNode => {
      let s = staged.get(key);
      if (!s) {
        const cur = this.nodes.get(key);
        s = { name: cur?.name ?? name, sets: new Map() };
        if (cur) {
          for (const set of cur.sets) {
            s.sets.set(set.type, { ttl: set.ttl, rdata: [...set.rdata], ids: [...set.ids] });
          }
        }
        staged.set(key, s);
      }
      return s;
    };

    let removed = 0;
    if (change.remove && change.remove.length > 0) {
      const wanted = new Set(change.remove);
      // Finding records by id scans the zone; callers that remove often keep an index.
      for (const [key, node] of this.nodes) {
        for (const set of node.sets) {
          for (const id of set.ids) {
            if (wanted.has(id)) {
              const s = stage(key, node.name).sets.get(set.type)!;
              const i = s.ids.indexOf(id);
              s.ids.splice(i, 1);
              s.rdata.splice(i, 1);
              wanted.delete(id);
              removed++;
            }
          }
        }
      }
      if (wanted.size > 0) throw new ZoneError(`no record with id ${[...wanted][0]} in ${this.origin}`);
    }

    const newIds: number[] = [];
    const newMeta: Array<[number, RecordMeta]> = [];
    let added = 0;
    let nextId = this.nextId;
    for (const r of change.add ?? []) {
      const key = nameKey(r.name);
      if (!isInZone(key, this.key)) {
        warn({ message: `ignoring out-of-zone data (${r.name})`, source: r.source });
        newIds.push(0);
        continue;
      }
      const node = stage(key, r.name);
      node.source ??= r.source;
      const rdata = toLatin1(r.rdata);
      let set = node.sets.get(r.type);
      if (!set) {
        set = { ttl: r.ttl, rdata: [], ids: [] };
        node.sets.set(r.type, set);
      } else {
        if (set.rdata.includes(rdata)) {
          // RFC 2181 §5: an RRset has no duplicate records; the copy collapses into one.
          warn({ message: `duplicate ${typeToText(r.type)} record at ${r.name} ignored`, source: r.source });
          newIds.push(set.ids[set.rdata.indexOf(rdata)]);
          continue;
        }
        if (set.ttl !== r.ttl) {
          // RFC 2181 §5.2: all TTLs of an RRset are equal; like BIND, keep the first one.
          warn({
            message: `${typeToText(r.type)} at ${r.name}: TTL ${r.ttl} set to prior TTL ${set.ttl}`,
            source: r.source,
          });
        }
      }
      const id = nextId++;
      set.rdata.push(rdata);
      set.ids.push(id);
      newIds.push(id);
      if (r.meta) newMeta.push([id, r.meta]);
      added++;
    }

    for (const [key, s] of staged) this.validateNode(key, s);

    // Commit: nothing below may throw.
    this.nextId = nextId;
    for (const [key, s] of staged) {
      const sets: RRset[] = [];
      for (const [type, v] of s.sets) {
        if (v.rdata.length > 0) sets.push({ type, ttl: v.ttl, rdata: v.rdata, ids: v.ids });
      }
      this.replaceNode(key, s.name, sets);
    }
    for (const id of change.remove ?? []) this.meta.delete(id);
    for (const [id, m] of newMeta) this.meta.set(id, m);
    this.count += added - removed;
    this.version++;
    for (const fn of this.listeners) fn();
    return newIds;
  }

  private validateNode(key: string, s: StagedNode): void {
    const where = s.source;
    const types = [...s.sets].filter(([, v]) => v.rdata.length > 0).map(([t]) => t);
    const isApex = key === this.key;
    if (isApex) {
      const soa = s.sets.get(T.SOA);
      if (!soa || soa.rdata.length === 0) throw new ZoneError(`${this.origin}: no SOA record at the zone apex`, where);
      if (soa.rdata.length > 1) throw new ZoneError(`${this.origin}: more than one SOA record at the zone apex`, where);
      const ns = s.sets.get(T.NS);
      if (!ns || ns.rdata.length === 0) throw new ZoneError(`${this.origin}: no NS records at the zone apex`, where);
    } else if (types.includes(T.SOA)) {
      throw new ZoneError(`${s.name}: SOA record not at the top of zone ${this.origin}`, where);
    }
    const cname = s.sets.get(T.CNAME);
    if (cname && cname.rdata.length > 0) {
      if (cname.rdata.length > 1) throw new ZoneError(`${s.name}: more than one CNAME record`, where);
      if (types.some((t) => !allowedBesideCname(t))) {
        throw new ZoneError(`${s.name}: CNAME and other data at the same name (RFC 1034 §3.6.2)`, where);
      }
    }
    const dname = s.sets.get(T.DNAME);
    if (dname && dname.rdata.length > 1) throw new ZoneError(`${s.name}: more than one DNAME record (RFC 6672 §2.4)`, where);
  }

  /** Swap in a node with new RRsets, keeping the empty-non-terminal structure right. */
  private replaceNode(key: string, name: string, sets: RRset[]): void {
    const cur = this.nodes.get(key);
    if (sets.length === 0) {
      if (!cur) return;
      if (cur.children > 0) {
        const ent = new ZoneNode(cur.name, []);
        ent.children = cur.children;
        this.nodes.set(key, ent);
      } else {
        this.removeEmpty(key);
      }
      return;
    }
    const node = new ZoneNode(cur?.name ?? name, sets);
    if (cur) {
      node.children = cur.children;
      this.nodes.set(key, node);
      return;
    }
    this.nodes.set(key, node);
    this.linkParents(key, name);
  }

  /** A new node was created: make sure every ancestor up to the apex exists. */
  private linkParents(key: string, name: string): void {
    let k = key;
    let n = name;
    while (k !== this.key) {
      const pk = parentName(k);
      const pn = parentName(n);
      const parent = this.nodes.get(pk);
      if (parent) {
        parent.children++;
        return;
      }
      const ent = new ZoneNode(pn, []);
      ent.children = 1;
      this.nodes.set(pk, ent);
      k = pk;
      n = pn;
    }
  }

  /** Remove a node that has neither data nor children, and ancestors left empty by it. */
  private removeEmpty(key: string): void {
    let k = key;
    while (k !== this.key) {
      this.nodes.delete(k);
      const pk = parentName(k);
      const parent = this.nodes.get(pk);
      if (!parent) return;
      parent.children--;
      if (parent.children > 0 || parent.sets.length > 0) return;
      k = pk;
    }
  }
}
