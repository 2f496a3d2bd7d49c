import t from "tap";
import {
  CloudflareRules,
  DEFAULT_NS_TTL,
  defaultRenderSettings,
  type ElsewhereAddresses,
  type RenderSettings,
} from "../../../src/cloudflare/rules/cloudflare.js";
import { nameKey } from "../../../src/wire/name.js";
import { T } from "../../../src/wire/types.js";
import { RRset } from "../../../src/zone/rrset.js";
import { FakeZone, lines, ORIGIN, type Rec, rdata } from "./fake.js";

const settings: RenderSettings = {
  multiProvider: false,
  flattenAllCnames: false,
  nsTtl: DEFAULT_NS_TTL,
  nameservers: ["ada.ns.cloudflare.com.", "bob.ns.cloudflare.com."],
  anycast: { ipv4: ["104.16.1.1", "172.64.1.1"], ipv6: ["2606:4700::1", "2606:4700::2"] },
  dnsOnly: false,
};

const SOA = "ns.example.net. dns.example.net. 7 10000 2400 604800 1800";
const apexBase: Rec[] = [
  ["@", "SOA", 3600, SOA],
  ["@", "NS", 3600, "ns1.example.net."],
];
const SOA_LINE = `SOA 3600 ${SOA}`;
const assigned = (ttl = DEFAULT_NS_TTL) => [
  `NS ${ttl} ada.ns.cloudflare.com.`,
  `NS ${ttl} bob.ns.cloudflare.com.`,
];
const ANY4 = ["A 300 104.16.1.1", "A 300 172.64.1.1"];
const ANY6 = ["AAAA 300 2606:4700::1", "AAAA 300 2606:4700::2"];
const anycast = (ttl: number) => [
  `A ${ttl} 104.16.1.1`,
  `A ${ttl} 172.64.1.1`,
  `AAAA ${ttl} 2606:4700::1`,
  `AAAA ${ttl} 2606:4700::2`,
];

const elsewhere: Record<string, ElsewhereAddresses> = {
  "host.other.net.": { a: [rdata("A", "198.51.100.7")], aaaa: [rdata("AAAA", "2001:db8::7")] },
};

interface Row {
  rule: string;
  records: Rec[];
  /** The owner to render (relative). */
  at: string;
  settings?: Partial<RenderSettings>;
  served: string[];
  /** What a transfer carries; default: the served lines. */
  transferred?: string[];
  /** The name is served exactly as stored (the input array itself comes back). */
  unchanged?: boolean;
  warns?: RegExp;
  dependsOnOthers?: boolean;
}

const rows: Row[] = [
  {
    rule: "proxied A: two anycast A and two anycast AAAA instead",
    records: [["www", "A", 300, "192.0.2.1", { proxied: true }]],
    at: "www",
    served: [...ANY4, ...ANY6],
  },
  {
    rule: "proxied AAAA: the same anycast pairs",
    records: [["www", "AAAA", 300, "2001:db8::1", { proxied: true }]],
    at: "www",
    served: [...ANY4, ...ANY6],
  },
  {
    rule: "one proxied A at a name makes every A/AAAA there proxied",
    records: [
      ["www", "A", 300, "192.0.2.1", { proxied: true }],
      ["www", "A", 300, "192.0.2.2", { proxied: false }],
      ["www", "AAAA", 300, "2001:db8::2"],
    ],
    at: "www",
    served: [...ANY4, ...ANY6],
  },
  {
    rule: "proxied CNAME becomes the anycast A/AAAA",
    records: [["www", "CNAME", 300, "origin.example.net.", { proxied: true }]],
    at: "www",
    served: [...ANY4, ...ANY6],
  },
  {
    rule: "proxied with settings.ipv4_only: the A pair only",
    records: [["www", "A", 300, "192.0.2.1", { proxied: true, settings: { ipv4_only: true } }]],
    at: "www",
    served: ANY4,
  },
  {
    rule: "proxied with settings.ipv6_only: the AAAA pair only",
    records: [["www", "A", 300, "192.0.2.1", { proxied: true, settings: { ipv6_only: true } }]],
    at: "www",
    served: ANY6,
  },
  {
    rule: "proxied records always have TTL 300, whatever is stored",
    records: [["www", "A", 86400, "192.0.2.1", { proxied: true }]],
    at: "www",
    served: [...ANY4, ...ANY6],
  },
  {
    rule: "other types at a proxied name are unchanged",
    records: [
      ["www", "A", 3600, "192.0.2.1", { proxied: true }],
      ["www", "MX", 3600, "10 mail.example.com."],
      ["www", "TXT", 3600, '"hello"'],
    ],
    at: "www",
    served: [...ANY4, ...ANY6, "MX 3600 10 mail.example.com.", 'TXT 3600 "hello"'],
  },
  {
    rule: "account enforces DNS-only: a proxied A is served as stored, its own TTL",
    records: [["www", "A", 3600, "192.0.2.1", { proxied: true }]],
    at: "www",
    settings: { dnsOnly: true },
    served: ["A 3600 192.0.2.1"],
    unchanged: true,
  },
  {
    rule: "account enforces DNS-only: a proxied CNAME below the apex stays a CNAME",
    records: [["www", "CNAME", 300, "origin.example.net.", { proxied: true }]],
    at: "www",
    settings: { dnsOnly: true },
    served: ["CNAME 300 origin.example.net."],
    unchanged: true,
  },
  {
    rule: "account enforces DNS-only: a proxied apex CNAME is flattened like a DNS-only one",
    records: [
      ...apexBase,
      ["@", "CNAME", 600, "www.example.com.", { proxied: true }],
      ["www", "A", 60, "192.0.2.10", { proxied: true }],
    ],
    at: "@",
    settings: { dnsOnly: true },
    served: [SOA_LINE, ...assigned(), "A 600 192.0.2.10"],
    dependsOnOthers: true,
  },
  {
    rule: "apex CNAME flattened: target in the zone, TTL of the CNAME",
    records: [
      ...apexBase,
      ["@", "CNAME", 600, "www.example.com."],
      ["www", "A", 60, "192.0.2.10"],
      ["www", "AAAA", 60, "2001:db8::10"],
    ],
    at: "@",
    served: [SOA_LINE, ...assigned(), "A 600 192.0.2.10", "AAAA 600 2001:db8::10"],
    dependsOnOthers: true,
  },
  {
    rule: "apex CNAME flattened: a proxied target gives the anycast pairs",
    records: [
      ...apexBase,
      ["@", "CNAME", 600, "www.example.com."],
      ["www", "A", 60, "192.0.2.10", { proxied: true }],
    ],
    at: "@",
    served: [SOA_LINE, ...assigned(), ...anycast(600)],
    dependsOnOthers: true,
  },
  {
    rule: "apex CNAME flattened: a chain is followed",
    records: [
      ...apexBase,
      ["@", "CNAME", 600, "a.example.com."],
      ["a", "CNAME", 300, "b.example.com."],
      ["b", "CNAME", 300, "c.example.com."],
      ["c", "A", 60, "192.0.2.12"],
    ],
    at: "@",
    served: [SOA_LINE, ...assigned(), "A 600 192.0.2.12"],
    dependsOnOthers: true,
  },
  {
    rule: "apex CNAME flattened: a target in another zone served here",
    records: [...apexBase, ["@", "CNAME", 600, "host.other.net."]],
    at: "@",
    served: [SOA_LINE, ...assigned(), "A 600 198.51.100.7", "AAAA 600 2001:db8::7"],
    dependsOnOthers: true,
  },
  {
    rule: "apex CNAME with an unresolvable target: nothing served for it, a warning",
    records: [...apexBase, ["@", "CNAME", 600, "nowhere.other.net."]],
    at: "@",
    served: [SOA_LINE, ...assigned()],
    warns: /nowhere\.other\.net.*apex/,
    dependsOnOthers: true,
  },
  {
    rule: "apex CNAME in a loop is unresolvable",
    records: [
      ...apexBase,
      ["@", "CNAME", 600, "a.example.com."],
      ["a", "CNAME", 300, "example.com."],
    ],
    at: "@",
    served: [SOA_LINE, ...assigned()],
    warns: /loops/,
    dependsOnOthers: true,
  },
  {
    rule: "apex CNAME chain longer than 8 names is unresolvable",
    records: [
      ...apexBase,
      ["@", "CNAME", 600, "c1.example.com."],
      ...Array.from(
        { length: 9 },
        (_, i): Rec => [`c${i + 1}`, "CNAME", 300, `c${i + 2}.example.com.`],
      ),
      ["c10", "A", 300, "192.0.2.1"],
    ],
    at: "@",
    served: [SOA_LINE, ...assigned()],
    warns: /longer than 8/,
    dependsOnOthers: true,
  },
  {
    rule: "DNS-only CNAME below the apex is kept",
    records: [
      ["www", "CNAME", 300, "web.example.com."],
      ["web", "A", 300, "192.0.2.1"],
    ],
    at: "www",
    served: ["CNAME 300 web.example.com."],
    unchanged: true,
  },
  {
    rule: "flatten_all_cnames on: a CNAME below the apex is flattened",
    records: [
      ["www", "CNAME", 1800, "web.example.com."],
      ["web", "A", 300, "192.0.2.1"],
    ],
    at: "www",
    settings: { flattenAllCnames: true },
    served: ["A 1800 192.0.2.1"],
    dependsOnOthers: true,
  },
  {
    rule: "flatten_all_cnames on, unresolvable target: the CNAME is kept, a warning",
    records: [["www", "CNAME", 1800, "nowhere.other.net."]],
    at: "www",
    settings: { flattenAllCnames: true },
    served: ["CNAME 1800 nowhere.other.net."],
    unchanged: true,
    warns: /served and transferred as a CNAME/,
    dependsOnOthers: true,
  },
  {
    rule: "per-record settings.flatten_cname changes nothing",
    records: [
      ["www", "CNAME", 300, "web.example.com.", { settings: { flatten_cname: true } }],
      ["web", "A", 300, "192.0.2.1"],
    ],
    at: "www",
    served: ["CNAME 300 web.example.com."],
    unchanged: true,
  },
  {
    rule: "CAA is served but withheld from transfers",
    records: [
      ["www", "CAA", 300, '0 issue "letsencrypt.org"'],
      ["www", "TXT", 300, '"v=spf1 -all"'],
    ],
    at: "www",
    served: ['CAA 300 0 issue "letsencrypt.org"', 'TXT 300 "v=spf1 -all"'],
    transferred: ['TXT 300 "v=spf1 -all"'],
    unchanged: true,
  },
  {
    rule: "TXT at _acme-challenge is served but withheld from transfers",
    records: [
      ["_ACME-Challenge.www", "TXT", 300, '"token-1"'],
      ["_ACME-Challenge.www", "TXT", 300, '"token-2"'],
    ],
    at: "_ACME-Challenge.www",
    served: ['TXT 300 "token-1"', 'TXT 300 "token-2"'],
    transferred: [],
    unchanged: true,
  },
  {
    rule: "TXT tagged cf-dcv is withheld, the other TXT at the name is not",
    records: [
      ["www", "TXT", 300, '"dcv-token"', { tags: ["cf-dcv:yes"] }],
      ["www", "TXT", 300, '"other"', { tags: ["team:web"] }],
    ],
    at: "www",
    served: ['TXT 300 "dcv-token"', 'TXT 300 "other"'],
    transferred: ['TXT 300 "other"'],
    unchanged: true,
  },
  {
    rule: "other TXT records are transferred",
    records: [
      ["_dmarc", "TXT", 300, '"v=DMARC1; p=none"', { tags: ["cf-dcv-like", "note"] }],
      ["acme-challenge", "TXT", 300, '"not a challenge label"'],
    ],
    at: "_dmarc",
    served: ['TXT 300 "v=DMARC1; p=none"'],
    unchanged: true,
  },
  {
    rule: "apex NS without multi_provider: the assigned nameservers only",
    records: [...apexBase, ["@", "NS", 3600, "ns2.example.net."]],
    at: "@",
    served: [SOA_LINE, ...assigned()],
  },
  {
    rule: "apex NS with multi_provider: assigned plus the user's, deduplicated, TTL ns_ttl",
    records: [
      ...apexBase,
      ["@", "NS", 3600, "ns2.example.net."],
      ["@", "NS", 3600, "ADA.ns.cloudflare.com."],
    ],
    at: "@",
    settings: { multiProvider: true },
    served: [
      SOA_LINE,
      ...assigned(),
      `NS ${DEFAULT_NS_TTL} ns1.example.net.`,
      `NS ${DEFAULT_NS_TTL} ns2.example.net.`,
    ],
  },
  {
    rule: "ns_ttl applies to the apex NS RRset",
    records: apexBase,
    at: "@",
    settings: { nsTtl: 3600 },
    served: [SOA_LINE, ...assigned(3600)],
  },
  {
    rule: "apex NS already as assigned: the apex is served as stored (SOA as stored)",
    records: [
      ["@", "SOA", 3600, SOA],
      ["@", "NS", DEFAULT_NS_TTL, "ada.ns.cloudflare.com."],
      ["@", "NS", DEFAULT_NS_TTL, "bob.ns.cloudflare.com."],
      ["@", "MX", 300, "10 mail.example.com."],
    ],
    at: "@",
    served: [SOA_LINE, ...assigned(), "MX 300 10 mail.example.com."],
    unchanged: true,
  },
  {
    rule: "everything else is unchanged: MX, SRV, TXT",
    records: [
      ["www", "MX", 300, "10 mail.example.com."],
      ["www", "SRV", 300, "1 2 443 web.example.com."],
      ["www", "TXT", 300, '"x"'],
    ],
    at: "www",
    served: ["MX 300 10 mail.example.com.", "SRV 300 1 2 443 web.example.com.", 'TXT 300 "x"'],
    unchanged: true,
  },
  {
    rule: "everything else is unchanged: NS and DS below the apex",
    records: [
      ["sub", "NS", 300, "ns.sub.example.com."],
      [
        "sub",
        "DS",
        300,
        "12345 13 2 ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
      ],
    ],
    at: "sub",
    served: [
      "DS 300 12345 13 2 ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
      "NS 300 ns.sub.example.com.",
    ],
    unchanged: true,
  },
  {
    rule: "everything else is unchanged: DNS-only A and AAAA",
    records: [
      ["www", "A", 300, "192.0.2.1", { proxied: false, comment: "origin" }],
      ["www", "AAAA", 300, "2001:db8::1"],
      ["www", "HTTPS", 300, '1 . alpn="h2"'],
    ],
    at: "www",
    served: ["A 300 192.0.2.1", "AAAA 300 2001:db8::1", 'HTTPS 300 1 . alpn="h2"'],
    unchanged: true,
  },
];

for (const row of rows) {
  t.test(row.rule, async (t) => {
    const zone = new FakeZone(row.records);
    const warnings: string[] = [];
    const rules = new CloudflareRules(
      { ...settings, ...row.settings },
      { resolveElsewhere: (key) => elsewhere[key], warn: (m) => warnings.push(m) },
    );
    const stored = zone.stored(row.at);
    const ctx = zone.ctx(row.at);
    const served = rules.render(zone.name(row.at), stored, ctx);
    t.same(lines(served), [...row.served].sort(), "served");
    const transferred = rules.transfer(zone.name(row.at), served, ctx);
    t.same(lines(transferred), [...(row.transferred ?? row.served)].sort(), "transferred");
    if (row.transferred === undefined) t.equal(transferred, served, "transfer returns its input");
    if (row.unchanged) t.equal(served, stored, "render returns its input");
    else t.not(served, stored);
    if (row.warns) {
      t.equal(warnings.length, 1);
      t.match(warnings[0], row.warns);
    } else t.same(warnings, []);
    t.equal(zone.dependent.has(nameKey(zone.name(row.at))), row.dependsOnOthers ?? false);
  });
}

t.test("a warning is given once per name, and again after the name resolved", async (t) => {
  const warnings: string[] = [];
  const rules = new CloudflareRules(settings, { warn: (m) => warnings.push(m) });
  const broken = new FakeZone([...apexBase, ["@", "CNAME", 600, "nowhere.other.net."]]);
  const fixed = new FakeZone([
    ...apexBase,
    ["@", "CNAME", 600, "www.example.com."],
    ["www", "A", 300, "192.0.2.1"],
  ]);
  const render = (z: FakeZone) => rules.render(ORIGIN, z.stored("@"), z.ctx("@"));
  render(broken);
  render(broken);
  t.equal(warnings.length, 1);
  render(fixed);
  render(broken);
  t.equal(warnings.length, 2);
});

t.test("proxied names share the anycast RRsets", async (t) => {
  const zone = new FakeZone([
    ["a", "A", 300, "192.0.2.1", { proxied: true }],
    ["b", "A", 300, "192.0.2.2", { proxied: true }],
  ]);
  const rules = new CloudflareRules(settings);
  const a = rules.render(zone.name("a"), zone.stored("a"), zone.ctx("a"));
  const b = rules.render(zone.name("b"), zone.stored("b"), zone.ctx("b"));
  t.equal(a[0], b[0]);
  t.equal(a[1], b[1]);
});

t.test("settings replaced as a whole take effect at the next render", async (t) => {
  const zone = new FakeZone(apexBase);
  const rules = new CloudflareRules(settings);
  const before = rules.render(ORIGIN, zone.stored("@"), zone.ctx("@"));
  t.same(
    lines(before).filter((l) => l.startsWith("NS")),
    assigned(),
  );
  rules.settings = { ...settings, multiProvider: true, nsTtl: 60 };
  const after = rules.render(ORIGIN, zone.stored("@"), zone.ctx("@"));
  t.same(
    lines(after).filter((l) => l.startsWith("NS")),
    [...assigned(60), "NS 60 ns1.example.net."],
  );
  rules.settings = {
    ...settings,
    anycast: { ipv4: ["104.16.9.9", "172.64.9.9"], ipv6: ["2606:4700::9", "2606:4700::a"] },
  };
  const p = new FakeZone([["www", "A", 300, "192.0.2.1", { proxied: true }]]);
  t.same(lines(rules.render(p.name("www"), p.stored("www"), p.ctx("www"))), [
    "A 300 104.16.9.9",
    "A 300 172.64.9.9",
    "AAAA 300 2606:4700::9",
    "AAAA 300 2606:4700::a",
  ]);
});

t.test("bad anycast addresses are refused", async (t) => {
  t.throws(
    () =>
      new CloudflareRules({
        ...settings,
        anycast: { ipv4: ["104.16.1", "172.64.1.1"], ipv6: settings.anycast.ipv6 },
      }),
    /IPv4 address "104.16.1"/,
  );
  t.throws(
    () =>
      new CloudflareRules({
        ...settings,
        anycast: { ipv4: settings.anycast.ipv4, ipv6: ["2606:4700::1", "nope"] },
      }),
    /IPv6 address "nope"/,
  );
});

t.test("defaultRenderSettings: Cloudflare's defaults and the zone's assigned values", async (t) => {
  const s = defaultRenderSettings("Example.COM.");
  t.equal(s.multiProvider, false);
  t.equal(s.flattenAllCnames, false);
  t.equal(s.nsTtl, 86400);
  t.equal(s.nameservers.length, 2);
  t.same(s, defaultRenderSettings("example.com."));
  const rules = new CloudflareRules(s);
  const zone = new FakeZone(apexBase);
  const ns = rules.render(ORIGIN, zone.stored("@"), zone.ctx("@")).find((x) => x.type === T.NS);
  t.same(
    lines(ns ? [ns] : []),
    s.nameservers.map((n) => `NS 86400 ${n}`),
  );
});

t.test("the common case costs no allocation: the input array comes back", async (t) => {
  const rules = new CloudflareRules(settings);
  const stored = [RRset.of(T.A, 300, [rdata("A", "192.0.2.1")])];
  const zone = new FakeZone([]);
  t.equal(rules.render("x.example.com.", stored, zone.ctx("x")), stored);
  t.equal(rules.transfer("x.example.com.", stored, zone.ctx("x")), stored);
});
