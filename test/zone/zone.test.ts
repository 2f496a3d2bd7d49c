import t from "tap";
import { nameToWire } from "../../src/wire/name.js";
import { soaRdata } from "../../src/wire/rdata.js";
import { T } from "../../src/wire/types.js";
import type { Renderer } from "../../src/zone/render.js";
import { type RecordInput, RRset, Zone, ZoneError } from "../../src/zone/zone.js";

const soa = soaRdata({
  mname: "ns.example.",
  rname: "host.example.",
  serial: 5,
  refresh: 3600,
  retry: 600,
  expire: 86400,
  minimum: 60,
});
const base: RecordInput[] = [
  { name: "example.", type: T.SOA, ttl: 3600, rdata: soa },
  { name: "example.", type: T.NS, ttl: 3600, rdata: nameToWire("ns.example.") },
];
const a = (name: string, ip: string, ttl = 300): RecordInput => ({
  name,
  type: T.A,
  ttl,
  rdata: Buffer.from(ip.split(".").map(Number)),
});

t.test("build enforces the apex rules", async (t) => {
  t.throws(() => Zone.build("example.", [base[1]]), /no SOA/);
  t.throws(() => Zone.build("example.", [base[0]]), /no NS/);
  t.throws(
    () => Zone.build("example.", [...base, { ...base[0], name: "x.example." }]),
    /SOA record not at the top/,
  );
  t.throws(
    () =>
      Zone.build("example.", [
        ...base,
        { name: "c.example.", type: T.CNAME, ttl: 1, rdata: nameToWire("x.") },
        a("c.example.", "192.0.2.1"),
      ]),
    /CNAME and other data/,
  );
  const z = Zone.build("example.", base);
  t.equal(z.serial, 5);
  t.equal(z.recordCount, 2);
});

t.test("duplicates collapse and TTLs are unified with a warning", async (t) => {
  const warnings: string[] = [];
  const z = Zone.build(
    "example.",
    [
      ...base,
      a("w.example.", "192.0.2.1"),
      a("w.example.", "192.0.2.1"),
      a("w.example.", "192.0.2.2", 60),
    ],
    {
      warn: (w) => warnings.push(w.message),
    },
  );
  const set = z.node("w.example.")!.get(T.A)!;
  t.equal(set.rdata.length, 2);
  t.equal(set.ttl, 300);
  t.equal(warnings.length, 2);
  t.match(warnings.join("\n"), /duplicate A/);
  t.match(warnings.join("\n"), /TTL 60 set to prior TTL 300/);
});

t.test("out-of-zone data is ignored with a warning", async (t) => {
  const warnings: string[] = [];
  const z = Zone.build("example.", [...base, a("www.other.", "192.0.2.1")], {
    warn: (w) => warnings.push(w.message),
  });
  t.equal(z.recordCount, 2);
  t.match(warnings[0], /out-of-zone/);
});

t.test("empty non-terminals appear and disappear with their descendants", async (t) => {
  const z = Zone.build("example.", base);
  const rec = a("x.y.z.example.", "192.0.2.1");
  z.apply({ add: [rec] });
  t.ok(z.node("y.z.example."), "ENT created");
  t.equal(z.node("y.z.example.")!.sets.length, 0);
  t.ok(z.node("z.example."));
  z.apply({ add: [a("z.example.", "192.0.2.9")] });
  t.equal(z.node("z.example.")!.sets.length, 1, "ENT became a node with data");
  z.apply({ remove: [rec] });
  t.notOk(z.node("x.y.z.example."));
  t.notOk(z.node("y.z.example."), "ENT removed with its last descendant");
  t.ok(z.node("z.example."), "a node with data stays");
  t.equal(z.nodeCount, 2);
});

t.test("changes are atomic and readers keep their version", async (t) => {
  const z = Zone.build("example.", [...base, a("w.example.", "192.0.2.1")]);
  const before = z.snapshot();
  const v = z.version;
  t.throws(
    () =>
      z.apply({
        add: [
          a("n.example.", "192.0.2.5"),
          { name: "w.example.", type: T.CNAME, ttl: 1, rdata: nameToWire("x.") },
        ],
      }),
    ZoneError,
  );
  t.equal(z.version, v, "failed change leaves no new version");
  t.notOk(z.node("n.example."), "failed change added nothing");
  const added = a("w.example.", "192.0.2.2");
  z.apply({ add: [added] });
  t.equal(z.version, v + 1);
  const old = before.find((n) => n.name === "w.example.")!;
  t.equal(
    old.get(T.A)!.rdata.length,
    1,
    "a snapshot taken before the change still shows the old RRset",
  );
  t.equal(z.node("w.example.")!.get(T.A)!.rdata.length, 2);
  t.throws(
    () => z.apply({ remove: [a("w.example.", "192.0.2.77")] }),
    /no A record at w.example. with that data/,
  );
  t.throws(() => z.apply({ add: [added] }), /already exists/);
  z.apply({ remove: [added] });
  t.equal(z.node("w.example.")!.get(T.A)!.rdata.length, 1);
});

t.test("the apex SOA and NS cannot be removed", async (t) => {
  const z = Zone.build("example.", base);
  t.throws(() => z.apply({ remove: [base[0]] }), /no SOA/);
  t.throws(() => z.apply({ remove: [base[1]] }), /no NS/);
});

t.test("record ids are derived from the record and stable", async (t) => {
  const z1 = Zone.build("example.", [...base, a("w.example.", "192.0.2.1")]);
  const z2 = Zone.build("example.", [...base, a("w.example.", "192.0.2.1")]);
  const id = z1.recordId(a("W.example.", "192.0.2.1"));
  t.match(id, /^[0-9a-f]{32}$/);
  t.equal(z2.recordId(a("w.example.", "192.0.2.1")), id, "same zone, same record, same id");
  t.not(z1.recordId(a("w.example.", "192.0.2.2")), id);
});

t.test("Cloudflare fields ride beside the records and go with them", async (t) => {
  const r = { ...a("w.example.", "192.0.2.1"), meta: { proxied: true } };
  const z = Zone.build("example.", [...base, r]);
  t.equal(z.meta.size, 1);
  z.apply({ remove: [r] });
  t.equal(z.meta.size, 0);
  z.apply({ add: [r] });
  t.same([...z.meta.values()], [{ proxied: true }]);
});

t.test("change listeners run after a commit", async (t) => {
  const z = Zone.build("example.", base);
  let seen = -1;
  z.onChange(() => {
    seen = z.version;
  });
  z.apply({ add: [a("q.example.", "192.0.2.1")] });
  t.equal(seen, z.version);
});

t.test(
  "served RRsets come from one rendering step; stored records stay as they were",
  async (t) => {
    // A renderer that withholds TXT records and serves A records at TTL 60 when marked.
    const renderer: Renderer = {
      render(_name, stored, ctx) {
        if (!stored.some((s) => s.type === T.TXT || s.type === T.A)) return stored;
        return stored
          .filter((s) => s.type !== T.TXT)
          .map((s) =>
            s.type === T.A && ctx.meta(T.A, s.at(0))?.proxied ? RRset.of(s.type, 60, s.rdata) : s,
          );
      },
    };
    const txt: RecordInput = {
      name: "w.example.",
      type: T.TXT,
      ttl: 300,
      rdata: Buffer.from("\x05hello", "latin1"),
    };
    const proxied = { ...a("w.example.", "192.0.2.1"), meta: { proxied: true } };
    const z = Zone.build("example.", [...base, proxied, txt], { renderer });
    t.same(
      z.node("w.example.")!.sets.map((s) => [s.type, s.ttl]),
      [[T.A, 60]],
      "served: TXT withheld, A rendered",
    );
    t.same(
      z.storedSets("w.example.").map((s) => [s.type, s.ttl]),
      [
        [T.A, 300],
        [T.TXT, 300],
      ],
      "stored: as added",
    );
    t.same(z.countsByType(), { SOA: 1, NS: 1, A: 1, TXT: 1 }, "counts are of stored records");
    z.apply({ add: [a("w.example.", "192.0.2.2")] });
    t.equal(z.node("w.example.")!.get(T.A)!.size, 2, "a change is rendered too");
    z.apply({ remove: [txt] });
    t.same(
      z.storedSets("w.example.").map((s) => s.type),
      [T.A],
      "a withheld record can be removed",
    );
    z.apply({ remove: [proxied, a("w.example.", "192.0.2.2")] });
    t.notOk(z.node("w.example."), "nothing stored, nothing served");
    t.same(z.storedSets("w.example."), []);
  },
);

t.test("child counts stay right when a parent node is replaced between its children", async (t) => {
  // The apex is rebuilt by its NS after its first child linked to it; the next child must count
  // on the apex node that is in the zone, not on the one it replaced.
  const z = Zone.build("example.", [
    base[0],
    a("a.x.example.", "192.0.2.1"),
    base[1],
    a("b.example.", "192.0.2.2"),
    a("c.x.example.", "192.0.2.3"),
    { ...base[1], rdata: nameToWire("ns2.example.") },
    a("d.example.", "192.0.2.4"),
  ]);
  t.equal(z.node("example.")?.children, 3, "x (empty non-terminal), b and d");
  t.equal(z.node("x.example.")?.children, 2);
  z.apply({ remove: [a("a.x.example.", "192.0.2.1"), a("c.x.example.", "192.0.2.3")] });
  t.equal(z.node("x.example."), undefined, "the empty non-terminal goes with its last child");
  t.equal(z.node("example.")?.children, 2);
  z.apply({ add: [a("e.example.", "192.0.2.5")] });
  z.apply({ remove: [a("b.example.", "192.0.2.2"), a("d.example.", "192.0.2.4")] });
  t.equal(z.node("example.")?.children, 1);
});
