/**
 * Rendering: from the records stored at a name to the RRsets served there. Every served
 * answer goes through this one step, so a rule about what clients see (Cloudflare's proxied
 * addresses, flattened CNAMEs, withheld records) is one renderer, not a special case in the
 * lookup or the transfer code.
 *
 * Two views come out of it:
 * - `render`: what queries are answered from;
 * - `transfer`: what a secondary receives by AXFR/IXFR, which may withhold some of the served
 *   RRsets (Cloudflare answers CAA to queries but never transfers it).
 *
 * A renderer returns its input array itself when it changes nothing at a name; the zone then
 * keeps one copy. Otherwise the zone keeps both (see Zone.storedSets, Zone.transferSets).
 */

import type { SigningKey } from "../wire/dnssec/sign.js";
import type { RRset } from "./rrset.js";
import type { RecordMeta } from "./zone.js";

export interface RenderContext {
  /** The zone's origin (canonical). */
  origin: string;
  /** Cloudflare fields of the record with this RDATA at the name, if any. */
  meta(type: number, rdata: string): RecordMeta | undefined;
  /** Cloudflare fields of a record at another name of the zone (a lowercased name). */
  metaAt(key: string, type: number, rdata: string): RecordMeta | undefined;
  /**
   * The stored RRsets at another name of the zone (a lowercased name), as they will be once
   * the change being applied is in place.
   */
  storedAt(key: string): readonly RRset[];
  /**
   * Say that what was rendered at this name depends on data at other names (a flattened
   * CNAME's target): the zone renders such names again after every change.
   */
  dependsOnOthers(): void;
}

export interface Renderer {
  render(name: string, stored: readonly RRset[], ctx: RenderContext): readonly RRset[];
  /** The part of the served RRsets that zone transfers carry. Default: all of them. */
  transfer?(name: string, served: readonly RRset[], ctx: RenderContext): readonly RRset[];
  /**
   * The renderer makes the apex NS RRset itself (Cloudflare's assigned nameservers): the
   * stored apex then needs no NS, and a stored apex CNAME (flattened when served) may sit
   * beside the stored SOA and NS.
   */
  readonly ownsApexNs?: boolean;
  /**
   * The keys that sign the zone's answers at query time while it is signed (the server's
   * dnssec-answer.ts): the DNSKEY RRset with the KSK, everything else with the ZSK (the same
   * key for a zone signed with one key). The renderer serves their DNSKEY RRset at the apex.
   */
  readonly signingKeys?: { ksk: SigningKey; zsk: SigningKey };
}

/** Serve records exactly as stored: what a plain authoritative server does. */
export const asStored: Renderer = {
  render: (_name, stored) => stored,
};
