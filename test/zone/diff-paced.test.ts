/**
 * Comparing two big versions of a zone hands the event loop back as it goes (a reload keeps
 * answering queries), and finds the same change as the comparison in one piece.
 */
import t from "tap";
import { diffZones, diffZonesPaced } from "../../src/zone/diff.js";
import { zoneFromText } from "../../src/zone/load.js";

const zoneText = (address: string) =>
  [
    "$ORIGIN paced.test.",
    "$TTL 300",
    "@ SOA ns.paced.test. hostmaster.paced.test. 1 7200 3600 1209600 300",
    "@ NS ns",
    "ns A 192.0.2.53",
    "$GENERATE 1-5000 h$ A 192.0.2.1",
    `h7 A ${address}`,
    "",
  ].join("\n");

t.test("a paced comparison lets a timer run before it ends", async (t) => {
  const from = zoneFromText(zoneText("192.0.2.7"), { file: "a" }).zone;
  const to = zoneFromText(zoneText("192.0.2.8"), { file: "b" }).zone;
  const order: string[] = [];
  // Scheduled after the comparison has started: it can only fire if the comparison yields.
  const diff = diffZonesPaced(from, to, 0).then((c) => {
    order.push("diff");
    return c;
  });
  setImmediate(() => order.push("timer"));
  const change = await diff;
  t.same(order, ["timer", "diff"], "the timer fired while the zone was being compared");
  t.same(change, diffZones(from, to), "the same change as the comparison in one piece");
  t.same(
    change.add?.map((r) => `${r.name} ${r.rdata.length}`),
    ["h7.paced.test. 4"],
    "one record added",
  );
  t.equal(change.remove?.length, 1, "one record removed");
});
