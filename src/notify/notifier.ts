/**
 * The NOTIFY sender (RFC 1996): tells a zone's peers that it changed, over UDP, retrying until
 * each answers, and keeps per peer what happened to the last NOTIFY.
 *
 * - A change is coalesced: the first arms a timer of `coalesceMs`, changes within it add
 *   nothing, and when it fires every peer is notified with the serial current then. Enabling
 *   outgoing transfers and force_notify send at once.
 * - Per zone and peer at most one NOTIFY is in flight; a newer one replaces it.
 * - The targets are read again on every settings change (`retarget()`): a NOTIFY in flight to
 *   a target no longer wanted (the peer unlinked, its address, port or key changed, transfers
 *   disabled, the configuration deleted) is cancelled at once, its record saying why; a target
 *   that is new or changed is sent the current serial at once. Otherwise a removed secondary
 *   would go on being notified for the whole retry schedule (46 s), and a moved one would wait
 *   for the next change (docs/notify.md).
 * - A try waits `retrySchedule[i]` ms for the answer: the same address and port as the peer,
 *   the same ID, QR set, opcode NOTIFY, the same question, and when the request was signed a
 *   TSIG that verifies (RFC 8945 §5.4: a client discards an answer that does not; retries go
 *   on). NOERROR ends it as "answered", another RCODE as "error" (not retried), silence after
 *   the last try as "timeout". Datagrams matching nothing change nothing.
 * - Faults (faults/kinds.ts, point "notify") act on each try as it leaves (`attempt`): one
 *   try is one application. notify-drop ends the NOTIFY unsent ("dropped"), notify-from sends
 *   it from another address, notify-unsigned without the peer's TSIG, serial-regression with
 *   a lower serial in the SOA it carries. The record of the outcome names the faults.
 *
 * Time and the network are injected, so tests run on a fake clock and a fake transport.
 */

import { randomInt } from "node:crypto";
import type { FaultHit } from "../cloudflare/transfer/activity.js";
import type { Fault, Faults } from "../faults/faults.js";
import type { Logger } from "../log.js";
import { silentLogger } from "../log.js";
import { formatHostPort } from "../transport/errors.js";
import { OPCODE } from "../wire/message.js";
import { canonicalName, nameKey } from "../wire/name.js";
import { ResponseVerifier, readTsig, signRequest, type TsigKey } from "../wire/tsig.js";
import { CLASS_IN, T } from "../wire/types.js";
import { withSoaSerial } from "../zone/journal.js";
import { serialAdd } from "../zone/serial.js";
import { notifyRequest, rcodeName, readNotifyResponse } from "./message.js";
import {
  type NotifySource,
  type NotifyTransport,
  normalizeAddress,
  type Rinfo,
  UdpTransport,
} from "./udp.js";

/** How long changes in quick succession are gathered into one NOTIFY. */
export const DEFAULT_COALESCE_MS = 250;
/**
 * How long each try waits for the answer, in ms; one entry per try. Tries leave at 0, 2, 6, 14
 * and 30 s and the NOTIFY times out at 46 s (NSD: 5 tries; PowerDNS waits 3, 5, 9, 17 s).
 */
export const DEFAULT_RETRY_SCHEDULE: readonly number[] = Object.freeze([
  2000, 4000, 8000, 16000, 16000,
]);

/** A peer to notify: where, and the key to sign with. */
export interface NotifyTarget {
  peerId: string;
  peerName: string;
  /** An IPv4 or IPv6 address. */
  host: string;
  port: number;
  key?: TsigKey;
}

/** The zone's SOA as served now. */
export interface NotifySoa {
  serial: number;
  ttl: number;
  /** Uncompressed wire RDATA as latin1. */
  rdata: string;
}

/**
 * Why a NOTIFY was sent: outgoing transfers enabled, a committed change, force_notify, or
 * "peer": the peer became a target (newly linked to an enabled zone, or its address, port or
 * TSIG changed).
 */
export type NotifyReason = "enable" | "change" | "force" | "peer";

export type NotifyOutcome =
  /** The peer answered NOERROR. */
  | "answered"
  /** The peer answered with another RCODE (see `rcode`); not retried. */
  | "error"
  /** No acceptable answer after the last try. */
  | "timeout"
  /** A NOTIFY with a newer serial (or a forced one) took its place. */
  | "replaced"
  /**
   * The peer stopped being this target before an outcome: unlinked, its address, port or TSIG
   * changed, transfers disabled, the configuration or the zone removed; `detail` says which.
   */
  | "cancelled"
  /** A notify-drop fault kept it from leaving; no more tries (`faults` names the fault). */
  | "dropped";

/** What became of one NOTIFY to one peer. */
export interface NotifyRecord {
  serial: number;
  /** When the first try left (ISO 8601). */
  sentAt: string;
  outcome: NotifyOutcome;
  /** The peer's RCODE name when it answered: NOERROR, REFUSED, NOTAUTH, NOTIMP... */
  rcode?: string;
  tries: number;
  /** From the first try to the outcome. */
  ms: number;
  reason: NotifyReason;
  /**
   * The last thing that went wrong on the way: a send error, an answer rejected (TSIG); for a
   * cancelled NOTIFY, why it was cancelled ("peer unlinked from the zone", "transfers disabled").
   */
  detail?: string;
  /** The faults that acted on its tries (faults/), each with what it did. */
  faults?: FaultHit[];
}

/**
 * What one NOTIFY to one peer came to, as the notifier reports it (`onEvent`); the primary
 * records it in the transfer activity, whose event the library's users see as NotifyEvent.
 */
export interface NotifyOutcomeEvent extends NotifyRecord {
  kind: "notify";
  zone: string;
  peerId: string;
  peerName: string;
  address: string;
  port: number;
  /** When the outcome was reached (ISO 8601). */
  at: string;
}

export interface NotifyPeerStatus {
  peerId: string;
  peerName: string;
  address: string;
  port: number;
  /** The last NOTIFY that reached an outcome. */
  last: NotifyRecord | null;
  /** The NOTIFY being retried now. */
  inFlight: { serial: number; sentAt: string; tries: number; reason: NotifyReason } | null;
}

export interface NotifyZoneStatus {
  zone: string;
  /** A change is waiting for the coalescing timer. */
  pending: boolean;
  /** Every peer notified since the process started, in the order first notified. */
  peers: NotifyPeerStatus[];
}

export interface NotifyClock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: NotifyClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export type NotifyLogger = Pick<Logger, "info" | "warn" | "debug">;

export interface NotifierOptions {
  /**
   * The peers of a zone to notify (those with an address), read when a NOTIFY is sent and on
   * every `retarget()`. Empty while the zone's outgoing transfers are not enabled.
   */
  targets(zone: string): readonly NotifyTarget[];
  /**
   * Why a peer is no longer among the zone's targets ("peer unlinked from the zone",
   * "transfers disabled"...): the detail of the NOTIFY cancelled because of it. Default: "no
   * longer a target of the zone".
   */
  whyNot?(zone: string, peerId: string): string;
  /** The zone's SOA, read when a NOTIFY is sent; undefined: the zone is gone, nothing is sent. */
  soa(zone: string): NotifySoa | undefined;
  /** Where NOTIFY leaves from (UDP). Required unless `transport` is given. */
  source?: NotifySource;
  transport?: NotifyTransport;
  clock?: NotifyClock;
  coalesceMs?: number;
  retrySchedule?: readonly number[];
  onEvent?: (e: NotifyOutcomeEvent) => void;
  logger?: NotifyLogger;
  /** The server's faults: those at point "notify" act on each try (see `attempt`). */
  faults?: Faults;
}

interface InFlight {
  zone: string;
  target: NotifyTarget;
  address: string;
  serial: number;
  /** The SOA the request carries: a fault may send it again with another serial. */
  soa: NotifySoa;
  reason: NotifyReason;
  id: number;
  message: Buffer;
  /** The request MAC when signed: the answer's MAC covers it. */
  mac?: Buffer;
  /** The MACs of tries a fault made other bytes of (signed again), tried after `mac`. */
  otherMacs?: Buffer[];
  /** A try left without TSIG (notify-unsigned): an unsigned answer may be its answer. */
  sentUnsigned?: boolean;
  /** The faults that acted on its tries, one entry per fault and action. */
  faults?: FaultHit[];
  tries: number;
  startedAt: number;
  timer: unknown;
  detail?: string;
}

interface PeerState {
  target: NotifyTarget;
  last: NotifyRecord | null;
  inFlight: InFlight | null;
}

interface ZoneState {
  zone: string;
  coalesce: unknown;
  peers: Map<string, PeerState>;
  /** The targets as last read, by peer id: a target not among them (or changed) is new. */
  wanted: Map<string, NotifyTarget>;
}

export class Notifier {
  private readonly zones = new Map<string, ZoneState>();
  /** In-flight NOTIFYs by message ID: IDs are unique among them. */
  private readonly byId = new Map<number, InFlight>();
  private readonly transport: NotifyTransport;
  private readonly clock: NotifyClock;
  private readonly coalesceMs: number;
  private readonly schedule: readonly number[];
  private readonly log: NotifyLogger;
  private closed = false;

  constructor(private readonly opts: NotifierOptions) {
    this.clock = opts.clock ?? realClock;
    this.coalesceMs = opts.coalesceMs ?? DEFAULT_COALESCE_MS;
    this.schedule = opts.retrySchedule ?? DEFAULT_RETRY_SCHEDULE;
    if (this.schedule.length === 0 || this.schedule.some((ms) => !(ms > 0))) {
      throw new Error("retrySchedule needs at least one positive timeout");
    }
    this.log = opts.logger ?? silentLogger();
    if (opts.transport) this.transport = opts.transport;
    else if (opts.source) {
      // A socket on a notify-from address is kept while an answer to a try from it may come:
      // the longest wait of the schedule.
      this.transport = new UdpTransport(
        opts.source,
        (e) => this.log.warn({ err: e }, `NOTIFY socket error: ${e.message}`),
        Math.max(...this.schedule) + 1000,
      );
    } else throw new Error("the Notifier needs a source address or a transport");
    this.transport.onMessage((msg, rinfo) => this.receive(msg, rinfo));
  }

  /**
   * Something happened to a zone: "change" (a committed change: coalesced), "enable" (outgoing
   * transfers enabled) or "force" (force_notify): both sent at once.
   */
  trigger(zone: string, reason: NotifyReason): void {
    if (this.closed) return;
    const z = this.zoneState(canonicalName(zone));
    if (reason === "change") {
      if (z.coalesce !== undefined) return;
      z.coalesce = this.clock.setTimeout(() => {
        z.coalesce = undefined;
        this.notifyAll(z, "change");
      }, this.coalesceMs);
      return;
    }
    this.clearCoalesce(z);
    this.notifyAll(z, reason);
  }

  /**
   * The settings changed (any of them: peers, TSIGs, links, status): read every zone's targets
   * again. A NOTIFY in flight whose target (address, port, key) is no longer wanted is
   * cancelled, with why (`whyNot`, or what changed) as its detail, so nothing more goes to the
   * old target. A target that is new or changed since the last read (a peer newly linked, a
   * new ip, port or TSIG) is sent the current serial at once (reason "peer"), unless a change
   * is waiting for the coalescing timer: that one notifies every target soon. A zone left with
   * no target (disabled, configuration deleted) forgets its pending change.
   */
  retarget(): void {
    if (this.closed) return;
    for (const z of this.zones.values()) {
      const targets = this.opts.targets(z.zone);
      if (targets.length === 0) this.clearCoalesce(z);
      const fresh = this.reconcile(z, targets);
      if (fresh.length === 0 || z.coalesce !== undefined) continue;
      const soa = this.opts.soa(z.zone);
      if (!soa) continue;
      for (const target of fresh) this.send(z, target, soa, "peer");
    }
  }

  /** Forget the pending change, cancel every NOTIFY in flight, `detail` saying why. */
  cancel(zone: string, detail: string): void {
    const z = this.zones.get(nameKey(canonicalName(zone)));
    if (!z) return;
    this.clearCoalesce(z);
    z.wanted.clear();
    for (const p of z.peers.values()) {
      if (p.inFlight) this.finish(p.inFlight, "cancelled", undefined, detail);
    }
  }

  /** The zone is gone: cancel() and forget what its peers' NOTIFYs did. */
  forget(zone: string): void {
    this.cancel(zone, "zone removed");
    this.zones.delete(nameKey(canonicalName(zone)));
  }

  /** Per peer, the last NOTIFY's outcome and the one in flight. */
  status(zone: string): NotifyZoneStatus {
    const name = canonicalName(zone);
    const z = this.zones.get(nameKey(name));
    if (!z) return { zone: name, pending: false, peers: [] };
    const peers = [...z.peers.entries()].map(([peerId, p]): NotifyPeerStatus => {
      const f = p.inFlight;
      return {
        peerId,
        peerName: p.target.peerName,
        address: p.target.host,
        port: p.target.port,
        last: p.last,
        inFlight: f && {
          serial: f.serial,
          sentAt: new Date(f.startedAt).toISOString(),
          tries: f.tries,
          reason: f.reason,
        },
      };
    });
    return { zone: z.zone, pending: z.coalesce !== undefined, peers };
  }

  /** Stop every timer (no outcome is reported) and close the sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const z of this.zones.values()) {
      this.clearCoalesce(z);
      for (const p of z.peers.values()) {
        if (p.inFlight) this.clock.clearTimeout(p.inFlight.timer);
        p.inFlight = null;
      }
    }
    this.byId.clear();
    await this.transport.close();
  }

  private zoneState(zone: string): ZoneState {
    const key = nameKey(zone);
    let z = this.zones.get(key);
    if (!z) {
      z = { zone, coalesce: undefined, peers: new Map(), wanted: new Map() };
      this.zones.set(key, z);
    }
    return z;
  }

  private clearCoalesce(z: ZoneState): void {
    if (z.coalesce === undefined) return;
    this.clock.clearTimeout(z.coalesce);
    z.coalesce = undefined;
  }

  private notifyAll(z: ZoneState, reason: NotifyReason): void {
    const targets = this.opts.targets(z.zone);
    // What is still in flight afterwards goes to a target that is still wanted, unchanged.
    this.reconcile(z, targets);
    const soa = this.opts.soa(z.zone);
    if (!soa) {
      this.log.debug({ zone: z.zone, reason }, `NOTIFY ${z.zone}: no such zone, nothing sent`);
      return;
    }
    for (const target of targets) {
      const old = z.peers.get(target.peerId)?.inFlight;
      // A change carrying the serial already being notified adds nothing.
      if (old && reason === "change" && old.serial === soa.serial) continue;
      this.send(z, target, soa, reason);
    }
  }

  /** Notify one target of the zone, replacing the NOTIFY in flight to that peer. */
  private send(z: ZoneState, target: NotifyTarget, soa: NotifySoa, reason: NotifyReason): void {
    let p = z.peers.get(target.peerId);
    if (!p) {
      p = { target, last: null, inFlight: null };
      z.peers.set(target.peerId, p);
    }
    p.target = target;
    if (p.inFlight) this.finish(p.inFlight, "replaced");
    const f = this.start(z.zone, target, soa, reason);
    // In flight before the first try: a fault may finish it ("dropped") on the way out.
    p.inFlight = f;
    this.attempt(f);
  }

  /**
   * Compare the zone's NOTIFYs in flight with its targets as read now: cancel each one whose
   * peer is no longer a target, or is at another address, port or key (a NOTIFY is the bytes
   * signed for one key, sent to one address: it cannot follow). Returns the targets that are
   * new or changed since the last read, and keeps these as the last read.
   */
  private reconcile(z: ZoneState, targets: readonly NotifyTarget[]): NotifyTarget[] {
    const byPeer = new Map(targets.map((t) => [t.peerId, t]));
    for (const p of z.peers.values()) {
      const f = p.inFlight;
      if (!f) continue;
      const now = byPeer.get(f.target.peerId);
      const why =
        now === undefined
          ? (this.opts.whyNot?.(z.zone, f.target.peerId) ?? "no longer a target of the zone")
          : howChanged(f.target, now);
      if (why !== undefined) this.finish(f, "cancelled", undefined, why);
    }
    const fresh = targets.filter((t) => {
      // Status shows the peer as configured now (its name may have changed, too).
      const p = z.peers.get(t.peerId);
      if (p) p.target = t;
      const was = z.wanted.get(t.peerId);
      return was === undefined || howChanged(was, t) !== undefined;
    });
    z.wanted = byPeer;
    return fresh;
  }

  private start(zone: string, target: NotifyTarget, soa: NotifySoa, reason: NotifyReason) {
    const id = this.freeId();
    let message = notifyRequest(zone, soa, id);
    let mac: Buffer | undefined;
    if (target.key) {
      // Signed once: every retry sends the same bytes, so a late answer to an earlier try
      // still verifies (the tries span far less than the fudge of 300 s).
      ({ message, mac } = signRequest(message, target.key, this.clock.now() / 1000));
    }
    const f: InFlight = {
      zone,
      target,
      address: normalizeAddress(target.host),
      serial: soa.serial,
      soa,
      reason,
      id,
      message,
      mac,
      tries: 0,
      startedAt: this.clock.now(),
      timer: undefined,
    };
    this.byId.set(id, f);
    return f;
  }

  private freeId(): number {
    for (;;) {
      const id = randomInt(0, 0x10000);
      if (!this.byId.has(id)) return id;
    }
  }

  /** Send one try: the one place a NOTIFY leaves for a target, so faults act here. */
  private attempt(f: InFlight): void {
    let message = f.message;
    let from: string | undefined;
    const faults = this.opts.faults;
    if (faults !== undefined && faults.size > 0) {
      const faulted = this.applyFaults(f, faults);
      if (faulted === undefined) return; // dropped: finished
      ({ message, from } = faulted);
    }
    const wait = this.schedule[f.tries];
    f.tries++;
    f.timer = this.clock.setTimeout(() => this.timedOut(f), wait);
    const { host, port } = f.target;
    this.transport.send(message, host, port, from).catch((e: Error) => {
      // A datagram that could not leave is a failed try: the timer runs on.
      f.detail = `send failed: ${e.message}`;
      const fields = { zone: f.zone, peer: f.target.peerName, address: host, port, tries: f.tries };
      if (from === undefined) {
        this.log.debug(fields, `NOTIFY ${f.zone} to ${f.target.peerName}: ${f.detail}`);
        return;
      }
      // notify-from's address cannot be bound (not an address of this host) or cannot reach
      // the peer: said loudly, and kept as the record's detail; the next try goes on (the
      // address may be added, the fault removed).
      this.log.warn(
        { ...fields, fault: "notify-from", source: from },
        `NOTIFY ${f.zone} to ${f.target.peerName}: fault notify-from: ${f.detail}`,
      );
    });
  }

  /**
   * The faults on this try (one application each): undefined when notify-drop kept it from
   * leaving (the NOTIFY is then finished, "dropped"), else the bytes to send and where from.
   */
  private applyFaults(f: InFlight, faults: Faults): { message: Buffer; from?: string } | undefined {
    const active = faults.active(nameKey(f.zone), {
      point: "notify",
      address: f.address,
      peerId: f.target.peerId,
    });
    if (active.length === 0) return { message: f.message };
    const first = (kind: Fault["kind"]) => active.find((x) => x.kind === kind);
    const drop = first("notify-drop");
    if (drop !== undefined) {
      this.faultActed(f, faults, drop, "NOTIFY not sent");
      // Not sent, and not retried (RFC 1996 §3.6 has the primary resend until answered; a
      // NOTIFY lost for good is the point): the secondary learns of the change only from its
      // refresh timer (RFC 1996 §4.2 would have it check at once).
      const detail =
        f.tries === 0
          ? "not sent (fault notify-drop)"
          : `try ${f.tries + 1} not sent (fault notify-drop): no more tries`;
      this.finish(f, "dropped", undefined, detail);
      return undefined;
    }
    let message = f.message;
    const regression = first("serial-regression");
    // Without a key there is no TSIG to leave out: the fault has nothing to do.
    const unsigned = f.target.key !== undefined ? first("notify-unsigned") : undefined;
    if (regression !== undefined || unsigned !== undefined) {
      let soa = f.soa;
      if (regression !== undefined) {
        // RFC 1996 §3.7: our NOTIFY carries the SOA in its answer section; its serial goes
        // back by `delta` (RFC 1982 sequence space: at most 2^31 - 1, so it is "less").
        const lowered = serialAdd(f.soa.serial, -Number(regression.params.delta));
        soa = { ...f.soa, rdata: withSoaSerial(f.soa.rdata, lowered) };
        this.faultActed(
          f,
          faults,
          regression,
          `NOTIFY SOA serial ${lowered} instead of ${f.soa.serial}`,
        );
      }
      message = notifyRequest(f.zone, soa, f.id);
      if (unsigned !== undefined) {
        f.sentUnsigned = true;
        this.faultActed(f, faults, unsigned, `NOTIFY sent without TSIG ${f.target.key!.name}`);
      } else if (f.target.key !== undefined) {
        const signed = signRequest(message, f.target.key, this.clock.now() / 1000);
        message = signed.message;
        f.otherMacs = [...(f.otherMacs ?? []), signed.mac];
      }
    }
    const fromFault = first("notify-from");
    if (fromFault === undefined) return { message };
    const from = String(fromFault.params.source);
    this.faultActed(f, faults, fromFault, `NOTIFY from ${from}`);
    return { message, from };
  }

  /** Count one application, and keep it for the NOTIFY's record (once per fault and action). */
  private faultActed(f: InFlight, faults: Faults, fault: Fault, action: string): void {
    faults.applied(f.zone, fault, { point: "notify", address: f.target.host, action });
    const list = f.faults ?? [];
    if (!list.some((h) => h.id === fault.id && h.action === action))
      list.push({ id: fault.id, kind: fault.kind, action });
    f.faults = list;
  }

  private timedOut(f: InFlight): void {
    if (this.byId.get(f.id) !== f) return;
    if (f.tries < this.schedule.length) this.attempt(f);
    else this.finish(f, "timeout");
  }

  private receive(msg: Buffer, rinfo: Rinfo): void {
    const r = readNotifyResponse(msg);
    if (!r) return;
    const f = this.byId.get(r.id);
    // Only the peer itself, from the address and port we sent to, answering our question.
    if (
      !f ||
      normalizeAddress(rinfo.address) !== f.address ||
      rinfo.port !== f.target.port ||
      !r.qr ||
      r.opcode !== OPCODE.NOTIFY ||
      !r.question ||
      nameKey(r.question.name) !== nameKey(f.zone) ||
      r.question.type !== T.SOA ||
      r.question.class !== CLASS_IN
    ) {
      return;
    }
    // A peer answers an unsigned NOTIFY (notify-unsigned) unsigned: that answer is what the
    // secondary made of the fault, so it is taken as it is.
    if (f.target.key && f.mac && !(f.sentUnsigned && !hasTsig(msg))) {
      // A new verifier per answer: one that fails must not spoil the next. A try a fault made
      // other bytes of was signed again: the answer may cover any of the MACs sent.
      const now = () => this.clock.now() / 1000;
      let check = new ResponseVerifier(f.target.key, f.mac, now).verify(msg);
      for (const mac of f.otherMacs ?? []) {
        if (check.ok) break;
        const other = new ResponseVerifier(f.target.key, mac, now).verify(msg);
        if (other.ok) check = other;
      }
      if (!check.ok) {
        // RFC 8945 §5.4: discard it; the tries go on. Keep why, for the record.
        const rcode = rcodeName(r.rcode);
        f.detail = `answer ${rcode} rejected: ${check.error} (${check.reason})`;
        this.log.debug(
          { zone: f.zone, peer: f.target.peerName, address: rinfo.address, port: rinfo.port },
          `NOTIFY ${f.zone} to ${f.target.peerName}: ${f.detail}`,
        );
        return;
      }
    }
    this.finish(f, r.rcode === 0 ? "answered" : "error", rcodeName(r.rcode));
  }

  /** `detail`: why, for a cancelled NOTIFY (it takes the place of the last problem seen). */
  private finish(f: InFlight, outcome: NotifyOutcome, rcode?: string, detail?: string): void {
    if (this.byId.get(f.id) !== f) return;
    this.byId.delete(f.id);
    this.clock.clearTimeout(f.timer);
    const z = this.zones.get(nameKey(f.zone));
    const p = z?.peers.get(f.target.peerId);
    const now = this.clock.now();
    const record: NotifyRecord = {
      serial: f.serial,
      sentAt: new Date(f.startedAt).toISOString(),
      outcome,
      tries: f.tries,
      ms: now - f.startedAt,
      reason: f.reason,
    };
    if (rcode !== undefined) record.rcode = rcode;
    if (detail !== undefined) record.detail = detail;
    else if (f.detail !== undefined && outcome !== "answered") record.detail = f.detail;
    if (f.faults !== undefined) record.faults = f.faults.map((h) => ({ ...h }));
    if (p) {
      if (p.inFlight === f) p.inFlight = null;
      p.last = record;
    }
    const { peerId, peerName, host, port } = f.target;
    const event: NotifyOutcomeEvent = {
      kind: "notify",
      zone: f.zone,
      peerId,
      peerName,
      address: host,
      port,
      ...record,
      at: new Date(now).toISOString(),
    };
    this.logOutcome(event);
    this.opts.onEvent?.(event);
  }

  private logOutcome(e: NotifyOutcomeEvent): void {
    const where = formatHostPort(e.address, e.port);
    const tries = `${e.tries} ${e.tries === 1 ? "try" : "tries"}`;
    const what = e.outcome === "error" ? `error ${e.rcode}` : e.outcome;
    const extra = e.detail ? ` (${e.detail})` : "";
    const fields = {
      zone: e.zone,
      peer: e.peerName,
      peerId: e.peerId,
      address: e.address,
      port: e.port,
      serial: e.serial,
      reason: e.reason,
      tries: e.tries,
      outcome: e.outcome,
      rcode: e.rcode,
      ms: e.ms,
      detail: e.detail,
      ...(e.faults ? { faults: e.faults.map((h) => h.kind) } : {}),
    };
    const line = `NOTIFY ${e.zone} serial ${e.serial} to ${e.peerName} ${where}: ${what} after ${tries}, ${e.ms} ms${extra}`;
    if (e.outcome === "error" || e.outcome === "timeout") this.log.warn(fields, line);
    else this.log.info(fields, line);
  }
}

/** What differs between two targets of one peer that a NOTIFY in flight cannot follow. */
function howChanged(was: NotifyTarget, now: NotifyTarget): string | undefined {
  if (normalizeAddress(was.host) !== normalizeAddress(now.host) || was.port !== now.port) {
    return `peer's address changed to ${formatHostPort(now.host, now.port)}`;
  }
  if (!sameKey(was.key, now.key)) return "peer's TSIG changed";
  return undefined;
}

/** Whether a datagram ends with a TSIG record (a malformed one counts: verifying rejects it). */
function hasTsig(msg: Buffer): boolean {
  try {
    return readTsig(msg) !== null;
  } catch {
    return true;
  }
}

function sameKey(a: TsigKey | undefined, b: TsigKey | undefined): boolean {
  if (a === b) return true;
  return (
    a !== undefined &&
    b !== undefined &&
    a.name === b.name &&
    a.algorithm === b.algorithm &&
    a.secret.equals(b.secret)
  );
}
