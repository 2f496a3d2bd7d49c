/**
 * The steps of a transfer request (the chain and its order are in transfer.ts). A step reads
 * and fills in the request object and returns a Refusal to stop the chain, undefined to go on;
 * the last one, `stream`, returns the answer.
 */

import { FormatError, readIxfrSoa } from "../wire/message.js";
import { readTsig } from "../wire/tsig.js";
import { T } from "../wire/types.js";
import type { RR } from "../zone/journal.js";
import { RCODE } from "../zone/lookup.js";
import { serialLe } from "../zone/serial.js";
import type { Zone } from "../zone/zone.js";
import type { HandlerResult, StreamItem } from "./handler.js";
import { faultedMessage, faultedStream } from "./transfer-faults.js";
import { holding } from "./transfer-limits.js";
import type { Answer, Refusal, TransferRequest, TsigCheck } from "./transfer-request.js";
import {
  axfrMessages,
  DEFAULT_PAYLOAD,
  ixfrMessages,
  ixfrParts,
  singleSoaMessage,
  type XfrOptions,
  type XfrRequest,
} from "./xfr.js";

/** The zone the question names, if served here; what its absence means is the policy's call. */
export function findZone(rq: TransferRequest): Refusal | undefined {
  rq.zone = rq.env.zones.get(rq.q.qname);
  return undefined;
}

/**
 * The signature before the policy: every answer to a signed request is signed (RFC 8945
 * §5.3), and a TSIG that fails is told as such whatever else is wrong.
 */
export function verifyTsig(rq: TransferRequest): Refusal | undefined {
  const signed = rq.env.verify(rq.msg);
  if (signed.kind === "none") return undefined;
  if (signed.kind === "malformed") {
    // RFC 8945 §5.2.2.1, §5.1: FORMERR; logged with the question as the zone, not kept.
    return {
      rcode: RCODE.FORMERR,
      reason: `malformed TSIG: ${signed.reason}`,
      zone: rq.q.qname,
      keep: false,
    };
  }
  rq.keyName = signed.keyName;
  if (signed.kind === "failed") {
    // RFC 8945 §5.3.2: NOTAUTH with the TSIG error, signed only where the error allows it.
    const reason = `TSIG ${signed.error}: ${signed.detail}`;
    return { rcode: RCODE.NOTAUTH, reason, answer: signed.answer };
  }
  if (signed.kind === "ok") rq.signer = signed.signer;
  return undefined;
}

/**
 * A UDP worker's TSIG step: it holds no keys for transfers, so it only tells a signed request
 * (left to the main process by its policy) from an unsigned one and an unreadable TSIG.
 */
export function tsigPresence(msg: Buffer): TsigCheck {
  try {
    const tsig = readTsig(msg);
    return tsig === null ? { kind: "none" } : { kind: "unverified", keyName: tsig.keyName };
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    return { kind: "malformed", reason: e.message };
  }
}

/** The policy's rules in order (transfer-policy.ts); the first refusal stops it. */
export function checkPolicy(rq: TransferRequest): Refusal | undefined {
  for (const rule of rq.env.policy) {
    const refusal = rule(rq);
    if (refusal !== undefined) return refusal;
  }
  return undefined;
}

/**
 * AXFR, or for an IXFR (RFC 1995 §4) the increments, the zone AXFR-style, or the SOA alone.
 * The apex, the SOA, the serial and the journal are read here, together: one version for the
 * whole answer.
 */
export function chooseAnswer(rq: TransferRequest): Refusal | undefined {
  const zone = requireZone(rq);
  rq.started = performance.now();
  rq.xfr = xfrRequest(rq);
  rq.opts = messageOptions(rq);
  const base = { apex: zone.apex, soa: apexSoa(zone), serial: zone.serial };
  if (rq.q.qtype === T.AXFR) {
    rq.answer = { kind: "AXFR", ...base };
    return undefined;
  }
  if (rq.env.ixfr === "soa-alone") {
    rq.answer = { kind: "IXFR-SOA", ...base };
    return undefined;
  }
  let from: number;
  try {
    from = readIxfrSoa(rq.msg, rq.q).serial;
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    // A bare FORMERR, neither logged nor signed: what this path has always answered.
    return { rcode: RCODE.FORMERR, reason: e.message, quiet: true, answer: (bare) => bare };
  }
  rq.answer = chooseIxfr(rq, zone, { kind: "IXFR", ...base, from });
  return undefined;
}

/** RFC 1995 §4: which answer the client's serial gets. */
function chooseIxfr(rq: TransferRequest, zone: Zone, answer: Answer & { from: number }): Answer {
  const udp = rq.ctx.transport === "udp";
  const history = zone.journal.since(answer.from);
  if (serialLe(answer.serial, answer.from)) {
    // The client is current (or newer): our SOA alone.
    return { ...answer, kind: "IXFR-SOA" };
  }
  if (history && history.length > 0) {
    const increments = { ...answer, history };
    return udp ? incrementsOverUdp(rq, increments) : increments;
  }
  const why =
    zone.journal.size === 0
      ? "no journal history"
      : `serial ${answer.from} is older than the journal`;
  // RFC 1995 §2: over UDP, a full zone does not fit: a single SOA sends the client to TCP.
  return { ...answer, kind: udp ? "IXFR-SOA" : "IXFR-AXFR", why };
}

/** RFC 1995 §2: over UDP, the increments if they fit one message, else the SOA alone. */
function incrementsOverUdp(rq: TransferRequest, answer: Answer): Answer {
  // Tried unsigned: each MAC chains to the one before (RFC 8945 §5.3.1), so only the message
  // sent may go through the signer; two messages are enough to know that they do not fit.
  const { sign, ...unsigned } = rq.opts!;
  const parts = ixfrParts(rq.xfr!, answer.soa, answer.history!, rq.stats, unsigned);
  const first = parts.next().value as Buffer;
  if (parts.next().done) {
    const message = sign ? sign(first) : first;
    rq.stats.bytes += message.length - first.length;
    return { ...answer, message };
  }
  Object.assign(rq.stats, { records: 0, messages: 0, bytes: 0 });
  return {
    ...answer,
    kind: "IXFR-SOA",
    history: undefined,
    why: "incremental answer larger than a UDP message",
  };
}

/** Does the answer take more than one message (and so a slot under the limits)? */
export function isStream(a: Answer): boolean {
  return a.message === undefined && a.kind !== "IXFR-SOA";
}

/** A stream starts only under the limits; a single message is not counted. */
export function admit(rq: TransferRequest): Refusal | undefined {
  const { limits } = rq.env;
  if (!limits || !rq.answer || !isStream(rq.answer)) return undefined;
  const key = requireZone(rq).key;
  const busy = limits.busy(key);
  if (busy !== undefined) return { rcode: RCODE.REFUSED, reason: busy };
  rq.release = limits.acquire(key);
  return undefined;
}

/**
 * The messages of the answer chosen; the outcome is recorded when they are all out. With a
 * fault plan (transfer-faults.ts) they go through it; over TCP a single message then becomes a
 * stream of one, which can be delayed, paced or cut.
 */
export function stream(rq: TransferRequest): HandlerResult {
  const a = rq.answer!;
  const plan = rq.faults;
  if (!isStream(a)) {
    const m = a.message ?? soaAlone(rq, a.soa);
    if (plan === undefined || rq.ctx.transport === "udp") {
      const out = plan === undefined ? m : faultedMessage(rq, plan, m);
      recordOutcome(rq, "finished");
      return out;
    }
    return recorded(faultedStream(rq, plan, one(m)), (outcome) => recordOutcome(rq, outcome));
  }
  const messages =
    a.kind === "IXFR"
      ? ixfrMessages(rq.xfr!, a.soa, a.history!, rq.stats, rq.opts)
      : axfrOf(rq, a, plan === undefined);
  const out = recorded(
    plan === undefined ? messages : faultedStream(rq, plan, messages),
    (outcome) => recordOutcome(rq, outcome),
  );
  const release = rq.release;
  rq.release = undefined;
  return release ? holding(out, release) : out;
}

/**
 * The AXFR (or IXFR-as-AXFR) of the version chosen: the steps and this run in one piece, so
 * the snapshot and the version read here are the answer's. Kept messages are used, and new
 * ones kept, only when no fault is planned for this transfer.
 */
function axfrOf(rq: TransferRequest, a: Answer, keepable: boolean): AsyncGenerator<Buffer> {
  const zone = requireZone(rq);
  const cache = rq.env.axfrCache;
  const keeping =
    keepable && cache !== undefined ? { cache, zone, version: zone.version } : undefined;
  return axfrMessages(rq.xfr!, a.apex, zone.transferSnapshot(), rq.stats, rq.opts, keeping);
}

function soaAlone(rq: TransferRequest, soa: RR): Buffer {
  const m = singleSoaMessage(rq.xfr!, soa, rq.opts);
  Object.assign(rq.stats, { records: 1, messages: 1, bytes: m.length });
  return m;
}

type Outcome = "finished" | "aborted";

/** One summary line per transfer, the zone's last transfer, and the secondary's record. */
export function recordOutcome(rq: TransferRequest, given: Outcome): void {
  // A fault that cut the stream: the transfer did not finish, whatever the reader did next.
  const outcome = rq.faults?.aborted ? "aborted" : given;
  const ms = Math.round(performance.now() - (rq.started ?? performance.now()));
  logOutcome(rq, outcome, ms);
  if (outcome === "finished") rq.env.settings?.markTransferred(rq.zone!.origin, rq.answer!.serial);
  keepOutcome(rq, outcome, ms);
}

function logOutcome(rq: TransferRequest, outcome: Outcome, ms: number): void {
  const { ctx, stats } = rq;
  const a = rq.answer!;
  const zone = rq.zone!.origin;
  const { peer, acl } = rq.source ?? {};
  const hits = rq.faults?.hits;
  const faulted = hits?.length
    ? `; faults: ${hits.map((h) => `${h.kind} (${h.action})`).join(", ")}`
    : "";
  rq.env.logger?.info(
    {
      zone,
      peer: ctx.remoteAddress,
      peerName: peer?.name ?? acl?.name ?? null,
      key: rq.signer?.key.name ?? null,
      type: a.kind,
      ...(a.why ? { why: a.why } : {}),
      from: a.from ?? null,
      serial: a.serial,
      ...stats,
      ms,
      outcome,
      ...(hits?.length ? { faults: hits } : {}),
    },
    `${a.kind} of ${zone} to ${ctx.remoteAddress}: ${outcome}, ${stats.records} records, ${stats.messages} messages, ${stats.bytes} bytes, ${ms} ms${faulted}`,
  );
}

function keepOutcome(rq: TransferRequest, outcome: Outcome, ms: number): void {
  const { ctx } = rq;
  const a = rq.answer!;
  const { peer, acl } = rq.source ?? {};
  const key = rq.signer?.key.name;
  rq.env.activity?.transferred(rq.zone!.origin, {
    address: ctx.remoteAddress,
    port: ctx.remotePort,
    ...(peer ? { peer } : {}),
    ...(acl ? { acl } : {}),
    ...(key ? { key } : {}),
    type: a.kind,
    ...(a.from !== undefined ? { fromSerial: a.from } : {}),
    serial: a.serial,
    ...rq.stats,
    ms,
    outcome,
    ...(a.why ? { why: a.why } : {}),
    ...(rq.faults?.hits.length ? { faults: rq.faults.hits } : {}),
  });
}

/** Pass the messages through, calling `done` when the stream ends or is abandoned. */
async function* recorded(
  messages: AsyncIterable<StreamItem>,
  done: (outcome: Outcome) => void,
): AsyncGenerator<StreamItem> {
  let finished = false;
  try {
    yield* messages;
    finished = true;
  } finally {
    done(finished ? "finished" : "aborted");
  }
}

async function* one(m: Buffer): AsyncGenerator<Buffer> {
  yield m;
}

function requireZone(rq: TransferRequest): Zone {
  if (!rq.zone) throw new Error("transfer step run before the zone was found");
  return rq.zone;
}

function xfrRequest({ q }: TransferRequest): XfrRequest {
  const { id, flags, qname, qtype, qclass } = q;
  return { id, flags, qname, qtype, qclass, edns: q.edns !== null };
}

/** Message size by transport, and room for the OPT and the TSIG in every message. */
function messageOptions({ q, ctx, env, signer }: TransferRequest): XfrOptions {
  const udp = ctx.transport === "udp";
  return {
    sign: signer ? (m: Buffer) => signer.sign(m) : undefined,
    messageSize: udp
      ? Math.min(q.edns?.udpSize ?? 512, env.payload ?? DEFAULT_PAYLOAD)
      : env.messageSize,
    payload: env.payload,
    // The OPT is 11 octets; the TSIG the signer's overhead plus its 6 octets of header.
    reserve: (q.edns ? 11 : 0) + (signer ? signer.overhead + 6 : 0),
  };
}

/** The zone's SOA record as it is served now. */
function apexSoa(zone: Zone): RR {
  const soa = zone.apex.get(T.SOA)!;
  return { name: zone.apex.name, type: T.SOA, ttl: soa.ttl, rdata: soa.at(0) };
}
