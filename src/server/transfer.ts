/**
 * Answering AXFR and IXFR requests: who may transfer (cloudflare.md §2), TSIG (RFC 8945),
 * which answer an IXFR gets (RFC 1995 §4), and one summary log line per transfer.
 *
 * The policy, in the order it is checked:
 * 1. the name must be a zone we serve (else NOTAUTH, RFC 5936 §2.2.1);
 * 2. a TSIG on the request must verify (else NOTAUTH with BADKEY/BADSIG/BADTIME, §5.3.2);
 * 3. the zone's outgoing transfers must be Enabled;
 * 4. the source address must be a linked peer's ip or inside an account ACL;
 * 5. when the linked peers share a TSIG, the request must be signed with that key.
 * 6. over TCP, fewer than `maxTransfers` transfers in progress, and fewer than
 *    `maxTransfersPerZone` of this zone (as BIND's transfers-out): else REFUSED, and the
 *    secondary tries again after its retry interval.
 * Failures of 3–6 are REFUSED (signed when the request was). Every refusal is logged with the
 * reason, the zone, the source address and the key name, and kept with every transfer's
 * outcome in the activity store when one is given (transfer/activity.ts).
 */

import type { Logger } from "pino";
import type { TransferActivity } from "../transfer/activity.js";
import type { SourceCheck, TransferSettings } from "../transfer/settings.js";
import { FLAG, FormatError, type Query, readIxfrSoa } from "../wire/message.js";
import { canonicalName, nameKey } from "../wire/name.js";
import { type ResponseSigner, readTsig } from "../wire/tsig.js";
import { T } from "../wire/types.js";
import type { RR } from "../zone/journal.js";
import { RCODE } from "../zone/lookup.js";
import { serialLe } from "../zone/serial.js";
import type { Zone } from "../zone/zone.js";
import type { ZoneSet } from "../zone/zoneset.js";
import type { HandlerResult, RequestContext } from "./handler.js";
import { createKeyring, type Keyring } from "./signed.js";
import {
  axfrMessages,
  ixfrMessages,
  ixfrParts,
  singleSoaMessage,
  type XfrRequest,
  type XfrStats,
} from "./xfr.js";

export interface TransferEnv {
  zones: ZoneSet;
  settings: TransferSettings;
  logger?: Logger;
  /** Seconds since the epoch (TSIG time checks). */
  now?: () => number;
  /** Size of AXFR/IXFR messages (default 16 KiB). */
  messageSize?: number;
  /** Our EDNS payload size. */
  payload?: number;
  /** Request signatures (default: keys from `settings`). */
  keyring?: Keyring;
  /** Keeps refusals and transfer outcomes per zone and secondary. */
  activity?: TransferActivity;
  /** Multi-message transfers in progress at once, in total (default: no limit). */
  maxTransfers?: number;
  /** Multi-message transfers of one zone in progress at once (default: no limit). */
  maxTransfersPerZone?: number;
}

type Kind = "AXFR" | "IXFR" | "IXFR-AXFR" | "IXFR-SOA";

function xfrRequest(q: Query): XfrRequest {
  return {
    id: q.id,
    flags: q.flags,
    qname: q.qname,
    qtype: q.qtype,
    qclass: q.qclass,
    edns: q.edns !== null,
  };
}

/** The zone's SOA record as it is served now. */
function apexSoa(zone: Zone): RR {
  const soa = zone.apex.get(T.SOA)!;
  return { name: zone.apex.name, type: T.SOA, ttl: soa.ttl, rdata: soa.at(0) };
}

/** A minimal answer: header + question, with a rcode (and AA off). */
function bareAnswer(msg: Buffer, q: Query, rcode: number): Buffer {
  const qlen = q.questionEnd - 12;
  const out = Buffer.alloc(12 + qlen);
  msg.copy(out, 0, 0, 2);
  out.writeUInt16BE(FLAG.QR | (q.flags & (0x7800 | FLAG.RD)) | (rcode & 0xf), 2);
  out.writeUInt16BE(1, 4);
  msg.copy(out, 12, 12, q.questionEnd);
  return out;
}

export function createTransferHandler(env: TransferEnv) {
  const now = env.now ?? (() => Date.now() / 1000);
  const log = env.logger;
  const keyring = env.keyring ?? createKeyring(env.settings, now);
  const activity = env.activity;
  // Streams in progress, in total and by zone key (released when a stream ends or is dropped).
  let running = 0;
  const runningByZone = new Map<string, number>();
  const maxTotal = env.maxTransfers ?? Number.POSITIVE_INFINITY;
  const maxPerZone = env.maxTransfersPerZone ?? Number.POSITIVE_INFINITY;

  /** Why another stream of `zone` cannot start now, or undefined when it can. */
  function busy(zone: Zone): string | undefined {
    if (running >= maxTotal)
      return `too many transfers in progress (${running}, limit ${maxTotal})`;
    const n = runningByZone.get(zone.key) ?? 0;
    if (n >= maxPerZone)
      return `too many transfers of the zone in progress (${n}, limit ${maxPerZone})`;
    return undefined;
  }

  /** Count a stream of `zone` until it ends, fails or is dropped. */
  function track(zone: Zone, stream: AsyncGenerator<Buffer>): AsyncIterable<Buffer> {
    running++;
    runningByZone.set(zone.key, (runningByZone.get(zone.key) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      running--;
      const n = (runningByZone.get(zone.key) ?? 1) - 1;
      if (n === 0) runningByZone.delete(zone.key);
      else runningByZone.set(zone.key, n);
    };
    return {
      [Symbol.asyncIterator]: () => ({
        async next() {
          try {
            const r = await stream.next();
            if (r.done) release();
            return r;
          } catch (err) {
            release();
            throw err;
          }
        },
        async return() {
          release();
          return stream.return(undefined);
        },
      }),
    };
  }

  /** Keep a refusal, with the peer or ACL the source matches (its secondary's entry). */
  function keepRefusal(
    zone: string,
    q: Query,
    ctx: RequestContext,
    rcode: number,
    reason: string,
    keyName: string | undefined,
  ): void {
    if (!activity) return;
    const match = env.settings.isAllowedSource(zone, ctx.remoteAddress);
    activity.refused(zone, {
      address: ctx.remoteAddress,
      port: ctx.remotePort,
      ...(match.peer ? { peer: match.peer } : {}),
      ...(match.acl ? { acl: match.acl } : {}),
      ...(keyName !== undefined ? { key: keyName } : {}),
      qtype: q.qtype === T.AXFR ? "AXFR" : "IXFR",
      reason,
      rcode,
    });
  }

  function refuse(
    msg: Buffer,
    q: Query,
    ctx: RequestContext,
    rcode: number,
    reason: string,
    zone: string,
    keyName: string | undefined,
    signer?: ResponseSigner,
  ): Buffer {
    log?.warn(
      {
        zone,
        peer: ctx.remoteAddress,
        port: ctx.remotePort,
        key: keyName ?? null,
        qtype: q.qtype === T.AXFR ? "AXFR" : "IXFR",
        reason,
      },
      "zone transfer refused",
    );
    keepRefusal(zone, q, ctx, rcode, reason, keyName);
    const answer = bareAnswer(msg, q, rcode);
    return signer ? signer.sign(answer) : answer;
  }

  return function handleTransfer(msg: Buffer, q: Query, ctx: RequestContext): HandlerResult {
    // The signature first: every answer to a signed request is signed (RFC 8945 §5.3).
    const signed = keyring.check(msg);
    if (signed.kind === "malformed") {
      // RFC 8945 §5.2.2.1, §5.1: FORMERR, logged like every other refusal.
      log?.warn(
        {
          zone: q.qname,
          peer: ctx.remoteAddress,
          port: ctx.remotePort,
          key: null,
          qtype: q.qtype === T.AXFR ? "AXFR" : "IXFR",
          reason: `malformed TSIG: ${signed.reason}`,
        },
        "zone transfer refused",
      );
      return bareAnswer(msg, q, RCODE.FORMERR);
    }
    const keyName = signed.kind === "none" ? undefined : signed.keyName;
    const zone = env.zones.get(q.qname);
    if (signed.kind === "failed") {
      log?.warn(
        {
          zone: zone?.origin ?? q.qname,
          peer: ctx.remoteAddress,
          port: ctx.remotePort,
          key: signed.keyName,
          qtype: q.qtype === T.AXFR ? "AXFR" : "IXFR",
          reason: `TSIG ${signed.error}: ${signed.detail}`,
        },
        "zone transfer refused",
      );
      keepRefusal(
        zone?.origin ?? q.qname,
        q,
        ctx,
        RCODE.NOTAUTH,
        `TSIG ${signed.error}: ${signed.detail}`,
        signed.keyName,
      );
      return signed.answer(bareAnswer(msg, q, RCODE.NOTAUTH));
    }
    const signer = signed.kind === "ok" ? signed.signer : undefined;
    const verified = signed.kind === "ok";
    if (!zone || zone.key !== nameKey(q.qname)) {
      return refuse(msg, q, ctx, RCODE.NOTAUTH, "not a zone served here", q.qname, keyName, signer);
    }
    const cfg = env.settings.outgoing(zone.origin);
    if (cfg?.status !== "Enabled") {
      return refuse(
        msg,
        q,
        ctx,
        RCODE.REFUSED,
        "outgoing transfers are not enabled for the zone",
        zone.origin,
        keyName,
        signer,
      );
    }
    const source = env.settings.isAllowedSource(zone.origin, ctx.remoteAddress);
    if (!source.allowed) {
      return refuse(
        msg,
        q,
        ctx,
        RCODE.REFUSED,
        "source address is neither a linked peer nor in an ACL",
        zone.origin,
        keyName,
        signer,
      );
    }
    const zoneTsig = env.settings.zoneTsig(zone.origin);
    if (
      zoneTsig &&
      (!verified || nameKey(keyName ?? "") !== nameKey(canonicalName(zoneTsig.name)))
    ) {
      const why = verified
        ? `signed with ${keyName}, not the zone's TSIG ${zoneTsig.name}`
        : `not signed with the zone's TSIG ${zoneTsig.name}`;
      return refuse(msg, q, ctx, RCODE.REFUSED, why, zone.origin, keyName, signer);
    }
    if (q.qtype === T.AXFR && ctx.transport === "udp") {
      // RFC 5936 §4.2: AXFR is defined over TCP only.
      return refuse(msg, q, ctx, RCODE.FORMERR, "AXFR over UDP", zone.origin, keyName, signer);
    }
    return transfer(msg, q, ctx, zone, signer, source);
  };

  function transfer(
    msg: Buffer,
    q: Query,
    ctx: RequestContext,
    zone: Zone,
    signer: ResponseSigner | undefined,
    source: SourceCheck,
  ): HandlerResult {
    const peerName = source.peer?.name ?? source.acl?.name;
    const started = performance.now();
    const req = xfrRequest(q);
    const sign = signer ? (m: Buffer) => signer.sign(m) : undefined;
    const udp = ctx.transport === "udp";
    const opts = {
      sign,
      messageSize: udp ? Math.min(q.edns?.udpSize ?? 512, env.payload ?? 1232) : env.messageSize,
      payload: env.payload,
      // Room for the OPT (11 octets) and the TSIG at the end of every message.
      reserve: (q.edns ? 11 : 0) + (signer ? signer.overhead + 6 : 0),
    };
    // One version for the whole answer: the apex, the snapshot and the journal are read now.
    const apex = zone.apex;
    const current = apexSoa(zone);
    const serial = zone.serial;
    const stats: XfrStats = { records: 0, messages: 0, bytes: 0 };
    let kind: Kind = "AXFR";
    let from: number | undefined;
    let why: string | undefined;
    let stream: AsyncGenerator<Buffer> | undefined;
    if (q.qtype === T.IXFR) {
      let client: { serial: number };
      try {
        client = readIxfrSoa(msg, q);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        return bareAnswer(msg, q, RCODE.FORMERR);
      }
      from = client.serial;
      const history = zone.journal.since(client.serial);
      if (serialLe(serial, client.serial)) {
        // RFC 1995 §4: the client is current (or newer): our SOA alone.
        kind = "IXFR-SOA";
      } else if (history && history.length > 0) {
        kind = "IXFR";
        if (udp) {
          // RFC 1995 §2: over UDP, the incremental answer if it fits one message, else a
          // single SOA, which sends the client to TCP.
          const parts = [...ixfrParts(req, current, history, stats, opts)];
          if (parts.length === 1) {
            done("finished");
            return parts[0];
          }
          kind = "IXFR-SOA";
          why = "incremental answer larger than a UDP message";
          stats.records = 0;
          stats.messages = 0;
          stats.bytes = 0;
        } else {
          const why = busy(zone);
          if (why !== undefined) return tooBusy(why);
          stream = ixfrMessages(req, current, history, stats, opts);
        }
      } else {
        kind = "IXFR-AXFR";
        why =
          zone.journal.size === 0
            ? "no journal history"
            : `serial ${client.serial} is older than the journal`;
        // RFC 1995 §2: over UDP, a full zone does not fit: a single SOA sends the client to TCP.
        if (udp) kind = "IXFR-SOA";
        else {
          const busyWhy = busy(zone);
          if (busyWhy !== undefined) return tooBusy(busyWhy);
          stream = axfrMessages(req, apex, zone.transferSnapshot(), stats, opts);
        }
      }
    } else {
      const why = busy(zone);
      if (why !== undefined) return tooBusy(why);
      stream = axfrMessages(req, apex, zone.transferSnapshot(), stats, opts);
    }
    function tooBusy(reason: string): Buffer {
      return refuse(msg, q, ctx, RCODE.REFUSED, reason, zone.origin, signer?.key.name, signer);
    }
    function done(outcome: "finished" | "aborted"): void {
      const ms = Math.round(performance.now() - started);
      log?.info(
        {
          zone: zone.origin,
          peer: ctx.remoteAddress,
          peerName: peerName ?? null,
          key: signer?.key.name ?? null,
          type: kind,
          ...(why ? { why } : {}),
          from: from ?? null,
          serial,
          records: stats.records,
          messages: stats.messages,
          bytes: stats.bytes,
          ms,
          outcome,
        },
        `${kind} of ${zone.origin} to ${ctx.remoteAddress}: ${outcome}, ${stats.records} records, ${stats.messages} messages, ${stats.bytes} bytes, ${ms} ms`,
      );
      if (outcome === "finished") env.settings.markTransferred(zone.origin, serial);
      activity?.transferred(zone.origin, {
        address: ctx.remoteAddress,
        port: ctx.remotePort,
        ...(source.peer ? { peer: source.peer } : {}),
        ...(source.acl ? { acl: source.acl } : {}),
        ...(signer ? { key: signer.key.name } : {}),
        type: kind,
        ...(from !== undefined ? { fromSerial: from } : {}),
        serial,
        records: stats.records,
        messages: stats.messages,
        bytes: stats.bytes,
        ms,
        outcome,
        ...(why ? { why } : {}),
      });
    }
    if (!stream) {
      const m = singleSoaMessage(req, current, opts);
      stats.records = 1;
      stats.messages = 1;
      stats.bytes = m.length;
      done("finished");
      return m;
    }
    return track(zone, logged(stream, done));
  }
}

/** Pass the messages through, logging the outcome when the stream ends or is abandoned. */
async function* logged(
  stream: AsyncGenerator<Buffer>,
  done: (outcome: "finished" | "aborted") => void,
): AsyncGenerator<Buffer> {
  let finished = false;
  try {
    yield* stream;
    finished = true;
  } finally {
    done(finished ? "finished" : "aborted");
  }
}

/**
 * What a UDP worker process answers to transfer requests: it holds no transfer settings, so
 * it never transfers. IXFR gets the zone's SOA alone, which RFC 1995 §2 lets any UDP answer
 * be and which sends the client to TCP, where the main process applies the policy; AXFR over
 * UDP is malformed (RFC 5936 §4.2).
 */
export function udpWorkerTransfer(zones: ZoneSet) {
  return (msg: Buffer, q: Query): HandlerResult => {
    const zone = zones.get(q.qname);
    let signed: boolean;
    try {
      signed = readTsig(msg) !== null;
    } catch (e) {
      // A TSIG that cannot be read (RFC 8945 §5.2): FORMERR, as the main process answers.
      if (!(e instanceof FormatError)) throw e;
      return bareAnswer(msg, q, RCODE.FORMERR);
    }
    if (q.qtype !== T.IXFR || !zone || zone.key !== nameKey(q.qname) || signed) {
      return bareAnswer(msg, q, q.qtype === T.AXFR ? RCODE.FORMERR : RCODE.REFUSED);
    }
    return singleSoaMessage(xfrRequest(q), apexSoa(zone), { reserve: 11 });
  };
}
