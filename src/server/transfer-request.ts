/**
 * The one object a transfer request carries through the steps of transfer.ts, and the one
 * place that turns a refusal into its log line, its activity record and its DNS answer.
 *
 * Each step fills in what it learns (the zone, the key, the source, the answer) so that the
 * next steps, the refusal and the outcome read it from here instead of from positional
 * parameters.
 */

import type { Logger } from "pino";
import type { TransferActivity } from "../cloudflare/transfer/activity.js";
import type { SourceCheck, TransferSettings } from "../cloudflare/transfer/settings.js";
import type { Faults } from "../faults/faults.js";
import { FLAG, type Query } from "../wire/message.js";
import type { ResponseSigner } from "../wire/tsig.js";
import { T } from "../wire/types.js";
import type { Changeset, RR } from "../zone/journal.js";
import type { ZoneNode } from "../zone/rrset.js";
import type { Zone } from "../zone/zone.js";
import type { ZoneSet } from "../zone/zoneset.js";
import type { AxfrCache } from "./axfr-cache.js";
import type { RequestContext } from "./handler.js";
import type { SignedRequest } from "./signed.js";
import type { FaultPlan } from "./transfer-faults.js";
import type { TransferLimits } from "./transfer-limits.js";
import type { XfrOptions, XfrRequest, XfrStats } from "./xfr.js";

/**
 * What the TSIG step learns: a keyring's verdict, or (a UDP worker, which holds no transfer
 * settings) only that the request is signed.
 */
export type TsigCheck = SignedRequest | { kind: "unverified"; keyName: string };

/** A rule of the policy: a refusal, or undefined to let the request go on. */
export type PolicyRule = (rq: TransferRequest) => Refusal | undefined;

/** Where IXFR answers come from. */
export type IxfrSource =
  /**
   * The journal (the main process): over TCP the increments or the zone AXFR-style; over
   * UDP the increments when they fit one message, else the SOA alone (RFC 1995 §2).
   */
  | "journal"
  /**
   * The SOA alone, always, without reading the client's serial (a UDP worker: RFC 1995 §2
   * lets any UDP answer be the SOA alone, which sends the client to TCP).
   */
  | "soa-alone";

/** What differs between the main process and a UDP worker: everything the steps depend on. */
export interface StepEnv {
  zones: ZoneSet;
  /** Verifies a request's TSIG, if it has one. */
  verify(msg: Buffer): TsigCheck;
  /** The rules of the policy step, in the order they are checked. */
  policy: readonly PolicyRule[];
  ixfr: IxfrSource;
  /** Transfers in progress; without it nothing is counted. */
  limits?: TransferLimits;
  /** Source matching for activity records, and the last transfer of a zone. */
  settings?: Pick<TransferSettings, "isAllowedSource" | "markTransferred">;
  logger?: Pick<Logger, "info" | "warn">;
  activity?: Pick<TransferActivity, "refused" | "transferred">;
  /** Size of AXFR/IXFR messages over TCP (xfr.ts's default when undefined). */
  messageSize?: number;
  /** Our EDNS payload size. */
  payload?: number;
  /** The server's faults (the main process; a UDP worker has none and never streams). */
  faults?: Pick<Faults, "size" | "active" | "applied">;
  /** AXFR messages kept for the next request of the same version (axfr-cache.ts). */
  axfrCache?: AxfrCache;
}

export type AnswerKind = "AXFR" | "IXFR" | "IXFR-AXFR" | "IXFR-SOA";

/** The answer chosen, with the one version of the zone it is built from. */
export interface Answer {
  kind: AnswerKind;
  /** The apex node, the SOA served and its serial, read together when the answer is chosen. */
  apex: ZoneNode;
  soa: RR;
  serial: number;
  /** IXFR: the serial the client holds. */
  from?: number;
  /** IXFR: why the client gets another answer than the increments it asked for. */
  why?: string;
  /** IXFR: the changesets from the client's serial to ours. */
  history?: readonly Changeset[];
  /** An answer already built (the increments over UDP, when they fit one message). */
  message?: Buffer;
}

export interface TransferRequest {
  readonly env: StepEnv;
  readonly msg: Buffer;
  readonly q: Query;
  readonly ctx: RequestContext;
  /** The zone the question names (in any case), if it is served here. */
  zone?: Zone;
  /** The key named by the request's TSIG, verified or not. */
  keyName?: string;
  /** Set when the TSIG verified: every answer is signed with it (RFC 8945 §5.3). */
  signer?: ResponseSigner;
  /** The peer or ACL that admits the source address. */
  source?: SourceCheck;
  answer?: Answer;
  /** When the answer was chosen (performance.now()), for the outcome's duration. */
  started?: number;
  /** The request as xfr.ts needs it, and how its messages are sized and signed. */
  xfr?: XfrRequest;
  opts?: XfrOptions;
  stats: XfrStats;
  /** A slot under the limits, held until the stream ends; given back if nothing streams. */
  release?: () => void;
  /** What the faults do to this answer (transfer-faults.ts); absent when none applies. */
  faults?: FaultPlan;
}

export function newRequest(
  env: StepEnv,
  msg: Buffer,
  q: Query,
  ctx: RequestContext,
): TransferRequest {
  return { env, msg, q, ctx, stats: { records: 0, messages: 0, bytes: 0 } };
}

/** Why a request gets no transfer, and how that is told. */
export interface Refusal {
  rcode: number;
  reason: string;
  /** The zone named in the log and the activity (default: the zone found, else the question). */
  zone?: string;
  /** Kept in the activity store (default true). */
  keep?: boolean;
  /** Neither logged nor kept (default false). */
  quiet?: boolean;
  /** Makes the answer from the bare one (default: signed with the request's key, if any). */
  answer?: (bare: Buffer) => Buffer;
}

/** "AXFR" or "IXFR", as the log and the activity name the request. */
export const qtypeName = (q: Query): "AXFR" | "IXFR" => (q.qtype === T.AXFR ? "AXFR" : "IXFR");

/**
 * The one place a refusal is told: a warning with the reason, the zone, the source address
 * and the key name; an activity record with the peer or ACL the source matches (what the
 * secondaries view shows); the DNS answer, signed when the request's TSIG verified (RFC 8945
 * §5.3).
 */
export function refuse(rq: TransferRequest, r: Refusal): Buffer {
  const zone = r.zone ?? rq.zone?.origin ?? rq.q.qname;
  if (!r.quiet) {
    logRefusal(rq, zone, r.reason);
    if (r.keep !== false) keepRefusal(rq, zone, r);
  }
  const bare = bareAnswer(rq.msg, rq.q, r.rcode);
  if (r.answer) return r.answer(bare);
  return rq.signer ? rq.signer.sign(bare) : bare;
}

function logRefusal(rq: TransferRequest, zone: string, reason: string): void {
  rq.env.logger?.warn(
    {
      zone,
      peer: rq.ctx.remoteAddress,
      port: rq.ctx.remotePort,
      key: rq.keyName ?? null,
      qtype: qtypeName(rq.q),
      reason,
    },
    "zone transfer refused",
  );
}

function keepRefusal(rq: TransferRequest, zone: string, r: Refusal): void {
  const { activity, settings } = rq.env;
  if (!activity) return;
  const match = settings?.isAllowedSource(zone, rq.ctx.remoteAddress) ?? { allowed: false };
  activity.refused(zone, {
    address: rq.ctx.remoteAddress,
    port: rq.ctx.remotePort,
    ...(match.peer ? { peer: match.peer } : {}),
    ...(match.acl ? { acl: match.acl } : {}),
    ...(rq.keyName !== undefined ? { key: rq.keyName } : {}),
    qtype: qtypeName(rq.q),
    reason: r.reason,
    rcode: r.rcode,
  });
}

/** A minimal answer: header + question, with a rcode (and AA off). */
export function bareAnswer(msg: Buffer, q: Query, rcode: number): Buffer {
  const qlen = q.questionEnd - 12;
  const out = Buffer.alloc(12 + qlen);
  msg.copy(out, 0, 0, 2);
  out.writeUInt16BE(FLAG.QR | (q.flags & (0x7800 | FLAG.RD)) | (rcode & 0xf), 2);
  out.writeUInt16BE(1, 4);
  msg.copy(out, 12, 12, q.questionEnd);
  return out;
}
