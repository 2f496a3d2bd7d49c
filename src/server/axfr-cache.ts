/**
 * The messages of an AXFR, kept for the next secondary that asks for the same version.
 *
 * Secondaries ask for the same version of a zone together: the 30 peers of one outgoing
 * configuration after a NOTIFY, every secondary of a lab at its first transfer, every peer
 * with IXFR off after each change. Building the messages is most of a transfer's CPU (0.5 s
 * for a million records: compression, packing), while sending kept messages costs a copy and
 * the signature. So the unsigned messages of a whole AXFR are kept, by zone, version and
 * everything that shapes them (the question as asked, EDNS, message size, the room kept for
 * the signature); a later transfer copies them, sets its ID and flags in each copy, and signs
 * it (TSIG: each MAC chains to the one before, RFC 8945 §5.3.1, so signatures are never kept).
 *
 * Memory is bounded: at most `maxBytes` of messages in all (`limits.axfrCacheBytes`); the
 * least recently used stream goes first, and a stream larger than the bound is never kept.
 * A zone's streams go as soon as it changes. A transfer cut before its end keeps nothing.
 */

import type { Zone } from "../zone/zone.js";
import { answerFlags, type XfrRequest, type XfrStats } from "./xfr.js";

/** What shapes the messages besides the zone's version. */
export interface AxfrShape {
  req: XfrRequest;
  messageSize: number;
  payload: number;
  reserve: number;
}

interface Kept {
  zone: Zone;
  version: number;
  /** Messages as built, with the ID and flags of the request that built them. */
  messages: Buffer[];
  /** Records in each message. */
  records: Uint32Array;
  bytes: number;
}

export interface AxfrCacheStats {
  hits: number;
  misses: number;
  streams: number;
  bytes: number;
}

export class AxfrCache {
  /** By zone key and shape; Map order is the order of last use. */
  private readonly kept = new Map<string, Kept>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(private readonly maxBytes: number) {}

  stats(): AxfrCacheStats {
    return { hits: this.hits, misses: this.misses, streams: this.kept.size, bytes: this.bytes };
  }

  private static key(zone: Zone, s: AxfrShape): string {
    const { qname, qtype, qclass, edns } = s.req;
    return `${zone.key}\0${qname}\0${qtype}\0${qclass}\0${edns ? 1 : 0}\0${s.messageSize}\0${s.payload}\0${s.reserve}`;
  }

  /**
   * The kept messages of this version, made the request's own (copies, with its ID and
   * flags), one at a time; undefined when none are kept. `stats` counts what is handed out.
   */
  replay(
    zone: Zone,
    version: number,
    shape: AxfrShape,
    stats: XfrStats,
  ): Generator<Buffer> | undefined {
    if (this.maxBytes === 0) return undefined;
    const key = AxfrCache.key(zone, shape);
    const k = this.kept.get(key);
    if (k === undefined || k.zone !== zone || k.version !== version) {
      if (k !== undefined) this.drop(key, k);
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.kept.delete(key);
    this.kept.set(key, k);
    stats.kept = true;
    return copies(k, shape.req, stats);
  }

  /**
   * Keep a stream as it is built: `add` each message before it is signed (and before anything
   * writes into its buffer), then `end` once the last one is out. A stream never ended (the
   * transfer was cut) is not kept.
   */
  filler(zone: Zone, version: number, shape: AxfrShape): AxfrFiller | undefined {
    if (this.maxBytes === 0) return undefined;
    const messages: Buffer[] = [];
    const records: number[] = [];
    let bytes = 0;
    return {
      add: (message, count) => {
        if (bytes > this.maxBytes) return;
        messages.push(message);
        records.push(count);
        bytes += message.length;
      },
      end: () => {
        if (bytes > this.maxBytes || zone.version !== version) return;
        const key = AxfrCache.key(zone, shape);
        const old = this.kept.get(key);
        if (old !== undefined) this.drop(key, old);
        for (const [k, v] of this.kept) {
          // The zone's other shapes of older versions, then the least recently used.
          if (v.zone === zone && v.version !== version) this.drop(k, v);
        }
        for (const [k, v] of this.kept) {
          if (this.bytes + bytes <= this.maxBytes) break;
          this.drop(k, v);
        }
        this.kept.set(key, {
          zone,
          version,
          messages,
          records: Uint32Array.from(records),
          bytes,
        });
        this.bytes += bytes;
      },
    };
  }

  private drop(key: string, k: Kept): void {
    this.kept.delete(key);
    this.bytes -= k.bytes;
  }
}

export interface AxfrFiller {
  add(message: Buffer, records: number): void;
  end(): void;
}

/** Copies of the kept messages with the request's ID and flags (xfr.ts MessagePacker.flush). */
function* copies(k: Kept, req: XfrRequest, stats: XfrStats): Generator<Buffer> {
  const flags = answerFlags(req);
  for (let i = 0; i < k.messages.length; i++) {
    const m = Buffer.allocUnsafe(k.messages[i].length);
    k.messages[i].copy(m);
    m.writeUInt16BE(req.id, 0);
    m.writeUInt16BE(flags, 2);
    stats.records += k.records[i];
    yield m;
  }
}
