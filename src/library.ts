/**
 * dns-primary as a library: the typed face of a running primary for test suites and tools.
 *
 * It adds nothing to the model: the record handles plan and commit through the model the API's
 * routes use (cloudflare/records/plan.ts and operations.ts), so validation, conflict rules, ids,
 * error codes and "one call = one serial" are the API's; settings go through the same
 * CloudflareZones; transfers are the live TransferSettings store; events come from the one
 * change path (rules/zones.ts) and the transfer activity store (transfer/activity.ts); faults
 * are the server's store (faults/faults.ts) behind handles.
 */

import type { AddressInfo } from "node:net";
import pino, { type LoggerOptions as PinoOptions } from "pino";
import { ApiError } from "./cloudflare/errors.js";
import { ZoneIndex } from "./cloudflare/ids.js";
import { type BatchDone, batchBody, runBatch } from "./cloudflare/records/batch.js";
import type { RecordBody } from "./cloudflare/records/content.js";
import {
  commitPlan,
  listRecords,
  type RecordResult,
  type RecordsContext,
  recordResult,
} from "./cloudflare/records/operations.js";
import { type ApiRecord, findApiRecord, type RecordPlan } from "./cloudflare/records/plan.js";
import {
  type AccountDnsSettings,
  accountSettingsJson,
} from "./cloudflare/rules/account-settings.js";
import { type DnsSettings, settingsJson } from "./cloudflare/rules/dns-settings.js";
import type { CloudflareZones } from "./cloudflare/rules/zones.js";
import type { ActivityEvent } from "./cloudflare/transfer/activity.js";
import { createZone, deleteZone, type ZoneModel } from "./cloudflare/zones.js";
import type { FaultApplied, FaultInfo, FaultSpec, Faults } from "./faults/faults.js";
import type { Logger } from "./log.js";
import {
  type ServerOptions as CoreOptions,
  type PrimaryServer as CorePrimary,
  startServer as startCore,
} from "./primary.js";
import { canonicalName, nameKey, withoutTrailingDot } from "./wire/name.js";
import { rdataToText } from "./wire/rdata.js";
import { typeToText } from "./wire/types.js";
import { type RR, soaSerialOf } from "./zone/journal.js";
import type { Zone } from "./zone/zone.js";
import type { RecordObject } from "./zone-specs.js";

export interface PrimaryOptions extends Omit<CoreOptions, "logger" | "dns"> {
  /** Where to serve DNS over UDP and TCP (one port for both). Default 127.0.0.1, port 0. */
  dns?: { host?: string; port?: number };
  /** A pino logger, or pino options to make one (to stdout). Default: silent. */
  logger?: Logger | PinoOptions;
}

/** A record as a change event shows it: DNS names (trailing dot), presentation content. */
export interface RecordChange {
  name: string;
  type: string;
  ttl: number;
  content: string;
}

/** One committed change of a zone: one new serial. */
export interface ChangeEvent {
  /** The zone, e.g. "example.com." */
  zone: string;
  serial: number;
  previousSerial: number;
  /** Records added and removed (the SOA excepted); an edit is a removal and an addition. */
  added: RecordChange[];
  removed: RecordChange[];
  /** The change came from a DNS settings edit (every name was rendered again). */
  settings: boolean;
}

export type TransferEvent = Extract<ActivityEvent, { kind: "transfer" }>;
export type NotifyEvent = Extract<ActivityEvent, { kind: "notify" }>;
export type RefusedEvent = Extract<ActivityEvent, { kind: "refused" }>;
export type CheckedEvent = Extract<ActivityEvent, { kind: "checked" }>;
/**
 * A fault acted on one exchange: the zone ("example.com."), the fault as it was just after
 * (a copy: `applied` counted, `times` used), the point (transfer, query, notify), the client
 * or NOTIFY target, and what was done ("closed the connection after 1 message").
 */
export type FaultEvent = FaultApplied;

/** The events of a primary, by name. */
export interface PrimaryEvents {
  /** A zone's records or served settings changed (API, library, reload). */
  change: ChangeEvent;
  /** A secondary's AXFR or IXFR ended (finished or aborted). */
  transfer: TransferEvent;
  /** What became of a NOTIFY to a linked peer (answered, error, timeout, ...). */
  notify: NotifyEvent;
  /** A transfer or query was refused (not allowed, bad TSIG, unknown zone...). */
  refused: RefusedEvent;
  /** An allowed secondary checked the SOA (Cloudflare's checked_time). */
  checked: CheckedEvent;
  /** A fault changed what went on the wire (docs/faults.md). */
  fault: FaultEvent;
}

export type PrimaryEventName = keyof PrimaryEvents;

export interface WaitOptions {
  /** Reject after this long (default 10 000 ms). */
  timeoutMs?: number;
  /** Reject when this signal aborts. */
  signal?: AbortSignal;
}

/** Filters of `GET .../dns_records` (type, name, name.contains, content, proxied, tag, ...). */
export type RecordFilter = Record<string, string | number | boolean>;

/** A batch as `POST .../dns_records/batch` takes it; run in this order, committed as one. */
export interface BatchInput {
  deletes?: Array<{ id: string }>;
  patches?: Array<Partial<RecordObject> & { id: string }>;
  puts?: Array<RecordObject & { id: string }>;
  posts?: RecordObject[];
}

export interface BatchResult {
  deletes: RecordResult[];
  patches: RecordResult[];
  puts: RecordResult[];
  posts: RecordResult[];
}

/**
 * A zone's DNS records, as `/zones/{zone_id}/dns_records` serves them. Every write is
 * validated and committed as the API does it (one call or batch = one serial) and throws the
 * API's ApiError (`code`: 81057 record exists, 81053 host conflict, 81044 not found, ...).
 */
export interface RecordsHandle {
  /** The zone, e.g. "example.com." */
  readonly zone: string;
  readonly zoneId: string;
  list(filter?: RecordFilter): RecordResult[];
  get(id: string): RecordResult;
  /** POST. */
  create(body: RecordObject): RecordResult;
  /** PUT: replace the record (same id). */
  update(id: string, body: RecordObject): RecordResult;
  /** PATCH: the given fields over the record's. */
  edit(id: string, body: Partial<RecordObject>): RecordResult;
  delete(id: string): { id: string };
  batch(body: BatchInput): BatchResult;
}

/** A zone's DNS settings, as `/zones/{zone_id}/dns_settings` serves them. */
export interface SettingsHandle {
  get(): DnsSettings;
  /** PATCH; throws SettingsError. A change to what is served is one new serial. */
  edit(patch: Partial<DnsSettings> | Record<string, unknown>): DnsSettings;
}

/**
 * The account's DNS settings, as `/accounts/{account_id}/dns_settings` serves them: the zone
 * defaults new zones start with, and `enforce_dns_only` (docs/cloudflare-rules.md).
 */
export interface AccountSettingsHandle {
  get(): AccountDnsSettings;
  /**
   * PATCH; throws SettingsError. Zone defaults apply to zones created from now on; turning
   * `enforce_dns_only` on or off gives every zone with a proxied record a new serial.
   */
  edit(patch: Record<string, unknown>): AccountDnsSettings;
}

/**
 * A fault of a zone, as `GET /dns-primary/v1/zones/{zone_id}/faults/{fault_id}` shows it, plus
 * its zone. Live: `applied`, `last_applied`, `times` and `active` follow what the server does.
 */
export interface FaultHandle extends Readonly<FaultInfo> {
  /** The zone, e.g. "example.com." */
  readonly zone: string;
  /** Remove it; false when it was gone already (removed, cleared, or its zone deleted). */
  remove(): boolean;
}

/**
 * The faults of the served zones (docs/faults.md): what the REST routes under
 * `/dns-primary/v1/zones/{zone_id}/faults` do, with the same checks and error codes
 * (ApiError 89201 unknown kind, 89202 bad parameter or scope, 89203 no such fault, 7003 no
 * such zone). A zone by name (dot optional) or id. Not kept across a restart.
 */
export interface FaultsHandle {
  /** `{ kind, times?, peer_id?, source?, ...params }`: missing parameters take their defaults. */
  add(zone: string, spec: FaultSpec): FaultHandle;
  /** A zone's faults, oldest first; every zone's when `zone` is absent. */
  list(zone?: string): FaultHandle[];
  get(zone: string, id: string): FaultHandle;
  /** Remove a zone's faults (every zone's when `zone` is absent); returns how many there were. */
  clear(zone?: string): number;
}

export interface ZoneInfo {
  id: string;
  /** Without the trailing dot, as the API names zones. */
  name: string;
  origin: string;
  serial: number;
  name_servers: string[];
}

/** The server's `faults` store is the library's `faults` handle here (FaultsHandle). */
export interface Primary extends Omit<CorePrimary, "faults"> {
  dns: { udp: AddressInfo; tcp: AddressInfo };
  /** Faults of the served zones: misbehave on purpose, to test secondaries (docs/faults.md). */
  faults: FaultsHandle;
  /** The records of a served zone (by name, with or without the dot, or by zone id). */
  records(zone: string): RecordsHandle;
  /** The DNS settings of a served zone. */
  settings(zone: string): SettingsHandle;
  /** The account's DNS settings: zone defaults, enforce_dns_only. */
  accountSettings: AccountSettingsHandle;
  /** Create an empty zone as `POST /zones` does (SOA and Cloudflare's nameservers). */
  createZone(name: string): ZoneInfo;
  /** Stop serving a zone, as `DELETE /zones/{id}` does (its outgoing config goes too). */
  removeZone(zone: string): { id: string };
  /** A served zone, or undefined. */
  zone(zone: string): ZoneInfo | undefined;
  /** The serial a zone serves now. */
  serial(zone: string): number;
  /** Listen to an event; returns the function that stops listening. */
  on<K extends PrimaryEventName>(event: K, listener: (e: PrimaryEvents[K]) => void): () => void;
  /**
   * The next event of this kind for which `predicate` holds. Call it before the action that
   * causes the event. Rejects on timeout (default 10 s), abort, or close.
   */
  waitFor<K extends PrimaryEventName>(
    event: K,
    predicate?: (e: PrimaryEvents[K]) => boolean,
    options?: WaitOptions,
  ): Promise<PrimaryEvents[K]>;
  /** Release every socket, timer and worker; pending waitFor calls reject. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const DEFAULT_WAIT_MS = 10_000;

function isLogger(v: unknown): v is Logger {
  const l = v as Partial<Logger> | undefined;
  return typeof l?.child === "function" && typeof l?.info === "function";
}

function recordChange(r: RR): RecordChange {
  const rdata = Buffer.from(r.rdata, "latin1");
  let content: string;
  try {
    content = rdataToText(r.type, rdata);
  } catch {
    content = `\\# ${rdata.length} ${rdata.toString("hex")}`;
  }
  return { name: r.name, type: typeToText(r.type), ttl: r.ttl, content };
}

/**
 * Start a primary (zones loaded, DNS listening, the API when asked) and return its handles.
 * Rejects with ZonesDirError, ZoneFileError, ApiError (record zones), DnsListenError or
 * ApiListenError; nothing is left listening when it rejects.
 */
export async function startPrimary(options: PrimaryOptions = {}): Promise<Primary> {
  const { logger: given, dns, ...rest } = options;
  const logger =
    given === undefined ? undefined : isLogger(given) ? given : pino(given as PinoOptions);
  const core = await startCore({
    ...rest,
    dns: { host: dns?.host ?? "127.0.0.1", port: dns?.port ?? 0 },
    ...(logger ? { logger } : {}),
  });

  const { cloudflare, times } = core;
  const ids = new ZoneIndex(cloudflare.set);
  const ctx: RecordsContext = { zoneIds: ids, times, now: () => new Date(), cloudflare };
  const model: ZoneModel = { ...ctx, transfers: core.transfers };
  // Zones served at start are "created" now (as the API counts them).
  for (const zone of cloudflare.set.all()) times.of(zone);
  const zoneOf = zoneFinder(ids, cloudflare);
  const info = (zone: Zone): ZoneInfo => zoneInfo(ids, cloudflare, zone);
  const hub = eventHub(core);
  const faults = faultsHandle(core.faults, cloudflare, zoneOf);

  const closeCore = core.close;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      hub.close();
      await closeCore();
    })();
    return closing;
  };

  return Object.assign(core, {
    records: (ref: string) => recordsHandle(ctx, ids, zoneOf, ref),
    settings: (ref: string) => settingsHandle(cloudflare, zoneOf, ref),
    accountSettings: {
      get: () => accountSettingsJson(cloudflare.accountSettings()),
      edit: (patch: Record<string, unknown>) =>
        accountSettingsJson(cloudflare.editAccountSettings(patch)),
    },
    createZone: (name: string): ZoneInfo => info(createZone(model, name)),
    removeZone: (ref: string): { id: string } => deleteZone(model, zoneOf(ref)),
    zone(ref: string): ZoneInfo | undefined {
      try {
        return info(zoneOf(ref));
      } catch {
        return undefined;
      }
    },
    serial: (ref: string) => zoneOf(ref).serial,
    // Replaces the server's store in the object returned: the library shows handles.
    faults,
    on: hub.on,
    waitFor: hub.waitFor,
    close,
    [Symbol.asyncDispose]: close,
  });
}

/** A zone by id or name (dot optional), as served now; ApiError NOT_FOUND otherwise. */
function zoneFinder(ids: ZoneIndex, cloudflare: CloudflareZones): (ref: string) => Zone {
  return (ref) => {
    let zone: Zone | undefined;
    if (/^[0-9a-f]{32}$/.test(ref)) zone = ids.get(ref);
    if (zone === undefined) {
      try {
        const origin = canonicalName(ref.endsWith(".") ? ref : `${ref}.`);
        const z = cloudflare.set.get(origin);
        if (z?.key === nameKey(origin)) zone = z;
      } catch {
        // not a name: not found below
      }
    }
    if (zone === undefined) throw new ApiError("NOT_FOUND", `no zone ${ref} is served`);
    return zone;
  };
}

function zoneInfo(ids: ZoneIndex, cloudflare: CloudflareZones, zone: Zone): ZoneInfo {
  return {
    id: ids.idOf(zone),
    name: withoutTrailingDot(zone.origin),
    origin: zone.origin,
    serial: zone.serial,
    name_servers: cloudflare.profile(zone).nameservers.map(withoutTrailingDot),
  };
}

/** A zone's records through the API's model: the same plan, rules, ids and JSON. */
function recordsHandle(
  ctx: RecordsContext,
  ids: ZoneIndex,
  zoneOf: (ref: string) => Zone,
  ref: string,
): RecordsHandle {
  const first = zoneOf(ref);
  // Looked up again on each call: the zone may have been removed or created again.
  const z = () => zoneOf(first.origin);
  const results = (zone: Zone, done: BatchDone[keyof BatchDone]) =>
    done.map((r) => recordResult(ctx, zone, r));
  /** One planned write committed (one serial), answered as the API answers it. */
  const write = (plan: (p: RecordPlan) => ApiRecord) => {
    const zone = z();
    return recordResult(ctx, zone, commitPlan(ctx, zone, plan));
  };
  return {
    zone: first.origin,
    zoneId: ids.idOf(first),
    list(filter = {}) {
      const q = Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, String(v)]));
      return listRecords(ctx, z(), q);
    },
    get(id) {
      const zone = z();
      return recordResult(ctx, zone, findApiRecord(zone, id));
    },
    create: (body) => write((p) => p.create(body as RecordBody)),
    update: (id, body) => write((p) => p.overwrite(id, body as RecordBody)),
    edit: (id, body) => write((p) => p.edit(id, body as RecordBody)),
    delete(id) {
      const zone = z();
      return { id: commitPlan(ctx, zone, (p) => p.delete(id)).id };
    },
    batch(body) {
      const zone = z();
      const b = batchBody(body);
      const done = commitPlan(ctx, zone, (p) => runBatch(p, b));
      return {
        deletes: results(zone, done.deletes),
        patches: results(zone, done.patches),
        puts: results(zone, done.puts),
        posts: results(zone, done.posts),
      };
    },
  };
}

/** A zone's DNS settings, as GET/PATCH dns_settings answer them. */
function settingsHandle(
  cloudflare: CloudflareZones,
  zoneOf: (ref: string) => Zone,
  ref: string,
): SettingsHandle {
  const origin = zoneOf(ref).origin;
  return {
    get: () => settingsJson(cloudflare.dnsSettings(zoneOf(origin))),
    edit: (patch) => settingsJson(cloudflare.editDnsSettings(zoneOf(origin), patch)),
  };
}

/** The faults handle over the server's store (faults/faults.ts), zones found as zoneFinder does. */
function faultsHandle(
  faults: Faults,
  cloudflare: CloudflareZones,
  zoneOf: (ref: string) => Zone,
): FaultsHandle {
  /** The store's own object behind getters: the handle stays live. */
  const handle = (key: string, origin: string, info: FaultInfo): FaultHandle => {
    const h = {
      zone: origin,
      remove(): boolean {
        try {
          faults.remove(key, info.id);
          return true;
        } catch (err) {
          if (err instanceof ApiError && err.kind === "FAULT_NOT_FOUND") return false;
          throw err;
        }
      },
    };
    for (const k of Object.keys(info) as (keyof FaultInfo)[])
      Object.defineProperty(h, k, { get: () => info[k], enumerable: true });
    return h as FaultHandle;
  };
  const ofZone = (zone: Zone) =>
    faults.list(zone.key).map((info) => handle(zone.key, zone.origin, info));
  /** The zones that have faults, as served (a deleted zone's faults are cleared with it). */
  const zonesWithFaults = () =>
    faults.zones().flatMap((key) => {
      const zone = cloudflare.set.get(key);
      return zone?.key === key ? [zone] : [];
    });
  return {
    add(ref, spec) {
      const zone = zoneOf(ref);
      return handle(zone.key, zone.origin, faults.add(zone.key, spec));
    },
    list(ref) {
      if (ref !== undefined) return ofZone(zoneOf(ref));
      return zonesWithFaults().flatMap(ofZone);
    },
    get(ref, id) {
      const zone = zoneOf(ref);
      return handle(zone.key, zone.origin, faults.get(zone.key, id));
    },
    clear(ref) {
      if (ref !== undefined) return faults.clear(zoneOf(ref).key);
      return faults.zones().reduce((n, key) => n + faults.clear(key), 0);
    },
  };
}

/**
 * The library's events: zone changes from the one change path, and the transfer activity
 * (transfers, NOTIFY outcomes, refusals, SOA checks); `on` and `waitFor` over them.
 */
function eventHub(core: CorePrimary): {
  on: Primary["on"];
  waitFor: Primary["waitFor"];
  close(): void;
} {
  type Listener = (e: never) => void;
  const listeners = new Map<PrimaryEventName, Set<Listener>>();
  let closed = false;
  const emit = <K extends PrimaryEventName>(name: K, e: PrimaryEvents[K]) => {
    if (closed) return;
    for (const fn of [...(listeners.get(name) ?? [])]) {
      try {
        (fn as (e: PrimaryEvents[K]) => void)(e);
      } catch (err) {
        process.emitWarning(`dns-primary ${name} listener failed: ${String(err)}`);
      }
    }
  };
  const on = <K extends PrimaryEventName>(name: K, fn: (e: PrimaryEvents[K]) => void) => {
    let set = listeners.get(name);
    if (set === undefined) {
      set = new Set();
      listeners.set(name, set);
    }
    set.add(fn as Listener);
    return () => {
      set.delete(fn as Listener);
    };
  };

  core.cloudflare.on((e) => {
    if (e.kind !== "commit") return;
    const cs = e.changeset;
    emit("change", {
      zone: e.zone.origin,
      serial: soaSerialOf(cs.soaTo.rdata),
      previousSerial: soaSerialOf(cs.soaFrom.rdata),
      added: cs.added.map(recordChange),
      removed: cs.removed.map(recordChange),
      settings: e.settings !== undefined,
    });
  });
  const stopActivity = core.activity.on((e) => {
    if (e.kind === "notify-received") return;
    emit(e.kind, e as PrimaryEvents[typeof e.kind]);
  });
  // A copy of the fault: the store's object goes on changing after the event.
  const stopFaults = core.faults.onApplied((e) =>
    emit("fault", { ...e, fault: { ...e.fault, params: { ...e.fault.params } } }),
  );

  const waiters = new Set<(err: Error) => void>();
  const waitFor = <K extends PrimaryEventName>(
    name: K,
    predicate?: (e: PrimaryEvents[K]) => boolean,
    opts: WaitOptions = {},
  ): Promise<PrimaryEvents[K]> => {
    if (closed) return Promise.reject(new Error(`waitFor("${name}"): the primary is closed`));
    const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_MS;
    return new Promise((resolve, reject) => {
      let seen = 0;
      let last: PrimaryEvents[K] | undefined;
      const done = () => {
        clearTimeout(timer);
        off();
        waiters.delete(fail);
        opts.signal?.removeEventListener("abort", aborted);
      };
      const fail = (err: Error) => {
        done();
        reject(err);
      };
      const aborted = () => fail(new Error(`waitFor("${name}") was aborted`));
      const off = on(name, (e) => {
        seen++;
        last = e;
        let hit: boolean;
        try {
          hit = predicate === undefined || predicate(e);
        } catch (err) {
          fail(err as Error);
          return;
        }
        if (hit) {
          done();
          resolve(e);
        }
      });
      const timer = setTimeout(() => {
        const what =
          seen === 0
            ? `no "${name}" event came`
            : `${seen} "${name}" event${seen === 1 ? "" : "s"} came, none matched; the last: ${describe(last)}`;
        fail(new Error(`waitFor("${name}") timed out after ${timeoutMs} ms: ${what}`));
      }, timeoutMs);
      waiters.add(fail);
      if (opts.signal?.aborted) aborted();
      else opts.signal?.addEventListener("abort", aborted, { once: true });
    });
  };

  return {
    on,
    waitFor,
    close() {
      closed = true;
      stopActivity();
      stopFaults();
      for (const fail of [...waiters]) fail(new Error("the primary was closed while waiting"));
      listeners.clear();
    },
  };
}

function describe(e: unknown): string {
  try {
    return JSON.stringify(e, (_k, v) => (v instanceof Date ? v.toISOString() : v));
  } catch {
    return String(e);
  }
}
