/**
 * The query point of fault injection (faults/, issue 14): what the active faults of a zone do
 * to an ordinary answer, at three places of the chain (query.ts):
 *
 * - `findFaults` (in findZone): the zone's faults for this exchange, asked only when some zone
 *   has a fault (`faults.size > 0`): with none anywhere the chain pays one comparison and
 *   builds nothing, and the answer cache's path stays as it is;
 * - `faultAnswer` (its own step, before `answer`): soa-rcode answers an SOA query for the
 *   zone's apex with its RCODE, or not at all (`drop`);
 * - `regressSerial` (in `answer`): serial-regression lowers the serial of the SOA records of
 *   the answer (the SOA asked for, and the SOA in the authority section of a negative answer);
 * - `faultDelivery` (in `deliver`): udp-drop drops a share of the UDP answers, latency
 *   delays the answer (UDP and TCP).
 *
 * Rules this module keeps:
 * - The zone is never touched: serial-regression changes a copy of the SOA record.
 * - An answer any fault applies to neither comes from the answer cache nor goes into it, so a
 *   faulted answer is never served once the fault is gone, nor a cached one while it is on.
 * - A fault is applied (`faults.applied`: counted, logged, one of its `times` used up) when it
 *   acted: serial-regression only when the answer holds the zone's SOA, udp-drop only when it
 *   did drop the answer.
 * - The answer stays synchronous: a delay is a stream of a `delay` instruction and the one
 *   message (handler.ts), which both transports carry out; a TCP answer that must never come
 *   is a `stall`, which keeps the connection silent until its idle timeout.
 */

import { type Fault, rcodeOf } from "../faults/faults.js";
import type { FaultKind } from "../faults/kinds.js";
import { nameKey } from "../wire/name.js";
import { T } from "../wire/types.js";
import { soaSerialOf, withSoaSerial } from "../zone/journal.js";
import type { Entry } from "../zone/lookup.js";
import { RRset } from "../zone/rrset.js";
import { serialAdd } from "../zone/serial.js";
import type { HandlerResult, StreamItem } from "./handler.js";
import { encodeReply, type QueryRequest } from "./query-request.js";

/** The zone's active query faults for this exchange, when some zone has a fault at all. */
export function findFaults(rq: QueryRequest): void {
  const faults = rq.env.faults;
  if (faults === undefined || faults.size === 0) return;
  const active = faults.active(rq.zone!.key, {
    point: "query",
    address: rq.ctx.remoteAddress,
  });
  if (active.length > 0) rq.faults = active;
}

/** The first active fault of `kind` for this answer. */
function of(rq: QueryRequest, kind: FaultKind): Fault | undefined {
  const faults = rq.faults;
  if (faults === undefined) return undefined;
  for (const f of faults) if (f.kind === kind) return f;
  return undefined;
}

/** Count the fault, use one of its `times`, tell the listeners (the log line, the events). */
function apply(rq: QueryRequest, fault: Fault, action: string): void {
  rq.env.faults!.applied(rq.zone!.origin, fault, {
    point: "query",
    address: rq.ctx.remoteAddress,
    action,
  });
}

/**
 * soa-rcode: an SOA query for the zone's apex is answered with the fault's RCODE (no records,
 * AA off), or with nothing at all when `drop` is set. Other questions are not touched.
 */
export function faultAnswer(rq: QueryRequest): HandlerResult | undefined {
  const fault = of(rq, "soa-rcode");
  if (fault === undefined) return undefined;
  const { q } = rq;
  if (q.qtype !== T.SOA || nameKey(q.qname) !== rq.zone!.key) return undefined;
  if (fault.params.drop === true) {
    apply(rq, fault, `sent no answer to the SOA query over ${rq.ctx.transport.toUpperCase()}`);
    return silence(rq);
  }
  const name = String(fault.params.rcode);
  apply(rq, fault, `answered the SOA query with ${name}`);
  rq.rcode = rcodeOf(fault.params.rcode);
  rq.aa = false;
  rq.limit = rq.room;
  rq.response = encodeReply(rq, rq.env.maxUdp);
  return undefined;
}

/**
 * serial-regression: every SOA record of the zone's apex in the answer (the SOA asked for; the
 * SOA of a negative answer, RFC 2308 §3) carries a serial `delta` lower, modulo 2^32 (RFC
 * 1982 sequence space: a delta below 2^31 makes it "less than" the zone's). The answer's
 * arrays are the lookup's own, so a copy of the entry replaces the zone's record in them.
 */
export function regressSerial(rq: QueryRequest): void {
  const fault = of(rq, "serial-regression");
  const a = rq.answer;
  if (fault === undefined || a === undefined) return;
  const apex = rq.zone!.key;
  const delta = fault.params.delta as number;
  let served: string | undefined;
  for (const section of [a.answer, a.authority]) {
    for (let i = 0; i < section.length; i++) {
      const e = section[i];
      if (e.set.type !== T.SOA || nameKey(e.owner) !== apex) continue;
      section[i] = lowered(e, delta);
      served ??= `served serial ${soaSerialOf(section[i].set.at(0))} instead of ${soaSerialOf(e.set.at(0))}`;
    }
  }
  if (served !== undefined) apply(rq, fault, served);
}

function lowered(e: Entry, delta: number): Entry {
  const rdata = e.set.at(0);
  const serial = serialAdd(soaSerialOf(rdata), -delta);
  return { ...e, set: new RRset(T.SOA, e.set.ttl, withSoaSerial(rdata, serial)) };
}

/**
 * udp-drop, then latency: the answer dropped (UDP only, a `probability` share: 1 always, 0
 * never), else delayed by `ms` (UDP and TCP). Undefined: delivered as it is.
 */
export function faultDelivery(rq: QueryRequest, response: Buffer): HandlerResult | undefined {
  if (!rq.tcp) {
    const drop = of(rq, "udp-drop");
    // Math.random() is below 1 always and below 0 never.
    if (drop !== undefined && Math.random() < (drop.params.probability as number)) {
      apply(rq, drop, "dropped the UDP answer");
      return null;
    }
  }
  const latency = of(rq, "latency");
  if (latency === undefined) return undefined;
  const ms = latency.params.ms as number;
  apply(rq, latency, `delayed the ${rq.ctx.transport.toUpperCase()} answer by ${ms} ms`);
  return delayed(ms, response);
}

/** The answer after a delay: the transport waits `ms`, then sends it (handler.ts). */
async function* delayed(ms: number, response: Buffer): AsyncGenerator<StreamItem> {
  yield { control: "delay", ms };
  yield response;
}

/**
 * No answer at all: over UDP nothing is sent; over TCP the connection stays open and silent
 * (a `stall`) until its idle timeout, since closing it would tell the client at once.
 */
function silence(rq: QueryRequest): HandlerResult {
  return rq.tcp ? stalled() : null;
}

async function* stalled(): AsyncGenerator<StreamItem> {
  yield { control: "stall" };
}
