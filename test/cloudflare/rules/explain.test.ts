import t from "tap";
import { CloudflareRules, type RenderSettings } from "../../../src/cloudflare/rules/cloudflare.js";
import { explainName, type RecordExplanation } from "../../../src/cloudflare/rules/explain.js";
import { rdataToText } from "../../../src/wire/rdata.js";
import { typeToText } from "../../../src/wire/types.js";
import { FakeZone, lines, type Rec } from "./fake.js";

const settings: RenderSettings = {
  multiProvider: false,
  flattenAllCnames: false,
  nsTtl: 86400,
  nameservers: ["ada.ns.cloudflare.com.", "bob.ns.cloudflare.com."],
  anycast: { ipv4: ["104.16.1.1", "172.64.1.1"], ipv6: ["2606:4700::1", "2606:4700::2"] },
  dnsOnly: false,
};

const records: Rec[] = [
  ["@", "SOA", 3600, "ns.example.net. dns.example.net. 7 10000 2400 604800 1800"],
  ["@", "NS", 3600, "ada.ns.cloudflare.com."],
  ["@", "NS", 3600, "ns1.example.net."],
  ["@", "CNAME", 600, "www.example.com."],
  ["@", "CAA", 300, '0 issue "letsencrypt.org"'],
  ["www", "A", 300, "192.0.2.1"],
  ["www", "AAAA", 300, "2001:db8::1"],
  ["www", "TXT", 300, '"dcv"', { tags: ["cf-dcv"] }],
  ["www", "TXT", 300, '"keep"'],
  ["app", "A", 300, "192.0.2.2", { proxied: true, settings: { ipv4_only: true } }],
  ["app", "A", 300, "192.0.2.3"],
  ["app", "MX", 300, "10 mail.example.com."],
  ["old", "CNAME", 300, "gone.example.org."],
  ["_acme-challenge", "TXT", 300, '"token"'],
];

/** "TYPE RDATA → disposition [details]" per stored record. */
function summary(r: RecordExplanation): string {
  let s = `${typeToText(r.type)} ${rdataToText(r.type, Buffer.from(r.rdata, "latin1"))} → ${r.disposition}`;
  if (r.addresses) s += ` ${r.addressTtl} ${r.addresses.join(",")}`;
  if (r.withheld) s += ` (${r.withheld})`;
  if (r.reason) s += ` (${r.reason})`;
  return `${s} served=${r.served} transferred=${r.transferred}`;
}

function explain(owner: string, s: Partial<RenderSettings> = {}) {
  const zone = new FakeZone(records);
  const warnings: string[] = [];
  const rules = new CloudflareRules({ ...settings, ...s }, { warn: (m) => warnings.push(m) });
  const x = explainName(zone.name(owner), zone.stored(owner), rules, zone.ctx(owner));
  t.same(warnings, [], "explaining logs nothing");
  // Same result as the renderer.
  const served = rules.render(zone.name(owner), zone.stored(owner), zone.ctx(owner));
  t.same(lines(x.served), lines(served));
  t.same(lines(x.transferred), lines(rules.transfer(zone.name(owner), served, zone.ctx(owner))));
  return x;
}

t.test("apex: assigned NS, ignored user NS, flattened CNAME, withheld CAA", async (t) => {
  const x = explain("@");
  t.same(x.records.map(summary), [
    "SOA ns.example.net. dns.example.net. 7 10000 2400 604800 1800 → transferred served=true transferred=true",
    "NS ada.ns.cloudflare.com. → assigned-ns served=true transferred=true",
    "NS ns1.example.net. → apex-ns-ignored served=false transferred=false",
    "CNAME www.example.com. → flattened 600 192.0.2.1,2001:db8::1 served=false transferred=false",
    'CAA 0 issue "letsencrypt.org" → withheld (caa) served=true transferred=false',
  ]);
  t.same(x.records[3].chain, ["www.example.com."]);
  t.same(
    lines(x.transferred).filter((l) => l.startsWith("NS")),
    ["NS 86400 ada.ns.cloudflare.com.", "NS 86400 bob.ns.cloudflare.com."],
  );
});

t.test("apex with multi_provider: the user's NS is transferred", async (t) => {
  const x = explain("@", { multiProvider: true });
  t.equal(x.records[2].disposition, "transferred");
  t.equal(x.records[2].transferred, true);
});

t.test("a proxied name: every A listed as proxied with the addresses served", async (t) => {
  const x = explain("app");
  t.same(x.records.map(summary), [
    "A 192.0.2.2 → proxied 300 104.16.1.1,172.64.1.1 served=false transferred=false",
    "A 192.0.2.3 → proxied 300 104.16.1.1,172.64.1.1 served=false transferred=false",
    "MX 10 mail.example.com. → transferred served=true transferred=true",
  ]);
});

t.test("certificate validation TXT is withheld, other TXT transferred", async (t) => {
  t.same(explain("www").records.map(summary), [
    "A 192.0.2.1 → transferred served=true transferred=true",
    "AAAA 2001:db8::1 → transferred served=true transferred=true",
    'TXT "dcv" → withheld (certificate-validation) served=true transferred=false',
    'TXT "keep" → transferred served=true transferred=true',
  ]);
  t.same(explain("_acme-challenge").records.map(summary), [
    'TXT "token" → withheld (certificate-validation) served=true transferred=false',
  ]);
});

t.test("CNAME below the apex: kept, or unresolved when flattening all", async (t) => {
  t.same(explain("old").records.map(summary), [
    "CNAME gone.example.org. → transferred served=true transferred=true",
  ]);
  t.same(explain("old", { flattenAllCnames: true }).records.map(summary), [
    "CNAME gone.example.org. → unresolved-cname (gone.example.org. has no A or AAAA record here) served=true transferred=true",
  ]);
});
