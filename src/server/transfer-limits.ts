/**
 * Transfers in progress, in total and per zone, as BIND's transfers-out: a stream takes a slot
 * when it is admitted and gives it back when it ends, fails or is dropped. Beyond the limits a
 * request is REFUSED and the secondary tries again after its retry interval (RFC 1035 §4.3.5).
 */

import type { StreamItem } from "./handler.js";

export class TransferLimits {
  private running = 0;
  private readonly byZone = new Map<string, number>();

  constructor(
    readonly maxTotal = Number.POSITIVE_INFINITY,
    readonly maxPerZone = Number.POSITIVE_INFINITY,
  ) {}

  /** Why another stream of the zone (by key) cannot start now, or undefined when it can. */
  busy(zoneKey: string): string | undefined {
    if (this.running >= this.maxTotal)
      return `too many transfers in progress (${this.running}, limit ${this.maxTotal})`;
    const n = this.byZone.get(zoneKey) ?? 0;
    if (n >= this.maxPerZone)
      return `too many transfers of the zone in progress (${n}, limit ${this.maxPerZone})`;
    return undefined;
  }

  /** Take a slot; the function returned gives it back (once, however often it is called). */
  acquire(zoneKey: string): () => void {
    this.running++;
    this.byZone.set(zoneKey, (this.byZone.get(zoneKey) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      const n = (this.byZone.get(zoneKey) ?? 1) - 1;
      if (n === 0) this.byZone.delete(zoneKey);
      else this.byZone.set(zoneKey, n);
    };
  }

  /** Streams in progress (all zones, or one zone by key). */
  inProgress(zoneKey?: string): number {
    return zoneKey === undefined ? this.running : (this.byZone.get(zoneKey) ?? 0);
  }
}

/**
 * The stream's messages, with `release` called as soon as it ends, fails or is dropped: an
 * iterator of its own rather than a generator, so that `return()` releases at once even while
 * the stream is suspended in the middle of a message.
 */
export function holding(
  stream: AsyncGenerator<StreamItem>,
  release: () => void,
): AsyncIterable<StreamItem> {
  return {
    [Symbol.asyncIterator]: () => ({
      async next() {
        try {
          const r = await stream.next();
          if (r.done) release();
          return r;
        } catch (err) {
          release();
          throw err;
        }
      },
      async return() {
        release();
        return stream.return(undefined);
      },
    }),
  };
}
