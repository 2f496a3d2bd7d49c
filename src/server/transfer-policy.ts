/**
 * The rules of the policy step (transfer.ts), one function each, and the two lists made of
 * them: Cloudflare's policy in the main process (cloudflare.md §2), and a UDP worker's, which
 * holds no transfer settings and leaves every real decision to the main process over TCP.
 */

import type { TransferSettings } from "../cloudflare/transfer/settings.js";
import { canonicalName, nameKey } from "../wire/name.js";
import { T } from "../wire/types.js";
import { RCODE } from "../zone/lookup.js";
import type { PolicyRule, TransferRequest } from "./transfer-request.js";

type Settings = Pick<TransferSettings, "outgoing" | "entitled" | "isAllowedSource" | "zoneTsig">;

/**
 * The question must name a zone served here, not a name inside one (RFC 5936 §2.2.1: NOTAUTH
 * from the primary; a UDP worker says REFUSED and lets the main process say more over TCP).
 */
export function servedHere(rcode: number): PolicyRule {
  return function servedHere(rq) {
    if (rq.zone && rq.zone.key === nameKey(rq.q.qname)) return undefined;
    return { rcode, reason: "not a zone served here", zone: rq.q.qname };
  };
}

/**
 * cloudflare.md §2: the zone's outgoing transfers must be Enabled, and the zone entitled to
 * them (the setup guide's first step; settings.ts `entitled`).
 */
export function outgoingEnabled(settings: Settings): PolicyRule {
  return function outgoingEnabled(rq) {
    const origin = zoneOf(rq).origin;
    if (!settings.entitled(origin))
      return {
        rcode: RCODE.REFUSED,
        reason: "the zone is not enabled for outgoing zone transfers (entitlement)",
      };
    if (settings.outgoing(origin)?.status === "Enabled") return undefined;
    return { rcode: RCODE.REFUSED, reason: "outgoing transfers are not enabled for the zone" };
  };
}

/** cloudflare.md §2: the source address must be a linked peer's ip or inside an ACL. */
export function sourceAllowed(settings: Settings): PolicyRule {
  return function sourceAllowed(rq) {
    const source = settings.isAllowedSource(zoneOf(rq).origin, rq.ctx.remoteAddress);
    if (source.allowed) {
      rq.source = source;
      return undefined;
    }
    return {
      rcode: RCODE.REFUSED,
      reason: "source address is neither a linked peer nor in an ACL",
    };
  };
}

/** cloudflare.md §2: when the linked peers share a TSIG, the request must be signed with it. */
export function signedWithZoneKey(settings: Settings): PolicyRule {
  return function signedWithZoneKey(rq) {
    const zoneTsig = settings.zoneTsig(zoneOf(rq).origin);
    if (!zoneTsig) return undefined;
    const verified = rq.signer !== undefined;
    if (verified && nameKey(rq.keyName ?? "") === nameKey(canonicalName(zoneTsig.name)))
      return undefined;
    const reason = verified
      ? `signed with ${rq.keyName}, not the zone's TSIG ${zoneTsig.name}`
      : `not signed with the zone's TSIG ${zoneTsig.name}`;
    return { rcode: RCODE.REFUSED, reason };
  };
}

/** RFC 5936 §4.2: AXFR is defined over TCP only; over UDP it is FORMERR. */
export const axfrOverTcp: PolicyRule = function axfrOverTcp(rq) {
  if (rq.q.qtype !== T.AXFR || rq.ctx.transport !== "udp") return undefined;
  return { rcode: RCODE.FORMERR, reason: "AXFR over UDP" };
};

/**
 * A UDP worker answers no AXFR, whatever the transport: it serves UDP only, where AXFR is
 * malformed (RFC 5936 §4.2), and the main process transfers over TCP.
 */
export const noAxfr: PolicyRule = function noAxfr(rq) {
  if (rq.q.qtype !== T.AXFR) return undefined;
  return { rcode: RCODE.FORMERR, reason: "AXFR over UDP" };
};

/** A signed request the worker cannot verify goes to the main process (REFUSED here). */
export const verifiedHere: PolicyRule = function verifiedHere(rq) {
  if (rq.keyName === undefined || rq.signer !== undefined) return undefined;
  return { rcode: RCODE.REFUSED, reason: "signed requests are verified by the main process" };
};

/** The main process: the order of these rules is the order of the reasons a secondary sees. */
export function primaryPolicy(settings: Settings): PolicyRule[] {
  return [
    servedHere(RCODE.NOTAUTH),
    outgoingEnabled(settings),
    sourceAllowed(settings),
    signedWithZoneKey(settings),
    axfrOverTcp,
  ];
}

/** A UDP worker: AXFR is malformed here whatever else is wrong, then zone and signature. */
export const workerPolicy: readonly PolicyRule[] = [
  noAxfr,
  servedHere(RCODE.REFUSED),
  verifiedHere,
];

/** The zone the rules after `servedHere` rely on. */
function zoneOf(rq: TransferRequest) {
  if (!rq.zone) throw new Error("policy rule run before the zone was found");
  return rq.zone;
}
