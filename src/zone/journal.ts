/**
 * The IXFR journal of a zone: the changesets that took it from one serial to the next
 * (RFC 1995 §4: "the old SOA, the deleted RRs, the new SOA, the added RRs"), oldest first,
 * bounded by a number of versions and a number of bytes. When a bound is passed, the oldest
 * changesets go; a secondary still at a serial older than the oldest kept gets the full zone.
 */

import { serialLt } from "./serial.js";

/** One resource record: canonical owner name, type, TTL, RDATA as a latin1 wire string. */
export interface RR {
  name: string;
  type: number;
  ttl: number;
  rdata: string;
}

export interface Changeset {
  soaFrom: RR;
  soaTo: RR;
  /** Records removed (SOA excluded). */
  removed: RR[];
  /** Records added (SOA excluded). */
  added: RR[];
}

export interface JournalLimits {
  /** Most changesets kept (default 1000). */
  maxVersions: number;
  /** Most bytes kept, counted as the wire size of the records (default 16 MiB). */
  maxBytes: number;
}

export const DEFAULT_JOURNAL_LIMITS: JournalLimits = {
  maxVersions: 1000,
  maxBytes: 16 * 1024 * 1024,
};

/** SOA serial from SOA RDATA (the five 32-bit fields end the RDATA; serial is the first). */
export function soaSerialOf(rdata: string): number {
  const at = rdata.length - 20;
  return (
    ((rdata.charCodeAt(at) << 24) |
      (rdata.charCodeAt(at + 1) << 16) |
      (rdata.charCodeAt(at + 2) << 8) |
      rdata.charCodeAt(at + 3)) >>>
    0
  );
}

/** SOA RDATA with another serial. */
export function withSoaSerial(rdata: string, serial: number): string {
  const at = rdata.length - 20;
  const s = String.fromCharCode(
    (serial >>> 24) & 0xff,
    (serial >>> 16) & 0xff,
    (serial >>> 8) & 0xff,
    serial & 0xff,
  );
  return rdata.slice(0, at) + s + rdata.slice(at + 4);
}

function rrBytes(rr: RR): number {
  // Owner (roughly its text length), type, class, TTL, RDLENGTH, RDATA.
  return rr.name.length + 10 + rr.rdata.length;
}

export function changesetBytes(cs: Changeset): number {
  let n = rrBytes(cs.soaFrom) + rrBytes(cs.soaTo);
  for (const r of cs.removed) n += rrBytes(r);
  for (const r of cs.added) n += rrBytes(r);
  return n;
}

export class Journal {
  private entries: Changeset[] = [];
  private sizes: number[] = [];
  private total = 0;
  readonly limits: JournalLimits;

  constructor(limits: Partial<JournalLimits> = {}) {
    this.limits = { ...DEFAULT_JOURNAL_LIMITS, ...limits };
  }

  append(cs: Changeset): void {
    const bytes = changesetBytes(cs);
    this.entries.push(cs);
    this.sizes.push(bytes);
    this.total += bytes;
    let drop = 0;
    while (
      drop < this.entries.length &&
      (this.entries.length - drop > this.limits.maxVersions || this.total > this.limits.maxBytes)
    ) {
      this.total -= this.sizes[drop];
      drop++;
    }
    if (drop > 0) {
      this.entries = this.entries.slice(drop);
      this.sizes = this.sizes.slice(drop);
    }
  }

  /**
   * The changesets from `serial` to the newest, or undefined when the journal does not reach
   * back to `serial` (RFC 1995 §4: then the full zone is sent).
   */
  since(serial: number): Changeset[] | undefined {
    const n = this.entries.length;
    if (n > 0 && soaSerialOf(this.entries[n - 1].soaTo.rdata) === serial) return [];
    for (let i = 0; i < n; i++) {
      if (soaSerialOf(this.entries[i].soaFrom.rdata) === serial) return this.entries.slice(i);
    }
    return undefined;
  }

  /** The changesets kept, oldest first (the store saves them; do not modify). */
  changesets(): readonly Changeset[] {
    return this.entries;
  }

  /** The oldest serial an IXFR can start from, if any. */
  get oldestSerial(): number | undefined {
    return this.entries.length > 0 ? soaSerialOf(this.entries[0].soaFrom.rdata) : undefined;
  }

  /** Forget every changeset (Cloudflare's disable and force_notify clear the IXFR backlog). */
  clear(): void {
    this.entries = [];
    this.sizes = [];
    this.total = 0;
  }

  get size(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.total;
  }

  /** True when `serial` is older than the oldest the journal holds (RFC 1982 order). */
  tooOld(serial: number): boolean {
    const oldest = this.oldestSerial;
    return oldest === undefined || serialLt(serial, oldest);
  }
}
