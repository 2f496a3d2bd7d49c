import t from "tap";
import { RecordIdIndex } from "../../src/zone/record-ids.js";

t.test("a bucket lists a name once per record, and gives each back once", async (t) => {
  const index = new RecordIdIndex();
  const id1 = "abcdef01".padEnd(32, "0");
  const id2 = "abcdef02".padEnd(32, "1"); // the same first seven digits
  const id3 = "12345678".padEnd(32, "2");
  index.add(id1, "a.example.");
  index.add(id2, "a.example.");
  index.add(id3, "b.example.");
  t.same(index.keysFor(id1), ["a.example.", "a.example."]);
  t.same(index.keysFor(id3), ["b.example."]);
  index.remove(id1, "a.example.");
  t.same(index.keysFor(id2), ["a.example."], "the other record at the name is still found");
  index.remove(id2, "a.example.");
  t.same(index.keysFor(id2), []);
  t.same(index.keysFor("not-hex"), []);
  index.remove(id3, "other.example.");
  t.same(
    index.keysFor(id3),
    ["b.example."],
    "removing a name the bucket does not hold changes nothing",
  );
});
