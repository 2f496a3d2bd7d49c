/**
 * "Configured versus transferred": what Cloudflare's rules make of each stored record at a
 * name. Built on the same decisions the renderer takes (CloudflareRules.decide,
 * withheldReason, apexNsDisposition), so the explanation cannot drift from what is served.
 *
 * Pure: nothing is logged. The only call on the context besides reads is
 * ctx.dependsOnOthers() (when a CNAME is flattened), which a caller may make a no-op.
 */

import { nameKey } from "../../wire/name.js";
import { rdataToText } from "../../wire/rdata.js";
import { T } from "../../wire/types.js";
import type { RenderContext } from "../../zone/render.js";
import type { RRset } from "../../zone/rrset.js";
import { type CloudflareRules, PROXIED_TTL, type WithheldReason } from "./cloudflare.js";

export type Disposition =
  /** Served and transferred as stored. */
  | "transferred"
  /** Replaced by the zone's anycast addresses (the name is proxied). */
  | "proxied"
  /** A CNAME replaced by the addresses of its target. */
  | "flattened"
  /** Served to queries but left out of transfers. */
  | "withheld"
  /** A user apex NS record, ignored because multi-provider DNS is off. */
  | "apex-ns-ignored"
  /** An apex NS record naming one of the zone's assigned nameservers. */
  | "assigned-ns"
  /** A CNAME that should be flattened but whose target has no addresses here. */
  | "unresolved-cname";

export interface RecordExplanation {
  name: string;
  type: number;
  ttl: number;
  /** Wire RDATA (latin1), as stored. */
  rdata: string;
  disposition: Disposition;
  /** Queries are answered with this record as stored. */
  served: boolean;
  /** Zone transfers carry this record as stored. */
  transferred: boolean;
  /** proxied / flattened: the addresses served in its place, as text, and their TTL. */
  addresses?: string[];
  addressTtl?: number;
  /**
   * Served and transferred as itself, but with another TTL than configured: an apex NS record
   * takes the zone's `ns_ttl` (cloudflare.md §1 "Apex NS and multi-provider DNS").
   */
  servedTtl?: number;
  /** withheld: why. */
  withheld?: WithheldReason;
  /** flattened / unresolved-cname: the CNAME's target, and the names followed. */
  target?: string;
  chain?: string[];
  /** unresolved-cname: why the target gave no address. */
  reason?: string;
  /**
   * A proxied record that the account serves as DNS-only (`enforce_dns_only`): its
   * disposition is what it would be if it were not proxied.
   */
  dnsOnlyEnforced?: true;
}

export interface NameExplanation {
  records: RecordExplanation[];
  /** The RRsets queries are answered from (what `render` serves). */
  served: readonly RRset[];
  /** The RRsets zone transfers carry (assigned nameservers included). */
  transferred: readonly RRset[];
}

function addressTexts(a: readonly string[], aaaa: readonly string[]): string[] {
  const out: string[] = [];
  for (const rd of a) out.push(rdataToText(T.A, Buffer.from(rd, "latin1")));
  for (const rd of aaaa) out.push(rdataToText(T.AAAA, Buffer.from(rd, "latin1")));
  return out;
}

/** Explain every stored record at `name` (stored RRsets as the zone holds them). */
export function explainName(
  name: string,
  stored: readonly RRset[],
  rules: CloudflareRules,
  ctx: RenderContext,
): NameExplanation {
  const d = rules.decide(name, stored, ctx);
  const served = d === undefined ? stored : rules.apply(stored, d);
  const transferred = rules.transfer(name, served, ctx);
  const apex = d?.apex ?? nameKey(name) === nameKey(ctx.origin);
  const proxiedAddresses =
    d?.proxied !== undefined
      ? (() => {
          const r = rules.anycastRdata(d.proxied);
          return addressTexts(r.a, r.aaaa);
        })()
      : undefined;

  const records: RecordExplanation[] = [];
  const enforced = rules.settings.dnsOnly;
  for (const s of stored) {
    const t = s.type;
    for (const rdata of s.rdata) {
      const base: Pick<RecordExplanation, "name" | "type" | "ttl" | "rdata" | "dnsOnlyEnforced"> = {
        name,
        type: t,
        ttl: s.ttl,
        rdata,
      };
      if (enforced && ctx.meta(t, rdata)?.proxied === true) base.dnsOnlyEnforced = true;
      if (proxiedAddresses !== undefined && (t === T.A || t === T.AAAA || t === T.CNAME)) {
        records.push({
          ...base,
          disposition: "proxied",
          served: false,
          transferred: false,
          addresses: proxiedAddresses,
          addressTtl: PROXIED_TTL,
        });
        continue;
      }
      const c = d?.cname;
      if (t === T.CNAME && c !== undefined) {
        if (c.kind === "flattened") {
          records.push({
            ...base,
            disposition: "flattened",
            served: false,
            transferred: false,
            addresses: addressTexts(c.a, c.aaaa),
            addressTtl: c.ttl,
            target: c.target,
            chain: c.chain,
          });
        } else {
          records.push({
            ...base,
            disposition: "unresolved-cname",
            served: !apex,
            transferred: !apex,
            target: c.target,
            chain: c.chain,
            reason: c.reason,
          });
        }
        continue;
      }
      if (t === T.NS && apex) {
        const disposition = rules.apexNsDisposition(rdata);
        const kept = disposition !== "apex-ns-ignored";
        const nsTtl = rules.settings.nsTtl;
        records.push({
          ...base,
          disposition,
          served: kept,
          transferred: kept,
          ...(kept && nsTtl !== s.ttl ? { servedTtl: nsTtl } : {}),
        });
        continue;
      }
      const withheld = rules.withheldReason(name, t, rdata, ctx);
      if (withheld !== undefined) {
        records.push({
          ...base,
          disposition: "withheld",
          served: true,
          transferred: false,
          withheld,
        });
        continue;
      }
      records.push({ ...base, disposition: "transferred", served: true, transferred: true });
    }
  }
  return { records, served, transferred };
}
