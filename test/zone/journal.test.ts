import t from "tap";
import { nameToWire } from "../../src/wire/name.js";
import { soaRdata } from "../../src/wire/rdata.js";
import { T } from "../../src/wire/types.js";
import { Journal, soaSerialOf, withSoaSerial } from "../../src/zone/journal.js";
import { type RecordInput, Zone } from "../../src/zone/zone.js";

const soa = (serial: number) =>
  soaRdata({
    mname: "ns.example.",
    rname: "host.example.",
    serial,
    refresh: 3600,
    retry: 600,
    expire: 86400,
    minimum: 60,
  });
const base: RecordInput[] = [
  { name: "example.", type: T.SOA, ttl: 3600, rdata: soa(4294967295) },
  { name: "example.", type: T.NS, ttl: 3600, rdata: nameToWire("ns.example.") },
];
const a = (name: string, ip: string, ttl = 300): RecordInput => ({
  name,
  type: T.A,
  ttl,
  rdata: Buffer.from(ip.split(".").map(Number)),
});
const ip = (rdata: string) => [...Buffer.from(rdata, "latin1")].join(".");

t.test("SOA serial helpers", async (t) => {
  const rd = soa(7).toString("latin1");
  t.equal(soaSerialOf(rd), 7);
  t.equal(soaSerialOf(withSoaSerial(rd, 4000000000)), 4000000000);
});

t.test("commit: next serial (skipping 0 after 2^32-1), changeset, journal", async (t) => {
  const z = Zone.build("example.", [...base, a("w.example.", "192.0.2.1")]);
  const cs1 = z.commit({ add: [a("w.example.", "192.0.2.2")] });
  t.equal(z.serial, 1, "4294967295 + 1 skips 0 (RFC 1982, RFC 2136 §7.11)");
  t.equal(soaSerialOf(cs1.soaFrom.rdata), 4294967295);
  t.equal(soaSerialOf(cs1.soaTo.rdata), 1);
  t.same(cs1.removed, []);
  t.same(
    cs1.added.map((r) => [r.name, ip(r.rdata)]),
    [["w.example.", "192.0.2.2"]],
  );
  const cs2 = z.commit({
    remove: [a("w.example.", "192.0.2.1")],
    add: [a("v.example.", "192.0.2.9")],
  });
  t.equal(z.serial, 2);
  t.same(
    cs2.removed.map((r) => ip(r.rdata)),
    ["192.0.2.1"],
  );
  t.same(
    cs2.added.map((r) => [r.name, ip(r.rdata)]),
    [["v.example.", "192.0.2.9"]],
  );
  t.same(z.journal.since(4294967295)?.length, 2, "history from the first serial");
  t.same(z.journal.since(1)?.length, 1);
  t.equal(z.journal.since(2)?.length, 0, "the current serial: nothing to send");
  t.equal(z.journal.since(77), undefined, "unknown serial: full zone");
});

t.test("a TTL change replaces the whole RRset in the changeset", async (t) => {
  const z = Zone.build("example.", [
    ...base,
    a("w.example.", "192.0.2.1"),
    a("w.example.", "192.0.2.2"),
  ]);
  const cs = z.commit({ add: [a("w.example.", "192.0.2.3", 60)] });
  t.same(
    cs.removed.map((r) => [ip(r.rdata), r.ttl]),
    [
      ["192.0.2.1", 300],
      ["192.0.2.2", 300],
    ],
  );
  t.same(
    cs.added.map((r) => [ip(r.rdata), r.ttl]),
    [
      ["192.0.2.1", 60],
      ["192.0.2.2", 60],
      ["192.0.2.3", 60],
    ],
  );
});

t.test("an SOA in a change sets the other fields; the serial stays ours", async (t) => {
  const z = Zone.build("example.", base);
  const mine = soaRdata({
    mname: "ns2.example.",
    rname: "host.example.",
    serial: 99,
    refresh: 7200,
    retry: 600,
    expire: 86400,
    minimum: 60,
  });
  z.commit({ add: [{ name: "example.", type: T.SOA, ttl: 600, rdata: mine }] });
  t.equal(z.serial, 1);
  t.equal(z.soa.mname, "ns2.example.");
  t.equal(z.soa.refresh, 7200);
  t.equal(z.apex.get(T.SOA)!.ttl, 600);
});

t.test("a failed commit changes nothing", async (t) => {
  const z = Zone.build("example.", [...base, a("w.example.", "192.0.2.1")]);
  t.throws(() => z.commit({ add: [a("w.example.", "192.0.2.1")] }), /already exists/);
  t.equal(z.serial, 4294967295);
  t.equal(z.journal.size, 0);
});

t.test("journal bounds: versions and bytes", async (t) => {
  const z = Zone.build("example.", base, {});
  const j = new Journal({ maxVersions: 3 });
  for (let i = 0; i < 5; i++) j.append(z.commit({ add: [a(`h${i}.example.`, `192.0.2.${i}`)] }));
  t.equal(j.size, 3);
  t.equal(j.oldestSerial, 2, "the two oldest went");
  t.equal(j.since(1), undefined);
  t.equal(j.since(2)?.length, 3);
  t.ok(j.tooOld(1));
  const small = new Journal({ maxBytes: 200 });
  for (let i = 0; i < 5; i++)
    small.append(z.commit({ add: [a(`k${i}.example.`, `192.0.2.${i}`)] }));
  t.ok(small.bytes <= 200, `bytes ${small.bytes} within the bound`);
  t.ok(small.size >= 1 && small.size < 5);
  small.clear();
  t.equal(small.size, 0);
  t.equal(small.since(z.serial), undefined);
});
