/**
 * Finished responses kept by question, so that a repeated question is answered by copying
 * bytes instead of looking up and encoding again. Entries are whole untruncated responses;
 * the ID, the RD and CD bits and the question's letter case are patched in from each query.
 *
 * The cache is emptied whenever any zone changes (the zone set's generation moves), so it
 * never serves a version older than the one in memory. It is bounded by entry count; when
 * full, the oldest entry goes first.
 */

export class AnswerCache {
  private readonly map = new Map<string, Buffer>();
  private generation = -1;

  constructor(readonly maxEntries = 100_000) {}

  get(key: string, generation: number): Buffer | undefined {
    if (generation !== this.generation) {
      this.map.clear();
      this.generation = generation;
      return undefined;
    }
    return this.map.get(key);
  }

  set(key: string, generation: number, response: Buffer): void {
    if (this.maxEntries <= 0) return;
    if (generation !== this.generation) {
      this.map.clear();
      this.generation = generation;
    }
    if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(key, response);
  }

  get size(): number {
    return this.map.size;
  }
}

/**
 * The cache key of a plain query (one question, no other records but an optional OPT of
 * version 0), computed straight from the bytes; `null` for anything else, which takes the
 * full path. The key is the lowercased question name, the QTYPE/QCLASS bytes and the EDNS
 * state ("N" none, "E" EDNS, "D" EDNS with DO).
 */
export function plainQueryKey(
  msg: Buffer,
): { key: string; nameEnd: number; udpSize: number; dnssecOk: boolean } | null {
  const len = msg.length;
  if (len < 17) return null;
  // QR=0, OPCODE=0; QDCOUNT=1, ANCOUNT=0, NSCOUNT=0, ARCOUNT 0 or 1.
  if ((msg[2] & 0xf8) !== 0) return null;
  if (
    msg[4] !== 0 ||
    msg[5] !== 1 ||
    msg[6] !== 0 ||
    msg[7] !== 0 ||
    msg[8] !== 0 ||
    msg[9] !== 0 ||
    msg[10] !== 0
  ) {
    return null;
  }
  const arcount = msg[11];
  if (arcount > 1) return null;
  let p = 12;
  let name = "";
  for (;;) {
    if (p >= len) return null;
    const l = msg[p];
    if (l === 0) break;
    if (l > 63) return null;
    if (p + 1 + l > len) return null;
    let label = msg.toString("latin1", p, p + 1 + l);
    // Lowercase ASCII letters only (RFC 4343); length bytes are below 0x41.
    for (let i = 1; i <= l; i++) {
      const c = msg[p + i];
      if (c >= 0x41 && c <= 0x5a) {
        label = label.toLowerCase();
        break;
      }
      if (c >= 0x80) return null;
    }
    name += label;
    p += 1 + l;
  }
  const nameEnd = p + 1;
  if (nameEnd > 256 || nameEnd + 4 > len) return null;
  const qtail = msg.toString("latin1", nameEnd, nameEnd + 4);
  p = nameEnd + 4;
  if (arcount === 0) {
    if (p !== len) return null;
    return { key: `${name}\0${qtail}N`, nameEnd, udpSize: 512, dnssecOk: false };
  }
  // OPT: root owner, type 41, class = payload size, TTL = ext-rcode, version, DO|Z.
  if (p + 11 > len || msg[p] !== 0 || msg[p + 1] !== 0 || msg[p + 2] !== 41) return null;
  const udpSize = Math.max(512, msg.readUInt16BE(p + 3));
  if (msg[p + 6] !== 0) return null; // version 0 only; others get BADVERS on the full path
  const dnssecOk = (msg[p + 7] & 0x80) !== 0;
  // RFC 9824 §4: with DO, CO changes a compact denial's RCODE; it keys its own entries.
  const compactOk = dnssecOk && (msg[p + 7] & 0x40) !== 0;
  const rdlen = msg.readUInt16BE(p + 9);
  const end = p + 11 + rdlen;
  if (end !== len) return null;
  for (let o = p + 11; o < end; ) {
    if (o + 4 > end) return null;
    o += 4 + msg.readUInt16BE(o + 2);
    if (o > end) return null;
  }
  return {
    key: `${name}\0${qtail}${compactOk ? "C" : dnssecOk ? "D" : "E"}`,
    nameEnd,
    udpSize,
    dnssecOk,
  };
}
