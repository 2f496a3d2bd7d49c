/**
 * Rendering: from the records stored at a name to the RRsets served there (in answers and in
 * zone transfers). Every served answer goes through this one step, so a rule about what
 * clients see (Cloudflare's proxied addresses, flattened CNAMEs, withheld records) is one
 * renderer, not a special case in the lookup or the transfer code.
 *
 * A renderer returns the `stored` array itself when it changes nothing at a name; the zone
 * then keeps one copy. Otherwise the zone keeps both (see Zone.storedSets).
 */

import type { RRset } from "./rrset.js";
import type { RecordMeta } from "./zone.js";

export interface RenderContext {
  /** The zone's origin (canonical). */
  origin: string;
  /** Cloudflare fields of the record with this RDATA at the name, if any. */
  meta(type: number, rdata: string): RecordMeta | undefined;
}

export interface Renderer {
  render(name: string, stored: readonly RRset[], ctx: RenderContext): readonly RRset[];
}

/** Serve records exactly as stored: what a plain authoritative server does. */
export const asStored: Renderer = {
  render: (_name, stored) => stored,
};
