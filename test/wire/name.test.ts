import t from "tap";
import {
  isInZone,
  labelCount,
  nameToWire,
  nameToWireString,
  parentName,
  parseName,
  readNameWire,
  relativeName,
} from "../../src/wire/name.js";

t.test("parseName resolves relative names, @ and escapes", async (t) => {
  t.equal(parseName("www", "example.com."), "www.example.com.");
  t.equal(parseName("@", "example.com."), "example.com.");
  t.equal(parseName("a\\.b.c.", "."), "a\\.b.c.");
  t.equal(parseName("\\065bc.", "."), "Abc.");
  t.equal(parseName("x\\032y.", "."), "x\\032y.");
  t.throws(() => parseName("a..b."), /empty label/);
  t.throws(() => parseName(`${"a".repeat(64)}.`), /63/);
  t.throws(() => parseName(`${"a.".repeat(130)}`), /255/);
  t.equal(
    parseName(`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}.`).length,
    254,
  );
  t.throws(
    () => parseName(`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(62)}.`),
    /255/,
  );
});

t.test("wire round trip, compression pointers and their abuse", async (t) => {
  const w = nameToWire("a\\.b.Example.COM.");
  t.same([...w.subarray(0, 4)], [3, 0x61, 0x2e, 0x62]);
  t.equal(readNameWire(w, 0).name, "a\\.b.Example.COM.");
  // "www" + pointer to offset 0 ("example.")
  const msg = Buffer.from([7, ...Buffer.from("example"), 0, 3, ...Buffer.from("www"), 0xc0, 0]);
  t.same(readNameWire(msg, 9), { name: "www.example.", next: 15 });
  const loop = Buffer.from([0xc0, 0]);
  t.throws(() => readNameWire(loop, 0), /pointer/);
  t.throws(() => readNameWire(Buffer.from([5, 0x61]), 0), /past the end/);
  t.throws(() => readNameWire(Buffer.from([0x40]), 0), /reserved/);
});

t.test("the string wire form equals the Buffer one", async (t) => {
  for (const n of [".", "com.", "www.Example.com.", "a\\.b.c.", "x\\032y.z."]) {
    t.equal(nameToWireString(n), nameToWire(n).toString("latin1"), n);
  }
});

t.test("name relations", async (t) => {
  t.equal(labelCount("."), 0);
  t.equal(labelCount("a\\.b.c."), 2);
  t.equal(parentName("a\\.b.c."), "c.");
  t.equal(parentName("c."), ".");
  t.ok(isInZone("www.example.com.", "example.com."));
  t.ok(isInZone("example.com.", "example.com."));
  t.notOk(isInZone("badexample.com.", "example.com."));
  t.notOk(isInZone("a\\.example.com.", "example.com."));
  t.equal(relativeName("www.example.com.", "example.com."), "www");
  t.equal(relativeName("example.com.", "example.com."), "@");
});
