/**
 * Persistence (`--data-dir`, `dataDir`): the whole served state survives a restart, and an
 * API write is acknowledged only once it is on disk.
 *
 * Design: a write-ahead log and a snapshot, in plain Node, rather than SQLite through
 * better-sqlite3. better-sqlite3 downloads a prebuilt binary from GitHub at install; where
 * GitHub is not reachable (here, CI) it compiles SQLite from source with node-gyp, which
 * needs python3, make, a C++ compiler and the Node headers, and took 94 s per install on
 * this machine. The state here is small and changes one request at a time; a log of whole
 * changes gives the same guarantee with nothing to build and a format we own:
 *
 * - `changes.log`: one record per committed change (framing.ts: length, CRC-32, JSON). The
 *   listeners of CloudflareZones and TransferSettings run synchronously inside the API
 *   request; each writes its record and fdatasyncs before returning, so the response goes
 *   out after the change is durable. A 3500-record batch is one record, one fsync.
 * - `snapshot`: the whole state, written to `snapshot.tmp`, fsynced, renamed over the old
 *   one, the folder fsynced; then the log is emptied. At start (after reconciling) and at
 *   close when anything changed since the last one, and when the log passes `maxLogBytes`.
 *   Log records carry a sequence number and the snapshot the last one it includes, so a
 *   crash between the rename and the truncation replays nothing twice.
 * - On start: load the snapshot, replay the log. A torn last record (the write that was not
 *   acknowledged) is dropped with a warning; damage anywhere else stops the start with the
 *   file and byte offset. Both files start with a format record (`version` 1); another
 *   version is refused.
 *
 * A commit is replayed by committing the same change again: Zone.commit is deterministic
 * (same change, same serial, same changeset, as the UDP workers rely on), and the record
 * carries the serial it produced, checked on replay.
 *
 * What wins on restart:
 * - Zones from the zones folder or `zones` specs (their "source") are compared with what
 *   the source said when it was last applied (a fingerprint of its records, SOA serial
 *   aside; skipped when the digest of its text is the same). Unchanged: the stored zone is
 *   served, with the API's changes, serial and journal; when the zone has had no change but
 *   its source's since (`asSource`), the zone just loaded is that zone, given the stored
 *   serial, settings and journal, and the stored records are never parsed. Changed while
 *   we were down: the stored zone is served and the difference to the source is committed
 *   as one changeset (next serial, journaled), as a reload does.
 *   A source that is gone: its zone is not served any more. A zone created through the API
 *   has no source and is restored as stored.
 * - A zone that comes back from its file after it was deleted never goes back in serial: it
 *   starts above the last serial it was served with.
 * - Stored DNS settings win over the config file's `dns_settings` for stored zones.
 * - Account DNS settings changed through the API (or the library) are stored (`account`,
 *   files.ts) and win over the config file's, from the start on: zones load with the stored
 *   zone defaults. A zone whose stored settings disagree with the account's
 *   `enforce_dns_only` (a crash between the two writes, a config that changed) follows the
 *   account once started (rules/zones.ts followAccount).
 * - TSIGs, peers, ACLs and outgoing configurations: an object the API (or the library)
 *   created, changed or deleted is stored, and the stored version wins over the config
 *   file's object with that id (a deletion stays a deletion); objects only in the config are
 *   served as the config says. Outgoing times (created, checked, last transferred,
 *   soa_serial) are kept for every configuration; they are saved with each snapshot, not on
 *   every check (a check is not a write).
 */

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { SettingsError } from "../cloudflare/errors.js";
import {
  type AccountDnsSettings,
  defaultAccountSettings,
  patchAccountSettings,
} from "../cloudflare/rules/account-settings.js";
import type { DnsSettings, ZoneProfile } from "../cloudflare/rules/dns-settings.js";
import type { CloudflareZones, ZonesEvent } from "../cloudflare/rules/zones.js";
import type {
  Acl,
  OutgoingConfig,
  Peer,
  SettingsChange,
  TransferSettings,
  Tsig,
} from "../cloudflare/transfer/settings.js";
import type { Logger } from "../log.js";
import { nameKey } from "../wire/name.js";
import { T } from "../wire/types.js";
import { diffZones, isEmptyChange } from "../zone/diff.js";
import { soaSerialOf, withSoaSerial } from "../zone/journal.js";
import { serialGt } from "../zone/serial.js";
import type { Zone } from "../zone/zone.js";
import {
  type DiskChangeset,
  type DiskRecord,
  type DiskRef,
  decodeChange,
  decodeChangeset,
  decodeRecord,
  encodeChange,
  encodeChangeset,
  encodeRecord,
  fingerprint,
  sameSource,
  zoneRecords,
} from "./codec.js";
import {
  AppendLog,
  LOG_FILE,
  lockDir,
  readAccountFile,
  readSnapshot,
  writeAccountFile,
  writeSnapshot,
} from "./files.js";
import { DeferredRecord, StoreError } from "./framing.js";

export { StoreError };

export interface StoreOptions {
  cloudflare: CloudflareZones;
  transfers: TransferSettings;
  logger?: Logger;
  /** Snapshot and empty the log once it is this big (default 64 MiB). */
  maxLogBytes?: number;
}

export interface StoreStats {
  /** Log records written since the start. */
  appends: number;
  /** Time spent writing and fsyncing them, ms. */
  appendMs: number;
  snapshots: number;
}

export interface Store {
  readonly dir: string;
  /** A zone's file was applied (a reload): what it said is now what the zone holds. */
  fileApplied(zone: Zone): void;
  /** Write a snapshot now and empty the log. */
  compact(): void;
  stats(): StoreStats;
  /** Snapshot, release the data dir. Later changes are no longer stored. */
  close(): void;
}

type Settings = { dns: DnsSettings; profile: ZoneProfile };
type ObjKind = "tsig" | "peer" | "acl" | "outgoing";
type Times = Pick<
  OutgoingConfig,
  "created_time" | "checked_time" | "last_transferred_time" | "soa_serial"
>;

/** The stored transfer objects: those the API touched (null: deleted), and every zone's times. */
interface TransferState {
  tsig: Map<string, Tsig | null>;
  peer: Map<string, Peer | null>;
  acl: Map<string, Acl | null>;
  /** By zone key. */
  outgoing: Map<string, OutgoingConfig | null>;
  times: Map<string, Times>;
}

const CHUNK = 5000;
const DEFAULT_MAX_LOG_BYTES = 64 * 1024 * 1024;

/**
 * Open the data dir: restore the stored state into `cloudflare` and `transfers` (which hold
 * what this start loaded: zone files, specs, the config), reconcile, and store every change
 * from now on. Throws StoreError when the data dir cannot be used; the zone set then holds
 * what it held before the call, and the data dir is free for a corrected start.
 */
export function openStore(dir: string, opts: StoreOptions): Store {
  const unlock = lockStoreDir(dir);
  // What this start loaded (files, specs) is set aside: the stored state comes first.
  const fresh = setAside(opts.cloudflare);
  let restored: Restored | undefined;
  let writer: StoreWriter;
  try {
    // Damage, a newer format or a change that does not replay stops the start, and so does a
    // first snapshot that cannot be written (a full disk, a read-only data dir): the log is
    // closed, the zone set left as it was found and the lock released, so that a corrected
    // start (or another data dir) can go on in this process.
    restored = restore(dir, fresh, opts);
    writer = new StoreWriter(dir, restored, opts);
    // The first snapshot holds the reconciled state and the log starts empty, unless the
    // snapshot on disk holds it already (a restart where nothing changed: no need to write a
    // million records again).
    writer.compactIfChanged();
  } catch (err) {
    restored?.log.close();
    putBack(opts.cloudflare, fresh);
    unlock();
    throw err;
  }
  // From here on, a change is on disk before the request that made it is answered.
  opts.cloudflare.onAccount((s) => {
    if (!writer.isClosed) writeAccountFile(dir, s);
  });
  followZones(opts.cloudflare, restored.ctx, writer);
  followTransfers(opts.transfers, restored.ctx.objs, writer);
  return storeHandle(dir, restored.ctx, writer, unlock);
}

// ------------------------------------------------------------------ opening

/**
 * The account's DNS settings stored in `dir`, checked as the API checks them, or undefined
 * when none were stored (or there is no data dir yet). Read before the zones load (files.ts).
 */
export function storedAccount(dir: string): AccountDnsSettings | undefined {
  let value: unknown;
  try {
    value = readAccountFile(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw e;
  }
  if (value === undefined) return undefined;
  try {
    return patchAccountSettings(defaultAccountSettings(), value);
  } catch (e) {
    if (e instanceof SettingsError)
      throw new StoreError(`${dir}/account: stored account settings are not valid: ${e.message}`);
    throw e;
  }
}

/**
 * Create the data dir and take its lock before anything in it is read: two processes (or two
 * primaries in one process) appending to one log would interleave their records.
 */
function lockStoreDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  return lockDir(dir);
}

/** Take the zones this start loaded out of the zone set; restore() serves them again. */
function setAside(cloudflare: CloudflareZones): Zone[] {
  const fresh = cloudflare.set.all();
  for (const z of fresh) cloudflare.remove(z);
  return fresh;
}

/**
 * After a failed start, the zone set holds again what it held before: the zones this start
 * loaded, the same objects (the caller knows them by identity), and none of the stored ones.
 * Left empty or holding the stored zones, a retry with this zone set would take a stored zone
 * created through the API for one loaded from a file, and drop it when the file is not there.
 */
function putBack(cloudflare: CloudflareZones, fresh: Zone[]): void {
  const loaded = new Set(fresh);
  for (const z of cloudflare.set.all()) if (!loaded.has(z)) cloudflare.remove(z);
  for (const z of fresh) if (cloudflare.set.get(z.origin) !== z) cloudflare.add(z);
}

/** What the data dir held, restored into the model, and the log to go on appending to. */
interface Restored {
  ctx: Ctx;
  log: AppendLog;
  /** The last sequence number restored (from the snapshot or the log). */
  seq: number;
  /**
   * Set when the snapshot on disk holds the restored state as it is: the log was empty and
   * reconciling changed nothing. The outgoing times it holds, as the writer compares them.
   */
  unchanged?: { times: string };
}

/**
 * The stored state comes first, then what this start loaded is reconciled with it (see the
 * header): the snapshot, the log records written after it, then the zones and transfer
 * objects this start loaded from files, specs and the config.
 */
function restore(dir: string, fresh: Zone[], opts: StoreOptions): Restored {
  const { cloudflare, transfers, logger } = opts;
  // A zone's record chunks are parsed only if the zone is needed as stored (see `deferred`).
  const snapshot = readSnapshot(dir, ['{"t":"rec"']);
  const opened = openLog(dir, logger);
  const ctx: Ctx = {
    cloudflare,
    sources: new Map(),
    asSource: new Set(),
    deferred: new Map(),
    changed: snapshot === undefined || opened.records.length > 0,
    lastSerial: new Map(),
    objs: {
      tsig: new Map(),
      peer: new Map(),
      acl: new Map(),
      outgoing: new Map(),
      times: new Map(),
    },
  };
  try {
    let seq = snapshot !== undefined ? loadSnapshot(snapshot, ctx) : 0;
    seq = replayLog(join(dir, LOG_FILE), opened.records, seq, ctx);
    reconcileZones(fresh, ctx, logger);
    reconcileTransfers(transfers, ctx.objs, logger);
    if (ctx.changed) return { ctx, log: opened.log, seq };
    return { ctx, log: opened.log, seq, unchanged: { times: storedTimes(transfers, ctx.objs) } };
  } catch (err) {
    // The log is not handed on: its file descriptor would stay open for the process's life.
    opened.log.close();
    throw err;
  }
}

/**
 * The log, its torn last record cut off: that write crashed before its fdatasync returned, so
 * its request was never acknowledged and dropping it loses nothing a client was promised.
 */
function openLog(dir: string, logger: Logger | undefined): ReturnType<typeof AppendLog.open> {
  const opened = AppendLog.open(dir);
  const { log, torn } = opened;
  if (torn) {
    logger?.warn(
      { file: log.path, offset: torn.offset },
      `${log.path}:${torn.offset}: dropped a torn last record (${torn.reason}); it was never acknowledged`,
    );
  }
  return opened;
}

/**
 * Replay the log records written after the snapshot; returns the last sequence number. A
 * record the snapshot already includes (a crash between the snapshot's rename and the log's
 * truncation) is skipped, so nothing is applied twice.
 */
function replayLog(path: string, records: unknown[], seq: number, ctx: Ctx): number {
  for (const [i, r] of records.entries()) {
    const rec = r as { s?: number };
    if (typeof rec.s !== "number")
      throw new StoreError(`${path}: record ${i + 1} has no sequence number`);
    if (rec.s <= seq) continue;
    try {
      replay(rec as LogRecord, ctx);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(
        `${path}: record ${i + 1} (seq ${rec.s}) cannot be replayed: ${(err as Error).message}`,
      );
    }
    seq = rec.s;
  }
  return seq;
}

// ------------------------------------------------------------------ writing

/**
 * The writing side: one fdatasynced log record per change, and the snapshot that empties the
 * log. The first failed write stops storing for good (every later change throws the same
 * error): a log with a hole would replay into a state that never existed.
 */
class StoreWriter {
  private readonly log: AppendLog;
  private readonly state: Ctx;
  private readonly maxLogBytes: number;
  /** The sequence number of the last record written (or restored). */
  private seq: number;
  /** The sequence number and the outgoing times the last snapshot holds. */
  private snapshotSeq = -1;
  private snapshotTimes = "";
  private failed: Error | undefined;
  private closed = false;
  private readonly counts: StoreStats = { appends: 0, appendMs: 0, snapshots: 0 };

  constructor(
    private readonly dir: string,
    restored: Restored,
    private readonly opts: StoreOptions,
  ) {
    this.log = restored.log;
    this.state = restored.ctx;
    this.seq = restored.seq;
    if (restored.unchanged) {
      this.snapshotSeq = restored.seq;
      this.snapshotTimes = restored.unchanged.times;
    }
    this.maxLogBytes = opts.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
  }

  stats(): StoreStats {
    return { ...this.counts };
  }

  /** Write one change; returns after fdatasync. Throws (the request fails) when it cannot. */
  append(record: Record<string, unknown>): void {
    if (this.closed) return;
    if (this.failed) throw this.failed;
    const t0 = performance.now();
    try {
      this.log.append({ s: this.seq + 1, ...record });
    } catch (err) {
      this.fail(err);
    }
    this.seq++;
    this.counts.appends++;
    this.counts.appendMs += performance.now() - t0;
    if (this.log.bytes > this.maxLogBytes) this.compact();
  }

  /**
   * Write a snapshot of the whole state and empty the log, unless the snapshot on disk holds
   * it: every change goes through append(), and the outgoing times (kept by snapshots only)
   * are compared. Writing a million-record zone again costs seconds.
   */
  compactIfChanged(): void {
    if (this.seq !== this.snapshotSeq || this.timesNow() !== this.snapshotTimes) this.compact();
  }

  /** Write a snapshot of the whole state and empty the log. */
  compact(): void {
    if (this.closed || this.failed) return;
    try {
      writeSnapshot(this.dir, snapshotRecords(this.seq, this.opts.transfers, this.state));
      this.log.reset();
      this.snapshotSeq = this.seq;
      this.snapshotTimes = this.timesNow();
      this.counts.snapshots++;
    } catch (err) {
      this.fail(err);
    }
  }

  /** A last snapshot if anything changed, then the log is closed: later changes are not stored. */
  close(): void {
    if (this.closed) return;
    try {
      this.compactIfChanged();
    } catch {
      // Logged by fail(); the log still holds every change, the next start replays it.
    } finally {
      this.closed = true;
      this.log.close();
    }
  }

  /** The outgoing times as a snapshot would store them, as text to compare. */
  private timesNow(): string {
    return JSON.stringify(
      this.opts.transfers.listOutgoing().map((cfg) => [nameKey(cfg.name), timesOf(cfg)]),
    );
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private fail(err: unknown): never {
    this.failed ??= new StoreError(`writing to ${this.dir} failed: ${(err as Error).message}`);
    this.opts.logger?.error(
      { err },
      `${this.failed.message}; changes are no longer stored, restart to recover`,
    );
    throw this.failed;
  }
}

/** The outgoing times a snapshot holds for today's configurations, in timesNow()'s form. */
function storedTimes(transfers: TransferSettings, objs: TransferState): string {
  return JSON.stringify(
    transfers.listOutgoing().map((cfg) => {
      const key = nameKey(cfg.name);
      return [key, objs.times.get(key) ?? null];
    }),
  );
}

/**
 * The whole state as snapshot records: per zone its settings and source, its records in
 * chunks (a million-record zone is never one JSON string) and its journal, then the transfer
 * objects. The sequence number says which log records it includes.
 */
function* snapshotRecords(seq: number, transfers: TransferSettings, ctx: Ctx): Generator<unknown> {
  const { cloudflare, sources, lastSerial, objs } = ctx;
  yield { t: "meta", seq, lastSerial: Object.fromEntries(lastSerial) };
  for (const zone of cloudflare.set.all()) {
    const src = sources.get(zone.key);
    yield {
      t: "zone",
      origin: zone.origin,
      settings: settingsOf(cloudflare, zone),
      serial: zone.serial,
      ...sourceFields(src),
      ...(src !== undefined && ctx.asSource.has(zone.key) ? { asSource: true } : {}),
    };
    let chunk: DiskRecord[] = [];
    for (const r of zoneRecords(zone)) {
      chunk.push(encodeRecord(r));
      if (chunk.length >= CHUNK) {
        yield { t: "rec", r: chunk };
        chunk = [];
      }
    }
    if (chunk.length > 0) yield { t: "rec", r: chunk };
    for (const cs of zone.journal.changesets()) yield { t: "jnl", cs: encodeChangeset(cs) };
  }
  // Times of every outgoing configuration; the API-touched objects as they are now.
  for (const cfg of transfers.listOutgoing()) objs.times.set(nameKey(cfg.name), timesOf(cfg));
  for (const [key, v] of objs.outgoing)
    if (v !== null) objs.outgoing.set(key, transfers.outgoing(v.name) ?? v);
  yield {
    t: "xfr",
    tsig: [...objs.tsig],
    peer: [...objs.peer],
    acl: [...objs.acl],
    outgoing: [...objs.outgoing],
    times: [...objs.times],
  };
}

// ------------------------------------------------------------------ following changes

/**
 * Every zone change is written before the writer's listener returns: CloudflareZones calls
 * its listeners synchronously inside the API request, so the response goes out after the
 * change is on disk.
 */
function followZones(cloudflare: CloudflareZones, ctx: Ctx, writer: StoreWriter): void {
  const { sources, lastSerial } = ctx;
  cloudflare.on((e: ZonesEvent) => {
    const zone = e.zone;
    // Any change but a source applied (fileApplied, after the reload's own commit) makes
    // the zone differ from its source.
    ctx.asSource.delete(zone.key);
    if (e.kind === "added") {
      writer.append(zoneRecord(cloudflare, zone, sources.get(zone.key)));
    } else if (e.kind === "removed") {
      // Kept so that the zone, back from its file later, never goes back in serial.
      lastSerial.set(zone.key, zone.serial);
      sources.delete(zone.key);
      writer.append({ t: "drop", origin: zone.origin, serial: zone.serial });
    } else {
      writer.append({
        t: "commit",
        origin: zone.origin,
        change: encodeChange(e.change),
        ...(e.settings ? { settings: e.settings } : {}),
        serial: zone.serial,
      });
    }
  });
  // Settings that change nothing served (no commit): the DNS settings, and the profile when
  // the account's enforcement changed in place (rules/zones.ts followAccount), so that a later
  // commit of the zone replays as it was made.
  cloudflare.onStoredSettings((zone, dns, profile) =>
    writer.append({ t: "dns", origin: zone.origin, dns, profile }),
  );
}

/**
 * Every TSIG, peer, ACL and outgoing change is written as the object it left (null when
 * deleted): the stored object wins over the config's at the next start. `strict`: when the
 * write fails, the caller (the API request) hears of it, as the change is not durable.
 */
function followTransfers(transfers: TransferSettings, objs: TransferState, writer: StoreWriter) {
  transfers.onChange(
    (c: SettingsChange) => {
      // Not a Cloudflare object: the config file declares it at every start (settings.ts).
      if (c.kind === "entitlement") return;
      if (c.kind === "outgoing") {
        const key = nameKey(c.zone);
        const v = transfers.outgoing(c.zone) ?? null;
        objs.outgoing.set(key, v);
        // Cloudflare: disable and force_notify clear the IXFR backlog (primary.ts does it).
        const clear = c.action === "disable" || c.action === "force_notify";
        writer.append({ t: "obj", kind: "outgoing", key, v, ...(clear ? { clear: c.zone } : {}) });
        return;
      }
      const v = lookup(transfers, c.kind, c.id);
      (objs[c.kind] as Map<string, unknown>).set(c.id, v);
      writer.append({ t: "obj", kind: c.kind, key: c.id, v });
    },
    { strict: true },
  );
}

/** The Store the caller holds: the writer's operations, and the lock released at close. */
function storeHandle(dir: string, ctx: Ctx, writer: StoreWriter, unlock: () => void): Store {
  return {
    dir,
    fileApplied(zone) {
      // A reload: what the file says is the zone now; the next start compares against it.
      const fp = fingerprint(zone);
      const was = ctx.sources.get(zone.key);
      const same = was?.fp === fp && was.digest === zone.sourceDigest && ctx.asSource.has(zone.key);
      ctx.asSource.add(zone.key);
      if (same) return; // (an older form of fingerprint differs: stored anew)
      const now = sourceOf(zone, fp);
      ctx.sources.set(zone.key, now);
      writer.append({ t: "source", origin: zone.origin, ...sourceFields(now) });
    },
    compact: () => writer.compact(),
    stats: () => writer.stats(),
    close() {
      if (writer.isClosed) return;
      writer.close();
      unlock();
    },
  };
}

// ------------------------------------------------------------------ loading

interface Ctx {
  cloudflare: CloudflareZones;
  /** Zone key → what its source said when last applied. */
  sources: Map<string, Source>;
  /**
   * Zones that hold what their source said when last applied (records and Cloudflare
   * fields; the SOA serial aside): no change since but the source's. Such a zone whose
   * source is unchanged at the next start is the zone this start loaded, with the stored
   * serial, settings and journal, so its stored records need not be read.
   */
  asSource: Set<string>;
  /** While restoring: stored zones of `asSource` whose records are not read yet, by key. */
  deferred: Map<string, StoredZone>;
  /** While restoring: something differs from what the snapshot on disk holds. */
  changed: boolean;
  /** Zone key → the serial a removed zone was last served with. */
  lastSerial: Map<string, number>;
  objs: TransferState;
}

/**
 * What a zone's source (file, spec) said when it was last applied: the fingerprint of its
 * records (codec.ts), and the digest of its text when it was read from text (zone/load.ts).
 * An unchanged digest spares the next start the fingerprint (0.6 s a million records).
 */
interface Source {
  fp: string;
  digest?: string;
}

/** On disk: `source` (the fingerprint, as before digests) and `digest`. */
type SourceFields = { source?: string; digest?: string };

function sourceFields(src: Source | undefined): SourceFields {
  if (src === undefined) return {};
  return src.digest !== undefined ? { source: src.fp, digest: src.digest } : { source: src.fp };
}

function sourceFromFields(r: SourceFields): Source | undefined {
  if (typeof r.source !== "string") return undefined;
  return typeof r.digest === "string" ? { fp: r.source, digest: r.digest } : { fp: r.source };
}

function sourceOf(zone: Zone, fp: string): Source {
  return zone.sourceDigest !== undefined ? { fp, digest: zone.sourceDigest } : { fp };
}

type LogRecord =
  | ({
      t: "zone";
      s: number;
      origin: string;
      settings: Settings;
      records: DiskRecord[];
      journal?: DiskChangeset[];
    } & SourceFields)
  | { t: "drop"; s: number; origin: string; serial: number }
  | {
      t: "commit";
      s: number;
      origin: string;
      change: { remove: DiskRef[]; add: DiskRecord[] };
      settings?: Settings;
      serial: number;
    }
  | { t: "dns"; s: number; origin: string; dns: DnsSettings; profile?: ZoneProfile }
  | { t: "source"; s: number; origin: string; fp?: string; source?: string; digest?: string }
  | { t: "obj"; s: number; kind: ObjKind; key: string; v: unknown; clear?: string };

function zoneRecord(cloudflare: CloudflareZones, zone: Zone, source?: Source) {
  return {
    t: "zone",
    origin: zone.origin,
    settings: settingsOf(cloudflare, zone),
    records: [...zoneRecords(zone)].map(encodeRecord),
    journal: zone.journal.changesets().map(encodeChangeset),
    ...sourceFields(source),
  };
}

function settingsOf(cloudflare: CloudflareZones, zone: Zone): Settings {
  return { dns: cloudflare.dnsSettings(zone), profile: cloudflare.profile(zone) };
}

function exactZone(ctx: Ctx, origin: string): Zone {
  materialize(ctx, nameKey(origin));
  const zone = ctx.cloudflare.set.get(origin);
  if (zone === undefined) throw new StoreError(`a change to zone ${origin}, which is not stored`);
  return zone;
}

function replay(r: LogRecord, ctx: Ctx): void {
  const { cloudflare } = ctx;
  switch (r.t) {
    case "zone": {
      const key = nameKey(r.origin);
      ctx.deferred.delete(key);
      const zone = cloudflare.restore(r.origin, r.records.map(decodeRecord), r.settings);
      for (const cs of r.journal ?? []) zone.journal.append(decodeChangeset(cs));
      ctx.lastSerial.delete(key);
      ctx.asSource.delete(key);
      const src = sourceFromFields(r);
      if (src !== undefined) ctx.sources.set(key, src);
      return;
    }
    case "drop": {
      const key = nameKey(r.origin);
      ctx.deferred.delete(key);
      const zone = cloudflare.set.get(r.origin);
      if (zone !== undefined) cloudflare.remove(zone);
      ctx.lastSerial.set(key, r.serial);
      ctx.sources.delete(key);
      ctx.asSource.delete(key);
      return;
    }
    case "commit": {
      const zone = exactZone(ctx, r.origin);
      ctx.asSource.delete(zone.key);
      if (r.settings) cloudflare.applySettings(zone, r.settings);
      cloudflare.commit(zone, decodeChange(r.change), { rerender: r.settings !== undefined });
      if (zone.serial !== r.serial) {
        throw new StoreError(
          `replaying a change to ${r.origin} gave serial ${zone.serial}, not the stored ${r.serial}`,
        );
      }
      return;
    }
    case "dns": {
      const deferred = ctx.deferred.get(nameKey(r.origin));
      if (deferred !== undefined) {
        deferred.settings = { dns: r.dns, profile: r.profile ?? deferred.settings.profile };
        return;
      }
      const zone = exactZone(ctx, r.origin);
      cloudflare.applySettings(zone, {
        dns: r.dns,
        profile: r.profile ?? cloudflare.profile(zone),
      });
      return;
    }
    case "source":
      // `fp`: written before digests, when the record had no `source` field.
      ctx.sources.set(nameKey(r.origin), sourceFromFields({ source: r.fp, ...r })!);
      ctx.asSource.add(nameKey(r.origin));
      return;
    case "obj": {
      (ctx.objs[r.kind] as Map<string, unknown>).set(r.key, r.v);
      if (r.clear !== undefined) {
        materialize(ctx, nameKey(r.clear));
        cloudflare.set.get(r.clear)?.journal.clear();
      }
      return;
    }
    default:
      throw new StoreError(
        `unknown record type ${JSON.stringify((r as { t: unknown }).t)} (written by a newer dns-primary?)`,
      );
  }
}

/**
 * A zone as the snapshot holds it: its record chunks as read (parsed only when needed), its
 * journal, settings and serial.
 */
interface StoredZone {
  origin: string;
  settings: Settings;
  serial?: number;
  source?: Source;
  asSource?: boolean;
  chunks: unknown[];
  journal: DiskChangeset[];
}

/** The snapshot's records into the zone set and `ctx`; returns the sequence it includes. */
function loadSnapshot(records: unknown[], ctx: Ctx): number {
  let seq = 0;
  let pending: StoredZone | undefined;
  const finish = () => {
    if (pending === undefined) return;
    const key = nameKey(pending.origin);
    if (pending.asSource && pending.source !== undefined && pending.serial !== undefined) {
      // Read only if the start needs it as stored (materialize): its source may be unchanged.
      ctx.deferred.set(key, pending);
      ctx.sources.set(key, pending.source);
      ctx.asSource.add(key);
    } else {
      // A snapshot from before zones had a serial in it is written again in today's form.
      if (pending.serial === undefined) ctx.changed = true;
      restoreStored(ctx, pending);
    }
    pending = undefined;
  };
  for (const raw of records) {
    const r =
      raw instanceof DeferredRecord
        ? { t: "rec", deferred: raw }
        : (raw as Record<string, unknown>);
    if (r.t === "meta") {
      seq = r.seq as number;
      for (const [k, v] of Object.entries(r.lastSerial as Record<string, number>))
        ctx.lastSerial.set(k, v);
    } else if (r.t === "zone") {
      finish();
      pending = {
        origin: r.origin as string,
        settings: r.settings as Settings,
        chunks: [],
        journal: [],
        ...(typeof r.serial === "number" ? { serial: r.serial } : {}),
        ...(typeof r.source === "string" ? { source: sourceFromFields(r)! } : {}),
        ...(r.asSource === true ? { asSource: true } : {}),
      };
    } else if (r.t === "rec" && pending) {
      pending.chunks.push(r.deferred ?? r);
    } else if (r.t === "jnl" && pending) {
      pending.journal.push(r.cs as DiskChangeset);
    } else if (r.t === "xfr") {
      finish();
      for (const kind of ["tsig", "peer", "acl", "outgoing", "times"] as const) {
        for (const [k, v] of r[kind] as [string, never][]) ctx.objs[kind].set(k, v);
      }
    } else {
      throw new StoreError(`snapshot: unknown record ${JSON.stringify(r.t)}`);
    }
  }
  finish();
  return seq;
}

/** A stored zone served as stored: its records read and the zone built from them. */
function restoreStored(ctx: Ctx, z: StoredZone): void {
  const records: DiskRecord[] = [];
  for (const c of z.chunks) {
    const chunk = (c instanceof DeferredRecord ? c.value() : c) as { r: DiskRecord[] };
    for (const x of chunk.r) records.push(x);
  }
  const asSource = z.asSource === true;
  replay(
    {
      t: "zone",
      s: 0,
      origin: z.origin,
      settings: z.settings,
      records,
      journal: z.journal,
      ...sourceFields(z.source),
    },
    ctx,
  );
  if (asSource) ctx.asSource.add(nameKey(z.origin));
}

/** A deferred stored zone (if `key` is one) read and served as stored, for what needs it so. */
function materialize(ctx: Ctx, key: string): void {
  const z = ctx.deferred.get(key);
  if (z === undefined) return;
  ctx.deferred.delete(key);
  restoreStored(ctx, z);
}

/**
 * A stored zone that holds what its source says (`asSource`) whose source is unchanged: the
 * zone this start loaded from it is that zone, once it has the stored settings, serial and
 * journal. No stored record is read (a million records: seconds).
 */
function adopt(ctx: Ctx, fresh: Zone, z: StoredZone): void {
  const { cloudflare } = ctx;
  cloudflare.add(fresh);
  const rerender = JSON.stringify(settingsOf(cloudflare, fresh)) !== JSON.stringify(z.settings);
  if (rerender) cloudflare.applySettings(fresh, z.settings);
  if (rerender || z.serial !== fresh.serial) {
    // Not a commit: the zone is what it was when stored, no new version for secondaries.
    const soa = fresh.storedSets(fresh.key).find((set) => set.type === T.SOA)!;
    const rdata = soa.at(0);
    fresh.apply(
      {
        remove: [{ name: fresh.origin, type: T.SOA, rdata }],
        add: [
          {
            name: fresh.origin,
            type: T.SOA,
            ttl: soa.ttl,
            rdata: withSoaSerial(rdata, z.serial ?? fresh.serial),
          },
        ],
      },
      { rerender },
    );
  }
  for (const cs of z.journal) fresh.journal.append(decodeChangeset(cs));
  ctx.lastSerial.delete(fresh.key);
}

/** Put the zones this start loaded from their sources next to the stored ones (see the header). */
function reconcileZones(fresh: Zone[], ctx: Ctx, logger: Logger | undefined): void {
  const { cloudflare, sources, lastSerial } = ctx;
  const freshKeys = new Set(fresh.map((z) => z.key));
  const gone = (key: string, origin: string, serial: number) => {
    // Its file (or spec) is gone: as without a data dir, the zone is not served.
    logger?.info({ zone: origin }, "zone not served any more: its source is gone");
    lastSerial.set(key, serial);
    sources.delete(key);
    ctx.asSource.delete(key);
    ctx.changed = true;
  };
  for (const [key, z] of ctx.deferred) {
    if (freshKeys.has(key)) continue;
    ctx.deferred.delete(key);
    gone(key, z.origin, z.serial!);
  }
  for (const zone of cloudflare.set.all()) {
    if (!freshKeys.has(zone.key) && sources.has(zone.key)) {
      gone(zone.key, zone.origin, zone.serial);
      cloudflare.remove(zone);
    }
  }
  for (const f of fresh) {
    const was = sources.get(f.key);
    // The same text as when last applied: the same source, without a fingerprint to compute.
    const sameText = f.sourceDigest !== undefined && was?.digest === f.sourceDigest;
    const fp = sameText ? was.fp : fingerprint(f);
    const now = sourceOf(f, fp);
    const same = sameText || sameSource(was?.fp, f, fp);
    // A data dir's older form of fingerprint, or a digest learned: stored anew.
    if (was?.fp !== now.fp || was.digest !== now.digest) ctx.changed = true;
    const deferred = ctx.deferred.get(f.key);
    if (deferred !== undefined) {
      ctx.deferred.delete(f.key);
      if (same) {
        adopt(ctx, f, deferred);
        sources.set(f.key, now);
        continue;
      }
      restoreStored(ctx, deferred);
    }
    const stored = cloudflare.set.get(f.origin);
    if (stored === undefined) {
      const last = lastSerial.get(f.key);
      if (last !== undefined && !serialGt(f.serial, last)) {
        // Served before with a higher serial (then deleted): never go back.
        const records = [...zoneRecords(f)].map((r) =>
          r.type === T.SOA && nameKey(r.name) === f.key
            ? { ...r, rdata: withSoaSerial(r.rdata, (last + 1) >>> 0 || 1) }
            : r,
        );
        const z = cloudflare.restore(f.origin, records, settingsOf(cloudflare, f));
        z.file = f.file;
        z.sourceDigest = f.sourceDigest;
      } else {
        cloudflare.add(f);
      }
      lastSerial.delete(f.key);
      sources.set(f.key, now);
      ctx.asSource.add(f.key);
      ctx.changed = true;
      continue;
    }
    stored.file = f.file;
    stored.sourceDigest = f.sourceDigest;
    sources.set(f.key, now);
    if (same) continue;
    const change = diffZones(stored, f);
    if (!isEmptyChange(change)) {
      const cs = cloudflare.commit(stored, change);
      logger?.info(
        {
          zone: stored.origin,
          serial: soaSerialOf(cs.soaTo.rdata),
          removed: cs.removed.length,
          added: cs.added.length,
        },
        "zone source changed while stopped: applied as one change",
      );
    }
    ctx.asSource.add(f.key);
  }
}

function lookup(transfers: TransferSettings, kind: "tsig" | "peer" | "acl", id: string) {
  try {
    return kind === "tsig"
      ? transfers.getTsig(id)
      : kind === "peer"
        ? transfers.getPeer(id)
        : transfers.getAcl(id);
  } catch {
    return null;
  }
}

function timesOf(cfg: OutgoingConfig): Times {
  const t: { -readonly [K in keyof Times]: Times[K] } = {
    created_time: cfg.created_time,
    checked_time: cfg.checked_time,
    last_transferred_time: cfg.last_transferred_time,
  };
  if (cfg.soa_serial !== undefined) t.soa_serial = cfg.soa_serial;
  return t;
}

/** The stored transfer objects over the config's (see the header). */
function reconcileTransfers(
  transfers: TransferSettings,
  objs: TransferState,
  logger: Logger | undefined,
): void {
  const attempt = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      logger?.warn(
        { err: (err as Error).message },
        `stored ${what} not restored: ${(err as Error).message}`,
      );
    }
  };
  const has = (fn: () => unknown) => {
    try {
      fn();
      return true;
    } catch {
      return false;
    }
  };
  for (const [id, v] of objs.tsig) {
    if (v === null) continue;
    const input = { name: v.name, algo: v.algo, secret: v.secret };
    attempt(`TSIG ${v.name}`, () =>
      has(() => transfers.getTsig(id))
        ? transfers.updateTsig(id, input)
        : transfers.createTsig(input, { id }),
    );
  }
  for (const [id, v] of objs.peer) {
    if (v === null) continue;
    const input = {
      name: v.name,
      ip: v.ip ?? null,
      port: v.port,
      ixfr_enable: v.ixfr_enable,
      tsig_id: v.tsig_id ?? null,
    };
    attempt(`peer ${v.name}`, () =>
      has(() => transfers.getPeer(id))
        ? transfers.updatePeer(id, input)
        : transfers.createPeer(input, { id }),
    );
  }
  for (const [id, v] of objs.acl) {
    if (v === null) continue;
    const input = { name: v.name, ip_range: v.ip_range };
    attempt(`ACL ${v.name}`, () =>
      has(() => transfers.getAcl(id))
        ? transfers.updateAcl(id, input)
        : transfers.createAcl(input, { id }),
    );
  }
  for (const [key, v] of objs.outgoing) {
    const current = transfers.outgoing(v?.name ?? key);
    if (v === null) {
      if (current !== undefined)
        attempt(`deletion of outgoing ${key}`, () => transfers.deleteOutgoing(key));
      continue;
    }
    attempt(`outgoing ${v.name}`, () => {
      if (current !== undefined && current.id !== v.id) transfers.deleteOutgoing(v.name);
      if (current !== undefined && current.id === v.id)
        transfers.updateOutgoing(v.name, { peers: v.peers });
      else transfers.createOutgoing(v.name, { peers: v.peers, status: v.status }, { id: v.id });
      if (transfers.getOutgoing(v.name).status !== v.status) {
        if (v.status === "Enabled") transfers.enable(v.name);
        else transfers.disable(v.name);
      }
    });
  }
  // Deletions last: what the config links may have been unlinked by stored objects above.
  for (const [id, v] of objs.peer)
    if (v === null && has(() => transfers.getPeer(id)))
      attempt(`deletion of peer ${id}`, () => transfers.deletePeer(id));
  for (const [id, v] of objs.acl)
    if (v === null && has(() => transfers.getAcl(id)))
      attempt(`deletion of ACL ${id}`, () => transfers.deleteAcl(id));
  for (const [id, v] of objs.tsig)
    if (v === null && has(() => transfers.getTsig(id)))
      attempt(`deletion of TSIG ${id}`, () => transfers.deleteTsig(id));
  for (const [key, times] of objs.times) {
    if (transfers.outgoing(key) !== undefined) transfers.restoreTimes(key, times);
  }
}
