import t from "tap";
import { rdataToText } from "../../src/wire/rdata.js";
import { T, typeToText } from "../../src/wire/types.js";
import { zoneFromText } from "../../src/zone/load.js";
import { type Answer, type Entry, lookup, RCODE } from "../../src/zone/lookup.js";
import { ZoneSet } from "../../src/zone/zoneset.js";

const PARENT = `
$ORIGIN example.
$TTL 300
@ 3600 IN SOA ns.example. host.example. 1 3600 600 86400 60
@ NS ns.example.
ns A 192.0.2.1
www A 192.0.2.2
www AAAA 2001:db8::2
mx MX 10 mail
mail A 192.0.2.3
srv._tcp SRV 0 0 80 www
*.wild TXT "wild"
*.wild MX 10 mail
exists.wild A 192.0.2.4
deep.ent.wild A 192.0.2.5
c1 CNAME c2
c2 CNAME www
cout CNAME www.elsewhere.test.
loop1 CNAME loop2
loop2 CNAME loop1
cnx CNAME nothere
dn DNAME target.example.
x.target A 192.0.2.9
sub NS ns1.sub
sub NS ns.other.test.
sub DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ns1.sub A 192.0.2.10
into CNAME www.child.example.
`;
const CHILD = `
$ORIGIN child.example.
@ 300 IN SOA ns.example. host.example. 7 3600 600 86400 120
@ 300 NS ns.example.
www 300 A 192.0.2.20
`;

function zones(): ZoneSet {
  const set = new ZoneSet();
  set.add(zoneFromText(PARENT, { file: "parent" }).zone);
  set.add(zoneFromText(CHILD, { file: "child" }).zone);
  return set;
}

function show(entries: Entry[]): string[] {
  return entries.flatMap((e) =>
    e.set.rdata.map(
      (rd) =>
        `${e.owner.toLowerCase()} ${e.ttl ?? e.set.ttl} ${typeToText(e.set.type)} ${rdataToText(e.set.type, Buffer.from(rd, "latin1"))}`,
    ),
  );
}

interface Case {
  q: string;
  type: number;
  rcode?: number;
  aa?: boolean;
  answer?: string[];
  authority?: string[];
  additional?: string[];
}

const SOA_NEG = "example. 60 SOA ns.example. host.example. 1 3600 600 86400 60";

const cases: Case[] = [
  { q: "www.example.", type: T.A, answer: ["www.example. 300 A 192.0.2.2"] },
  { q: "WWW.Example.", type: T.AAAA, answer: ["www.example. 300 AAAA 2001:db8::2"] },
  { q: "www.example.", type: T.MX, answer: [], authority: [SOA_NEG] },
  { q: "nope.example.", type: T.A, rcode: RCODE.NXDOMAIN, authority: [SOA_NEG] },
  {
    q: "mx.example.",
    type: T.MX,
    answer: ["mx.example. 300 MX 10 mail.example."],
    additional: ["mail.example. 300 A 192.0.2.3"],
  },
  {
    q: "srv._tcp.example.",
    type: T.SRV,
    answer: ["srv._tcp.example. 300 SRV 0 0 80 www.example."],
    additional: ["www.example. 300 A 192.0.2.2", "www.example. 300 AAAA 2001:db8::2"],
  },
  { q: "_tcp.example.", type: T.A, answer: [], authority: [SOA_NEG] }, // empty non-terminal
  { q: "a.wild.example.", type: T.TXT, answer: ['a.wild.example. 300 TXT "wild"'] },
  { q: "a.b.wild.example.", type: T.TXT, answer: ['a.b.wild.example. 300 TXT "wild"'] },
  { q: "a.wild.example.", type: T.A, answer: [], authority: [SOA_NEG] },
  { q: "exists.wild.example.", type: T.TXT, answer: [], authority: [SOA_NEG] },
  { q: "ent.wild.example.", type: T.TXT, answer: [], authority: [SOA_NEG] }, // ENT blocks the wildcard
  { q: "x.ent.wild.example.", type: T.TXT, rcode: RCODE.NXDOMAIN, authority: [SOA_NEG] },
  {
    q: "a.wild.example.",
    type: T.MX,
    answer: ["a.wild.example. 300 MX 10 mail.example."],
    additional: ["mail.example. 300 A 192.0.2.3"],
  },
  {
    q: "c1.example.",
    type: T.A,
    answer: [
      "c1.example. 300 CNAME c2.example.",
      "c2.example. 300 CNAME www.example.",
      "www.example. 300 A 192.0.2.2",
    ],
  },
  { q: "c1.example.", type: T.CNAME, answer: ["c1.example. 300 CNAME c2.example."] },
  { q: "cout.example.", type: T.A, answer: ["cout.example. 300 CNAME www.elsewhere.test."] },
  {
    q: "loop1.example.",
    type: T.A,
    answer: ["loop1.example. 300 CNAME loop2.example.", "loop2.example. 300 CNAME loop1.example."],
  },
  {
    q: "cnx.example.",
    type: T.A,
    rcode: RCODE.NXDOMAIN,
    answer: ["cnx.example. 300 CNAME nothere.example."],
    authority: [SOA_NEG],
  },
  {
    q: "into.example.",
    type: T.A,
    answer: ["into.example. 300 CNAME www.child.example.", "www.child.example. 300 A 192.0.2.20"],
  },
  {
    q: "x.dn.example.",
    type: T.A,
    answer: [
      "dn.example. 300 DNAME target.example.",
      "x.dn.example. 300 CNAME x.target.example.",
      "x.target.example. 300 A 192.0.2.9",
    ],
  },
  { q: "dn.example.", type: T.A, answer: [], authority: [SOA_NEG] },
  {
    q: "host.sub.example.",
    type: T.A,
    aa: false,
    authority: ["sub.example. 300 NS ns1.sub.example.", "sub.example. 300 NS ns.other.test."],
    additional: ["ns1.sub.example. 300 A 192.0.2.10"],
  },
  {
    q: "sub.example.",
    type: T.NS,
    aa: false,
    authority: ["sub.example. 300 NS ns1.sub.example.", "sub.example. 300 NS ns.other.test."],
    additional: ["ns1.sub.example. 300 A 192.0.2.10"],
  },
  {
    q: "sub.example.",
    type: T.DS,
    answer: [
      "sub.example. 300 DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
    ],
  },
  { q: "www.child.example.", type: T.A, answer: ["www.child.example. 300 A 192.0.2.20"] },
  // DS for a zone we serve below a parent we also serve comes from the parent (RFC 4035 §3.1.4.1).
  // (This parent has no delegation to the child, so the parent's answer is NXDOMAIN.)
  { q: "child.example.", type: T.DS, rcode: RCODE.NXDOMAIN, authority: [SOA_NEG] },
  {
    q: "child.example.",
    type: T.SOA,
    answer: ["child.example. 300 SOA ns.example. host.example. 7 3600 600 86400 120"],
  },
  {
    q: "nope.child.example.",
    type: T.A,
    rcode: RCODE.NXDOMAIN,
    authority: ["child.example. 120 SOA ns.example. host.example. 7 3600 600 86400 120"],
  },
  {
    q: "www.example.",
    type: T.ANY,
    answer: ["www.example. 300 A 192.0.2.2", "www.example. 300 AAAA 2001:db8::2"],
  },
];

t.test("lookup rules (RFC 1034 §4.3.2, RFC 4592, RFC 6672, RFC 2308)", async (t) => {
  const set = zones();
  for (const c of cases) {
    const a = lookup(set, c.q, c.type) as Answer;
    const label = `${c.q} ${typeToText(c.type)}`;
    t.ok(a, `${label}: answered`);
    t.equal(a.rcode, c.rcode ?? RCODE.NOERROR, `${label}: rcode`);
    t.equal(a.aa, c.aa ?? true, `${label}: AA`);
    t.same(show(a.answer), c.answer ?? [], `${label}: answer`);
    t.same(show(a.authority), c.authority ?? [], `${label}: authority`);
    t.same(show(a.additional), c.additional ?? [], `${label}: additional`);
  }
});

t.test("names under no zone get no answer (the handler refuses them)", async (t) => {
  t.equal(lookup(zones(), "www.other.test.", T.A), undefined);
});

t.test("wildcard answers carry the query name as owner", async (t) => {
  const a = lookup(zones(), "Mixed.Wild.example.", T.TXT)!;
  t.equal(a.answer[0].owner, "Mixed.Wild.example.");
});
