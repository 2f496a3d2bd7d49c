/**
 * RRsets and name nodes, laid out for zones of a million records.
 *
 * RDATA is kept as latin1 strings of the uncompressed wire bytes: a short string costs a few
 * dozen bytes where a Buffer object costs over a hundred, it is immutable, and it is written
 * into messages as it is. An RRset of one record holds that string directly and a node with one
 * RRset holds it directly, so the usual name (one record) costs a node, an RRset and a string.
 * Both are immutable: a change builds new ones (see zone.ts).
 */

export class RRset {
  constructor(
    readonly type: number,
    readonly ttl: number,
    /** One RDATA string, or several. Read through `size` and `at()`. */
    private readonly data: string | readonly string[],
  ) {}

  get size(): number {
    return typeof this.data === "string" ? 1 : this.data.length;
  }

  at(i: number): string {
    return typeof this.data === "string" ? this.data : this.data[i];
  }

  /** All RDATA strings (allocates for a single record; not for hot paths). */
  get rdata(): readonly string[] {
    return typeof this.data === "string" ? [this.data] : this.data;
  }

  has(rdata: string): boolean {
    return typeof this.data === "string" ? this.data === rdata : this.data.includes(rdata);
  }

  static of(type: number, ttl: number, rdata: readonly string[]): RRset {
    // Exact-length copy: an array grown by push() keeps spare capacity.
    return new RRset(type, ttl, rdata.length === 1 ? rdata[0] : rdata.slice());
  }
}

export class ZoneNode {
  /** Number of direct child nodes (which may themselves be empty non-terminals). */
  children = 0;

  constructor(
    readonly name: string,
    /** No RRset (an empty non-terminal), one, or several. Read through `sets` or `get()`. */
    private readonly s: RRset | readonly RRset[] | null,
  ) {}

  static of(name: string, sets: readonly RRset[]): ZoneNode {
    return new ZoneNode(
      name,
      sets.length === 0 ? null : sets.length === 1 ? sets[0] : sets.slice(),
    );
  }

  get(type: number): RRset | undefined {
    const s = this.s;
    if (s === null) return undefined;
    if (s instanceof RRset) return s.type === type ? s : undefined;
    for (const set of s) if (set.type === type) return set;
    return undefined;
  }

  get empty(): boolean {
    return this.s === null;
  }

  /** The RRsets (allocates for a single one; not for hot paths). */
  get sets(): readonly RRset[] {
    const s = this.s;
    return s === null ? [] : s instanceof RRset ? [s] : s;
  }
}
