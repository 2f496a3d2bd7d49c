/**
 * What happened between this primary and each zone's secondaries: the last SOA check, the
 * last transfer, the last NOTIFY outcome and the recent refusals, per zone and per secondary.
 * It is what an operator looks at first when a secondary disagrees (the
 * `/dns-primary/v1/zones/{zone_id}/secondaries` route, the dashboard).
 *
 * A secondary is keyed by the linked peer's id when the source matched a peer's ip, else by
 * the source address (an ACL match, whose ACL is recorded too, or a refused stranger).
 *
 * Memory is bounded everywhere, so a scan cannot grow it: at most `maxZones` zones (least
 * recently active evicted first), `maxSources` secondaries per zone (the least recently active
 * source that is not a peer evicted first), `maxRefusals` recent refusals per zone, and names
 * that are not zones served (`isZone`) kept apart under the asked name, at most
 * `maxOtherNames` of them.
 *
 * Nothing here changes a configuration; `on()` tells listeners of every record (library,
 * dashboard), and a listener that throws does not disturb the DNS path.
 */

import { canonicalName, nameKey } from "../../wire/name.js";

export type TransferKind = "AXFR" | "IXFR" | "IXFR-AXFR" | "IXFR-SOA";

/** A fault (faults/) that acted on a transfer or a NOTIFY: its id, kind and what it did. */
export interface FaultHit {
  id: string;
  kind: string;
  action: string;
}

/** Where a request came from. */
export interface ActivitySource {
  address: string;
  port: number;
}

/** What a source matched (settings.isAllowedSource's answer fits). */
export interface SourceMatch {
  peer?: { readonly id: string; readonly name: string };
  acl?: { readonly id: string; readonly name: string };
}

export interface TransferInput extends ActivitySource, SourceMatch {
  /** The TSIG key name the request was signed with. */
  key?: string;
  type: TransferKind;
  /** The client's serial (IXFR). */
  fromSerial?: number;
  /** The serial sent. */
  serial: number;
  records: number;
  messages: number;
  bytes: number;
  ms: number;
  outcome: "finished" | "aborted";
  /** Why an IXFR got another answer ("no journal history", ...). */
  why?: string;
  /** The faults that acted on this transfer. */
  faults?: FaultHit[];
}

export interface RefusalInput extends ActivitySource, SourceMatch {
  key?: string;
  qtype: string;
  reason: string;
  rcode: number;
}

/** One outcome of the NOTIFY sender for a zone and a linked peer. */
export interface NotifyInput {
  zone: string;
  peerId: string;
  peerName: string;
  address: string;
  port: number;
  serial: number;
  /**
   * E.g. "answered", "error" (with `rcode`), "timeout", "replaced", "cancelled" (with why in
   * `detail`), "dropped" (a notify-drop fault, in `faults`).
   */
  outcome: string;
  /** The peer's RCODE, as a number or its mnemonic (the NOTIFY sender's events carry names). */
  rcode?: number | string;
  tries: number;
  /** From the first try to the outcome. */
  ms: number;
  /** When the outcome was known (default: now); a Date or an ISO string. */
  at?: Date | string;
  /** The last problem on the way (a rejected answer, a failed send), or why it was cancelled. */
  detail?: string;
  /** The faults that acted on this NOTIFY. */
  faults?: FaultHit[];
}

interface Common {
  zone: string;
  address: string;
  port: number;
  peerId?: string;
  peerName?: string;
  aclId?: string;
  aclName?: string;
  at: Date;
}

export type ActivityEvent =
  | (Common & { kind: "checked" })
  | (Common & Omit<TransferInput, "peer" | "acl" | "address" | "port"> & { kind: "transfer" })
  | (Common &
      Omit<RefusalInput, "peer" | "acl" | "address" | "port"> & {
        kind: "refused";
        /** False for a name that is not a zone served here. */
        served: boolean;
      })
  | (NotifyInput & { kind: "notify"; at: Date })
  | (Common & { kind: "notify-received" });

export type ActivityListener = (event: ActivityEvent) => void;

export interface TransferActivityOptions {
  now?: () => Date;
  /** Whether a name is a zone served here; others are kept apart (default: every name is). */
  isZone?: (name: string) => boolean;
  /** Zones with activity kept (default 10 000). */
  maxZones?: number;
  /** Secondaries (peers and other sources) kept per zone (default 256). */
  maxSources?: number;
  /** Recent refusals kept per zone and per other name (default 50). */
  maxRefusals?: number;
  /** Names that are not zones served, kept with their refusals (default 256). */
  maxOtherNames?: number;
  /** Where an exception thrown by a listener goes (default: a process warning). */
  onListenerError?: (err: unknown) => void;
}

/** A linked peer as the settings hold it. */
export interface LinkedPeer {
  readonly id: string;
  readonly name: string;
  readonly ip?: string;
  readonly port: number;
}

// The JSON view (snake_case, ISO times), as the extension route shows it.

export interface CheckView {
  at: string;
  address: string;
  port: number;
}

export interface TransferView {
  at: string;
  address: string;
  port: number;
  key: string | null;
  type: TransferKind;
  from_serial: number | null;
  serial: number;
  records: number;
  messages: number;
  bytes: number;
  ms: number;
  outcome: "finished" | "aborted";
  why?: string;
  /** The faults that acted on it (faults/), when any did. */
  faults?: FaultHit[];
}

export interface RefusalView {
  at: string;
  zone: string;
  address: string;
  port: number;
  peer_id: string | null;
  peer_name: string | null;
  acl_id: string | null;
  acl_name: string | null;
  key: string | null;
  qtype: string;
  reason: string;
  rcode: number;
  rcode_name: string;
}

export interface NotifyView {
  serial: number;
  /** When the first try left (the outcome's time less `ms`). */
  sent_at: string;
  /** When the outcome was known. */
  at: string;
  address: string;
  port: number;
  outcome: string;
  rcode?: number;
  rcode_name?: string;
  /**
   * What went wrong on the way, when something did: e.g. an answer rejected for its TSIG
   * ("answer NOTAUTH rejected: ... BADKEY"), which ends as a timeout; for outcome "cancelled",
   * why ("peer unlinked from the zone", "peer's address changed to ...", "transfers disabled").
   */
  detail?: string;
  /** The faults that acted on it (faults/), when any did. */
  faults?: FaultHit[];
  tries: number;
  ms: number;
}

export interface SecondaryView {
  peer_id: string | null;
  peer_name: string | null;
  /**
   * "peer": a linked peer; "acl": a source inside an ACL; null: a source neither (a peer no
   * longer linked shows so, with its peer_id and peer_name).
   */
  via: "peer" | "acl" | null;
  acl_id: string | null;
  acl_name: string | null;
  /**
   * A linked peer's configured ip and port (where NOTIFY goes); else where the source was last
   * seen (for a peer no longer linked: where its last NOTIFY went, or whence it last asked).
   */
  address: string | null;
  port: number | null;
  last_notify: NotifyView | null;
  last_check: CheckView | null;
  last_transfer: TransferView | null;
  last_refusal: RefusalView | null;
  counts: {
    checks: number;
    transfers: number;
    aborted: number;
    refusals: number;
    notifies: number;
  };
}

export interface IncomingNotifyView {
  count: number;
  last: CheckView | null;
}

export interface SecondariesView {
  secondaries: SecondaryView[];
  /** Newest first. */
  recent_refusals: RefusalView[];
  /** NOTIFY messages received for the zone (answered NOTIMP: this server is a primary). */
  incoming_notify: IncomingNotifyView;
}

import { RCODE, rcodeName } from "../../wire/message.js";

/** The number of an RCODE mnemonic (or of "RCODE<n>"). */
function rcodeNumber(name: string): number | undefined {
  const known = (RCODE as Record<string, number>)[name];
  if (known !== undefined) return known;
  const m = /^RCODE(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export { rcodeName };

interface Refusal {
  at: Date;
  zone: string;
  address: string;
  port: number;
  peerId?: string;
  peerName?: string;
  aclId?: string;
  aclName?: string;
  key?: string;
  qtype: string;
  reason: string;
  rcode: number;
}

interface Transfer extends TransferInput {
  at: Date;
}

interface Secondary {
  peerId?: string;
  peerName?: string;
  aclId?: string;
  aclName?: string;
  address: string;
  port: number;
  check?: { at: Date; address: string; port: number };
  transfer?: Transfer;
  refusal?: Refusal;
  notify?: Omit<NotifyInput, "rcode" | "at"> & { at: Date; rcode?: number };
  checks: number;
  transfers: number;
  aborted: number;
  refusals: number;
  notifies: number;
}

interface ZoneActivity {
  /** By peer id (`peer:<id>`) or source address (`ip:<address>`), least recently active first. */
  sources: Map<string, Secondary>;
  /** Oldest first. */
  refusals: Refusal[];
  incoming: { count: number; last?: { at: Date; address: string; port: number } };
}

/** The key a zone is kept under: canonical, lowercase, with the trailing dot. */
export function zoneKey(name: string): string {
  try {
    return nameKey(canonicalName(name));
  } catch {
    // Not a DNS name (only reachable from the library): kept as given, bounded in length.
    return nameKey(name).slice(0, 255);
  }
}

function touch<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
}

export class TransferActivity {
  private readonly now: () => Date;
  private readonly isZone: (name: string) => boolean;
  private readonly maxZones: number;
  private readonly maxSources: number;
  private readonly maxRefusals: number;
  private readonly maxOtherNames: number;
  private readonly onListenerError: (err: unknown) => void;
  /** Zones served, least recently active first. */
  private readonly zones = new Map<string, ZoneActivity>();
  /** Names asked for that are not zones served, least recently active first. */
  private readonly others = new Map<string, ZoneActivity>();
  private readonly listeners = new Set<ActivityListener>();

  constructor(options: TransferActivityOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.isZone = options.isZone ?? (() => true);
    this.maxZones = Math.max(1, options.maxZones ?? 10_000);
    this.maxSources = Math.max(1, options.maxSources ?? 256);
    this.maxRefusals = Math.max(1, options.maxRefusals ?? 50);
    this.maxOtherNames = Math.max(1, options.maxOtherNames ?? 256);
    this.onListenerError =
      options.onListenerError ??
      ((err) => process.emitWarning(`transfer activity listener failed: ${String(err)}`));
  }

  /** Be told of every record; returns the function that stops it. */
  on(listener: ActivityListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A source allowed to transfer the zone asked for its SOA (Cloudflare's checked_time). */
  checked(zone: string, source: ActivitySource, match: SourceMatch = {}): void {
    const at = this.now();
    const z = this.zoneFor(zone);
    const s = this.source(z.activity, source, match);
    s.check = { at, address: source.address, port: source.port };
    s.checks++;
    this.emit({ kind: "checked", ...this.common(z.name, source, match, at) });
  }

  /** A transfer ended (finished, or abandoned by the client or the connection). */
  transferred(zone: string, t: TransferInput): void {
    const at = this.now();
    const z = this.zoneFor(zone);
    const s = this.source(z.activity, t, t);
    s.transfer = { ...t, at };
    if (t.outcome === "finished") s.transfers++;
    else s.aborted++;
    const { peer: _p, acl: _a, address: _ad, port: _po, ...rest } = t;
    this.emit({ kind: "transfer", ...rest, ...this.common(z.name, t, t, at) });
  }

  /** A transfer request was refused (policy, TSIG, a name not served). */
  refused(zone: string, r: RefusalInput): void {
    const at = this.now();
    const z = this.zoneFor(zone);
    const refusal: Refusal = {
      at,
      zone: z.name,
      address: r.address,
      port: r.port,
      ...(r.peer ? { peerId: r.peer.id, peerName: r.peer.name } : {}),
      ...(r.acl ? { aclId: r.acl.id, aclName: r.acl.name } : {}),
      ...(r.key !== undefined ? { key: r.key } : {}),
      qtype: r.qtype,
      reason: r.reason,
      rcode: r.rcode,
    };
    const ring = z.activity.refusals;
    ring.push(refusal);
    if (ring.length > this.maxRefusals) ring.splice(0, ring.length - this.maxRefusals);
    if (z.served) {
      const s = this.source(z.activity, r, r);
      s.refusal = refusal;
      s.refusals++;
    }
    const { peer: _p, acl: _a, address: _ad, port: _po, ...rest } = r;
    this.emit({ kind: "refused", ...rest, served: z.served, ...this.common(z.name, r, r, at) });
  }

  /** An outcome of the NOTIFY sender, for a zone and a linked peer. */
  notified(input: NotifyInput): void {
    const at = input.at === undefined ? this.now() : new Date(input.at);
    const rcode = typeof input.rcode === "string" ? rcodeNumber(input.rcode) : input.rcode;
    const { rcode: _given, at: _at, ...rest } = input;
    const event = { ...rest, at, ...(rcode === undefined ? {} : { rcode }) };
    const z = this.zoneFor(event.zone);
    const s = this.source(
      z.activity,
      { address: event.address, port: event.port },
      { peer: { id: event.peerId, name: event.peerName } },
    );
    s.notify = { ...event, zone: z.name, at };
    s.notifies++;
    this.emit({ ...event, kind: "notify", zone: z.name, at });
  }

  /** A NOTIFY message arrived (answered NOTIMP: this server is a primary). */
  incomingNotify(zone: string, source: ActivitySource): void {
    const at = this.now();
    const z = this.zoneFor(zone);
    z.activity.incoming.count++;
    z.activity.incoming.last = { at, address: source.address, port: source.port };
    this.emit({ kind: "notify-received", ...this.common(z.name, source, {}, at) });
  }

  /**
   * The zone's secondaries: one entry per linked peer (in link order, whether or not it was
   * seen), then every other source seen (ACL sources, refused strangers, peers no longer
   * linked: their last NOTIFY says whether it was cancelled, and why), most recently active
   * first; the zone's recent refusals, newest first.
   */
  secondaries(zone: string, linkedPeers: readonly LinkedPeer[]): SecondariesView {
    const key = zoneKey(zone);
    const z = this.zones.get(key) ?? this.others.get(key);
    const out: SecondaryView[] = [];
    const linked = new Set<string>();
    for (const peer of linkedPeers) {
      linked.add(peer.id);
      const s = z?.sources.get(`peer:${peer.id}`);
      out.push(
        secondaryView(s, {
          peerId: peer.id,
          peerName: peer.name,
          linked: true,
          address: peer.ip ?? null,
          port: peer.port,
        }),
      );
    }
    if (z) {
      for (const s of [...z.sources.values()].reverse()) {
        if (s.peerId !== undefined && linked.has(s.peerId)) continue; // listed above
        out.push(
          secondaryView(s, {
            ...(s.peerId !== undefined ? { peerId: s.peerId, peerName: s.peerName } : {}),
            linked: false,
            address: s.address,
            port: s.port,
          }),
        );
      }
    }
    return {
      secondaries: out,
      recent_refusals: z ? [...z.refusals].reverse().map(refusalView) : [],
      incoming_notify: {
        count: z?.incoming.count ?? 0,
        last: z?.incoming.last ? checkView(z.incoming.last) : null,
      },
    };
  }

  /** Drop what is kept for a zone (a zone removed). */
  forget(zone: string): void {
    const key = zoneKey(zone);
    this.zones.delete(key);
    this.others.delete(key);
  }

  private zoneFor(name: string): { name: string; served: boolean; activity: ZoneActivity } {
    const key = zoneKey(name);
    const served = this.isZone(name);
    const map = served ? this.zones : this.others;
    const cap = served ? this.maxZones : this.maxOtherNames;
    let activity = map.get(key);
    if (activity === undefined) {
      activity = { sources: new Map(), refusals: [], incoming: { count: 0 } };
      if (map.size >= cap) map.delete(map.keys().next().value as string);
    }
    touch(map, key, activity);
    return { name: key, served, activity };
  }

  private source(z: ZoneActivity, src: ActivitySource, match: SourceMatch): Secondary {
    const key = match.peer ? `peer:${match.peer.id}` : `ip:${src.address}`;
    let s = z.sources.get(key);
    if (s === undefined) {
      s = {
        address: src.address,
        port: src.port,
        checks: 0,
        transfers: 0,
        aborted: 0,
        refusals: 0,
        notifies: 0,
      };
      if (z.sources.size >= this.maxSources) this.evictSource(z.sources);
    }
    if (match.peer) {
      s.peerId = match.peer.id;
      s.peerName = match.peer.name;
    }
    // Where it was last seen: shown for a source that is not (or no longer) a linked peer.
    s.address = src.address;
    s.port = src.port;
    if (match.acl) {
      s.aclId = match.acl.id;
      s.aclName = match.acl.name;
    } else if (!match.peer) {
      // The source is no longer inside an ACL (or never was).
      delete s.aclId;
      delete s.aclName;
    }
    touch(z.sources, key, s);
    return s;
  }

  /** The least recently active source that is not a peer; the oldest peer if all are. */
  private evictSource(sources: Map<string, Secondary>): void {
    for (const [k, s] of sources) {
      if (s.peerId === undefined) {
        sources.delete(k);
        return;
      }
    }
    sources.delete(sources.keys().next().value as string);
  }

  private common(zone: string, src: ActivitySource, match: SourceMatch, at: Date): Common {
    return {
      zone,
      address: src.address,
      port: src.port,
      ...(match.peer ? { peerId: match.peer.id, peerName: match.peer.name } : {}),
      ...(match.acl ? { aclId: match.acl.id, aclName: match.acl.name } : {}),
      at,
    };
  }

  private emit(e: ActivityEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}

function checkView(c: { at: Date; address: string; port: number }): CheckView {
  return { at: c.at.toISOString(), address: c.address, port: c.port };
}

function refusalView(r: Refusal): RefusalView {
  return {
    at: r.at.toISOString(),
    zone: r.zone,
    address: r.address,
    port: r.port,
    peer_id: r.peerId ?? null,
    peer_name: r.peerName ?? null,
    acl_id: r.aclId ?? null,
    acl_name: r.aclName ?? null,
    key: r.key ?? null,
    qtype: r.qtype,
    reason: r.reason,
    rcode: r.rcode,
    rcode_name: rcodeName(r.rcode),
  };
}

function transferView(t: Transfer): TransferView {
  return {
    at: t.at.toISOString(),
    address: t.address,
    port: t.port,
    key: t.key ?? null,
    type: t.type,
    from_serial: t.fromSerial ?? null,
    serial: t.serial,
    records: t.records,
    messages: t.messages,
    bytes: t.bytes,
    ms: t.ms,
    outcome: t.outcome,
    ...(t.why !== undefined ? { why: t.why } : {}),
    ...(t.faults?.length ? { faults: t.faults } : {}),
  };
}

function notifyView(n: NonNullable<Secondary["notify"]>): NotifyView {
  return {
    serial: n.serial,
    sent_at: new Date(n.at.getTime() - n.ms).toISOString(),
    at: n.at.toISOString(),
    address: n.address,
    port: n.port,
    outcome: n.outcome,
    ...(n.rcode !== undefined ? { rcode: n.rcode, rcode_name: rcodeName(n.rcode) } : {}),
    ...(n.detail !== undefined ? { detail: n.detail } : {}),
    ...(n.faults?.length ? { faults: n.faults } : {}),
    tries: n.tries,
    ms: n.ms,
  };
}

function secondaryView(
  s: Secondary | undefined,
  id: {
    peerId?: string;
    peerName?: string;
    linked: boolean;
    address: string | null;
    port: number | null;
  },
): SecondaryView {
  const via = id.linked ? "peer" : s?.aclId !== undefined ? "acl" : null;
  return {
    peer_id: id.peerId ?? null,
    peer_name: id.peerName ?? null,
    via,
    acl_id: s?.aclId ?? null,
    acl_name: s?.aclName ?? null,
    address: id.address,
    port: id.port,
    last_notify: s?.notify ? notifyView(s.notify) : null,
    last_check: s?.check ? checkView(s.check) : null,
    last_transfer: s?.transfer ? transferView(s.transfer) : null,
    last_refusal: s?.refusal ? refusalView(s.refusal) : null,
    counts: {
      checks: s?.checks ?? 0,
      transfers: s?.transfers ?? 0,
      aborted: s?.aborted ?? 0,
      refusals: s?.refusals ?? 0,
      notifies: s?.notifies ?? 0,
    },
  };
}
