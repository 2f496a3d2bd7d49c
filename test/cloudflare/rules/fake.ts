/** A fake zone for the rules' unit tests: stored RRsets, metas and a RenderContext per name. */

import { nameKey, parseName } from "../../../src/wire/name.js";
import { rdataFromText, rdataToText } from "../../../src/wire/rdata.js";
import type { Token } from "../../../src/wire/token.js";
import { typeFromText, typeToText } from "../../../src/wire/types.js";
import type { RenderContext } from "../../../src/zone/render.js";
import { RRset } from "../../../src/zone/rrset.js";
import { type RecordMeta, recordKey } from "../../../src/zone/zone.js";

/** [owner relative to the origin ("@" for it), type, ttl, RDATA text, meta?] */
export type Rec = [string, string, number, string, RecordMeta?];

export const ORIGIN = "example.com.";

/** Master-file fields; a field in double quotes is one quoted token. */
function fields(text: string): Token[] {
  const out: Token[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text))
    out.push(m[1] !== undefined ? { text: m[1], quoted: true } : { text: m[2], quoted: false });
  return out;
}

export function rdata(type: string, text: string, origin = ORIGIN): string {
  return rdataFromText(typeFromText(type)!, fields(text), origin).toString("latin1");
}

export class FakeZone {
  readonly sets = new Map<string, RRset[]>();
  readonly names = new Map<string, string>();
  readonly meta = new Map<string, RecordMeta>();
  /** Names whose rendering called dependsOnOthers(). */
  readonly dependent = new Set<string>();

  constructor(
    records: Rec[],
    readonly origin = ORIGIN,
  ) {
    const staged = new Map<string, Map<number, { ttl: number; rdata: string[] }>>();
    for (const [owner, typeText, ttl, text, meta] of records) {
      const name = parseName(owner, origin);
      const key = nameKey(name);
      const type = typeFromText(typeText)!;
      const rd = rdata(typeText, text, origin);
      this.names.set(key, name);
      let byType = staged.get(key);
      if (!byType) {
        byType = new Map();
        staged.set(key, byType);
      }
      const set = byType.get(type);
      if (set) set.rdata.push(rd);
      else byType.set(type, { ttl, rdata: [rd] });
      if (meta) this.meta.set(recordKey(name, type, rd), meta);
    }
    for (const [key, byType] of staged)
      this.sets.set(
        key,
        [...byType].map(([type, s]) => RRset.of(type, s.ttl, s.rdata)),
      );
  }

  stored(owner: string): RRset[] {
    return this.sets.get(nameKey(parseName(owner, this.origin))) ?? [];
  }

  name(owner: string): string {
    return parseName(owner, this.origin);
  }

  ctx(owner: string): RenderContext {
    const name = this.name(owner);
    return {
      origin: this.origin,
      meta: (type, rd) => this.meta.get(recordKey(name, type, rd)),
      metaAt: (key, type, rd) => this.meta.get(recordKey(key, type, rd)),
      storedAt: (key) => this.sets.get(key) ?? [],
      dependsOnOthers: () => {
        this.dependent.add(nameKey(name));
      },
    };
  }
}

/** RRsets as sorted "TYPE TTL RDATA" lines. */
export function lines(sets: readonly RRset[]): string[] {
  const out: string[] = [];
  for (const s of sets)
    for (const rd of s.rdata)
      out.push(`${typeToText(s.type)} ${s.ttl} ${rdataToText(s.type, Buffer.from(rd, "latin1"))}`);
  return out.sort();
}
