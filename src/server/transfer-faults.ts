/**
 * The transfer point of fault injection (faults/, issue 14): a step of the chain
 * (`injectFaults`, between `admit` and `stream`, transfer.ts) that decides what the zone's
 * active faults do to this answer, and the wrapper through which `stream` sends it.
 *
 * Rules this module keeps:
 * - It runs after the policy and the limits let the request through: a fault never bypasses
 *   them. An answer a fault turns into a stream is admitted under the limits again.
 * - The zone, its serial and its journal are never touched: a fault changes copies (the SOA
 *   record, the first changeset, the question), the options of the messages built
 *   (xfr.ts), or the bytes of a message once built (its ID, its TSIG).
 * - A fault is applied (`faults.applied`: counted, logged, one of its `times` used up) when
 *   it acted on the wire: when the message it changed is handed to the transport, when the
 *   stream reaches the place it is cut. A transfer that ends before does not use it up, and
 *   one transfer uses a fault up once, however many messages it changed.
 * - With no fault anywhere the step costs one comparison and builds nothing; `stream` takes
 *   the plain path unless the step left a plan on the request.
 *
 * Where each kind acts. Over TCP and UDP: ixfr-refuse, serial-regression, latency,
 * tsig-bad-mac, tsig-unsigned, xfr-id-change, xfr-wrong-question (not the UDP increments,
 * built whole in chooseAnswer). Over TCP only, since they need a stream or a connection:
 * xfr-truncate, xfr-reset, xfr-stall, xfr-slow, ixfr-as-axfr, ixfr-bad-history, and
 * (AXFR-style answers, which are TCP-only) axfr-soa-mismatch and axfr-duplicate-records. The
 * connection kinds and latency reach the transport as StreamControl items (handler.ts).
 */

import type { FaultHit } from "../cloudflare/transfer/activity.js";
import { type Fault, rcodeOf } from "../faults/faults.js";
import type { FaultKind } from "../faults/kinds.js";
import { readTsig } from "../wire/tsig.js";
import { T } from "../wire/types.js";
import { type Changeset, type RR, soaSerialOf, withSoaSerial } from "../zone/journal.js";
import { serialAdd, serialLe } from "../zone/serial.js";
import type { HandlerResult, StreamControl, StreamItem } from "./handler.js";
import type { Refusal, TransferRequest } from "./transfer-request.js";
import { admit, isStream } from "./transfer-steps.js";

/** A fault decided for this answer, applied when the message it changed is sent. */
interface Pending {
  fault: Fault;
  action: string;
}

/** What the faults do to one answer: set on the request by `injectFaults`, read by `stream`. */
export interface FaultPlan {
  /** The faults that acted, in order: the outcome's log line and activity record. */
  readonly hits: FaultHit[];
  /** Instructions sent before the first message (latency, xfr-slow). */
  readonly before: Array<Pending & { control: StreamControl }>;
  /** Applied with the first message sent (the changes it carries). */
  readonly first: Pending[];
  /** Applied with the last message sent (the closing SOA's). */
  readonly last: Pending[];
  /** The stream cut after `after` messages (the earliest of truncate, reset, stall). */
  cut?: { fault: Fault; after: number; control: StreamControl };
  /** Messages after the first `after` carry another ID. */
  idChange?: { fault: Fault; after: number; id: number };
  badMac?: { fault: Fault; message: number | "last" };
  unsigned?: { fault: Fault; message: number | "last" };
  /** A cut was sent: the transfer did not finish. */
  aborted: boolean;
}

/**
 * The question the first message carries under xfr-wrong-question: a name that cannot be the
 * zone asked for (RFC 6761 §6.4: `invalid.` never exists).
 */
export const WRONG_QUESTION = "xfr-wrong-question.invalid.";

/** The owner of the record ixfr-bad-history deletes, below the zone's apex. */
export const BOGUS_OWNER = "ixfr-bad-history.dns-primary-fault";

const CUTS = [
  ["xfr-truncate", { control: "close" }],
  ["xfr-reset", { control: "reset" }],
  ["xfr-stall", { control: "stall" }],
] as const satisfies ReadonlyArray<readonly [FaultKind, StreamControl]>;

/**
 * The fault step: what the active faults of the zone do to the answer chosen. A refusal for
 * ixfr-refuse, or for an answer a fault made a stream when the limits are full; else the plan
 * on `rq.faults` (nothing when no fault applies).
 */
export function injectFaults(rq: TransferRequest): Refusal | undefined {
  const faults = rq.env.faults;
  // The hot path: no fault anywhere is one comparison and no allocation.
  if (faults === undefined || faults.size === 0) return undefined;
  const zone = rq.zone!;
  const active = faults.active(zone.key, { point: "transfer", address: rq.ctx.remoteAddress });
  if (active.length === 0) return undefined;
  const of = (kind: FaultKind) => active.find((f) => f.kind === kind);
  const ixfr = rq.q.qtype === T.IXFR;
  const tcp = rq.ctx.transport === "tcp";

  const refusing = ixfr ? of("ixfr-refuse") : undefined;
  if (refusing) return refuseIxfr(rq, refusing);

  const plan: FaultPlan = { hits: [], before: [], first: [], last: [], aborted: false };
  const kind = rq.answer!.kind;
  const regression = of("serial-regression");
  if (regression) regress(rq, plan, regression);
  const asAxfr = ixfr && tcp ? of("ixfr-as-axfr") : undefined;
  const badHistory = ixfr && tcp ? of("ixfr-bad-history") : undefined;
  // AXFR-style leaves no history to spoil: with both, ixfr-as-axfr acts alone.
  if (asAxfr) {
    if (rq.answer!.kind !== "IXFR-AXFR") answerAxfrStyle(rq, plan, asAxfr);
  } else if (badHistory) breakHistory(rq, plan, badHistory);
  if (rq.answer!.kind !== kind) {
    // Admitted as one kind, now another: a stream needs a slot, a single message none.
    const refusal = readmit(rq);
    if (refusal) return refusal;
  }

  const a = rq.answer!;
  const axfrStyle = a.kind === "AXFR" || a.kind === "IXFR-AXFR";
  const mismatch = axfrStyle ? of("axfr-soa-mismatch") : undefined;
  if (mismatch) {
    const serial = serialAdd(a.serial, mismatch.params.serial_delta as number);
    rq.opts = { ...rq.opts, closingSoa: { ...a.soa, rdata: withSoaSerial(a.soa.rdata, serial) } };
    plan.last.push({
      fault: mismatch,
      action: `closed the ${a.kind} with serial ${serial} after opening it with ${a.serial}`,
    });
  }
  const duplicate = axfrStyle ? of("axfr-duplicate-records") : undefined;
  if (duplicate) {
    rq.opts = { ...rq.opts, duplicate: true };
    plan.first.push({ fault: duplicate, action: "sent every record but the SOA twice" });
  }
  const wrong = a.message === undefined ? of("xfr-wrong-question") : undefined;
  if (wrong) {
    rq.xfr = { ...rq.xfr!, qname: WRONG_QUESTION };
    plan.first.push({
      fault: wrong,
      action: `put ${WRONG_QUESTION} in the first message's question instead of ${rq.q.qname}`,
    });
  }
  if (rq.signer) signatureFaults(rq, plan, of);
  const idChange = of("xfr-id-change");
  if (idChange) {
    const after = idChange.params.after_messages as number;
    plan.idChange = { fault: idChange, after, id: (rq.q.id + 1) & 0xffff };
  }
  timingFaults(plan, of, tcp);
  // A small zone fits one message: the closing SOA apart, a cut after the first message
  // still leaves it out, and an ID change still reaches it.
  if (plan.cut || plan.idChange) rq.opts = { ...rq.opts, closeApart: true };

  if (
    plan.before.length > 0 ||
    plan.first.length > 0 ||
    plan.last.length > 0 ||
    plan.cut ||
    plan.idChange ||
    plan.badMac ||
    plan.unsigned
  )
    rq.faults = plan;
  return undefined;
}

/** ixfr-refuse: the IXFR gets the fault's RCODE (signed when the request was, by `refuse`). */
function refuseIxfr(rq: TransferRequest, fault: Fault): Refusal {
  const name = String(fault.params.rcode);
  const action = `answered the IXFR with ${name}`;
  apply(rq, fault, action);
  return {
    rcode: rcodeOf(fault.params.rcode),
    reason: `fault ${fault.kind} ${fault.id}: ${action}`,
  };
}

/**
 * serial-regression: the SOA served is `delta` lower (RFC 1982: adding 2^32 - delta). An IXFR
 * is answered as a primary at that serial would (RFC 1995 §4): the SOA alone to a client at it
 * or past it (the secondary that holds the zone's serial stays there), else the zone
 * AXFR-style, since the journal leads to the zone's serial and not to this one; over UDP the
 * SOA alone (RFC 1995 §2).
 */
function regress(rq: TransferRequest, plan: FaultPlan, fault: Fault): void {
  const a = rq.answer!;
  const served = serialAdd(a.serial, -(fault.params.delta as number));
  const soa: RR = { ...a.soa, rdata: withSoaSerial(a.soa.rdata, served) };
  if (a.kind === "AXFR") rq.answer = { ...a, soa, serial: served };
  else {
    const current = serialLe(served, a.from!);
    rq.answer = {
      kind: current || rq.ctx.transport === "udp" ? "IXFR-SOA" : "IXFR-AXFR",
      apex: a.apex,
      soa,
      serial: served,
      from: a.from,
      why: `fault serial-regression: serial ${served} served for ${a.serial}`,
    };
  }
  rq.opts = { ...rq.opts, soa };
  plan.first.push({ fault, action: `served serial ${served} instead of ${a.serial}` });
}

/** ixfr-as-axfr: the zone AXFR-style, whatever the client's serial (RFC 1995 §4 allows it). */
function answerAxfrStyle(rq: TransferRequest, plan: FaultPlan, fault: Fault): void {
  const a = rq.answer!;
  rq.answer = {
    kind: "IXFR-AXFR",
    apex: a.apex,
    soa: a.soa,
    serial: a.serial,
    from: a.from,
    why: `fault ixfr-as-axfr (was ${a.kind})`,
  };
  plan.first.push({
    fault,
    action: `answered the IXFR from serial ${a.from} AXFR-style instead of ${a.kind}`,
  });
}

/**
 * ixfr-bad-history: an incremental answer whose first changeset deletes a record the
 * secondary never had. With increments to send, a deletion is added to the first of them;
 * with none (the journal does not reach the client's serial), a made-up changeset from the
 * client's serial to ours that deletes it. A current client gets its SOA alone: there is no
 * increment to spoil, and the fault is not used.
 */
function breakHistory(rq: TransferRequest, plan: FaultPlan, fault: Fault): void {
  const a = rq.answer!;
  const bogus: RR = {
    name: `${BOGUS_OWNER}.${rq.zone!.origin}`,
    type: T.TXT,
    ttl: a.soa.ttl,
    rdata: txtRdata(`deleted by fault ${fault.id}: never in this zone`),
  };
  let history: Changeset[];
  let action: string;
  if (a.kind === "IXFR") {
    const [first, ...rest] = a.history!;
    history = [{ ...first, removed: [...first.removed, bogus] }, ...rest];
    const from = soaSerialOf(first.soaFrom.rdata);
    const to = soaSerialOf(first.soaTo.rdata);
    action = `deleted ${bogus.name} TXT, which the secondary never had, in the first changeset (${from} to ${to})`;
  } else if (a.kind === "IXFR-AXFR") {
    const soaFrom = { ...a.soa, rdata: withSoaSerial(a.soa.rdata, a.from!) };
    history = [{ soaFrom, removed: [bogus], soaTo: a.soa, added: [] }];
    action = `sent a made-up changeset from serial ${a.from} to ${a.serial} deleting ${bogus.name} TXT, which the secondary never had (instead of the zone AXFR-style: ${a.why})`;
  } else return;
  rq.answer = { kind: "IXFR", apex: a.apex, soa: a.soa, serial: a.serial, from: a.from, history };
  plan.first.push({ fault, action });
}

/** A stream needs a slot under the limits; an answer that is no longer one gives its slot back. */
function readmit(rq: TransferRequest): Refusal | undefined {
  if (isStream(rq.answer!)) return rq.release === undefined ? admit(rq) : undefined;
  rq.release?.();
  rq.release = undefined;
  return undefined;
}

/** tsig-bad-mac and tsig-unsigned, on answers to signed requests. */
function signatureFaults(
  rq: TransferRequest,
  plan: FaultPlan,
  of: (kind: FaultKind) => Fault | undefined,
): void {
  const bad = of("tsig-bad-mac");
  if (bad) plan.badMac = { fault: bad, message: bad.params.message as number | "last" };
  const unsigned = of("tsig-unsigned");
  if (!unsigned) return;
  const message = unsigned.params.message as number | "last";
  plan.unsigned = { fault: unsigned, message };
  // A message by number is left out of the signer, and the next one's MAC covers it, as
  // RFC 8945 §5.3.1 lets a stream do: a client must accept it in the middle of a stream and
  // refuse it first or last. "last" is only known once sent: its TSIG is taken off then.
  if (typeof message === "number" && rq.opts?.sign)
    rq.opts = { ...rq.opts, sign: leavingUnsigned(rq.opts.sign, message) };
}

/** A signer that leaves message `n` unsigned and covers it with message n + 1's MAC. */
function leavingUnsigned(sign: (m: Buffer) => Buffer, n: number): (m: Buffer) => Buffer {
  let count = 0;
  let held: Buffer | undefined;
  return (m) => {
    count++;
    if (count === n) {
      held = m;
      return m;
    }
    if (held === undefined) return sign(m);
    // The MAC over the unsigned message and this one (§5.3.1); the TSIG record then goes on
    // this one alone, whose ARCOUNT counts it.
    const both = sign(Buffer.concat([held, m]));
    const tsig = both.subarray(held.length + m.length);
    held = undefined;
    const out = Buffer.concat([m, tsig]);
    out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
    return out;
  };
}

/**
 * latency; over TCP only, xfr-truncate, xfr-reset, xfr-stall (the earliest acts) and
 * xfr-slow.
 */
function timingFaults(
  plan: FaultPlan,
  of: (kind: FaultKind) => Fault | undefined,
  tcp: boolean,
): void {
  const latency = of("latency");
  if (latency) {
    const ms = latency.params.ms as number;
    plan.before.push({
      fault: latency,
      control: { control: "delay", ms },
      action: `delayed the answer by ${ms} ms`,
    });
  }
  if (!tcp) return;
  for (const [kind, control] of CUTS) {
    const fault = of(kind);
    if (!fault) continue;
    const after = fault.params.after_messages as number;
    if (plan.cut === undefined || after < plan.cut.after) plan.cut = { fault, after, control };
  }
  const slow = of("xfr-slow");
  if (slow) {
    const bytesPerSecond = slow.params.bytes_per_second as number;
    plan.before.push({
      fault: slow,
      control: { control: "pace", bytesPerSecond },
      action: `paced the answer to ${bytesPerSecond} bytes per second`,
    });
  }
}

/**
 * The answer's messages as the faults send them: the instructions that come first, each
 * message changed as planned, the cut where it falls. One message is read ahead, to know the
 * last. The request's stats become what was sent.
 */
export async function* faultedStream(
  rq: TransferRequest,
  plan: FaultPlan,
  messages: AsyncIterable<Buffer>,
): AsyncGenerator<StreamItem> {
  const sent = { records: 0, messages: 0, bytes: 0 };
  const it = messages[Symbol.asyncIterator]();
  try {
    for (const b of plan.before) {
      apply(rq, b.fault, b.action, plan);
      yield b.control;
    }
    let current = await it.next();
    let n = 0;
    while (!current.done) {
      const cut = plan.cut;
      if (cut !== undefined && n === cut.after) {
        apply(rq, cut.fault, cutAction(cut.control, n), plan);
        plan.aborted = true;
        yield cut.control;
        return;
      }
      const next = await it.next();
      n++;
      const m = damage(rq, plan, current.value, n, next.done === true);
      sent.messages++;
      sent.records += m.readUInt16BE(6);
      sent.bytes += m.length;
      yield m;
      current = next;
    }
  } finally {
    await it.return?.();
    Object.assign(rq.stats, sent);
  }
}

/** A single-message answer over UDP, changed as planned. */
export function faultedMessage(rq: TransferRequest, plan: FaultPlan, m: Buffer): HandlerResult {
  // Over UDP only latency comes before the message: the UDP transport waits out a delay
  // before it sends a stream's one message (transport/udp.ts).
  for (const b of plan.before) apply(rq, b.fault, b.action, plan);
  const out = damage(rq, plan, m, 1, true);
  rq.stats.bytes += out.length - m.length;
  return plan.before.length === 0 ? out : delayed(plan.before, out);
}

async function* delayed(before: FaultPlan["before"], m: Buffer): AsyncGenerator<StreamItem> {
  for (const b of before) yield b.control;
  yield m;
}

/** Message `n` of the answer (`last`: nothing follows), changed as planned. */
function damage(rq: TransferRequest, plan: FaultPlan, m: Buffer, n: number, last: boolean): Buffer {
  if (n === 1) for (const p of plan.first) apply(rq, p.fault, p.action, plan);
  if (last) for (const p of plan.last) apply(rq, p.fault, p.action, plan);
  const idChange = plan.idChange;
  if (idChange !== undefined && n > idChange.after) {
    // After signing: the TSIG keeps the request's ID as its Original ID (RFC 8945 §4.2), so
    // the MAC still verifies and only the header disagrees.
    m.writeUInt16BE(idChange.id, 0);
    if (n === idChange.after + 1)
      apply(
        rq,
        idChange.fault,
        `changed the message ID from ${rq.q.id} to ${idChange.id} from message ${n} on`,
        plan,
      );
  }
  const { unsigned, badMac } = plan;
  if (unsigned !== undefined && targets(unsigned.message, n, last)) {
    const out = withoutTsig(m);
    const covered = last ? "" : `; message ${n + 1}'s MAC covers it (RFC 8945 §5.3.1)`;
    apply(
      rq,
      unsigned.fault,
      `sent message ${n}${last ? ", the last," : ""} without its TSIG${covered}`,
      plan,
    );
    return out;
  }
  if (badMac !== undefined && targets(badMac.message, n, last)) {
    corruptMac(m);
    apply(rq, badMac.fault, `corrupted the MAC of message ${n}${last ? ", the last" : ""}`, plan);
  }
  return m;
}

const targets = (message: number | "last", n: number, last: boolean) =>
  message === "last" ? last : message === n;

function cutAction(control: StreamControl, n: number): string {
  const after = n === 0 ? "before the first message" : `after ${n} message${n === 1 ? "" : "s"}`;
  switch (control.control) {
    case "close":
      return `closed the connection (FIN) ${after}, without the closing SOA`;
    case "reset":
      return `reset the connection (RST) ${after}`;
    default:
      return `stopped sending ${after}; the connection stays open until the server's timeout`;
  }
}

/** Count the fault, use one of its `times`, tell the listeners; and note it on the outcome. */
function apply(rq: TransferRequest, fault: Fault, action: string, plan?: FaultPlan): void {
  rq.env.faults!.applied(rq.zone!.origin, fault, {
    point: "transfer",
    address: rq.ctx.remoteAddress,
    action,
  });
  plan?.hits.push({ id: fault.id, kind: fault.kind, action });
}

/** The message without its TSIG record (a message the signer left alone is returned as is). */
function withoutTsig(m: Buffer): Buffer {
  const tsig = readTsig(m);
  if (tsig === null) return m;
  m.writeUInt16BE(m.readUInt16BE(10) - 1, 10);
  return m.subarray(0, tsig.offset);
}

/** Every bit of the TSIG's MAC flipped, in place (the MAC is followed by 6 octets and Other Data). */
function corruptMac(m: Buffer): void {
  const tsig = readTsig(m);
  if (tsig === null) return;
  const end = m.length - 6 - tsig.otherData.length;
  for (let i = end - tsig.mac.length; i < end; i++) m[i] ^= 0xff;
}

/** TXT RDATA (one character-string) as the journal holds RDATA: latin1 wire octets. */
function txtRdata(text: string): string {
  return String.fromCharCode(text.length) + text;
}
