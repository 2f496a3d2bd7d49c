/**
 * The faults attached to zones: a misbehaving primary on demand, for testing secondaries.
 *
 * A fault belongs to one zone, may be narrowed to one peer (`peer_id`: the peer's address, or
 * the peer a NOTIFY goes to) or one address (`source`: the client of a query or transfer, the
 * target of a NOTIFY), and applies `times` times (absent: until removed). The points of the
 * server (transfer steps, the query handler, the notifier) ask `active()` for the faults that
 * match an exchange and call `applied()` when they acted, which counts, logs one line and
 * tells the listeners (the library's events, the activity records, the dashboard).
 *
 * Faults change only what goes on the wire; the zone, its serial and its journal are never
 * touched, so removing a fault lets secondaries recover by themselves. They are kept in memory
 * only: a restart starts without them, except those the config file or `--fault` declare,
 * which are added again at every start.
 *
 * With no fault anywhere, `active()` is one integer comparison: the hot paths pay nothing.
 */

import { randomBytes } from "node:crypto";
import { ApiError } from "../cloudflare/errors.js";
import { isObject } from "../cloudflare/json.js";
import { addressKey, type TransferSettings } from "../cloudflare/transfer/settings.js";
import { RCODE } from "../wire/message.js";
import {
  FAULT_KIND_NAMES,
  FAULT_KINDS,
  type FaultKind,
  type FaultPoint,
  isFaultKind,
  type ParamSpec,
  RCODE_NAMES,
} from "./kinds.js";

export type ParamValue = number | boolean | string;

/** What a caller asks for: the kind, its parameters (flat), the scope and the count. */
export interface FaultSpec {
  kind: FaultKind | string;
  peer_id?: string | null;
  source?: string | null;
  times?: number | null;
  [param: string]: unknown;
}

/** A fault as every face shows it. */
export interface FaultInfo {
  id: string;
  kind: FaultKind;
  /** Every parameter of the kind, defaults filled in. */
  params: Record<string, ParamValue>;
  /** Narrowed to the peer with this id (null: any). */
  peer_id: string | null;
  /** Narrowed to this address (null: any). Not for notify-from, whose `source` is a parameter. */
  source: string | null;
  /** Applications left before the fault stops (null: until removed). */
  times: number | null;
  /** How often it was applied. */
  applied: number;
  last_applied: string | null;
  /** Still applying (false once `times` is used up). */
  active: boolean;
  created_on: string;
  /** Where it came from: added at run time, or declared by the config file or --fault. */
  origin: "runtime" | "config";
}

/** One exchange a point asks about. */
export interface Exchange {
  point: FaultPoint;
  /** The client's address (query, transfer) or the NOTIFY's target. */
  address?: string;
  /** The peer the exchange is with, when the point knows it (NOTIFY). */
  peerId?: string;
}

/** What the listeners learn when a fault acted. */
export interface FaultApplied {
  zone: string;
  fault: FaultInfo;
  point: FaultPoint;
  /** The client or target address. */
  address?: string;
  /** What was done, in a few words ("closed the connection after 1 message"). */
  action: string;
}

/** Every fault of a store, by zone key (`Faults.snapshot`, `Faults.mirror`); plain data. */
export type FaultSnapshot = Array<[zoneKey: string, faults: FaultInfo[]]>;

/** A fault as the points read it: its kind and parameters, typed. */
export interface Fault {
  readonly id: string;
  readonly kind: FaultKind;
  readonly params: Readonly<Record<string, ParamValue>>;
}

interface Entry extends Fault {
  info: FaultInfo;
  /** Canonical address key of `source`. */
  sourceKey?: string;
}

/** The peers a `peer_id` scope resolves through (the transfer settings). */
export interface PeerLookup {
  /** The peer with this id (its address, if it has one), or undefined. */
  peer(id: string): { ip?: string } | undefined;
}

/** The peers of a transfer settings store (live: a peer created later is found). */
export function peersOf(settings: Pick<TransferSettings, "findPeer">): PeerLookup {
  return { peer: (id) => settings.findPeer(id) };
}

export class Faults {
  /** By zone key; only zones with at least one fault. */
  private readonly byZone = new Map<string, Entry[]>();
  private count = 0;
  private readonly listeners: Array<(e: FaultApplied) => void> = [];
  private readonly changeListeners: Array<() => void> = [];

  constructor(
    private readonly peers: PeerLookup,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Faults in total, active or not. */
  get size(): number {
    return this.count;
  }

  /** Add a fault to a zone (its key: canonical lower-case origin). Throws ApiError. */
  add(zoneKey: string, spec: unknown, origin: FaultInfo["origin"] = "runtime"): FaultInfo {
    const entry = this.parse(spec, origin);
    const list = this.byZone.get(zoneKey);
    if (list) list.push(entry);
    else this.byZone.set(zoneKey, [entry]);
    this.count++;
    this.changed();
    return entry.info;
  }

  list(zoneKey: string): FaultInfo[] {
    return (this.byZone.get(zoneKey) ?? []).map((e) => e.info);
  }

  get(zoneKey: string, id: string): FaultInfo {
    const e = this.byZone.get(zoneKey)?.find((x) => x.id === id);
    if (e === undefined) throw notFound(id);
    return e.info;
  }

  remove(zoneKey: string, id: string): FaultInfo {
    const list = this.byZone.get(zoneKey);
    const i = list?.findIndex((x) => x.id === id) ?? -1;
    if (list === undefined || i < 0) throw notFound(id);
    const [e] = list.splice(i, 1);
    if (list.length === 0) this.byZone.delete(zoneKey);
    this.count--;
    this.changed();
    return e!.info;
  }

  /** Remove every fault of a zone; returns how many there were. */
  clear(zoneKey: string): number {
    const n = this.byZone.get(zoneKey)?.length ?? 0;
    this.byZone.delete(zoneKey);
    this.count -= n;
    if (n > 0) this.changed();
    return n;
  }

  /** Zones that have faults (their keys). */
  zones(): string[] {
    return [...this.byZone.keys()];
  }

  /**
   * The active faults of this zone that match the exchange, oldest first. Costs one integer
   * comparison when no zone has a fault.
   */
  active(zoneKey: string, x: Exchange): readonly Fault[] {
    if (this.count === 0) return NONE;
    const list = this.byZone.get(zoneKey);
    if (list === undefined) return NONE;
    // The exchange's address as scopes match it, parsed once and only if a scope needs it.
    let key: string | undefined | null = null;
    const addressOf = () => {
      if (key === null) key = x.address === undefined ? undefined : addressKey(x.address);
      return key;
    };
    let out: Fault[] | undefined;
    for (const e of list) {
      if (!e.info.active || !(FAULT_KINDS[e.kind].points as readonly string[]).includes(x.point))
        continue;
      if (!this.inScope(e, x, addressOf)) continue;
      if (out === undefined) out = [e];
      else out.push(e);
    }
    return out ?? NONE;
  }

  /** The fault with this id on the zone, active or not (a UDP worker reports one by id). */
  fault(zoneKey: string, id: string): Fault | undefined {
    return this.byZone.get(zoneKey)?.find((x) => x.id === id);
  }

  /** The first active fault of `kind` for the exchange, if any. */
  find(zoneKey: string, kind: FaultKind, x: Exchange): Fault | undefined {
    if (this.count === 0) return undefined;
    return this.active(zoneKey, x).find((f) => f.kind === kind);
  }

  /**
   * A point acted on `fault`: count it, use one of its `times`, tell the listeners. Returns
   * the fault as shown after.
   */
  applied(zone: string, fault: Fault, e: Omit<FaultApplied, "zone" | "fault">): FaultInfo {
    const info = (fault as Entry).info;
    info.applied++;
    info.last_applied = this.now().toISOString();
    if (info.times !== null) {
      info.times = Math.max(0, info.times - 1);
      if (info.times === 0) info.active = false;
    }
    const event: FaultApplied = { zone, fault: info, ...e };
    for (const l of this.listeners) l(event);
    return info;
  }

  onApplied(listener: (e: FaultApplied) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Told after a fault is added or removed (`add`, `remove`, `clear`, `mirror`). */
  onChange(listener: () => void): () => void {
    this.changeListeners.push(listener);
    return () => {
      const i = this.changeListeners.indexOf(listener);
      if (i >= 0) this.changeListeners.splice(i, 1);
    };
  }

  private changed(): void {
    for (const l of this.changeListeners) l();
  }

  /** Every fault by zone key, as plain data: what a copy in another process is made from. */
  snapshot(): FaultSnapshot {
    return [...this.byZone].map(([zoneKey, list]) => [zoneKey, list.map((e) => e.info)]);
  }

  /**
   * Hold the faults of another store's snapshot instead of these: a UDP worker's store follows
   * the main process's (same ids, parameters, scope and counts), so that its answers misbehave
   * alike. A fault held already keeps the lower of its two counts of `times` left: each
   * process learns its own applications at once and the others' only with the next snapshot,
   * so both counts are at least what is truly left, and a used-up fault is never revived.
   */
  mirror(snapshot: FaultSnapshot): void {
    const held = new Map<string, FaultInfo>();
    for (const list of this.byZone.values()) for (const e of list) held.set(e.id, e.info);
    this.byZone.clear();
    this.count = 0;
    for (const [zoneKey, infos] of snapshot) {
      if (infos.length === 0) continue;
      this.byZone.set(
        zoneKey,
        infos.map((given) => {
          const info: FaultInfo = { ...given, params: { ...given.params } };
          const mine = held.get(info.id)?.times;
          if (info.times !== null && mine !== undefined && mine !== null)
            info.times = Math.min(info.times, mine);
          if (info.times === 0) info.active = false;
          return entryOf(info);
        }),
      );
      this.count += infos.length;
    }
    this.changed();
  }

  private inScope(e: Entry, x: Exchange, addressOf: () => string | undefined): boolean {
    if (e.info.peer_id !== null) {
      if (x.peerId !== undefined) {
        if (x.peerId !== e.info.peer_id) return false;
      } else {
        const ip = this.peers.peer(e.info.peer_id)?.ip;
        const address = addressOf();
        if (ip === undefined || address === undefined || addressKey(ip) !== address) return false;
      }
    }
    return e.sourceKey === undefined || addressOf() === e.sourceKey;
  }

  private parse(spec: unknown, origin: FaultInfo["origin"]): Entry {
    if (!isObject(spec)) throw invalid("a fault is an object with a kind and its parameters");
    const { kind, peer_id, source, times, ...rest } = spec as FaultSpec;
    if (!isFaultKind(kind)) {
      throw new ApiError(
        "UNKNOWN_FAULT_KIND",
        kind === undefined
          ? `kind is required: one of ${FAULT_KIND_NAMES.join(", ")}`
          : `unknown fault kind ${JSON.stringify(kind)}: one of ${FAULT_KIND_NAMES.join(", ")}`,
      );
    }
    const specs: Record<string, ParamSpec> = FAULT_KINDS[kind].params;
    // notify-from's `source` is where NOTIFYs leave from, not a scope.
    const sourceIsParam = Object.hasOwn(specs, "source");
    const given: Record<string, unknown> = { ...rest };
    if (sourceIsParam && source !== undefined) given.source = source;
    for (const k of Object.keys(given)) {
      if (!Object.hasOwn(specs, k)) {
        const known = Object.keys(specs);
        throw invalid(
          `${kind} has no parameter ${k}${known.length ? ` (it has ${known.join(", ")})` : " (it takes none)"}; the scope is peer_id or source, the count is times`,
        );
      }
    }
    const params: Record<string, ParamValue> = {};
    for (const [name, p] of Object.entries(specs))
      params[name] = paramValue(kind, name, p, given[name]);

    let peerId: string | null = null;
    if (peer_id !== undefined && peer_id !== null) {
      if (typeof peer_id !== "string" || !/^[0-9a-f]{32}$/.test(peer_id))
        throw invalid("peer_id must be a peer's id (32 hexadecimal digits)");
      if (this.peers.peer(peer_id) === undefined)
        throw invalid(`peer_id ${peer_id} is not a peer of this account`);
      peerId = peer_id;
    }
    let sourceText: string | null = null;
    if (!sourceIsParam && source !== undefined && source !== null) {
      if (typeof source !== "string" || addressKey(source) === undefined)
        throw invalid(`source ${JSON.stringify(source)} is not an IP address`);
      sourceText = source;
    }
    let count: number | null = null;
    if (times !== undefined && times !== null) {
      // As text too, like the parameters: `--fault` gives `times=3`.
      const n = typeof times === "string" && /^[0-9]+$/.test(times) ? Number(times) : times;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 1_000_000)
        throw invalid("times must be a whole number from 1 to 1000000 (absent: until removed)");
      count = n;
    }
    const id = randomBytes(16).toString("hex");
    const info: FaultInfo = {
      id,
      kind,
      params,
      peer_id: peerId,
      source: sourceText,
      times: count,
      applied: 0,
      last_applied: null,
      active: true,
      created_on: this.now().toISOString(),
      origin,
    };
    return entryOf(info);
  }
}

const NONE: readonly Fault[] = Object.freeze([]);

/** A fault as the store holds it: its info, and the key its `source` scope is matched by. */
function entryOf(info: FaultInfo): Entry {
  const entry: Entry = { id: info.id, kind: info.kind, params: info.params, info };
  const sourceKey = info.source === null ? undefined : addressKey(info.source);
  if (sourceKey !== undefined) entry.sourceKey = sourceKey;
  return entry;
}

const invalid = (message: string) => new ApiError("INVALID_FAULT", message);
const notFound = (id: string) =>
  new ApiError("FAULT_NOT_FOUND", `no fault with id ${JSON.stringify(id)} on this zone`);

/** A parameter's value from what was given (a number may come as text, from --fault). */
function paramValue(kind: string, name: string, p: ParamSpec, v: unknown): ParamValue {
  const where = `${kind}: ${name}`;
  if (v === undefined || v === null) {
    if (p.default === undefined) throw invalid(`${where} is required (${p.doc})`);
    return p.default;
  }
  switch (p.type) {
    case "int":
    case "number": {
      const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
      const whole = p.type === "int";
      if (
        typeof n !== "number" ||
        !Number.isFinite(n) ||
        (whole && !Number.isInteger(n)) ||
        n < p.min ||
        n > p.max
      )
        throw invalid(
          `${where} must be a ${whole ? "whole " : ""}number from ${p.min} to ${p.max} (${p.doc})`,
        );
      return n;
    }
    case "bool":
      if (v === true || v === "true") return true;
      if (v === false || v === "false") return false;
      throw invalid(`${where} must be true or false (${p.doc})`);
    case "rcode": {
      const text = String(v).toUpperCase();
      if (/^[0-9]+$/.test(text)) {
        const n = Number(text);
        if (n >= 1 && n <= 15) return RCODE_NAMES[n] ?? `RCODE${n}`;
      } else if ((RCODE_NAMES as string[]).includes(text) && text !== "NOERROR") return text;
      throw invalid(`${where} must be an error RCODE: ${RCODE_NAMES.slice(1).join(", ")} or 1..15`);
    }
    case "message": {
      if (v === "last") return "last";
      const n = typeof v === "string" && /^[0-9]+$/.test(v) ? Number(v) : v;
      if (typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= 1_000_000) return n;
      throw invalid(`${where} must be "last" or a message number from 1 (${p.doc})`);
    }
    case "address":
      if (typeof v === "string" && addressKey(v) !== undefined) return v;
      throw invalid(`${where} must be an IP address (${p.doc})`);
  }
}

/** The RCODE number of a fault's `rcode` parameter (a mnemonic or RCODEn). */
export function rcodeOf(value: ParamValue): number {
  const text = String(value);
  if (text.startsWith("RCODE")) return Number(text.slice(5));
  return RCODE[text as keyof typeof RCODE];
}
