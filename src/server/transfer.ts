/**
 * Answering AXFR and IXFR requests as a short chain of named steps, each a small function in
 * transfer-steps.ts over one request object (transfer-request.ts):
 *
 * 1. findZone        the zone the question names, if served here (whether that is an
 *                    answer is the policy's call);
 * 2. verifyTsig      RFC 8945: a TSIG that is malformed is FORMERR (§5.2.2.1), one that fails
 *                    NOTAUTH with its error (§5.3.2); from here on every answer to a verified
 *                    request is signed (§5.3). It comes before the policy so that a bad
 *                    signature is told as such, whatever else is wrong;
 * 3. checkPolicy     the rules of transfer-policy.ts, in order: a zone served here (else
 *                    NOTAUTH, RFC 5936 §2.2.1), its outgoing transfers Enabled, the source a
 *                    linked peer's ip or inside an ACL, the zone's shared TSIG used
 *                    (cloudflare.md §2), AXFR over TCP only (else FORMERR, RFC 5936 §4.2);
 * 4. chooseAnswer    AXFR, or for an IXFR (RFC 1995 §4) the increments, the zone AXFR-style
 *                    (IXFR-AXFR) or the SOA alone, from one version of the zone;
 * 5. admit           a multi-message answer only under the limits (as BIND's transfers-out;
 *                    else REFUSED): after chooseAnswer, since only the answer chosen tells
 *                    whether it is a stream that counts;
 * 6. injectFaults    the zone's faults (transfer-faults.ts; faults/, issue 14): after the
 *                    policy and the limits, so a fault never bypasses them; ixfr-refuse
 *                    refuses, the others change the answer chosen (admitted again if it
 *                    became a stream) or leave a plan on the request for `stream`; with no
 *                    fault anywhere one comparison;
 * 7. stream          the messages (xfr.ts), holding the slot until they are all out;
 * 8. recordOutcome   one summary log line, the zone's last transfer and the secondary's
 *                    activity record (with the faults that acted), when the stream finishes
 *                    or is abandoned.
 *
 * A step that refuses stops the chain; `refuse()` then logs the reason, keeps it in the
 * activity store and answers (signed when the request was). The main process and the UDP
 * workers run the same steps; what differs is in their StepEnv: a worker verifies no TSIG
 * (a signed request is REFUSED, left to the main process), has its own policy list, answers
 * every IXFR over UDP with the SOA alone (RFC 1995 §2, which sends the client to TCP), and has
 * no limits, logger, activity or faults.
 *
 * Adding a step: put a function `(rq) => Refusal | undefined` into the list below. A fault
 * (a refusal, another rcode, a delay or a damaged stream) goes between `admit` and `stream`,
 * as injectFaults does: the answer is then chosen and admitted, and a refusal there gives the
 * slot back (runSteps); a step that changes the messages sets a field that `stream` applies
 * to them (injectFaults: `rq.faults`), since every step runs synchronously within one call
 * (the answer's version is read in chooseAnswer and its snapshot in stream, in the same
 * tick). Observing each step goes into runSteps' loop.
 */

import type { Logger } from "pino";
import type { TransferActivity } from "../cloudflare/transfer/activity.js";
import type { TransferSettings } from "../cloudflare/transfer/settings.js";
import type { Faults } from "../faults/faults.js";
import type { Query } from "../wire/message.js";
import type { ZoneSet } from "../zone/zoneset.js";
import type { AxfrCache } from "./axfr-cache.js";
import type { HandlerResult, RequestContext } from "./handler.js";
import { createKeyring, type Keyring } from "./signed.js";
import { injectFaults } from "./transfer-faults.js";
import { TransferLimits } from "./transfer-limits.js";
import { primaryPolicy, workerPolicy } from "./transfer-policy.js";
import {
  newRequest,
  type Refusal,
  refuse,
  type StepEnv,
  type TransferRequest,
} from "./transfer-request.js";
import {
  admit,
  checkPolicy,
  chooseAnswer,
  findZone,
  stream,
  tsigPresence,
  verifyTsig,
} from "./transfer-steps.js";

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
  /** The server's faults, applied by the injectFaults step (transfer-faults.ts). */
  faults?: Faults;
  /** AXFR messages kept for the next request of the same version (axfr-cache.ts). */
  axfrCache?: AxfrCache;
}

export type Step = (rq: TransferRequest) => Refusal | undefined;

/** The steps before `stream`, in order (see above for why admit follows chooseAnswer). */
export const STEPS: readonly Step[] = [
  findZone,
  verifyTsig,
  checkPolicy,
  chooseAnswer,
  admit,
  injectFaults,
];

/** Run the steps; the first refusal is the answer, else the stream of the answer chosen. */
export function runSteps(steps: readonly Step[], rq: TransferRequest): HandlerResult {
  try {
    for (const step of steps) {
      const refusal = step(rq);
      if (refusal !== undefined) return refuse(rq, refusal);
    }
    return stream(rq);
  } finally {
    // A slot taken by `admit` and not handed to a stream (a later step refused, or threw).
    rq.release?.();
  }
}

/** The main process: Cloudflare's policy over the transfer settings, limits, logs, activity. */
export function createTransferHandler(env: TransferEnv) {
  const now = env.now ?? (() => Date.now() / 1000);
  const keyring = env.keyring ?? createKeyring(env.settings, now);
  const steps: StepEnv = {
    zones: env.zones,
    verify: (msg) => keyring.check(msg),
    policy: primaryPolicy(env.settings),
    ixfr: "journal",
    limits: new TransferLimits(env.maxTransfers, env.maxTransfersPerZone),
    settings: env.settings,
    logger: env.logger,
    activity: env.activity,
    messageSize: env.messageSize,
    payload: env.payload,
    faults: env.faults,
    axfrCache: env.axfrCache,
  };
  return (msg: Buffer, q: Query, ctx: RequestContext): HandlerResult =>
    runSteps(STEPS, newRequest(steps, msg, q, ctx));
}

/**
 * What a UDP worker process answers to transfer requests: it holds no transfer settings, so
 * it never transfers. IXFR gets the zone's SOA alone, which RFC 1995 §2 lets any UDP answer
 * be and which sends the client to TCP, where the main process applies the policy; AXFR over
 * UDP is malformed (RFC 5936 §4.2); a signed request or a name that is not a zone: REFUSED.
 */
export function udpWorkerTransfer(zones: ZoneSet) {
  const steps: StepEnv = {
    zones,
    verify: tsigPresence,
    policy: workerPolicy,
    ixfr: "soa-alone",
  };
  return (msg: Buffer, q: Query, ctx: RequestContext): HandlerResult =>
    runSteps(STEPS, newRequest(steps, msg, q, ctx));
}
