/**
 * A zone held in memory.
 *
 * Layout: one immutable `ZoneNode` per owner name in a Map keyed by the lowercased name; a
 * node holds its RRsets, an RRset the RDATA of its records (rrset.ts has the compact layout).
 *
 * Consistency: a change builds new nodes for the names it touches and swaps them into the map
 * in one synchronous step. A query runs to completion synchronously, so it always sees one
 * version; a zone transfer that takes `snapshot()` keeps iterating the version it started
 * with while later changes replace nodes in the map. A change costs time proportional to the
 * records it touches and the depth of their names, not to the size of the zone.
 *
 * Empty non-terminals (RFC 4592 §2.2.2) exist as nodes without RRsets: `children` counts the
 * direct child nodes, and a node without RRsets and children is removed.
 *
 * Rendering (render.ts): the nodes hold what is served, computed from the stored records by
 * the zone's renderer at every change; where that differs from what is stored, the stored
 * RRsets are kept beside it (`storedSets`). With the default renderer they are the same
 * objects, so a plain zone pays nothing for the distinction.
 *
 * Records have no stored id: a record is identified by (name, type, RDATA), which RFC 2181 §5
 * makes unique, and its id is derived from that (stable across restarts for the same data).
 * Cloudflare fields live in a sparse side table, so a zone file of plain records pays nothing
 * for them.
 */

import { createHash } from "node:crypto";
import { isInZone, nameKey, parentName } from "../wire/name.js";
import { soaFields } from "../wire/rdata.js";
import { T, typeToText } from "../wire/types.js";
import {
  type Changeset,
  Journal,
  type JournalLimits,
  type RR,
  soaSerialOf,
  withSoaSerial,
} from "./journal.js";
import { RecordIdIndex } from "./record-ids.js";
import { asStored, type RenderContext, type Renderer } from "./render.js";
import { RRset, ZoneNode } from "./rrset.js";
import { serialNext } from "./serial.js";

export { RRset, ZoneNode };

/** Cloudflare fields a record may carry; kept beside the DNS data, not in it. */
export interface RecordMeta {
  proxied?: boolean;
  comment?: string;
  tags?: string[];
  settings?: Record<string, unknown>;
  /** The TTL was given as 1, "automatic" (served as 300). */
  auto?: boolean;
  /**
   * The record's id when it is not the derived one: a record whose data was edited keeps the
   * id it was created with.
   */
  id?: string;
  /** ISO times of creation and last edit, when known (records from files have none). */
  created?: string;
  modified?: string;
}

/** Identifies one record. `rdata` is the uncompressed wire RDATA (or its latin1 string). */
export interface RecordRef {
  name: string;
  type: number;
  rdata: Uint8Array | string;
}

/** A record as handed to a zone. */
export interface RecordInput extends RecordRef {
  ttl: number;
  meta?: RecordMeta;
  /** Where it came from, for messages (file:line). */
  source?: string;
  /**
   * Where it came from when `source` is not given (a zone file's parsed record): made into
   * `file:line` only when a message needs it, since a million-record file would otherwise
   * build a million strings that are never read.
   */
  at?: { file: string; line: number };
}

/** A record's `file:line` for a message. */
function sourceOf(r: RecordInput): string | undefined {
  return r.source ?? (r.at ? `${r.at.file}:${r.at.line}` : undefined);
}

/** A renderer, or one made for the zone once its records are in (to seed its settings). */
export type RendererOption = Renderer | ((zone: Zone) => Renderer);

/** The parts of a `recordKey()`. */
export function splitRecordKey(rk: string): [key: string, type: number, rdata: string] {
  const a = rk.indexOf("\0");
  const b = rk.indexOf("\0", a + 1);
  return [rk.slice(0, a), Number(rk.slice(a + 1, b)), rk.slice(b + 1)];
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
  /**
   * Render every name again, not only the changed ones: the renderer's settings changed
   * (Cloudflare's multi-provider, CNAME flattening, anycast addresses). A function: only the
   * names holding a record whose Cloudflare fields it accepts, and the names rendered from
   * other names (a setting that concerns proxied records only, in a zone of a million).
   */
  rerender?: boolean | ((meta: RecordMeta) => boolean);
  /**
   * Refuse (ZoneError, nothing changed) a change that would leave the zone with more records
   * than this. A change that does not add records is always allowed.
   */
  maxRecords?: number;
}

/**
 * A record as the zone holds it: the stored view (what was configured, before rendering),
 * RDATA as the latin1 string the RRset keeps, Cloudflare fields from the side table.
 */
export interface ZoneRecord extends RecordRef {
  ttl: number;
  /** Uncompressed wire RDATA as a latin1 string. */
  rdata: string;
  meta?: RecordMeta;
}

export interface Change {
  remove?: readonly RecordRef[];
  add?: readonly RecordInput[];
}

/** How the transferred records changed (what a secondary must be told). */
export interface ServedDiff {
  removed: RR[];
  added: RR[];
}

/** Add to `diff` what differs between two versions of a served node (RFC 1995 semantics). */
function diffNode(
  before: ZoneNode | undefined,
  after: ZoneNode | undefined,
  diff: ServedDiff,
): void {
  const b = before?.sets ?? [];
  const a = after?.sets ?? [];
  const name = after?.name ?? before?.name ?? "";
  for (const old of b) {
    const now = a.find((x) => x.type === old.type);
    for (const rd of old.rdata) {
      // A changed TTL replaces the whole RRset: remove every record with the old TTL.
      if (!now || now.ttl !== old.ttl || !now.has(rd))
        diff.removed.push({ name, type: old.type, ttl: old.ttl, rdata: rd });
    }
  }
  for (const now of a) {
    const old = b.find((x) => x.type === now.type);
    for (const rd of now.rdata) {
      if (!old || old.ttl !== now.ttl || !old.has(rd))
        diff.added.push({ name, type: now.type, ttl: now.ttl, rdata: rd });
    }
  }
}

/** Types that may share an owner name with a CNAME (RFC 2181 §10.1, RFC 4035 §2.5). */
function allowedBesideCname(type: number): boolean {
  return type === T.CNAME || type === T.RRSIG || type === T.NSEC;
}

export function toLatin1(r: Uint8Array | string): string {
  if (typeof r === "string") return r;
  // A Buffer (what the parser gives) converts itself, without a second view object per record.
  if (Buffer.isBuffer(r)) return r.toString("latin1");
  return Buffer.from(r.buffer, r.byteOffset, r.byteLength).toString("latin1");
}

/** Key of a record in side tables: name key, type and RDATA (unique per RFC 2181 §5). */
export function recordKey(name: string, type: number, rdata: string): string {
  return `${nameKey(name)}\0${type}\0${rdata}`;
}

/** A name's served and transferred RRsets, and whether rendering them read other names. */
interface Views {
  served: readonly RRset[];
  transferred: readonly RRset[];
  dependent: boolean;
}

interface StagedSet {
  type: number;
  ttl: number;
  rdata: string[];
}

/** A name being changed: its RRsets as they will be. */
interface StagedNode {
  name: string;
  sets: StagedSet[];
  source?: string;
}

function stagedSet(node: StagedNode, type: number): StagedSet | undefined {
  for (const s of node.sets) if (s.type === type) return s;
  return undefined;
}

export class Zone {
  readonly origin: string;
  readonly key: string;
  /** The file the zone was loaded from, when it was. */
  file?: string;
  /**
   * A digest of the text the zone was last loaded or reloaded from (source-digest.ts): the
   * store keeps it, to tell at the next start whether the file changed.
   */
  sourceDigest?: string;
  /** Incremented on every committed change. */
  version = 0;
  /** Changesets for IXFR (see journal.ts). */
  readonly journal: Journal;
  /** Cloudflare fields by `recordKey()`. */
  readonly meta = new Map<string, RecordMeta>();
  /** Served nodes: what the renderer made of the stored records (see render.ts). */
  private readonly nodes = new Map<string, ZoneNode>();
  /**
   * The parent linkParents() found last, and its key: the names of a zone file come in order,
   * so most new names have the parent of the name before, and a lookup in a map of a million
   * names is a cache miss. Always `nodes.get(lastParentKey)`: every change to `nodes` keeps it so.
   */
  private lastParentKey = "";
  private lastParent: ZoneNode | undefined;
  /** Stored RRsets of the names where rendering changed something (elsewhere: the nodes). */
  private readonly storedOverride = new Map<string, readonly RRset[]>();
  /** Transferred nodes where they differ from the served ones (records withheld). */
  private readonly transferOverride = new Map<string, ZoneNode>();
  /** Names whose rendering looked at other names (flattened CNAMEs): rendered after every change. */
  private readonly dependents = new Set<string>();
  /** Where each record id is held (record-ids.ts), built on the first lookup by id and kept up to date after. */
  private idIndex?: RecordIdIndex;
  /** Ids records carry of their own (RecordMeta.id: edited since created), always kept. */
  private readonly ownIds = new Set<string>();
  private count = 0;
  private readonly listeners: Array<() => void> = [];
  private rules: Renderer;
  /** While a change is applied: the stored RRsets as they will be, by name key. */
  private staging?: Map<string, { sets: Array<{ type: number; ttl: number; rdata: string[] }> }>;
  private dependent = false;
  private readonly renderCtx: RenderContext;

  constructor(
    origin: string,
    renderer: Renderer = asStored,
    journalLimits: Partial<JournalLimits> = {},
  ) {
    this.journal = new Journal(journalLimits);
    this.origin = origin;
    this.key = nameKey(origin);
    this.rules = renderer;
    let at = "";
    this.renderCtx = {
      origin: this.origin,
      // Most zones from files have no Cloudflare fields at all: no key to build then.
      meta: (type, rdata) =>
        this.meta.size === 0 ? undefined : this.meta.get(recordKey(at, type, rdata)),
      metaAt: (key, type, rdata) =>
        this.meta.size === 0 ? undefined : this.meta.get(recordKey(key, type, rdata)),
      storedAt: (key) => {
        const s = this.staging?.get(key);
        if (s === undefined) return this.storedSets(key);
        return s.sets
          .filter((v) => v.rdata.length > 0)
          .map((v) => RRset.of(v.type, v.ttl, v.rdata));
      },
      dependsOnOthers: () => {
        this.dependent = true;
      },
    };
    this.ctxAt = (name: string) => {
      at = name;
      return this.renderCtx;
    };
  }

  private readonly ctxAt: (name: string) => RenderContext;

  get renderer(): Renderer {
    return this.rules;
  }

  /**
   * Build a zone from records. Enforces what every authoritative server enforces at load:
   * exactly one SOA, at the apex; at least one NS at the apex; a CNAME alone at its name.
   * Records outside the origin are ignored with a warning (as BIND does).
   */
  static build(
    origin: string,
    records: Iterable<RecordInput>,
    opts: ChangeOptions & { renderer?: RendererOption } = {},
  ): Zone {
    const b = new ZoneBuilder(origin, opts);
    for (const r of records) b.add(r);
    return b.finish();
  }

  /** Called after every committed change (after the new version is in place). */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** The served node at a name (a lowercased canonical name). */
  node(key: string): ZoneNode | undefined {
    return this.nodes.get(key);
  }

  /** The RRsets stored at a name, as records were added (before rendering). */
  storedSets(key: string): readonly RRset[] {
    return this.storedOverride.get(key) ?? this.nodes.get(key)?.sets ?? [];
  }

  /** The RRsets a zone transfer carries at a name. */
  transferSets(key: string): readonly RRset[] {
    return (this.transferOverride.get(key) ?? this.nodes.get(key))?.sets ?? [];
  }

  get apex(): ZoneNode {
    return this.nodes.get(this.key)!;
  }

  get soa(): ReturnType<typeof soaFields> {
    return soaFields(Buffer.from(this.apex.get(T.SOA)!.at(0), "latin1"));
  }

  get serial(): number {
    return this.soa.serial;
  }

  get recordCount(): number {
    return this.count;
  }

  /** Number of names with data, plus empty non-terminals. */
  get nodeCount(): number {
    return this.nodes.size;
  }

  /** Stored records per type. */
  countsByType(): Record<string, number> {
    // By type number first, over stored() (which reads each node once): a start prints this
    // for every zone.
    const byType = new Map<number, number>();
    for (const { sets } of this.stored())
      for (const set of sets) byType.set(set.type, (byType.get(set.type) ?? 0) + set.size);
    const counts: Record<string, number> = {};
    for (const [type, n] of byType) counts[typeToText(type)] = n;
    return counts;
  }

  /**
   * The id of a record: the one it was created with when its data was edited since, else
   * derived from the zone and the record's identity (stable across restarts for the same data).
   */
  recordId(ref: RecordRef): string {
    const rk = recordKey(ref.name, ref.type, toLatin1(ref.rdata));
    return this.meta.get(rk)?.id ?? this.derivedId(rk);
  }

  /** The id a record with this key gets when it carries none of its own. */
  derivedId(rk: string): string {
    return createHash("sha1").update(`${this.key}\0${rk}`, "latin1").digest("hex").slice(0, 32);
  }

  /** @internal used by ZoneBuilder: a record's Cloudflare fields. */
  setMeta(rk: string, m: RecordMeta): void {
    this.meta.set(rk, m);
    if (m.id !== undefined) this.ownIds.add(m.id);
  }

  /** Whether a record carries this id as its own (one edited since it was created). */
  holdsOwnId(id: string): boolean {
    return this.ownIds.has(id);
  }

  /** The stored record with this id, if any. */
  findRecord(id: string): ZoneRecord | undefined {
    if (this.idIndex === undefined) {
      const index = new RecordIdIndex();
      for (const { key, sets } of this.stored()) {
        for (const set of sets) {
          for (let i = 0; i < set.size; i++) {
            const rk = recordKey(key, set.type, set.at(i));
            index.add(this.meta.get(rk)?.id ?? this.derivedId(rk), key);
          }
        }
      }
      this.idIndex = index;
    }
    // The index names the candidates; the record is the one whose id this is.
    for (const key of this.idIndex.keysFor(id)) {
      for (const set of this.storedSets(key)) {
        for (let i = 0; i < set.size; i++) {
          const rdata = set.at(i);
          const rk = recordKey(key, set.type, rdata);
          const meta = this.meta.get(rk);
          if ((meta?.id ?? this.derivedId(rk)) !== id) continue;
          return {
            name: this.nodes.get(key)?.name ?? key,
            type: set.type,
            ttl: set.ttl,
            rdata,
            ...(meta ? { meta } : {}),
          };
        }
      }
    }
    return undefined;
  }

  /** The nodes a zone transfer sends, as `snapshot()` (records withheld from transfers left out). */
  transferSnapshot(): ZoneNode[] {
    if (this.transferOverride.size === 0) return this.snapshot();
    const out: ZoneNode[] = [];
    for (const [key, node] of this.nodes) out.push(this.transferOverride.get(key) ?? node);
    return out;
  }

  /**
   * The current nodes, as an array that later changes do not affect (nodes are immutable
   * apart from their child count). A transfer iterates this to send one consistent version.
   */
  snapshot(): ZoneNode[] {
    return Array.from(this.nodes.values());
  }

  /**
   * Apply a change atomically: removals, then additions. Either everything is applied (one
   * new version) or a ZoneError is thrown and the zone is untouched. Returns how the served
   * records changed (what a secondary must be told). The serial is left alone: `commit()` is
   * the path that versions the zone.
   */
  apply(change: Change, opts: ChangeOptions = {}): ServedDiff {
    const warn = opts.warn ?? (() => {});
    const staged = new Map<string, StagedNode>();
    const stage = (key: string, name: string): StagedNode => {
      let s = staged.get(key);
      if (!s) {
        const cur = this.nodes.get(key);
        s = { name: cur?.name ?? name, sets: [] };
        for (const set of this.storedSets(key)) {
          s.sets.push({ type: set.type, ttl: set.ttl, rdata: [...set.rdata] });
        }
        staged.set(key, s);
      }
      return s;
    };

    let delta = 0;
    const removedKeys: string[] = [];
    for (const r of change.remove ?? []) {
      const key = nameKey(r.name);
      const rdata = toLatin1(r.rdata);
      const known = staged.has(key) || this.storedSets(key).length > 0;
      const set = known ? stagedSet(stage(key, r.name), r.type) : undefined;
      const i = set ? set.rdata.indexOf(rdata) : -1;
      if (!set || i < 0)
        throw new ZoneError(`no ${typeToText(r.type)} record at ${r.name} with that data`);
      set.rdata.splice(i, 1);
      removedKeys.push(recordKey(r.name, r.type, rdata));
      delta--;
    }

    const newMeta: Array<[string, RecordMeta]> = [];
    for (const r of change.add ?? []) {
      const key = nameKey(r.name);
      if (!isInZone(key, this.key))
        throw new ZoneError(`${r.name} is not in zone ${this.origin}`, r.source);
      const rdata = toLatin1(r.rdata);
      const node = stage(key, r.name);
      node.source ??= r.source;
      const set = stagedSet(node, r.type);
      if (!set) {
        node.sets.push({ type: r.type, ttl: r.ttl, rdata: [rdata] });
      } else {
        if (set.rdata.includes(rdata)) {
          throw new ZoneError(
            `${r.name}: the ${typeToText(r.type)} record already exists`,
            r.source,
          );
        }
        if (set.ttl !== r.ttl) {
          // RFC 2181 §5.2: all TTLs of an RRset are equal; the newest one applies to all.
          warn({
            message: `${typeToText(r.type)} at ${r.name}: TTL of the RRset set to ${r.ttl}`,
            source: r.source,
          });
          set.ttl = r.ttl;
        }
        set.rdata.push(rdata);
      }
      if (r.meta) newMeta.push([recordKey(r.name, r.type, rdata), r.meta]);
      delta++;
    }

    for (const [key, s] of staged) {
      validateNode(
        this,
        key,
        s.name,
        s.source,
        (type) => stagedSet(s, type)?.rdata.length ?? 0,
        (pred) => s.sets.some((v) => v.rdata.length > 0 && pred(v.type)),
      );
    }

    if (opts.maxRecords !== undefined && delta > 0 && this.count + delta > opts.maxRecords) {
      throw new ZoneError(
        `zone ${this.origin} would hold ${this.count + delta} records, over the limit of ${opts.maxRecords}`,
      );
    }

    // Commit: nothing below may throw. Record fields first: rendering may read them.
    const index = this.idIndex;
    for (const k of removedKeys) {
      const own = this.meta.get(k)?.id;
      if (own !== undefined) this.ownIds.delete(own);
      index?.remove(own ?? this.derivedId(k), splitRecordKey(k)[0]);
      this.meta.delete(k);
    }
    for (const [k, m] of newMeta) {
      this.meta.set(k, m);
      if (m.id !== undefined) this.ownIds.add(m.id);
    }
    if (index !== undefined) {
      for (const r of change.add ?? []) {
        const rk = recordKey(r.name, r.type, toLatin1(r.rdata));
        index.add(r.meta?.id ?? this.derivedId(rk), nameKey(r.name));
      }
    }
    const diff: ServedDiff = { removed: [], added: [] };
    const render = (key: string, name: string, sets: readonly RRset[]) => {
      const before = this.transferNode(key);
      this.putRendered(key, name, sets);
      diffNode(before, this.transferNode(key), diff);
    };
    this.staging = staged;
    try {
      for (const [key, s] of staged) {
        const sets: RRset[] = [];
        for (const v of s.sets) if (v.rdata.length > 0) sets.push(RRset.of(v.type, v.ttl, v.rdata));
        render(key, s.name, sets);
      }
    } finally {
      this.staging = undefined;
    }
    // Names rendered from other names (flattened CNAMEs) follow the change of their targets;
    // with `rerender`, every name follows new renderer settings.
    const again =
      opts.rerender === true
        ? [...this.stored()].map((x) => x.key)
        : typeof opts.rerender === "function"
          ? [...new Set([...this.keysWithMeta(opts.rerender), ...this.dependents])]
          : [...this.dependents];
    for (const key of again) {
      if (staged.has(key) && !this.dependents.has(key)) continue;
      const sets = this.storedSets(key);
      if (sets.length > 0) render(key, this.nodes.get(key)?.name ?? key, sets);
    }
    this.count += delta;
    this.committed();
    return diff;
  }

  /** The names (keys) holding a record whose Cloudflare fields `which` accepts. */
  private keysWithMeta(which: (meta: RecordMeta) => boolean): Set<string> {
    const keys = new Set<string>();
    for (const [rk, m] of this.meta) if (which(m)) keys.add(rk.slice(0, rk.indexOf("\0")));
    return keys;
  }

  /** The node a transfer sends at a name (undefined where nothing is served). */
  private transferNode(key: string): ZoneNode | undefined {
    return this.transferOverride.get(key) ?? this.nodes.get(key);
  }

  /**
   * The one path by which a zone changes once it is served: apply the change atomically,
   * give the zone the next serial (RFC 1982, skipping 0) and record the changeset in the
   * journal for IXFR. An SOA record in `change.add` replaces the SOA's other fields; its
   * serial is ignored, as Cloudflare owns the serial. Returns the changeset.
   */
  commit(change: Change, opts: ChangeOptions = {}): Changeset {
    const soaSet = this.apex.get(T.SOA)!;
    const oldSoa = this.storedSets(this.key)
      .find((x) => x.type === T.SOA)!
      .at(0);
    const isApexSoa = (r: RecordRef) => r.type === T.SOA && nameKey(r.name) === this.key;
    const newFields = change.add?.find(isApexSoa);
    const serial = serialNext(soaSerialOf(oldSoa));
    const newSoa = withSoaSerial(newFields ? toLatin1(newFields.rdata) : oldSoa, serial);
    const diff = this.apply(
      {
        remove: [
          ...(change.remove ?? []).filter((r) => !isApexSoa(r)),
          { name: this.origin, type: T.SOA, rdata: oldSoa },
        ],
        add: [
          ...(change.add ?? []).filter((r) => !isApexSoa(r)),
          { name: this.origin, type: T.SOA, ttl: newFields?.ttl ?? soaSet.ttl, rdata: newSoa },
        ],
      },
      opts,
    );
    const notSoa = (r: RR) => !(r.type === T.SOA && nameKey(r.name) === this.key);
    const served = this.apex.get(T.SOA)!;
    const cs: Changeset = {
      soaFrom: diff.removed.find((r) => !notSoa(r)) ?? {
        name: this.origin,
        type: T.SOA,
        ttl: soaSet.ttl,
        rdata: soaSet.at(0),
      },
      soaTo: { name: this.apex.name, type: T.SOA, ttl: served.ttl, rdata: served.at(0) },
      removed: diff.removed.filter(notSoa),
      added: diff.added.filter(notSoa),
    };
    this.journal.append(cs);
    return cs;
  }

  /**
   * @internal Render stored RRsets and swap in the served node; keep the stored ones if they
   * differ, and the transferred ones if they differ from the served.
   */
  putRendered(key: string, name: string, stored: readonly RRset[]): void {
    this.place(key, name, stored, this.views(name, stored));
  }

  /** What a name's stored RRsets render to; notes whether the rendering read other names. */
  private views(name: string, stored: readonly RRset[]): Views {
    this.dependent = false;
    if (stored.length === 0 || this.rules === asStored) {
      return { served: stored, transferred: stored, dependent: false };
    }
    const ctx = this.ctxAt(name);
    const served = this.rules.render(name, stored, ctx);
    const transferred = this.rules.transfer ? this.rules.transfer(name, served, ctx) : served;
    return { served, transferred, dependent: this.dependent };
  }

  /** Swap in a name's views, keeping the stored and transferred RRsets only where they differ. */
  private place(key: string, name: string, stored: readonly RRset[], v: Views): void {
    if (v.dependent) this.dependents.add(key);
    else this.dependents.delete(key);
    if (v.served === stored) this.storedOverride.delete(key);
    else this.storedOverride.set(key, stored);
    this.putNode(key, name, v.served);
    if (v.transferred === v.served) this.transferOverride.delete(key);
    else this.transferOverride.set(key, ZoneNode.withSets(name, v.transferred));
  }

  /** @internal used by ZoneBuilder: serve the zone through another renderer. */
  useRenderer(renderer: Renderer): void {
    this.rules = renderer;
    // Walk the map without copying it (a million names): names whose rendering changes are
    // collected and placed after the walk, as placing them may add or remove nodes. The
    // usual name renders as stored, so its node stays (no copy of a big zone).
    const changed: Array<[key: string, name: string, stored: readonly RRset[], v: Views]> = [];
    for (const [key, sets] of this.storedOverride) {
      const name = this.nodes.get(key)?.name ?? key;
      changed.push([key, name, sets, this.views(name, sets)]);
    }
    for (const [key, node] of this.nodes) {
      if (node.empty || this.storedOverride.has(key)) continue;
      const sets = node.sets;
      const v = this.views(node.name, sets);
      if (v.served !== sets || v.transferred !== v.served || v.dependent)
        changed.push([key, node.name, sets, v]);
    }
    for (const [key, name, sets, v] of changed) this.place(key, name, sets, v);
  }

  /** @internal used by ZoneBuilder */
  committed(): void {
    this.version++;
    for (const fn of this.listeners) fn();
  }

  /** @internal used by ZoneBuilder: set the record count after a bulk build. */
  setCount(n: number): void {
    this.count = n;
  }

  /** @internal Swap in a node with new RRsets, keeping the empty-non-terminal structure right. */
  putNode(key: string, name: string, sets: readonly RRset[]): void {
    const cur = this.nodes.get(key);
    if (sets.length === 0) {
      if (!cur) return;
      if (cur.children > 0) {
        const ent = ZoneNode.withSets(cur.name, []);
        ent.children = cur.children;
        this.nodes.set(key, ent);
        if (key === this.lastParentKey) this.lastParent = ent;
      } else {
        this.removeEmpty(key);
      }
      return;
    }
    const node = ZoneNode.withSets(cur?.name ?? name, sets);
    if (cur) {
      node.children = cur.children;
      this.nodes.set(key, node);
      if (key === this.lastParentKey) this.lastParent = node;
      return;
    }
    this.nodes.set(key, node);
    this.linkParents(key, name);
  }

  /** putNode() for a name known not to be in the zone (a bulk build): one map operation less. */
  addNode(key: string, node: ZoneNode): void {
    this.nodes.set(key, node);
    this.linkParents(key, node.name);
  }

  /** @internal every node, for validation after a bulk build */
  entries(): IterableIterator<[string, ZoneNode]> {
    return this.nodes.entries();
  }

  /** Every name with stored records: its key, its name and the stored RRsets. */
  *stored(): Generator<{ key: string; name: string; sets: readonly RRset[] }> {
    // The node at hand, not a second lookup of its key (a million of them in a reload's diff).
    for (const [key, node] of this.nodes) {
      const override = this.storedOverride.size > 0 ? this.storedOverride.get(key) : undefined;
      const sets = override ?? node.sets;
      if (sets.length > 0) yield { key, name: node.name, sets };
    }
    for (const [key, sets] of this.storedOverride) {
      // Every record rendered away: no served node keeps the name's case.
      if (!this.nodes.has(key)) yield { key, name: key, sets };
    }
  }

  /** A new node was created: make sure every ancestor up to the apex exists. */
  private linkParents(key: string, name: string): void {
    let k = key;
    let n = name;
    while (k !== this.key) {
      const pk = parentName(k);
      if (pk === this.lastParentKey) {
        this.lastParent!.children++;
        return;
      }
      const parent = this.nodes.get(pk);
      if (parent) {
        parent.children++;
        this.lastParentKey = pk;
        this.lastParent = parent;
        return;
      }
      const pn = parentName(n);
      const ent = ZoneNode.withSets(pn, []);
      ent.children = 1;
      this.nodes.set(pk, ent);
      k = pk;
      n = pn;
    }
  }

  /** Remove a node that has neither data nor children, and ancestors left empty by it. */
  private removeEmpty(key: string): void {
    this.lastParentKey = "";
    this.lastParent = undefined;
    let k = key;
    while (k !== this.key) {
      this.nodes.delete(k);
      const pk = parentName(k);
      const parent = this.nodes.get(pk);
      if (!parent) return;
      parent.children--;
      if (parent.children > 0 || !parent.empty) return;
      k = pk;
    }
  }
}

/** The rules every name must satisfy, whatever built it. */
function validateNode(
  zone: Zone,
  key: string,
  name: string,
  where: string | undefined,
  count: (type: number) => number,
  some: (pred: (type: number) => boolean) => boolean,
  ownsApexNs = zone.renderer.ownsApexNs === true,
): void {
  const apex = key === zone.key;
  // Cloudflare makes the apex NS itself and flattens an apex CNAME (render.ts).
  const ownsApex = apex && ownsApexNs;
  if (apex) {
    const soa = count(T.SOA);
    if (soa === 0) throw new ZoneError(`${zone.origin}: no SOA record at the zone apex`, where);
    if (soa > 1)
      throw new ZoneError(`${zone.origin}: more than one SOA record at the zone apex`, where);
    if (count(T.NS) === 0 && !ownsApex)
      throw new ZoneError(`${zone.origin}: no NS records at the zone apex`, where);
  } else if (count(T.SOA) > 0) {
    throw new ZoneError(`${name}: SOA record not at the top of zone ${zone.origin}`, where);
  }
  const cname = count(T.CNAME);
  if (cname > 0) {
    if (cname > 1) throw new ZoneError(`${name}: more than one CNAME record`, where);
    const beside = ownsApex
      ? (t: number) => !allowedBesideCname(t) && t !== T.SOA && t !== T.NS
      : (t: number) => !allowedBesideCname(t);
    if (some(beside)) {
      throw new ZoneError(
        `${name}: CNAME and other data at the same name (RFC 1034 §3.6.2)`,
        where,
      );
    }
  }
  if (count(T.DNAME) > 1)
    throw new ZoneError(`${name}: more than one DNAME record (RFC 6672 §2.4)`, where);
}

/**
 * Builds a zone record by record, as a parser produces them, straight into the final compact
 * nodes: no intermediate copy of the zone exists, which keeps loading a million-record file
 * fast and its peak memory close to the zone's own size. Rules are checked in `finish()`.
 */
export class ZoneBuilder {
  private readonly zone: Zone;
  private readonly warn: (w: ZoneWarning) => void;
  private count = 0;
  /** Where each name was first seen, only kept for names whose rules are checked later. */
  private readonly firstSource = new Map<string, string | undefined>();
  /** Where the first record was read: a zone without SOA is reported there. */
  private firstRecordSource: string | undefined;

  private readonly renderer?: RendererOption;
  private readonly ownsApexNs: boolean;

  constructor(
    origin: string,
    opts: ChangeOptions & {
      renderer?: RendererOption;
      journalLimits?: Partial<JournalLimits>;
      /**
       * Check the apex as a renderer that makes the apex NS would (render.ts), without one:
       * a reload builds the file's records as stored, and must accept what the first load did.
       */
      ownsApexNs?: boolean;
    } = {},
  ) {
    // Built as stored; the renderer is applied in finish(), when every record is in.
    this.zone = new Zone(origin, asStored, opts.journalLimits);
    this.renderer = opts.renderer;
    this.ownsApexNs = opts.ownsApexNs === true;
    this.warn = opts.warn ?? (() => {});
  }

  add(r: RecordInput): void {
    const zone = this.zone;
    const key = nameKey(r.name);
    if (!isInZone(key, zone.key)) {
      this.warn({ message: `ignoring out-of-zone data (${r.name})`, source: sourceOf(r) });
      return;
    }
    const rdata = toLatin1(r.rdata);
    if (this.count === 0) this.firstRecordSource = sourceOf(r);
    if (r.meta) zone.setMeta(recordKey(r.name, r.type, rdata), r.meta);
    const cur = zone.node(key);
    if (!cur || cur.empty) {
      if (cur) zone.putNode(key, r.name, [new RRset(r.type, r.ttl, rdata)]);
      else zone.addNode(key, ZoneNode.single(r.name, r.type, r.ttl, rdata));
      if (r.type === T.SOA || r.type === T.CNAME || r.type === T.DNAME || key === zone.key) {
        this.firstSource.set(key, sourceOf(r));
      }
      this.count++;
      return;
    }
    // A name seen before: rebuild its node (rare next to the one-record names of big zones).
    const sets = [...cur.sets];
    const i = sets.findIndex((s) => s.type === r.type);
    if (i < 0) {
      sets.push(new RRset(r.type, r.ttl, rdata));
      if (!this.firstSource.has(key)) this.firstSource.set(key, sourceOf(r));
    } else {
      const set = sets[i];
      if (r.type === T.SOA && !set.has(rdata)) {
        // RFC 1035 §5.2: exactly one SOA; the second one is where the file is wrong.
        throw new ZoneError(`${r.name}: more than one SOA record at the zone apex`, sourceOf(r));
      }
      if (set.has(rdata)) {
        // RFC 2181 §5: an RRset has no duplicate records; the copy collapses into one.
        this.warn({
          message: `duplicate ${typeToText(r.type)} record at ${r.name} ignored`,
          source: sourceOf(r),
        });
        return;
      }
      if (set.ttl !== r.ttl) {
        // RFC 2181 §5.2: all TTLs of an RRset are equal; like BIND, keep the first one.
        this.warn({
          message: `${typeToText(r.type)} at ${r.name}: TTL ${r.ttl} set to prior TTL ${set.ttl}`,
          source: sourceOf(r),
        });
      }
      sets[i] = RRset.of(set.type, set.ttl, [...set.rdata, rdata]);
    }
    zone.putNode(key, r.name, sets);
    this.count++;
  }

  finish(): Zone {
    const steps = this.finishing();
    for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
  }

  /**
   * finish() one name at a time: a step is yielded after each name checked, so that a reload
   * can hand the event loop back in between (reload.ts). The zone is whole once it returns.
   */
  *finishing(): Generator<void, Zone> {
    const zone = this.zone;
    // The SOA first: a renderer reads the zone's settings from it (dns-settings.ts). The apex
    // may exist only as the parent of other names, so its SOA is looked for, not its node.
    if (!zone.node(zone.key)?.get(T.SOA)) {
      for (const [key, where] of this.firstSource) {
        const node = zone.node(key)!;
        if (node.get(T.SOA))
          throw new ZoneError(
            `${node.name}: SOA record not at the top of zone ${zone.origin}`,
            where,
          );
      }
      throw new ZoneError(`${zone.origin}: no SOA record at the zone apex`, this.firstRecordSource);
    }
    // The apex is always checked (NS, CNAME), even when its SOA was its only record.
    if (!this.firstSource.has(zone.key)) this.firstSource.set(zone.key, this.firstRecordSource);
    const renderer =
      typeof this.renderer === "function" ? this.renderer(zone) : (this.renderer ?? asStored);

    // Only names with more than one type, or holding SOA/CNAME/DNAME, can break a rule.
    for (const [key, where] of this.firstSource) {
      const node = zone.node(key)!;
      validateNode(
        zone,
        key,
        node.name,
        where,
        (type) => node.get(type)?.size ?? 0,
        (pred) => node.sets.some((s) => pred(s.type)),
        // The rules (apex NS, apex CNAME) of the renderer the zone will be served through.
        renderer.ownsApexNs === true || this.ownsApexNs,
      );
      yield;
    }
    // Records were added as stored; now make the served view (nothing to do when served as stored).
    if (renderer !== asStored) zone.useRenderer(renderer);
    zone.setCount(this.count);
    zone.committed();
    return zone;
  }
}
