// The message writer's name compression (RFC 1035 §4.1.4), checked by reading the names back
// with the decoder and against a plain reference compressor that keys suffixes by string.
import t from "tap";
import { nameKey, nameToWireString, readNameWire } from "../../src/wire/name.js";
import { T } from "../../src/wire/types.js";
import { MessageWriter, Overflow } from "../../src/wire/writer.js";

/** Deterministic pseudo-random numbers (a 32-bit LCG), so a failure can be replayed. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** Names with shared suffixes and mixed case, as zones have them. */
function randomNames(count: number, seed: number): string[] {
  const rnd = lcg(seed);
  const parents = ["example.com.", "Example.COM.", "sub.example.com.", "other.test.", "a.b.c.d."];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const parent = parents[Math.floor(rnd() * parents.length)];
    const depth = Math.floor(rnd() * 3);
    let name = parent;
    for (let d = 0; d < depth; d++) {
      const label = Math.floor(rnd() * 40).toString(36);
      name = `${rnd() < 0.3 ? label.toUpperCase() : label}.${name}`;
    }
    if (rnd() < 0.05) name = ".";
    out.push(name);
  }
  return out;
}

/** Size of a name written after `written` by the reference compressor, which then learns it. */
function referenceSize(name: string, at: number, written: Map<string, number>): number {
  if (name === ".") return 1;
  const labels = nameKey(name).slice(0, -1).split(".");
  let size = 0;
  for (let i = 0; i < labels.length; i++) {
    const suffix = labels.slice(i).join(".");
    if (written.has(suffix)) return size + 2;
    if (at + size <= 0x3fff) written.set(suffix, at + size);
    size += labels[i].length + 1;
  }
  return size + 1;
}

t.test(
  "names read back as written, as short as a plain suffix compressor makes them",
  async (t) => {
    for (const seed of [1, 2, 3]) {
      const names = randomNames(3000, seed);
      const buf = Buffer.alloc(65535);
      const w = new MessageWriter(buf, buf.length);
      const ref = new Map<string, number>();
      const at: number[] = [];
      let refPos = 12;
      let firstOff = "";
      for (const [i, name] of names.entries()) {
        at.push(w.pos);
        if (i % 2 === 0) w.presentationName(name);
        else w.name(nameToWireString(name));
        refPos += referenceSize(name, refPos, ref);
        if (w.pos !== refPos) {
          firstOff = `after name ${i} (${name}): ${w.pos}, reference ${refPos}`;
          break;
        }
      }
      t.equal(firstOff, "", `seed ${seed}: every name as short as the reference makes it`);
      let wrong = 0;
      for (const [i, name] of names.entries())
        if (nameKey(readNameWire(buf, at[i]).name) !== nameKey(name)) wrong++;
      t.equal(wrong, 0, `seed ${seed}: every name reads back (past offset 0x3fff too: ${w.pos})`);
    }
  },
);

t.test(
  "a pointer carries the case of the name it points at; a repeat is one pointer",
  async (t) => {
    const buf = Buffer.alloc(512);
    const w = new MessageWriter(buf, buf.length);
    w.presentationName("www.Example.com.");
    const second = w.pos;
    w.presentationName("mail.EXAMPLE.COM.");
    t.equal(readNameWire(buf, second).name, "mail.Example.com.");
    t.equal(w.pos - second, 5 + 2, "one literal label and a pointer");
    const third = w.pos;
    w.presentationName("mail.EXAMPLE.COM.");
    t.equal(w.pos - third, 2);
    t.equal(readNameWire(buf, third).name, "mail.Example.com.");
  },
);

t.test("escaped labels compress like any other", async (t) => {
  const buf = Buffer.alloc(512);
  const w = new MessageWriter(buf, buf.length);
  w.presentationName("a\\.b.example.");
  const next = w.pos;
  w.name(nameToWireString("x.a\\.b.example."));
  t.equal(w.pos - next, 2 + 2);
  t.equal(readNameWire(buf, next).name, "x.a\\.b.example.");
});

t.test("a hash collision costs a pointer, never a wrong name", async (t) => {
  // Find two different labels whose suffix hashes collide (the writer's hash, recomputed).
  const hash = (label: string): number => {
    let h = label.length;
    for (const ch of label) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
    return h & 0x3fffffff;
  };
  const seen = new Map<number, string>();
  let pair: [string, string] | undefined;
  for (let i = 0; !pair && i < 5_000_000; i++) {
    const label = `q${i.toString(36)}`;
    const h = hash(label);
    const other = seen.get(h);
    if (other !== undefined) pair = [other, label];
    else seen.set(h, label);
  }
  if (!pair) throw new Error("no collision found");
  const buf = Buffer.alloc(512);
  const w = new MessageWriter(buf, buf.length);
  w.presentationName(`${pair[0]}.`);
  const second = w.pos;
  w.presentationName(`${pair[1]}.`);
  t.equal(readNameWire(buf, second).name, `${pair[1]}.`);
  t.equal(w.pos - second, pair[1].length + 2, "written in full");
});

t.test("rollback forgets the compression targets it took back", async (t) => {
  const buf = Buffer.alloc(512);
  const w = new MessageWriter(buf, buf.length);
  w.presentationName("example.");
  const mark = w.pos;
  w.presentationName("long.sub.example.");
  w.rollback(mark);
  w.rr("x.sub.example.", T.CNAME, 1, 60, nameToWireString("long.sub.example."));
  const owner = readNameWire(buf, mark);
  t.equal(owner.name, "x.sub.example.");
  t.equal(readNameWire(buf, owner.next + 10).name, "long.sub.example.");
});

function throwsOverflow(fn: () => void): boolean {
  try {
    fn();
  } catch (err) {
    return err instanceof Overflow;
  }
  return false;
}

t.test("a write past the limit throws Overflow and leaves the position", async (t) => {
  const buf = Buffer.alloc(512);
  const w = new MessageWriter(buf, 30);
  w.presentationName("example.");
  const pos = w.pos;
  t.ok(throwsOverflow(() => w.presentationName("a-rather-long-label.example.")));
  t.equal(w.pos, pos);
  w.presentationName("short.example.");
  t.equal(readNameWire(buf, pos).name, "short.example.");
  t.ok(
    throwsOverflow(() => w.rr("example.", T.MX, 1, 60, `\0\x0a${nameToWireString("mx.example.")}`)),
  );
});

t.test("RDATA names of RFC 1035 types are compressed, others copied", async (t) => {
  const buf = Buffer.alloc(512);
  const w = new MessageWriter(buf, buf.length);
  const soa = `${nameToWireString("ns.example.")}${nameToWireString("host.example.")}${"\0".repeat(20)}`;
  w.rr("example.", T.SOA, 1, 60, soa);
  t.equal(w.pos, 12 + 9 + 10 + (3 + 2) + (5 + 2) + 20);
  const at = w.pos;
  const srvTarget = nameToWireString("ns.example.");
  w.rr("example.", T.SRV, 1, 60, `\0\0\0\0\0\x35${srvTarget}`);
  t.equal(w.pos - at, 2 + 10 + 6 + srvTarget.length, "SRV target left uncompressed (RFC 3597 §4)");
});
