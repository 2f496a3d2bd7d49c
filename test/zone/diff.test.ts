/**
 * The difference between two versions of a zone, checked against the plain set difference of
 * their records when the second version has names removed, added and moved around (the
 * comparison walks both zones side by side and must not depend on their order).
 */
import t from "tap";
import { rdataToText } from "../../src/wire/rdata.js";
import { typeToText } from "../../src/wire/types.js";
import { diffZones } from "../../src/zone/diff.js";
import { zoneFromText } from "../../src/zone/load.js";
import type { Zone } from "../../src/zone/zone.js";

const head = [
  "$ORIGIN walk.test.",
  "$TTL 300",
  "@ SOA ns.walk.test. hostmaster.walk.test. 1 7200 3600 1209600 300",
  "@ NS ns",
  "ns A 192.0.2.53",
];

/** Every stored record of a zone but the SOA, as text. */
function records(zone: Zone): Set<string> {
  const out = new Set<string>();
  for (const { name, sets } of zone.stored())
    for (const set of sets)
      for (const rd of set.rdata)
        if (typeToText(set.type) !== "SOA")
          out.add(
            `${name} ${set.ttl} ${typeToText(set.type)} ${rdataToText(set.type, Buffer.from(rd, "latin1"))}`,
          );
  return out;
}

/** RDATA as a change carries it: latin1 wire string or bytes. */
const bytes = (rd: string | Uint8Array): Buffer =>
  typeof rd === "string" ? Buffer.from(rd, "latin1") : Buffer.from(rd);

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

t.test("removed, added and moved names give exactly the set difference", async (t) => {
  for (const seed of [1, 2, 3, 4]) {
    const rnd = lcg(seed);
    const lines = Array.from({ length: 400 }, (_, i) => `n${i} A 10.0.${i >> 8}.${i & 255}`);
    const from = zoneFromText([...head, ...lines, ""].join("\n"), { file: "from" }).zone;
    // Runs of removed names, new names, changed addresses, and a few blocks moved elsewhere.
    const edited: string[] = [];
    for (let i = 0; i < lines.length; i++) {
      const r = rnd();
      if (r < 0.1)
        i += Math.floor(rnd() * 8); // a run of names removed
      else if (r < 0.15) edited.push(`new${i} TXT "added ${seed}"`, lines[i]);
      else if (r < 0.2) edited.push(`n${i} A 192.0.2.${i & 255}`);
      else edited.push(lines[i]);
    }
    for (let k = 0; k < 3; k++) {
      const at = Math.floor(rnd() * (edited.length - 20));
      const block = edited.splice(at, 10);
      edited.splice(Math.floor(rnd() * edited.length), 0, ...block);
    }
    const to = zoneFromText([...head, ...edited, ""].join("\n"), { file: "to" }).zone;
    const a = records(from);
    const b = records(to);
    const change = diffZones(from, to);
    const removed = new Set(
      (change.remove ?? []).map((r) => {
        const set = from.storedSets(r.name.toLowerCase()).find((s) => s.type === r.type)!;
        return `${r.name} ${set.ttl} ${typeToText(r.type)} ${rdataToText(r.type, bytes(r.rdata))}`;
      }),
    );
    const added = new Set(
      (change.add ?? []).map(
        (r) => `${r.name} ${r.ttl} ${typeToText(r.type)} ${rdataToText(r.type, bytes(r.rdata))}`,
      ),
    );
    t.same([...removed].sort(), [...a].filter((x) => !b.has(x)).sort(), `seed ${seed}: removed`);
    t.same([...added].sort(), [...b].filter((x) => !a.has(x)).sort(), `seed ${seed}: added`);
  }
});
