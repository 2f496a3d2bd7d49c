// The zone set: longest-match selection, and the listing in key order kept until a zone is
// added or removed.
import t from "tap";
import { zoneFromText } from "../../src/zone/load.js";
import { ZoneSet } from "../../src/zone/zoneset.js";

const zone = (origin: string) =>
  zoneFromText(`$ORIGIN ${origin}\n@ 300 SOA ns hostmaster 1 3600 600 86400 60\n@ 300 NS ns\n`, {
    file: "inline",
  }).zone;

t.test("the nearest zone above a name", async (t) => {
  const set = new ZoneSet();
  set.add(zone("example."));
  set.add(zone("sub.example."));
  t.equal(set.find("www.sub.example.")?.origin, "sub.example.");
  t.equal(set.find("www.example.")?.origin, "example.");
  t.equal(set.find("example.org."), undefined);
});

t.test("byKey: every zone in key order, after each addition and removal", async (t) => {
  const set = new ZoneSet();
  for (const o of ["b.test.", "A.test.", "c.test."]) set.add(zone(o));
  const keys = () => set.byKey().map((z) => z.key);
  t.same(keys(), ["a.test.", "b.test.", "c.test."]);
  t.equal(set.byKey(), set.byKey(), "the same list until the set changes");
  const before = set.byKey();
  set.get("b.test.")!.commit({});
  t.equal(set.byKey(), before, "a change inside a zone keeps the list");
  set.add(zone("aa.test."));
  t.same(keys(), ["a.test.", "aa.test.", "b.test.", "c.test."], "an addition");
  set.remove("b.test.");
  t.same(keys(), ["a.test.", "aa.test.", "c.test."], "a removal");
  t.same(before.length, 3, "a list handed out earlier is not changed");
});
