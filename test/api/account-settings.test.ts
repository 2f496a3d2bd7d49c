/**
 * The account's DNS settings in process: `GET/PATCH /accounts/{id}/dns_settings` (shape,
 * every field's check, the account routing), zone defaults applied to zones created
 * afterwards and never to existing ones, and `enforce_dns_only`: proxied records served and
 * transferred as DNS-only, one new serial (and IXFR journal entry) per zone with a proxied
 * record and none for the others, the anycast pairs back when it is turned off, and the
 * configured-versus-transferred view saying why.
 */

import t from "tap";
import { defaultAccountSettings } from "../../src/cloudflare/rules/account-settings.js";
import { CloudflareZones } from "../../src/cloudflare/rules/zones.js";
import { zoneId } from "../../src/cloudflare/transfer/settings.js";
import { nameKey } from "../../src/wire/name.js";
import { rdataToText } from "../../src/wire/rdata.js";
import { T } from "../../src/wire/types.js";
import { zoneFromText } from "../../src/zone/load.js";
import { lookup } from "../../src/zone/lookup.js";
import { ZoneSet } from "../../src/zone/zoneset.js";
import { ACCOUNT, call, type Lab, lab, zoneText } from "./fixture.js";

const S = `/accounts/${ACCOUNT.id}/dns_settings`;
const COM = "example.com.";
const ORG = "example.org.";

/** What a query for (name, type) is answered with, as sorted text. */
function served(l: Lab, name: string, type: number): string[] {
  const a = lookup(l.zones.set, name, type);
  return (a?.answer ?? [])
    .filter((x) => x.set.type === type && nameKey(x.owner) === nameKey(name))
    .flatMap((x) => x.set.rdata.map((r) => rdataToText(type, Buffer.from(r, "latin1"))))
    .sort();
}

function transferred(l: Lab, origin: string, name: string, type: number): string[] {
  const s = l.zones.set
    .get(origin)!
    .transferSets(nameKey(name))
    .find((x) => x.type === type);
  return (s?.rdata ?? []).map((r) => rdataToText(type, Buffer.from(r, "latin1"))).sort();
}

t.test("GET: Cloudflare's shape, its defaults; another account routes nowhere", async (t) => {
  const l = lab(t);
  const r = await call(l.app, "GET", S);
  t.equal(r.status, 200);
  t.same(Object.keys(r.body.result).sort(), ["enforce_dns_only", "zone_defaults"]);
  t.equal(r.body.result.enforce_dns_only, false);
  t.same(r.body.result.zone_defaults, {
    flatten_all_cnames: false,
    foundation_dns: false,
    internal_dns: { reference_zone_id: null },
    multi_provider: false,
    nameservers: { type: "cloudflare.standard" },
    ns_ttl: 86400,
    secondary_overrides: false,
    soa: {
      mname: null,
      rname: "dns.cloudflare.com",
      refresh: 10000,
      retry: 2400,
      expire: 604800,
      min_ttl: 1800,
      ttl: 3600,
    },
    zone_mode: "standard",
  });
  const other = await call(l.app, "GET", "/accounts/ffffffffffffffffffffffffffffffff/dns_settings");
  t.equal(other.status, 404);
  t.equal(other.body.errors[0].code, 7003);
  const patchOther = await call(
    l.app,
    "PATCH",
    "/accounts/ffffffffffffffffffffffffffffffff/dns_settings",
    { enforce_dns_only: true },
  );
  t.equal(patchOther.status, 404);
  t.equal(l.zones.accountSettings().enforce_dns_only, false, "nothing changed");
});

t.test("PATCH: the fields given change, inside zone_defaults too", async (t) => {
  const l = lab(t);
  const r = await call(l.app, "PATCH", S, {
    zone_defaults: { multi_provider: true, ns_ttl: 3600, soa: { rname: "hostmaster.example" } },
  });
  t.equal(r.status, 200);
  t.equal(r.body.result.zone_defaults.multi_provider, true);
  t.equal(r.body.result.zone_defaults.ns_ttl, 3600);
  t.equal(r.body.result.zone_defaults.soa.rname, "hostmaster.example");
  t.equal(r.body.result.zone_defaults.soa.refresh, 10000, "the rest of soa stays");
  t.equal(r.body.result.zone_defaults.flatten_all_cnames, false);
  const again = await call(l.app, "PATCH", S, { zone_defaults: { flatten_all_cnames: true } });
  t.equal(again.body.result.zone_defaults.multi_provider, true, "earlier changes stay");
  t.same((await call(l.app, "GET", S)).body.result, again.body.result);
});

t.test("PATCH: a wrong field is a 400 naming it, and nothing changes", async (t) => {
  const l = lab(t);
  const cases: Array<[unknown, RegExp]> = [
    [{ enforce_dns_only: "yes" }, /enforce_dns_only must be true or false/],
    [{ zone_defaults: { ns_ttl: 10 } }, /zone_defaults: ns_ttl must be a whole number from 30/],
    [{ zone_defaults: { soa: { retry: 1 } } }, /soa\.retry must be a whole number from 600/],
    [{ zone_defaults: { zone_mode: "full" } }, /zone_mode must be one of/],
    [{ zone_defaults: { nameservers: { type: "custom.zone" } } }, /nameservers\.type must be/],
    [{ zone_defaults: { nameservers: { type: "custom.account", ns_set: 2 } } }, /ns_set/],
    [{ zone_defaults: { colour: "blue" } }, /colour is not a DNS setting/],
    [{ zone_defaults: 5 }, /zone_defaults/],
    [{ nameservers: {} }, /nameservers is not an account DNS setting/],
    [[1, 2], /must be a JSON object/],
  ];
  for (const [body, message] of cases) {
    const r = await call(l.app, "PATCH", S, body);
    t.equal(r.status, 400, JSON.stringify(body));
    t.equal(r.body.success, false);
    t.equal(r.body.errors[0].code, 89001);
    t.match(r.body.errors[0].message, message);
  }
  t.same(l.zones.accountSettings(), defaultAccountSettings(), "nothing changed");
});

t.test("zone defaults: a zone created afterwards starts with them", async (t) => {
  const l = lab(t);
  const before = await call(l.app, "GET", `/zones/${zoneId(COM)}/dns_settings`);
  await call(l.app, "PATCH", S, {
    zone_defaults: {
      multi_provider: true,
      ns_ttl: 3600,
      soa: { refresh: 7200, min_ttl: 300 },
      nameservers: { type: "cloudflare.standard.random" },
    },
  });
  const created = await call(l.app, "POST", "/zones", {
    name: "new.example",
    account: { id: ACCOUNT.id },
  });
  t.equal(created.status, 200);
  const s = await call(l.app, "GET", `/zones/${created.body.result.id}/dns_settings`);
  t.equal(s.body.result.multi_provider, true);
  t.equal(s.body.result.ns_ttl, 3600);
  t.equal(s.body.result.soa.refresh, 7200);
  t.equal(s.body.result.soa.min_ttl, 300);
  t.same(s.body.result.nameservers, { type: "cloudflare.standard" }, "a random standard pair");
  // The SOA it serves is made of them.
  const soa = served(l, "new.example.", T.SOA)[0].split(" ");
  t.equal(soa[3], "7200");
  t.equal(soa[6], "300");
  t.same(
    served(l, "new.example.", T.NS).length,
    2,
    "assigned nameservers, NS TTL from the defaults",
  );
  const ns = lookup(l.zones.set, "new.example.", T.NS)!.answer[0];
  t.equal(ns.ttl ?? ns.set.ttl, 3600);
  // Existing zones are never rewritten.
  const after = await call(l.app, "GET", `/zones/${zoneId(COM)}/dns_settings`);
  t.same(after.body.result, before.body.result);
});

t.test("zone defaults and zone files: what the file cannot say", async (t) => {
  const zones = new CloudflareZones(new ZoneSet(), {
    account: {
      ...defaultAccountSettings(),
      zone_defaults: {
        ...defaultAccountSettings().zone_defaults,
        multi_provider: true,
        flatten_all_cnames: true,
        ns_ttl: 3600,
      },
    },
  });
  const text = zoneText(COM)
    .replace("@    IN NS  ns1", "@ 7200 IN NS ns1")
    .replace("@    IN NS  ns2", "@ 7200 IN NS ns2");
  zones.add(zoneFromText(text, { file: "f", renderer: zones.renderer }).zone);
  const dns = zones.dnsSettings(zones.set.get(COM)!);
  t.equal(dns.multi_provider, true, "from the defaults");
  t.equal(dns.flatten_all_cnames, true, "from the defaults");
  t.equal(dns.ns_ttl, 7200, "the file's NS TTL");
  t.equal(dns.soa.refresh, 3600, "the file's SOA");
  t.equal(dns.soa.mname, "ns1.example.com.");
});

/** A zone with a proxied name and a DNS-only one, created through the records API. */
async function withProxied(l: Lab): Promise<void> {
  const r = `/zones/${zoneId(COM)}/dns_records`;
  const a = await call(l.app, "POST", r, {
    type: "A",
    name: "shop.example.com",
    content: "192.0.2.10",
    proxied: true,
  });
  t.equal(a.status, 200);
  const c = await call(l.app, "POST", r, {
    type: "CNAME",
    name: "cdn.example.com",
    content: "origin.example.net",
    proxied: true,
  });
  t.equal(c.status, 200);
}

t.test(
  "enforce_dns_only: origin addresses served and transferred, then anycast again",
  async (t) => {
    const l = lab(t);
    await withProxied(l);
    const com = l.zones.set.get(COM)!;
    const org = l.zones.set.get(ORG)!;
    const anycast = served(l, "shop.example.com.", T.A);
    t.equal(anycast.length, 2, "proxied: the anycast pair");
    t.same(served(l, "cdn.example.com.", T.CNAME), [], "a proxied CNAME gives addresses");
    const comSerial = com.serial;
    const orgSerial = org.serial;
    const journal = com.journal.size;

    const on = await call(l.app, "PATCH", S, { enforce_dns_only: true });
    t.equal(on.status, 200);
    t.equal(on.body.result.enforce_dns_only, true);
    t.same(served(l, "shop.example.com.", T.A), ["192.0.2.10"], "the origin address");
    t.same(transferred(l, COM, "shop.example.com.", T.A), ["192.0.2.10"], "transferred too");
    t.same(served(l, "cdn.example.com.", T.CNAME), ["origin.example.net."], "the CNAME itself");
    t.same(transferred(l, COM, "cdn.example.com.", T.CNAME), ["origin.example.net."]);
    t.equal(com.serial, comSerial + 1, "a zone with a proxied record: one new serial");
    t.equal(com.journal.size, journal + 1, "and one journal entry");
    const cs = com.journal.changesets().at(-1)!;
    const added = cs.added.map((r) => `${r.name} ${r.type}`).sort();
    t.ok(added.includes("shop.example.com. 1"), "IXFR adds the origin address");
    t.ok(cs.removed.some((r) => r.name === "shop.example.com." && r.type === T.AAAA));
    t.equal(org.serial, orgSerial, "a zone without one: no new version");
    // The records themselves are not modified.
    const list = await call(
      l.app,
      "GET",
      `/zones/${zoneId(COM)}/dns_records?name=shop.example.com`,
    );
    t.equal(list.body.result[0].proxied, true);

    // The same value again changes nothing.
    await call(l.app, "PATCH", S, { enforce_dns_only: true });
    t.equal(com.serial, comSerial + 1);

    // Why, in the configured-versus-transferred view.
    const res = await l.app.inject({
      method: "GET",
      url: `/dns-primary/v1/zones/${zoneId(COM)}/rendering?name=shop.example.com`,
    });
    t.equal(res.statusCode, 200);
    const view = res.json();
    t.equal(view.result.zone.enforce_dns_only, true);
    const rec = view.result.records[0];
    t.equal(rec.disposition, "transferred");
    t.equal(rec.in_transfer, true);
    t.match(rec.reason, /account enforces DNS-only/);

    const off = await call(l.app, "PATCH", S, { enforce_dns_only: false });
    t.equal(off.body.result.enforce_dns_only, false);
    t.same(served(l, "shop.example.com.", T.A), anycast, "the anycast pair again");
    t.equal(com.serial, comSerial + 2);
    t.equal(org.serial, orgSerial);
  },
);

t.test("enforce_dns_only: a record made proxied while it is on is served DNS-only", async (t) => {
  const l = lab(t);
  await call(l.app, "PATCH", S, { enforce_dns_only: true });
  await withProxied(l);
  t.same(served(l, "shop.example.com.", T.A), ["192.0.2.10"]);
  await call(l.app, "PATCH", S, { enforce_dns_only: false });
  t.equal(served(l, "shop.example.com.", T.A).length, 2);
  // A zone created while it is on follows it too.
  await call(l.app, "PATCH", S, { enforce_dns_only: true });
  const created = await call(l.app, "POST", "/zones", { name: "late.example" });
  const r = `/zones/${created.body.result.id}/dns_records`;
  await call(l.app, "POST", r, {
    type: "A",
    name: "www.late.example",
    content: "192.0.2.77",
    proxied: true,
  });
  t.same(served(l, "www.late.example.", T.A), ["192.0.2.77"]);
});
