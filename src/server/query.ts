/**
 * The query handler: bytes of a request in, bytes of a response out (RFC 1034 §4.3.2,
 * RFC 1035 §4.1, RFC 6891), as a short chain of named steps, each a small function in
 * query-steps.ts (query-faults.ts for the faults) over one request object (query-request.ts):
 *
 * 1. screen        a message shorter than a header, or a response (QR=1): no answer at all;
 * 2. fromCache     a plain query whose whole answer is cached and fits the transport: a copy,
 *                  patched (answer-cache.ts). The hot path: nothing before it is parsed or
 *                  allocated, and an observer of SOA checks (`noteSoaCheck`) is told first.
 *                  Skipped while any zone has a fault (the cache is then asked in step 9);
 * 3. parse         the request read (wire/message.ts); FORMERR when it cannot be;
 * 4. classify      a NOTIFY (told to its observer, answered NOTIMP in step 6), a transfer
 *                  (handed to the transfer chain, transfer.ts, which answers it whole), or an
 *                  ordinary query;
 * 5. verifyTsig    RFC 8945: FORMERR or NOTAUTH for a TSIG that is malformed or fails; from
 *                  here on every answer to a verified request is signed (§5.3);
 * 6. checkQuestion BADVERS, NOTIMP, FORMERR, REFUSED for what this handler does not answer;
 * 7. findZone      the zone the question falls in; none: REFUSED (RFC 1034 §4.3.2 step 2);
 *                  then the zone's active faults for this exchange (when some zone has one);
 * 8. faultAnswer   a fault that answers instead of the zone: soa-rcode (its RCODE, or none);
 * 9. answer        from the cache, or looked up (zone/lookup.ts) and encoded whole, which the
 *                  cache keeps; serial-regression lowers the SOA's serial here; an answer a
 *                  fault applies to neither comes from the cache nor goes into it;
 * 10. fit          encoded again to the transport's size when it does not fit (TC);
 * 11. sign         the TSIG of a verified request (RFC 8945 §5.3);
 * 12. deliver      the answer handed to the transport; udp-drop drops it, latency delays it.
 *
 * Steps 1 to 3 work on the bytes; from step 4 a step returns undefined to go on or the answer
 * that ends the chain (null: none), as transfer.ts's steps return a refusal. Every step runs
 * synchronously, in one call, so the whole answer comes from one version of the zones; a
 * delayed answer is a stream of a delay and the message (handler.ts), not a pending promise.
 *
 * Adding a step: put a function `(rq) => HandlerResult | undefined` into STEPS. What must see
 * every query, cached or not (an observer), goes before step 2 and must cost nothing when it
 * has nothing to do; a fault needs the zone and goes after step 7, where it is known whether
 * one applies (query-faults.ts). Observing each step goes into runSteps' loop.
 */

import type { ZoneSet } from "../zone/zoneset.js";
import { AnswerCache, plainQueryKey } from "./answer-cache.js";
import type { DnsHandler, HandlerResult, RequestContext } from "./handler.js";
import { faultAnswer } from "./query-faults.js";
import type { QueryEnv, QueryHooks, QueryRequest } from "./query-request.js";
import {
  answer,
  checkQuestion,
  classify,
  deliver,
  faultsAnywhere,
  findZone,
  fit,
  fromCache,
  noteSoaCheck,
  parse,
  screen,
  sign,
  verifyTsig,
} from "./query-steps.js";

export { encodeReply } from "./query-request.js";

export interface QueryHandlerOptions extends QueryHooks {
  /**
   * Largest UDP response we send, whatever the client advertises. 1232 avoids IP
   * fragmentation on common paths (DNS Flag Day 2020), as BIND 9.18 and Knot default to.
   */
  maxUdpPayload?: number;
  /** Entries in the answer cache (0 disables it). */
  cacheEntries?: number;
}

export type Step = (rq: QueryRequest) => HandlerResult | undefined;

/** The steps after `parse`, in order (see above). */
export const STEPS: readonly Step[] = [
  classify,
  verifyTsig,
  checkQuestion,
  findZone,
  faultAnswer,
  answer,
  fit,
  sign,
  deliver,
];

/** Run the steps; the first one that answers ends the chain. */
export function runSteps(steps: readonly Step[], rq: QueryRequest): HandlerResult {
  for (let i = 0; i < steps.length; i++) {
    const out = steps[i](rq);
    if (out !== undefined) return out;
  }
  return null;
}

export function createQueryHandler(zones: ZoneSet, opts: QueryHandlerOptions = {}): DnsHandler {
  // Every field named, so that every handler's env has one shape.
  const env: QueryEnv = {
    zones,
    cache: new AnswerCache(opts.cacheEntries ?? 100_000),
    maxUdp: opts.maxUdpPayload ?? 1232,
    logger: opts.logger,
    keyring: opts.keyring,
    onSoaQuery: opts.onSoaQuery,
    onNotify: opts.onNotify,
    transfer: opts.transfer,
    faults: opts.faults,
  };
  return {
    handle(msg: Buffer, ctx: RequestContext): HandlerResult {
      if (!screen(msg)) return null;
      const plain = plainQueryKey(msg);
      if (plain !== null) {
        noteSoaCheck(env, msg, plain, ctx);
        if (!faultsAnywhere(env)) {
          const cached = fromCache(env, msg, plain, ctx);
          if (cached !== undefined) return cached;
        }
      }
      const rq = parse(env, msg, ctx, plain);
      if (Buffer.isBuffer(rq)) return rq;
      return runSteps(STEPS, rq);
    },
  };
}
