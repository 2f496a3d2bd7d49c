/**
 * Per-zone defaults Cloudflare would assign: the anycast addresses that proxied names
 * resolve to, and the two nameservers of the zone. Both are derived from a hash of the
 * zone's name, so a zone keeps them across restarts without storing anything.
 *
 * Decision: like the pairs Cloudflare hands out (104.21.x.y with 172.67.x.y), the IPv4 pair
 * takes one address from 104.16.0.0/13 and one from 172.64.0.0/13, so the two always
 * differ; the last octet is never 0 or 255. The IPv6 pair lies in 2606:4700::/32 in the form
 * Cloudflare uses, 2606:4700:30xx::<the IPv4 address in hex>.
 */

import { createHash } from "node:crypto";

export interface AnycastPairs {
  ipv4: [string, string];
  ipv6: [string, string];
}

/** Lowercased, with the trailing dot: "Example.COM" and "example.com." hash the same. */
function hashOrigin(origin: string, purpose: string): Buffer {
  let o = origin.toLowerCase();
  if (!o.endsWith(".")) o += ".";
  return createHash("sha256").update(`${purpose}\0${o}`, "utf8").digest();
}

/** An address in the /13 at `base` (first two octets) from 19 bits of `h` at `pos`. */
function inSlash13(base0: number, base1: number, h: Buffer, pos: number): number[] {
  const bits = h.readUInt32BE(pos);
  const second = base1 + ((bits >>> 16) & 0x07);
  const third = (bits >>> 8) & 0xff;
  const fourth = 1 + ((bits & 0xff) % 254); // 1-254: never .0 nor .255
  return [base0, second, third, fourth];
}

function v6From(third: number, v4: number[]): string {
  const hi = ((v4[0] << 8) | v4[1]).toString(16);
  const lo = ((v4[2] << 8) | v4[3]).toString(16);
  return `2606:4700:${third.toString(16)}::${hi}:${lo}`;
}

/** The default anycast pairs of a zone (deterministic per origin). */
export function defaultAnycast(origin: string): AnycastPairs {
  const h = hashOrigin(origin, "anycast");
  const a = inSlash13(104, 16, h, 0);
  const b = inSlash13(172, 64, h, 4);
  return {
    ipv4: [a.join("."), b.join(".")],
    ipv6: [v6From(0x3030 + (h[8] & 0x07), a), v6From(0x3030 + (h[9] & 0x07), b)],
  };
}

/** First names of the kind Cloudflare gives its nameservers (`ada.ns.cloudflare.com.`). */
export const NAMESERVER_NAMES: readonly string[] = [
  "ada",
  "adam",
  "alan",
  "alice",
  "amir",
  "anna",
  "arch",
  "beau",
  "bob",
  "brenda",
  "carl",
  "chad",
  "chloe",
  "dana",
  "dave",
  "elle",
  "emma",
  "ezra",
  "gina",
  "greg",
  "hank",
  "ines",
  "ivan",
  "jade",
  "kate",
  "kyle",
  "lara",
  "leo",
  "lola",
  "luke",
  "mark",
  "mia",
  "nash",
  "nina",
  "olga",
  "paul",
  "rick",
  "rose",
  "sara",
  "walt",
];

/** The two nameservers assigned to a zone: two different names, absolute. */
export function assignedNameservers(origin: string): string[] {
  const h = hashOrigin(origin, "nameservers");
  const n = NAMESERVER_NAMES.length;
  const first = h.readUInt32BE(0) % n;
  const second = (first + 1 + (h.readUInt32BE(4) % (n - 1))) % n;
  return [first, second].map((i) => `${NAMESERVER_NAMES[i]}.ns.cloudflare.com.`);
}
