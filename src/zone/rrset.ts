/**
 * RRsets and name nodes, laid out for zones of a million records.
 *
 * RDATA is kept as latin1 strings of the uncompressed wire bytes: a short string costs a few
 * dozen bytes where a Buffer object costs over a hundred, it is immutable, and it is written
 * into messages as it is. An RRset of one record holds that string directly, and a node is its
 * own first RRset, so the usual name (one record) costs one node object and one string (about
 * 170 bytes with its map entry, against about 350 for BIND). Both are immutable apart from a
 * node's child count: a change builds new ones (see zone.ts).
 */

export class RRset {
  constructor(
    readonly type: number,
    readonly ttl: number,
    /** One RDATA string, or several. Read through `size` and `at()`. */
    readonly data: string | readonly string[],
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

/**
 * A name in a zone. To spare an object per name in big zones, a node *is* its first RRset
 * (type 0, which no record can have, when it has none: an empty non-terminal) and keeps any
 * further RRsets in `more`. Read RRsets through `get()` or `sets`, not through the node's own
 * RRset fields.
 */
export class ZoneNode extends RRset {
  /** Number of direct child nodes (which may themselves be empty non-terminals). */
  children = 0;

  private constructor(
    readonly name: string,
    type: number,
    ttl: number,
    data: string | readonly string[],
    private readonly more: readonly RRset[] | null,
  ) {
    super(type, ttl, data);
  }

  static withSets(name: string, sets: readonly RRset[]): ZoneNode {
    const first = sets[0];
    if (first === undefined) return new ZoneNode(name, 0, 0, "", null);
    return new ZoneNode(
      name,
      first.type,
      first.ttl,
      first.data,
      sets.length > 1 ? sets.slice(1) : null,
    );
  }

  /** A name with one record: no RRset object and no array besides the node (a zone file's usual name). */
  static single(name: string, type: number, ttl: number, rdata: string): ZoneNode {
    return new ZoneNode(name, type, ttl, rdata, null);
  }

  get(type: number): RRset | undefined {
    if (this.type === type) return type === 0 ? undefined : this;
    if (this.more !== null) for (const set of this.more) if (set.type === type) return set;
    return undefined;
  }

  get empty(): boolean {
    return this.type === 0;
  }

  /** Number of RRsets (0 for an empty non-terminal). */
  get setCount(): number {
    if (this.type === 0) return 0;
    return this.more === null ? 1 : 1 + this.more.length;
  }

  /** RRset `i` of `setCount`, without allocating. */
  setAt(i: number): RRset {
    return i === 0 ? this : this.more![i - 1];
  }

  /** The RRsets (allocates; not for hot paths). */
  get sets(): readonly RRset[] {
    if (this.type === 0) return [];
    return this.more === null ? [this] : [this, ...this.more];
  }
}
