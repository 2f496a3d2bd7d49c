/**
 * The messages of an AXFR, kept for the next secondaries that ask for the same version.
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
 * A version's messages are kept from its second request on. Keeping costs too: 35 MB held
 * for a million records, which made the garbage collector run whole-heap collections more
 * often, and the first AXFR of each version about a fifth slower (measured with one
 * secondary and IXFR off, where nothing kept is ever used again).
 *
 * Memory is bounded: at most `maxBytes` of messages in all (`limits.axfrCacheBytes`); the
 * least recently used stream goes first, and a stream larger than the bound is never kept.
 * A zone's older versions go when a newer one is kept. A transfer cut before its end keeps
 * nothing. Zones are held weakly: a deleted zone is not kept alive by its messages.
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
  version: number;
  /** Set once the stream is complete; until then the version has only been asked for. */
  messages?: Buffer[];
  /** Records in each message. */
  records?: Uint32Array;
  bytes: number;
  /** The zone's map this entry is in, to take it out when it is the least recently used. */
  owner: Map<string, Kept>;
  shape: string;
}

export interface AxfrCacheStats {
  hits: number;
  misses: number;
  streams: number;
  bytes: number;
}

export class AxfrCache {
  /** A zone's entries by shape. */
  private readonly byZone = new WeakMap<Zone, Map<string, Kept>>();
  /** Complete streams, least recently used first. */
  private readonly lru = new Set<Kept>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(private readonly maxBytes: number) {}

  stats(): AxfrCacheStats {
    return { hits: this.hits, misses: this.misses, streams: this.lru.size, bytes: this.bytes };
  }

  private static shapeKey(s: AxfrShape): string {
    const { qname, qtype, qclass, edns } = s.req;
    return `${qname}\0${qtype}\0${qclass}\0${edns ? 1 : 0}\0${s.messageSize}\0${s.payload}\0${s.reserve}`;
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
    const k = this.byZone.get(zone)?.get(AxfrCache.shapeKey(shape));
    if (k?.messages === undefined || k.version !== version) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.lru.delete(k);
    this.lru.add(k);
    stats.kept = true;
    return copies(k, shape.req, stats);
  }

  /**
   * For a version asked for before (and not kept): where to keep its stream as it is built.
   * `add` each message before it is signed (and before anything writes into its buffer), then
   * `end` once the last one is out; a stream never ended (the transfer was cut) is not kept.
   * The first request of a version only leaves a mark.
   */
  filler(zone: Zone, version: number, shape: AxfrShape): AxfrFiller | undefined {
    if (this.maxBytes === 0) return undefined;
    let zoneMap = this.byZone.get(zone);
    if (zoneMap === undefined) {
      zoneMap = new Map();
      this.byZone.set(zone, zoneMap);
    }
    const shapeKey = AxfrCache.shapeKey(shape);
    const mark = zoneMap.get(shapeKey);
    if (mark === undefined || mark.version !== version) {
      if (mark !== undefined) this.drop(mark);
      zoneMap.set(shapeKey, { version, bytes: 0, owner: zoneMap, shape: shapeKey });
      return undefined;
    }
    const owner = zoneMap;
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
        const now = owner.get(shapeKey);
        if (now?.messages !== undefined) return; // kept by a transfer that ended first
        // The zone's other shapes of older versions, then the least recently used.
        for (const other of owner.values()) if (other.version !== version) this.drop(other);
        for (const old of this.lru) {
          if (this.bytes + bytes <= this.maxBytes) break;
          this.drop(old);
        }
        const k: Kept = {
          version,
          messages,
          records: Uint32Array.from(records),
          bytes,
          owner,
          shape: shapeKey,
        };
        owner.set(shapeKey, k);
        this.lru.add(k);
        this.bytes += bytes;
      },
    };
  }

  private drop(k: Kept): void {
    if (k.owner.get(k.shape) === k) k.owner.delete(k.shape);
    if (this.lru.delete(k)) this.bytes -= k.bytes;
  }
}

export interface AxfrFiller {
  add(message: Buffer, records: number): void;
  end(): void;
}

/** Copies of the kept messages with the request's ID and flags (xfr.ts MessagePacker.flush). */
function* copies(k: Kept, req: XfrRequest, stats: XfrStats): Generator<Buffer> {
  const flags = answerFlags(req);
  const messages = k.messages!;
  const records = k.records!;
  for (let i = 0; i < messages.length; i++) {
    const m = Buffer.allocUnsafe(messages[i].length);
    messages[i].copy(m);
    m.writeUInt16BE(req.id, 0);
    m.writeUInt16BE(flags, 2);
    stats.records += records[i];
    yield m;
  }
}
