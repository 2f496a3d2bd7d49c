/**
 * The transfer settings: Cloudflare's secondary-DNS objects held in memory, one store shared by
 * the config file (src/config/) and the REST API, and queried by the transfer server.
 *
 * Objects and field names are Cloudflare's (cloudflare.md §3): TSIGs `{id, name, algo, secret}`,
 * peers `{id, name, ip, port, ixfr_enable, tsig_id}`, ACLs `{id, name, ip_range}`, and per zone
 * the outgoing configuration `{id, name, peers, status, created_time, checked_time,
 * last_transferred_time, soa_serial}`. Stored objects are frozen and replaced on change, so a
 * caller may keep what it got without copying and without seeing it change underneath.
 *
 * Validation happens here, once, for every writer: a method takes the input as a client sent
 * it (wrong types included) and either stores a valid object or throws a SettingsError.
 *
 * Rules where Cloudflare's public material is silent (decisions of this emulator):
 * - TSIG names are unique in the account, compared case-insensitively (RFC 8945 §4.2 selects
 *   the key by name, so two keys with one name could not be told apart). Peer and ACL names
 *   are labels only and may repeat.
 * - Deleting a TSIG that a peer uses, or a peer that a zone links, is refused (TSIG_IN_USE,
 *   PEER_IN_USE) rather than cascading: references stay valid, and nothing disappears from a
 *   zone's transfer policy as a side effect of an unrelated call.
 * - The shared-TSIG rule (cloudflare.md §2: when one linked peer has a TSIG, all linked peers
 *   use the same one) is enforced when peers are linked AND when a linked peer's tsig_id is
 *   changed later. To rotate a zone's key, change the TSIG object's secret (PUT the TSIG):
 *   its id stays, so no peer changes.
 * - A new outgoing configuration starts "Disabled", as on Cloudflare, where transfers start
 *   only after `outgoing/enable` (setup guide, step 6). A PUT replaces the linked peers and
 *   leaves the status alone: status has its own endpoints.
 * - `checked_time` and `last_transferred_time` are null until a secondary has checked or
 *   transferred the zone.
 * - Optional input fields given as null or "" count as absent (clients such as Terraform send
 *   them that way).
 * - ACL ranges and peer addresses are stored in canonical text: network address with the host
 *   bits cleared, RFC 5952 IPv6, and a bare address means a single host (/32 or /128).
 */

import { createHash, randomBytes as cryptoRandomBytes } from "node:crypto";
import { BlockList } from "node:net";
import { canonicalName, NameError, nameKey } from "../../wire/name.js";
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../../wire/rdata/ip.js";
import {
  canonicalAlgorithm,
  macLength,
  TSIG_ALGORITHMS,
  type TsigAlgorithm,
} from "../../wire/tsig/algorithms.js";
import { SettingsError } from "../errors.js";

export { SETTINGS_ERRORS, SettingsError, type SettingsErrorName } from "../errors.js";

/** cloudflare.md §4. */
export const MAX_LINKED_PEERS = 30;
/** cloudflare.md §2 and §4: an ACL is at most a /24 (IPv4) or a /64 (IPv6). */
export const ACL_MIN_PREFIX_V4 = 24;
export const ACL_MIN_PREFIX_V6 = 64;
export const DEFAULT_PEER_PORT = 53;

export type OutgoingStatus = "Enabled" | "Disabled";

export interface Tsig {
  readonly id: string;
  /** Canonical domain name with the trailing dot, letter case as given. */
  readonly name: string;
  readonly algo: TsigAlgorithm;
  /** Base64, as given. */
  readonly secret: string;
}

export interface Peer {
  readonly id: string;
  readonly name: string;
  /** Where NOTIFY goes and the source address a transfer may come from. */
  readonly ip?: string;
  readonly port: number;
  /** Stored and returned; has no effect for a primary (Cloudflare always accepts IXFR, §1). */
  readonly ixfr_enable: boolean;
  readonly tsig_id?: string;
}

export interface Acl {
  readonly id: string;
  readonly name: string;
  /** Canonical CIDR, e.g. "192.0.2.0/24" or "2001:db8::/64". */
  readonly ip_range: string;
}

export interface OutgoingConfig {
  readonly id: string;
  /** The zone, canonical with the trailing dot: "example.com.". */
  readonly name: string;
  readonly peers: readonly string[];
  readonly status: OutgoingStatus;
  readonly created_time: string;
  readonly checked_time: string | null;
  readonly last_transferred_time: string | null;
  readonly soa_serial?: number;
}

export interface TsigInput {
  name: string;
  algo: string;
  /** Omitted on create: a random secret of the algorithm's hash length is generated. */
  secret?: string | null;
}

export interface PeerInput {
  name: string;
  ip?: string | null;
  port?: number | null;
  ixfr_enable?: boolean | null;
  tsig_id?: string | null;
}

export interface AclInput {
  name: string;
  ip_range: string;
}

export interface OutgoingInput {
  /** If given, must be the zone itself (the API body repeats it). */
  name?: string | null;
  peers?: readonly string[] | null;
  /** Create only; later changes go through enable() and disable(). */
  status?: OutgoingStatus | string | null;
}

export interface CreateOptions {
  /** A chosen id (32 lowercase hex), e.g. one derived by derivedId(); random otherwise. */
  id?: string;
}

export interface SourceCheck {
  allowed: boolean;
  via?: "peer" | "acl";
  peer?: Peer;
  acl?: Acl;
}

export type SettingsChange =
  | {
      kind: "tsig" | "peer" | "acl";
      action: "create" | "update" | "delete";
      id: string;
    }
  | {
      kind: "outgoing";
      action: "create" | "update" | "delete" | "enable" | "disable" | "force_notify";
      id: string;
      /** Canonical zone name. */
      zone: string;
    }
  | {
      /** The zone's outgoing-transfer entitlement was granted or revoked (not stored). */
      kind: "entitlement";
      /** Canonical zone name. */
      zone: string;
      entitled: boolean;
    };

export type SettingsListener = (change: SettingsChange) => void;

export interface TransferSettingsOptions {
  /** The clock for the outgoing timestamps. */
  now?: () => Date;
  /** Source of random ids and generated secrets (tests make it deterministic). */
  randomBytes?: (size: number) => Buffer;
  /** Where an exception thrown by a change listener goes (default: a process warning). */
  onListenerError?: (err: unknown) => void;
}

const ID_RE = /^[0-9a-f]{32}$/;
/**
 * Standard base64 (RFC 4648 §4) with its padding, the form BIND, Knot, NSD and dig write and
 * the one `openssl rand -base64` prints.
 */
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A stable id for an object defined by name (config files): the first 32 hex digits of
 * sha256("kind:key"). Labs can script against these ids across restarts.
 */
export function derivedId(kind: "tsig" | "peer" | "acl" | "zone" | "account", key: string): string {
  return createHash("sha256").update(`${kind}:${key}`).digest("hex").slice(0, 32);
}

/** The id an outgoing configuration gets by default: the zone's derived id (Cloudflare uses the zone id). */
export function zoneId(zone: string): string {
  return derivedId("zone", nameKey(canonicalName(zone)));
}

interface ZoneView {
  peers: readonly Peer[];
  tsig: Tsig | undefined;
  /** Linked peers by the address a source is matched by (Address.key). */
  byIp: Map<string, Peer>;
}

export class TransferSettings {
  private readonly tsigs = new Map<string, Tsig>();
  private readonly tsigNames = new Map<string, Tsig>();
  private readonly peers = new Map<string, Peer>();
  private readonly acls = new Map<string, Acl>();
  private aclBlocks: { acl: Acl; list: BlockList }[] | undefined;
  /** Outgoing configurations by zone key (lowercased canonical name). */
  private readonly outgoings = new Map<string, OutgoingConfig>();
  /** Zones (keys) whose outgoing transfers the account team has not enabled (see entitled). */
  private readonly notEntitled = new Set<string>();
  /** Per-zone answers for the transfer server, dropped on every change of peers or links. */
  private readonly views = new Map<string, ZoneView>();
  private readonly listeners = new Set<SettingsListener>();
  /** Listeners whose failure fails the call that made the change (the store: not durable). */
  private readonly strictListeners = new Set<SettingsListener>();
  private readonly now: () => Date;
  private readonly random: (size: number) => Buffer;
  private readonly onListenerError: (err: unknown) => void;

  constructor(opts: TransferSettingsOptions = {}) {
    this.now = opts.now ?? (() => new Date());
    this.random = opts.randomBytes ?? cryptoRandomBytes;
    this.onListenerError =
      opts.onListenerError ??
      ((err) => process.emitWarning(err instanceof Error ? err : String(err)));
  }

  // ---------------------------------------------------------------- change events

  /** Listen to every committed change; returns the function that stops listening. */
  onChange(listener: SettingsListener, opts: { strict?: boolean } = {}): () => void {
    const set = opts.strict ? this.strictListeners : this.listeners;
    set.add(listener);
    return () => set.delete(listener);
  }

  private emit(change: SettingsChange): void {
    // The change is committed before listeners run: a failing listener cannot undo it, nor
    // make the caller believe it failed. Except a strict listener (the store, `strict`): its
    // failure means the change is not durable, so the caller hears of it, after the others ran.
    let failure: { err: unknown } | undefined;
    for (const l of this.strictListeners) {
      try {
        l(change);
      } catch (err) {
        failure ??= { err };
      }
    }
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        this.onListenerError(err);
      }
    }
    if (failure !== undefined) throw failure.err;
  }

  private changed(): void {
    this.views.clear();
  }

  // ---------------------------------------------------------------- TSIGs

  createTsig(input: TsigInput, opts: CreateOptions = {}): Tsig {
    const id = this.newId(this.tsigs, opts.id);
    const tsig = this.validTsig(id, input, true);
    this.tsigs.set(id, tsig);
    this.tsigNames.set(nameKey(tsig.name), tsig);
    this.emit({ kind: "tsig", action: "create", id });
    return tsig;
  }

  /** Full replace (PUT): name, algo and secret are all required (cloudflare.md §3). */
  updateTsig(id: string, input: TsigInput): Tsig {
    const old = this.getTsig(id);
    const tsig = this.validTsig(id, input, false);
    this.tsigNames.delete(nameKey(old.name));
    this.tsigs.set(id, tsig);
    this.tsigNames.set(nameKey(tsig.name), tsig);
    this.changed();
    this.emit({ kind: "tsig", action: "update", id });
    return tsig;
  }

  getTsig(id: string): Tsig {
    const tsig = this.tsigs.get(id);
    if (tsig === undefined) throw notFound("TSIG", id);
    return tsig;
  }

  listTsigs(): Tsig[] {
    return [...this.tsigs.values()];
  }

  deleteTsig(id: string): { id: string } {
    const tsig = this.getTsig(id);
    const users = [...this.peers.values()].filter((p) => p.tsig_id === id);
    if (users.length > 0) {
      throw new SettingsError(
        "TSIG_IN_USE",
        `TSIG "${tsig.name}" is used by ${listNames("peer", users)}; ` +
          "remove it from those peers before deleting it",
      );
    }
    this.tsigs.delete(id);
    this.tsigNames.delete(nameKey(tsig.name));
    this.emit({ kind: "tsig", action: "delete", id });
    return { id };
  }

  private validTsig(id: string, input: TsigInput, creating: boolean): Tsig {
    const o = asObject(input);
    const nameText = requiredString(o.name, "name", "TSIG name");
    let name: string;
    try {
      name = canonicalName(nameText);
    } catch (err) {
      if (!(err instanceof NameError)) throw err;
      throw new SettingsError("INVALID_NAME", `TSIG name "${nameText}": ${err.message}`, "name");
    }
    if (name === ".") {
      throw new SettingsError("INVALID_NAME", "a TSIG name cannot be the root", "name");
    }
    const other = this.tsigNames.get(nameKey(name));
    if (other !== undefined && other.id !== id) {
      throw new SettingsError(
        "DUPLICATE_NAME",
        `a TSIG named "${other.name}" already exists (id ${other.id}); TSIG names select the key, so they must be unique`,
        "name",
      );
    }
    const algo = tsigAlgorithm(requiredString(o.algo, "algo", "TSIG algorithm"));
    let secret = optionalString(o.secret, "secret");
    if (secret === undefined) {
      if (!creating) {
        throw new SettingsError(
          "INVALID_FIELD",
          "secret is required when replacing a TSIG (to rotate it, send a new one)",
          "secret",
        );
      }
      // The dashboard generates a random secret when none is given (setup guide, step 1).
      // RFC 8945 §6: a key as long as the hash output.
      secret = this.random(macLength(algo)).toString("base64");
    } else if (!BASE64_RE.test(secret) || Buffer.from(secret, "base64").length === 0) {
      throw new SettingsError(
        "INVALID_SECRET",
        "secret must be base64 (as made by `openssl rand -base64 32`)",
        "secret",
      );
    }
    return Object.freeze({ id, name, algo, secret });
  }

  // ---------------------------------------------------------------- peers

  createPeer(input: PeerInput, opts: CreateOptions = {}): Peer {
    const id = this.newId(this.peers, opts.id);
    const peer = this.validPeer(id, input);
    this.peers.set(id, peer);
    this.emit({ kind: "peer", action: "create", id });
    return peer;
  }

  /** Full replace (PUT): fields left out return to their defaults. */
  updatePeer(id: string, input: PeerInput): Peer {
    const old = this.getPeer(id);
    const peer = this.validPeer(id, input);
    if (peer.tsig_id !== old.tsig_id) {
      // cloudflare.md §2: the peers of a zone share one TSIG, also after a later change.
      for (const cfg of this.outgoings.values()) {
        if (!cfg.peers.includes(id)) continue;
        const peers = cfg.peers.map((p) => (p === id ? peer : this.peers.get(p)!));
        this.checkSharedTsig(peers, "tsig_id", `peer "${peer.name}" is linked to ${cfg.name}: `);
      }
    }
    this.peers.set(id, peer);
    this.changed();
    this.emit({ kind: "peer", action: "update", id });
    return peer;
  }

  getPeer(id: string): Peer {
    const peer = this.findPeer(id);
    if (peer === undefined) throw notFound("peer", id);
    return peer;
  }

  /** The peer with this id, or undefined (getPeer throws 7003 instead). */
  findPeer(id: string): Peer | undefined {
    return this.peers.get(id);
  }

  listPeers(): Peer[] {
    return [...this.peers.values()];
  }

  deletePeer(id: string): { id: string } {
    const peer = this.getPeer(id);
    const zones = [...this.outgoings.values()].filter((c) => c.peers.includes(id));
    if (zones.length > 0) {
      const names = zones.map((c) => c.name);
      throw new SettingsError(
        "PEER_IN_USE",
        `peer "${peer.name}" is linked to ${names.length === 1 ? "zone" : "zones"} ${names.join(", ")}; ` +
          "unlink it before deleting it",
      );
    }
    this.peers.delete(id);
    this.emit({ kind: "peer", action: "delete", id });
    return { id };
  }

  private validPeer(id: string, input: PeerInput): Peer {
    const o = asObject(input);
    const name = requiredString(o.name, "name", "peer name");
    const ipText = optionalString(o.ip, "ip");
    let ip: string | undefined;
    if (ipText !== undefined) {
      const parsed = parseAddress(ipText);
      if (parsed === undefined) {
        throw new SettingsError(
          "INVALID_IP",
          `ip "${ipText}" is not an IPv4 or IPv6 address`,
          "ip",
        );
      }
      ip = parsed.text;
    }
    let port = DEFAULT_PEER_PORT;
    if (o.port !== undefined && o.port !== null) {
      if (!Number.isInteger(o.port) || (o.port as number) < 1 || (o.port as number) > 65535) {
        throw new SettingsError(
          "INVALID_FIELD",
          `port must be an integer from 1 to 65535, not ${show(o.port)}`,
          "port",
        );
      }
      port = o.port as number;
    }
    let ixfr = false;
    if (o.ixfr_enable !== undefined && o.ixfr_enable !== null) {
      if (typeof o.ixfr_enable !== "boolean") {
        throw new SettingsError(
          "INVALID_FIELD",
          `ixfr_enable must be true or false, not ${show(o.ixfr_enable)}`,
          "ixfr_enable",
        );
      }
      ixfr = o.ixfr_enable;
    }
    const tsigId = optionalString(o.tsig_id, "tsig_id");
    if (tsigId !== undefined && !this.tsigs.has(tsigId)) {
      throw new SettingsError("UNKNOWN_TSIG", `no TSIG with id "${tsigId}"`, "tsig_id");
    }
    const peer: { -readonly [K in keyof Peer]: Peer[K] } = { id, name, port, ixfr_enable: ixfr };
    if (ip !== undefined) peer.ip = ip;
    if (tsigId !== undefined) peer.tsig_id = tsigId;
    return Object.freeze(peer);
  }

  // ---------------------------------------------------------------- ACLs

  createAcl(input: AclInput, opts: CreateOptions = {}): Acl {
    const id = this.newId(this.acls, opts.id);
    const acl = validAcl(id, input);
    this.acls.set(id, acl);
    this.aclBlocks = undefined;
    this.emit({ kind: "acl", action: "create", id });
    return acl;
  }

  updateAcl(id: string, input: AclInput): Acl {
    this.getAcl(id);
    const acl = validAcl(id, input);
    this.acls.set(id, acl);
    this.aclBlocks = undefined;
    this.emit({ kind: "acl", action: "update", id });
    return acl;
  }

  getAcl(id: string): Acl {
    const acl = this.acls.get(id);
    if (acl === undefined) throw notFound("ACL", id);
    return acl;
  }

  listAcls(): Acl[] {
    return [...this.acls.values()];
  }

  /** ACLs are referenced by nothing, so they can always be deleted. */
  deleteAcl(id: string): { id: string } {
    this.getAcl(id);
    this.acls.delete(id);
    this.aclBlocks = undefined;
    this.emit({ kind: "acl", action: "delete", id });
    return { id };
  }

  // ---------------------------------------------------------------- outgoing (per zone)

  createOutgoing(
    zone: string,
    input: OutgoingInput = {},
    opts: CreateOptions = {},
  ): OutgoingConfig {
    const name = zoneName(zone);
    const key = nameKey(name);
    const existing = this.outgoings.get(key);
    if (existing !== undefined) {
      throw new SettingsError(
        "OUTGOING_EXISTS",
        `zone ${existing.name} already has an outgoing transfer configuration; update it instead`,
      );
    }
    let id: string;
    if (opts.id !== undefined) {
      checkId(opts.id);
      id = opts.id;
    } else id = derivedId("zone", key);
    const o = asObject(input);
    checkBodyName(o.name, name);
    const peers = this.validLinks(o.peers);
    let status: OutgoingStatus = "Disabled";
    if (o.status !== undefined && o.status !== null) status = outgoingStatus(o.status);
    const cfg: OutgoingConfig = Object.freeze({
      id,
      name,
      peers,
      status,
      created_time: this.now().toISOString(),
      checked_time: null,
      last_transferred_time: null,
    });
    this.outgoings.set(key, cfg);
    this.changed();
    this.emit({ kind: "outgoing", action: "create", id, zone: name });
    return cfg;
  }

  /** PUT: replaces the linked peers; status and timestamps stay. */
  updateOutgoing(zone: string, input: OutgoingInput): OutgoingConfig {
    const old = this.getOutgoing(zone);
    const o = asObject(input);
    checkBodyName(o.name, old.name);
    if (o.status !== undefined && o.status !== null) {
      throw new SettingsError(
        "INVALID_FIELD",
        "status cannot be set by an update; use enable or disable",
        "status",
      );
    }
    const cfg = Object.freeze({ ...old, peers: this.validLinks(o.peers) });
    this.outgoings.set(nameKey(old.name), cfg);
    this.changed();
    this.emit({ kind: "outgoing", action: "update", id: cfg.id, zone: cfg.name });
    return cfg;
  }

  /** The zone's outgoing configuration; NOT_FOUND if it has none. */
  getOutgoing(zone: string): OutgoingConfig {
    const cfg = this.outgoing(zone);
    if (cfg === undefined) {
      throw new SettingsError(
        "NOT_FOUND",
        `zone ${zoneName(zone)} has no outgoing transfer configuration`,
      );
    }
    return cfg;
  }

  listOutgoing(): OutgoingConfig[] {
    return [...this.outgoings.values()];
  }

  deleteOutgoing(zone: string): { id: string } {
    const cfg = this.getOutgoing(zone);
    this.outgoings.delete(nameKey(cfg.name));
    this.changed();
    this.emit({ kind: "outgoing", action: "delete", id: cfg.id, zone: cfg.name });
    return { id: cfg.id };
  }

  /**
   * `POST .../outgoing/enable`. Emits "enable" even when already enabled: Cloudflare sends a
   * NOTIFY on enable (setup guide, step 6), and a listener decides what to do with it.
   */
  enable(zone: string): OutgoingStatus {
    return this.setStatus(zone, "Enabled", "enable");
  }

  /** `POST .../outgoing/disable`; listeners clear the IXFR backlog (cloudflare.md §1). */
  disable(zone: string): OutgoingStatus {
    return this.setStatus(zone, "Disabled", "disable");
  }

  /** `POST .../outgoing/force_notify`: only an event; the NOTIFY sender acts on it. */
  forceNotify(zone: string): "OK" {
    const cfg = this.getOutgoing(zone);
    this.emit({ kind: "outgoing", action: "force_notify", id: cfg.id, zone: cfg.name });
    return "OK";
  }

  /**
   * A secondary asked for the zone's SOA or a transfer (sets checked_time). This and the two
   * methods below record what happened rather than change the configuration: no event.
   */
  markChecked(zone: string): void {
    const cfg = this.outgoing(zone);
    if (cfg === undefined) return;
    this.replace(cfg, { checked_time: this.now().toISOString() });
  }

  /** A transfer of `serial` completed (sets last_transferred_time, checked_time, soa_serial). */
  markTransferred(zone: string, serial: number): void {
    const cfg = this.outgoing(zone);
    if (cfg === undefined) return;
    const t = this.now().toISOString();
    this.replace(cfg, {
      checked_time: t,
      last_transferred_time: t,
      soa_serial: checkSerial(serial),
    });
  }

  /** The zone's current serial, which Cloudflare shows read-only as soa_serial (§1 SOA). */
  setSoaSerial(zone: string, serial: number): void {
    const cfg = this.outgoing(zone);
    if (cfg === undefined) return;
    this.replace(cfg, { soa_serial: checkSerial(serial) });
  }

  /**
   * Put back the times a configuration had before a restart (the store): no event, as for
   * markChecked.
   */
  restoreTimes(
    zone: string,
    times: Pick<
      OutgoingConfig,
      "created_time" | "checked_time" | "last_transferred_time" | "soa_serial"
    >,
  ): void {
    const cfg = this.outgoing(zone);
    if (cfg === undefined) return;
    const patch: { -readonly [K in keyof OutgoingConfig]?: OutgoingConfig[K] } = {
      created_time: times.created_time,
      checked_time: times.checked_time,
      last_transferred_time: times.last_transferred_time,
    };
    if (times.soa_serial !== undefined) patch.soa_serial = checkSerial(times.soa_serial);
    this.replace(cfg, patch);
  }

  private setStatus(
    zone: string,
    status: OutgoingStatus,
    action: "enable" | "disable",
  ): OutgoingStatus {
    const cfg = this.getOutgoing(zone);
    if (cfg.status !== status) this.replace(cfg, { status });
    this.emit({ kind: "outgoing", action, id: cfg.id, zone: cfg.name });
    return status;
  }

  private replace(cfg: OutgoingConfig, patch: Partial<OutgoingConfig>): void {
    this.outgoings.set(nameKey(cfg.name), Object.freeze({ ...cfg, ...patch }));
  }

  private validLinks(value: unknown): readonly string[] {
    if (value === undefined || value === null) return Object.freeze([]);
    if (!Array.isArray(value)) {
      throw new SettingsError(
        "INVALID_FIELD",
        `peers must be a list of peer ids, not ${show(value)}`,
        "peers",
      );
    }
    if (value.length > MAX_LINKED_PEERS) {
      throw new SettingsError(
        "TOO_MANY_PEERS",
        `${value.length} peers linked, at most ${MAX_LINKED_PEERS}`,
        "peers",
      );
    }
    const peers: Peer[] = [];
    const seen = new Map<string, number>();
    value.forEach((id: unknown, i) => {
      const path = `peers[${i}]`;
      if (typeof id !== "string") {
        throw new SettingsError("INVALID_FIELD", `a peer id is a string, not ${show(id)}`, path);
      }
      const peer = this.peers.get(id);
      if (peer === undefined)
        throw new SettingsError("UNKNOWN_PEER", `no peer with id "${id}"`, path);
      const first = seen.get(id);
      if (first !== undefined) {
        throw new SettingsError(
          "DUPLICATE_PEER_LINK",
          `peer "${peer.name}" is linked twice (also peers[${first}])`,
          path,
        );
      }
      seen.set(id, i);
      peers.push(peer);
    });
    this.checkSharedTsig(peers, "peers", "");
    return Object.freeze(peers.map((p) => p.id));
  }

  /** cloudflare.md §2: if one linked peer has a TSIG, every linked peer has that same TSIG. */
  private checkSharedTsig(peers: readonly Peer[], path: string, prefix: string): void {
    const firstByTsig = new Map<string | undefined, Peer>();
    for (const p of peers) if (!firstByTsig.has(p.tsig_id)) firstByTsig.set(p.tsig_id, p);
    if (firstByTsig.size <= 1) return;
    const uses = [...firstByTsig].map(([tsigId, p]) =>
      tsigId === undefined
        ? `peer "${p.name}" has no TSIG`
        : `peer "${p.name}" uses TSIG "${this.tsigs.get(tsigId)?.name ?? tsigId}"`,
    );
    throw new SettingsError(
      "TSIG_MISMATCH",
      `${prefix}the peers linked to a zone must all use the same TSIG, but ${uses.join(", ")}`,
      path,
    );
  }

  // ---------------------------------------------------------------- the entitlement

  /**
   * Whether the zone is enabled for outgoing zone transfers. On Cloudflare this is an
   * entitlement the account team grants ("Make sure your account team has enabled your zone
   * for outgoing zone transfers", the setup guide's first step); here every zone has it
   * unless it is revoked (the config file's `outgoing_entitled: false`, the emulator's route).
   */
  entitled(zone: string): boolean {
    const key = lookupKey(zone);
    return key === undefined || !this.notEntitled.has(key);
  }

  /** Grant or revoke the entitlement. Not a Cloudflare object: not stored in a data dir. */
  setEntitled(zone: string, entitled: boolean): void {
    const key = lookupKey(zone);
    if (key === undefined) throw new SettingsError("INVALID_NAME", `${zone} is not a zone name`);
    if (this.entitled(zone) === entitled) return;
    if (entitled) this.notEntitled.delete(key);
    else this.notEntitled.add(key);
    this.emit({ kind: "entitlement", zone: zoneName(zone), entitled });
  }

  // ---------------------------------------------------------------- queries of the transfer server

  /**
   * The zone's configuration when its outgoing transfers run: Enabled, and the zone entitled
   * to them. What transfers, NOTIFY and SOA checks follow.
   */
  activeOutgoing(zone: string): OutgoingConfig | undefined {
    const cfg = this.outgoing(zone);
    return cfg?.status === "Enabled" && this.entitled(zone) ? cfg : undefined;
  }

  /** The zone's outgoing configuration, or undefined (also for a name that is not valid). */
  outgoing(zone: string): OutgoingConfig | undefined {
    const key = lookupKey(zone);
    return key === undefined ? undefined : this.outgoings.get(key);
  }

  /** The peers linked to the zone, in link order. */
  linkedPeers(zone: string): readonly Peer[] {
    return this.view(zone)?.peers ?? [];
  }

  /** The TSIG every linked peer uses, if they use one (cloudflare.md §2). */
  zoneTsig(zone: string): Tsig | undefined {
    return this.view(zone)?.tsig;
  }

  /** RFC 8945 §4.2: the key a request names; case-insensitive, trailing dot optional. */
  tsigByName(name: string): Tsig | undefined {
    const key = lookupKey(name);
    return key === undefined ? undefined : this.tsigNames.get(key);
  }

  /**
   * cloudflare.md §2: a transfer may come from a linked peer's ip, or from inside any of the
   * account's ACL ranges. A peer match is reported first (it names the peer for the log).
   * `ip` is a socket's remote address; an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, from a
   * dual-stack socket, RFC 4291 §2.5.5.2) counts as the IPv4 address it carries.
   */
  isAllowedSource(zone: string, ip: string): SourceCheck {
    const source = parseAddress(ip);
    if (source === undefined) return { allowed: false };
    const peer = this.view(zone)?.byIp.get(source.key);
    if (peer !== undefined) return { allowed: true, via: "peer", peer };
    for (const { acl, list } of this.aclLists()) {
      if (list.check(source.key, source.key.includes(":") ? "ipv6" : "ipv4")) {
        return { allowed: true, via: "acl", acl };
      }
    }
    return { allowed: false };
  }

  private view(zone: string): ZoneView | undefined {
    const key = lookupKey(zone);
    if (key === undefined) return undefined;
    const cached = this.views.get(key);
    if (cached !== undefined) return cached;
    const cfg = this.outgoings.get(key);
    if (cfg === undefined) return undefined;
    const peers = Object.freeze(cfg.peers.map((id) => this.peers.get(id)!));
    const byIp = new Map<string, Peer>();
    for (const p of peers) {
      if (p.ip === undefined) continue;
      const k = parseAddress(p.ip)!.key;
      if (!byIp.has(k)) byIp.set(k, p);
    }
    const tsigId = peers.find((p) => p.tsig_id !== undefined)?.tsig_id;
    const view = { peers, tsig: tsigId === undefined ? undefined : this.tsigs.get(tsigId), byIp };
    this.views.set(key, view);
    return view;
  }

  private aclLists(): { acl: Acl; list: BlockList }[] {
    if (this.aclBlocks === undefined) {
      this.aclBlocks = [...this.acls.values()].map((acl) => {
        const list = new BlockList();
        const slash = acl.ip_range.indexOf("/");
        const net = acl.ip_range.slice(0, slash);
        list.addSubnet(
          net,
          Number(acl.ip_range.slice(slash + 1)),
          net.includes(":") ? "ipv6" : "ipv4",
        );
        return { acl, list };
      });
    }
    return this.aclBlocks;
  }

  // ---------------------------------------------------------------- ids

  private newId(map: Map<string, unknown>, chosen: string | undefined): string {
    if (chosen !== undefined) {
      checkId(chosen);
      if (map.has(chosen)) {
        throw new SettingsError("DUPLICATE_ID", `id ${chosen} is already taken`, "id");
      }
      return chosen;
    }
    for (;;) {
      const id = this.random(16).toString("hex");
      if (!map.has(id)) return id;
    }
  }
}

// ------------------------------------------------------------------ validation helpers

function notFound(what: string, id: string): SettingsError {
  return new SettingsError("NOT_FOUND", `no ${what} with id "${id}"`);
}

function checkId(id: string): void {
  if (typeof id !== "string" || !ID_RE.test(id)) {
    throw new SettingsError(
      "INVALID_ID",
      `id must be 32 lowercase hexadecimal digits, not ${show(id)}`,
      "id",
    );
  }
}

function asObject(input: unknown): Record<string, unknown> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new SettingsError("INVALID_FIELD", `expected an object, not ${show(input)}`);
  }
  return input as Record<string, unknown>;
}

function requiredString(v: unknown, path: string, what: string): string {
  if (v === undefined || v === null || v === "") {
    throw new SettingsError("INVALID_FIELD", `${what} is required`, path);
  }
  if (typeof v !== "string") {
    throw new SettingsError("INVALID_FIELD", `${what} must be a string, not ${show(v)}`, path);
  }
  return v;
}

function optionalString(v: unknown, path: string): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") {
    throw new SettingsError("INVALID_FIELD", `${path} must be a string, not ${show(v)}`, path);
  }
  return v;
}

/** A value as a person reads it in a message. */
function show(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return JSON.stringify(v) ?? String(v);
}

function listNames(what: string, objs: readonly { name: string }[]): string {
  const shown = objs.slice(0, 3).map((o) => `"${o.name}"`);
  const more = objs.length > 3 ? ` and ${objs.length - 3} more` : "";
  return `${what}${objs.length === 1 ? "" : "s"} ${shown.join(", ")}${more}`;
}

/** RFC 8945 §6 names, case-insensitive, trailing dot optional; "hmac-md5" as BIND writes it. */
function tsigAlgorithm(text: string): TsigAlgorithm {
  const algo = canonicalAlgorithm(text);
  if (algo !== undefined) return algo;
  throw new SettingsError(
    "INVALID_ALGORITHM",
    `algo "${text}" is not a TSIG algorithm; use one of ${TSIG_ALGORITHMS.join(", ")}`,
    "algo",
  );
}

function outgoingStatus(v: unknown): OutgoingStatus {
  if (v === "Enabled" || v === "Disabled") return v;
  throw new SettingsError(
    "INVALID_STATUS",
    `status must be "Enabled" or "Disabled", not ${show(v)}`,
    "status",
  );
}

function checkSerial(serial: number): number {
  if (!Number.isInteger(serial) || serial < 0 || serial > 0xffffffff) {
    throw new SettingsError(
      "INVALID_FIELD",
      `soa_serial ${serial} is not a 32-bit serial`,
      "soa_serial",
    );
  }
  return serial;
}

function zoneName(zone: unknown): string {
  if (typeof zone !== "string" || zone === "") {
    throw new SettingsError(
      "INVALID_NAME",
      `zone name must be a domain name, not ${show(zone)}`,
      "name",
    );
  }
  try {
    return canonicalName(zone);
  } catch (err) {
    if (!(err instanceof NameError)) throw err;
    throw new SettingsError("INVALID_NAME", `zone name "${zone}": ${err.message}`, "name");
  }
}

/** The map key of a zone or TSIG name given by a caller: undefined when it is not a name. */
function lookupKey(name: string): string | undefined {
  try {
    return nameKey(canonicalName(name));
  } catch {
    return undefined;
  }
}

/** An outgoing body may repeat the zone's name; it must then be that zone. */
function checkBodyName(v: unknown, zone: string): void {
  if (v === undefined || v === null || v === "") return;
  if (typeof v !== "string" || lookupKey(v) !== nameKey(zone)) {
    throw new SettingsError("INVALID_FIELD", `name ${show(v)} is not this zone (${zone})`, "name");
  }
}

interface Address {
  family: 4 | 6;
  /** Canonical text: dotted quad, or RFC 5952 IPv6. */
  text: string;
  /** What a source is matched by: an IPv4-mapped IPv6 address becomes its IPv4 address. */
  key: string;
  bytes: Uint8Array;
}

/**
 * An address as sources are matched (canonical text; an IPv4-mapped IPv6 address as its IPv4
 * address), or undefined when `text` is not an IP address.
 */
export function addressKey(text: string): string | undefined {
  return parseAddress(text)?.key;
}

function parseAddress(text: string): Address | undefined {
  if (typeof text !== "string") return undefined;
  const b4 = new Uint8Array(4);
  if (parseIPv4(text, 0, text.length, b4, 0)) {
    const t = formatIPv4(b4, 0);
    return { family: 4, text: t, key: t, bytes: b4 };
  }
  const b6 = new Uint8Array(16);
  if (!parseIPv6(text, b6, 0)) return undefined;
  const t = formatIPv6(b6, 0);
  let mapped = b6[10] === 0xff && b6[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) mapped = b6[i] === 0;
  return { family: 6, text: t, key: mapped ? formatIPv4(b6, 12) : t, bytes: b6 };
}

function validAcl(id: string, input: AclInput): Acl {
  const o = asObject(input);
  const name = requiredString(o.name, "name", "ACL name");
  const text = requiredString(o.ip_range, "ip_range", "ip_range");
  const slash = text.indexOf("/");
  const addr = parseAddress(slash < 0 ? text : text.slice(0, slash));
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  const bad = (): SettingsError =>
    new SettingsError(
      "INVALID_IP_RANGE",
      `ip_range "${text}" is not an address range such as 192.0.2.0/24 or 2001:db8::/64`,
      "ip_range",
    );
  if (addr === undefined) throw bad();
  const bits = addr.family === 4 ? 32 : 128;
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) throw bad();
    prefix = Number(prefixText);
    if (prefix > bits) throw bad();
  }
  const min = addr.family === 4 ? ACL_MIN_PREFIX_V4 : ACL_MIN_PREFIX_V6;
  if (prefix < min) {
    throw new SettingsError(
      "ACL_RANGE_TOO_WIDE",
      `ip_range "${text}" is wider than /${min}, the widest ${addr.family === 4 ? "IPv4" : "IPv6"} range an ACL may have`,
      "ip_range",
    );
  }
  // Clear the host bits: 192.0.2.53/28 is stored as 192.0.2.48/28.
  const b = addr.bytes;
  for (let i = 0; i < b.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    b[i] &= (0xff00 >> keep) & 0xff;
  }
  const net = addr.family === 4 ? formatIPv4(b, 0) : formatIPv6(b, 0);
  return Object.freeze({ id, name, ip_range: `${net}/${prefix}` });
}
