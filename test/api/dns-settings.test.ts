/**
 * The dns_settings routes in process: defaults seeded from a zone file, every field's range,
 * what each change does to the served zone (apex NS with multi-provider, CNAME flattening,
 * the NS TTL, the SOA), and the versioning rule (a change to what is served = one new serial
 * and one IXFR journal entry; a stored-only field or a refused PATCH = no new serial).
 */

import t, { type Test } from "tap";
import { CloudflareZones } from "../../src/cloudflare/rules/zones.js";
import { zoneId } from "../../src/cloudflare/transfer/settings.js";
import { nameKey } from "../../src/wire/name.js";
import { rdataToText } from "../../src/wire/rdata.js";
import { T } from "../../src/wire/types.js";
import type { RR } from "../../src/zone/journal.js";
import { zoneFromText } from "../../src/zone/load.js";
import { lookup } from "../../src/zone/lookup.js";
import type { Zone } from "../../src/zone/zone.js";
import { ZoneSet } from "../../src/zone/zoneset.js";
import { BASE, call, type Lab, lab } from "./fixture.js";

const ORIGIN = "example.net.";
const NET = zoneId(ORIGIN);
const S = `/zones/${NET}/dns_settings`;
const R = `/zones/${NET}/dns_records`;
const MISSING = "00000000000000000000000000000000";

/** A zone file whose SOA fields, SOA TTL and NS TTL all differ from each other and from $TTL. */
const SEEDED = `$ORIGIN ${ORIGIN}
$TTL 300
@    3600 IN SOA ns1.${ORIGIN} hostmaster.${ORIGIN} 42 7200 900 1209600 120
@    7200 IN NS  ns1.${ORIGIN}
@    7200 IN NS  ns2.${ORIGIN}
ns1  IN A   192.0.2.1
ns2  IN A   192.0.2.2
www  IN A   192.0.2.80
`;

function seeded(): CloudflareZones {
  const zones = new CloudflareZones(new ZoneSet());
  zones.add(zoneFromText(SEEDED, { file: "example.net.zone", renderer: zones.renderer }).zone);
  return zones;
}

function zoneOf(l: Lab): Zone {
  return l.zones.set.get(ORIGIN)!;
}

function version(l: Lab): { serial: number; journal: number } {
  const z = zoneOf(l);
  return { serial: z.serial, journal: z.journal.size };
}

/** The RRset a query for (name, type) is answered with, as text. */
function served(l: Lab, name: string, type: number): { ttl: number; data: string[] } | undefined {
  const a = lookup(l.zones.set, name, type);
  const e = a?.answer.find((x) => x.set.type === type && nameKey(x.owner) === nameKey(name));
  if (e === undefined) return undefined;
  return {
    ttl: e.ttl ?? e.set.ttl,
    data: e.set.rdata.map((r) => rdataToText(type, Buffer.from(r, "latin1"))).sort(),
  };
}

function transferred(l: Lab, name: string, type: number): string[] {
  const s = zoneOf(l)
    .transferSets(nameKey(name))
    .find((x) => x.type === type);
  return (s?.rdata ?? []).map((r) => rdataToText(type, Buffer.from(r, "latin1"))).sort();
}

/** Records of a journal entry as "name TYPE ttl data". */
function rrs(list: RR[]): string[] {
  return list
    .map(
      (r) =>
        `${r.name} ${r.type === T.NS ? "NS" : r.type === T.A ? "A" : r.type === T.CNAME ? "CNAME" : r.type} ${r.ttl} ${rdataToText(r.type, Buffer.from(r.rdata, "latin1"))}`,
    )
    .sort();
}

/** The served SOA, as the fields a secondary sees. */
function soa(l: Lab): Record<string, string | number> {
  const z = zoneOf(l);
  const f = z.soa;
  return {
    mname: f.mname,
    rname: f.rname,
    refresh: f.refresh,
    retry: f.retry,
    expire: f.expire,
    minimum: f.minimum,
    ttl: z.apex.get(T.SOA)!.ttl,
  };
}

/** A raw PATCH with exactly this body text. */
async function patchRaw(l: Lab, payload: string, contentType = "application/json") {
  const res = await l.app.inject({
    method: "PATCH",
    url: `${BASE}${S}`,
    headers: { "content-type": contentType },
    payload,
  });
  return { status: res.statusCode, body: res.json() };
}

/** A PATCH that changes what is served: one new serial and one journal entry. */
// biome-ignore lint/suspicious/noExplicitAny: settings are checked field by field
async function served1(t: Test, l: Lab, body: unknown, what: string): Promise<any> {
  const before = version(l);
  const r = await call(l.app, "PATCH", S, body);
  t.equal(r.status, 200, `${what}: status`);
  if (r.status !== 200) t.comment(JSON.stringify(r.body.errors));
  t.same(
    version(l),
    { serial: before.serial + 1, journal: before.journal + 1 },
    `${what}: one new serial, one journal entry`,
  );
  t.same((await call(l.app, "GET", S)).body.result, r.body.result, `${what}: GET agrees`);
  return r.body.result;
}

/** A refused PATCH: 400 with the settings' code, and nothing changed at all. */
async function refused(
  t: Test,
  l: Lab,
  body: unknown,
  what: string,
  code = 89001,
): Promise<{ code: number; message: string }> {
  const before = {
    v: version(l),
    settings: (await call(l.app, "GET", S)).body.result,
    soa: soa(l),
    ns: served(l, ORIGIN, T.NS),
  };
  const r = await call(l.app, "PATCH", S, body);
  t.equal(r.status, 400, `${what}: status`);
  t.equal(r.body.success, false, `${what}: success false`);
  t.equal(r.body.errors?.[0]?.code, code, `${what}: code ${code}`);
  t.same(
    {
      v: version(l),
      settings: (await call(l.app, "GET", S)).body.result,
      soa: soa(l),
      ns: served(l, ORIGIN, T.NS),
    },
    before,
    `${what}: nothing changed`,
  );
  return r.body.errors?.[0] ?? { code: 0, message: "" };
}

/* ------------------------------------------------------------------------------------------ */

t.test("GET: a file-seeded zone's settings come from its file", async (t) => {
  const l = lab(t, { zones: seeded() });
  const r = await call(l.app, "GET", S);
  t.equal(r.status, 200);
  t.same(r.body, {
    success: true,
    errors: [],
    messages: [],
    result: {
      flatten_all_cnames: false,
      foundation_dns: false,
      internal_dns: { reference_zone_id: null },
      multi_provider: false,
      nameservers: { type: "cloudflare.standard" },
      ns_ttl: 7200,
      secondary_overrides: false,
      soa: {
        mname: "ns1.example.net",
        rname: "hostmaster.example.net",
        refresh: 7200,
        retry: 900,
        expire: 1209600,
        min_ttl: 120,
        ttl: 3600,
      },
      zone_mode: "standard",
    },
  });
  // The file's apex NS are the assigned nameservers: served as written.
  t.same(served(l, ORIGIN, T.NS), { ttl: 7200, data: ["ns1.example.net.", "ns2.example.net."] });
  t.same(soa(l), {
    mname: "ns1.example.net.",
    rname: "hostmaster.example.net.",
    refresh: 7200,
    retry: 900,
    expire: 1209600,
    minimum: 120,
    ttl: 3600,
  });
  t.equal(zoneOf(l).serial, 42, "the file's serial");

  // The fixture's zone: NS TTL and SOA TTL are the file's $TTL.
  const f = lab(t);
  const com = (await call(f.app, "GET", `/zones/${zoneId("example.com.")}/dns_settings`)).body
    .result;
  t.equal(com.ns_ttl, 300);
  t.same(com.soa, {
    mname: "ns1.example.com",
    rname: "admin.example.com",
    refresh: 3600,
    retry: 600,
    expire: 86400,
    min_ttl: 60,
    ttl: 300,
  });

  // Unknown zones: 7003.
  for (const id of [MISSING, "nope", NET.toUpperCase()]) {
    for (const m of ["GET", "PATCH"] as const) {
      const p = `/zones/${id}/dns_settings`;
      const e = await call(l.app, m, p, m === "PATCH" ? { multi_provider: true } : undefined);
      t.equal(e.status, 404, `${m} ${id}`);
      t.same(e.body.errors, [
        {
          code: 7003,
          message: `Could not route to ${BASE}${p}, perhaps your object identifier is invalid?`,
        },
      ]);
    }
  }
  t.equal(zoneOf(l).serial, 42, "nothing changed");
});

t.test("multi_provider: the user's apex NS served beside the assigned ones", async (t) => {
  const l = lab(t, { zones: seeded() });
  const user = await call(l.app, "POST", R, {
    type: "NS",
    name: "@",
    content: "ns.other-provider.org",
  });
  t.equal(user.status, 200);
  t.same(
    served(l, ORIGIN, T.NS),
    { ttl: 7200, data: ["ns1.example.net.", "ns2.example.net."] },
    "off: the user's apex NS is ignored",
  );
  t.same(transferred(l, ORIGIN, T.NS), ["ns1.example.net.", "ns2.example.net."]);
  t.equal(user.body.result.content, "ns.other-provider.org", "but kept as a record");

  // Cloudflare's documented curl body, byte for byte.
  const before = version(l);
  const on = await patchRaw(l, '{"multi_provider": true}');
  t.equal(on.status, 200);
  t.equal(on.body.success, true);
  t.equal(on.body.result.multi_provider, true);
  t.same(version(l), { serial: before.serial + 1, journal: before.journal + 1 }, "one serial");
  const want = ["ns.other-provider.org.", "ns1.example.net.", "ns2.example.net."];
  t.same(served(l, ORIGIN, T.NS), { ttl: 7200, data: want }, "on: assigned + user's");
  t.same(transferred(l, ORIGIN, T.NS), want, "and transferred");
  const [cs] = zoneOf(l).journal.since(before.serial)!;
  t.same(rrs(cs.added), ["example.net. NS 7200 ns.other-provider.org."], "IXFR adds it");
  t.same(rrs(cs.removed), []);
  t.same((await call(l.app, "GET", S)).body.result.multi_provider, true);

  // On already: nothing served changes, no new serial.
  const same = version(l);
  t.equal((await call(l.app, "PATCH", S, { multi_provider: true })).status, 200);
  t.same(version(l), same, "PATCH to the current value: no new serial");

  // With multi-provider on, a new apex NS record is served at once.
  t.equal(
    (await call(l.app, "POST", R, { type: "NS", name: "@", content: "ns2.other-provider.org" }))
      .status,
    200,
  );
  t.same(served(l, ORIGIN, T.NS)?.data, [
    "ns.other-provider.org.",
    "ns1.example.net.",
    "ns2.example.net.",
    "ns2.other-provider.org.",
  ]);

  const before2 = version(l);
  await served1(t, l, { multi_provider: false }, "off");
  t.same(served(l, ORIGIN, T.NS), { ttl: 7200, data: ["ns1.example.net.", "ns2.example.net."] });
  t.same(transferred(l, ORIGIN, T.NS), ["ns1.example.net.", "ns2.example.net."]);
  const [off] = zoneOf(l).journal.since(before2.serial)!;
  t.same(rrs(off.removed), [
    "example.net. NS 7200 ns.other-provider.org.",
    "example.net. NS 7200 ns2.other-provider.org.",
  ]);
  t.same(rrs(off.added), []);
  t.equal(
    (await call(l.app, "GET", `${R}?type=NS`)).body.result.length,
    4,
    "the user's records stay stored",
  );

  await refused(t, l, { multi_provider: "true" }, "multi_provider a string");
  await refused(t, l, { multi_provider: 1 }, "multi_provider a number");
  await refused(t, l, { multi_provider: null }, "multi_provider null");
});

t.test(
  "flatten_all_cnames: CNAMEs below the apex served as their target's addresses",
  async (t) => {
    const l = lab(t, { zones: seeded() });
    const c = await call(l.app, "POST", R, {
      type: "CNAME",
      name: "alias",
      content: "www.example.net",
    });
    t.equal(c.status, 200, JSON.stringify(c.body.errors));
    const alias = "alias.example.net.";
    const node = () => zoneOf(l).node(nameKey(alias))!;
    t.ok(node().get(T.CNAME), "off: the CNAME is served");
    t.notOk(node().get(T.A));
    const chain = lookup(l.zones.set, alias, T.A)!;
    t.same(
      chain.answer.map((e) => e.set.type),
      [T.CNAME, T.A],
      "a query follows the CNAME",
    );

    const before = version(l);
    const on = await served1(t, l, { flatten_all_cnames: true }, "flatten on");
    t.equal(on.flatten_all_cnames, true);
    t.notOk(node().get(T.CNAME), "on: no CNAME");
    t.same(served(l, alias, T.A), { ttl: 300, data: ["192.0.2.80"] }, "the target's address");
    t.same(
      lookup(l.zones.set, alias, T.A)!.answer.map((e) => e.set.type),
      [T.A],
      "answered directly",
    );
    t.same(transferred(l, alias, T.A), ["192.0.2.80"]);
    t.same(transferred(l, alias, T.CNAME), []);
    const [cs] = zoneOf(l).journal.since(before.serial)!;
    t.same(rrs(cs.removed), ["alias.example.net. CNAME 300 www.example.net."]);
    t.same(rrs(cs.added), ["alias.example.net. A 300 192.0.2.80"]);

    // The target changes: the flattened name follows.
    const www = (await call(l.app, "GET", `${R}?name=www`)).body.result[0];
    t.equal((await call(l.app, "PATCH", `${R}/${www.id}`, { content: "192.0.2.81" })).status, 200);
    t.same(served(l, alias, T.A)?.data, ["192.0.2.81"]);

    await served1(t, l, { flatten_all_cnames: false }, "flatten off");
    t.ok(node().get(T.CNAME), "off again: the CNAME is back");
    t.notOk(node().get(T.A));
    t.same(transferred(l, alias, T.CNAME), ["www.example.net."]);

    await refused(t, l, { flatten_all_cnames: "yes" }, "flatten_all_cnames a string");
  },
);

t.test("ns_ttl: 30 to 86400", async (t) => {
  const l = lab(t, { zones: seeded() });
  for (const v of [30, 86400, 3600]) {
    const before = version(l);
    const r = await served1(t, l, { ns_ttl: v }, `ns_ttl ${v}`);
    t.equal(r.ns_ttl, v);
    t.equal(served(l, ORIGIN, T.NS)?.ttl, v, `served NS TTL ${v}`);
    const [cs] = zoneOf(l).journal.since(before.serial)!;
    t.ok(
      cs.added.every((x) => x.type === T.NS && x.ttl === v) && cs.added.length === 2,
      "IXFR: the NS RRset again with its new TTL",
    );
  }
  for (const v of [29, 0, -1, 86401, 1e9, 300.5, "300", null, true]) {
    await refused(t, l, { ns_ttl: v }, `ns_ttl ${JSON.stringify(v)}`);
  }
  const e = await refused(t, l, { ns_ttl: 29 }, "ns_ttl message");
  t.equal(e.message, "ns_ttl must be a whole number from 30 to 86400");
  t.equal(served(l, ORIGIN, T.NS)?.ttl, 3600);
});

t.test("soa: every field's range, and what is served", async (t) => {
  const l = lab(t, { zones: seeded() });
  const ranges: Array<[string, string, number, number]> = [
    ["refresh", "refresh", 600, 86400],
    ["retry", "retry", 600, 86400],
    ["expire", "expire", 86400, 2419200],
    ["min_ttl", "minimum", 60, 86400],
    ["ttl", "ttl", 300, 86400],
  ];
  for (const [field, servedAs, min, max] of ranges) {
    // max then min: each differs from the value before it, so each is a change.
    for (const v of [max, min]) {
      const before = version(l);
      const r = await served1(t, l, { soa: { [field]: v } }, `soa.${field} ${v}`);
      t.equal(r.soa[field], v);
      t.equal(soa(l)[servedAs], v, `served SOA ${servedAs} ${v}`);
      const [cs] = zoneOf(l).journal.since(before.serial)!;
      t.same(cs.added, [], "only the SOA changes");
      t.same(cs.removed, []);
      const to = rdataToText(T.SOA, Buffer.from(cs.soaTo.rdata, "latin1"));
      t.match(to, new RegExp(` ${before.serial + 1} `), "the IXFR ends at the new serial");
      if (field === "ttl") t.equal(cs.soaTo.ttl, v, "the new SOA TTL");
    }
    for (const v of [min - 1, max + 1, 0, -min, min + 0.5, String(min), null]) {
      await refused(t, l, { soa: { [field]: v } }, `soa.${field} ${JSON.stringify(v)}`);
    }
    const e = await refused(t, l, { soa: { [field]: max + 1 } }, `soa.${field} message`);
    t.equal(e.message, `soa.${field} must be a whole number from ${min} to ${max}`);
  }

  // Several fields at once: one serial for all.
  const all = await served1(
    t,
    l,
    { soa: { refresh: 10000, retry: 2400, expire: 604800, min_ttl: 1800, ttl: 3600 } },
    "every number at once",
  );
  t.same(all.soa, {
    mname: "ns1.example.net",
    rname: "hostmaster.example.net",
    refresh: 10000,
    retry: 2400,
    expire: 604800,
    min_ttl: 1800,
    ttl: 3600,
  });
  // One bad field refuses the whole PATCH.
  await refused(t, l, { soa: { refresh: 20000, retry: 1 } }, "one field out of range");
  await refused(
    t,
    l,
    { multi_provider: true, soa: { expire: 1 } },
    "a bad soa beside a good field",
  );

  // mname and rname; mname null = the first assigned nameserver.
  const m = await served1(
    t,
    l,
    { soa: { mname: "primary.example.org", rname: "dns-admin.example.org." } },
    "mname and rname",
  );
  t.equal(m.soa.mname, "primary.example.org");
  t.equal(m.soa.rname, "dns-admin.example.org");
  t.equal(soa(l).mname, "primary.example.org.");
  t.equal(soa(l).rname, "dns-admin.example.org.");
  const n = await served1(t, l, { soa: { mname: null } }, "mname null");
  t.equal(n.soa.mname, null);
  t.equal(soa(l).mname, "ns1.example.net.", "the first assigned nameserver");
  t.same(
    served(l, ORIGIN, T.SOA)?.data[0].split(" ").slice(0, 2),
    ["ns1.example.net.", "dns-admin.example.org."],
    "as a query sees it",
  );

  for (const [what, v] of [
    ["mname a number", { mname: 5 }],
    ["mname empty", { mname: "" }],
    ["mname with an empty label", { mname: "a..b" }],
    ["rname null", { rname: null }],
    ["rname a list", { rname: ["a.b"] }],
    ["an unknown soa field", { serial: 100 }],
    ["soa not an object", "x"],
    ["soa an array", [1]],
    ["soa null", null],
  ] as const) {
    await refused(t, l, { soa: v }, what);
  }
});

t.test("stored-only fields, and bodies that are not settings", async (t) => {
  const l = lab(t, { zones: seeded() });
  const before = { v: version(l), soa: soa(l), ns: served(l, ORIGIN, T.NS) };
  const r = await call(l.app, "PATCH", S, { zone_mode: "dns_only" });
  t.equal(r.status, 200);
  t.equal(r.body.result.zone_mode, "dns_only");
  t.same({ v: version(l), soa: soa(l), ns: served(l, ORIGIN, T.NS) }, before, "no new serial");
  t.equal((await call(l.app, "GET", S)).body.result.zone_mode, "dns_only", "stored");

  for (const body of [
    { zone_mode: "cdn_only" },
    { foundation_dns: true },
    { secondary_overrides: true },
    { nameservers: { type: "custom.account", ns_set: 2 } },
    { internal_dns: { reference_zone_id: NET } },
    { internal_dns: { reference_zone_id: null } },
    {},
  ]) {
    const res = await call(l.app, "PATCH", S, body);
    t.equal(res.status, 200, JSON.stringify(body));
    t.same(version(l), before.v, `${JSON.stringify(body)}: no new serial`);
  }
  t.match((await call(l.app, "GET", S)).body.result, {
    zone_mode: "cdn_only",
    foundation_dns: true,
    secondary_overrides: true,
    nameservers: { type: "custom.account", ns_set: 2 },
  });

  for (const [what, body] of [
    ["an unknown field", { multi_provider: true, colour: "blue" }],
    ["an unknown field alone", { id: NET }],
    ["zone_mode unknown", { zone_mode: "full" }],
    ["nameservers.type unknown", { nameservers: { type: "x" } }],
    ["nameservers.ns_set 6", { nameservers: { type: "custom.account", ns_set: 6 } }],
    ["internal_dns a bad id", { internal_dns: { reference_zone_id: "x" } }],
    ["foundation_dns a string", { foundation_dns: "true" }],
    ["an array", [{ multi_provider: true }]],
    ["a string", "multi_provider"],
    ["a number", 1],
    ["null", null],
  ] as const) {
    await refused(t, l, body, what);
  }
  // No body, an empty body, JSON that is not JSON, or not JSON at all.
  await refused(t, l, undefined, "no body");
  const before2 = version(l);
  t.equal((await patchRaw(l, "")).status, 400, "an empty body");
  const bad = await patchRaw(l, '{"multi_provider": tru');
  t.equal(bad.status, 400);
  t.equal(bad.body.errors[0].code, 6007);
  const text = await patchRaw(l, '{"multi_provider": true}', "text/plain");
  t.equal(text.status, 400);
  t.equal(text.body.errors[0].code, 9207);
  t.same(version(l), before2, "nothing changed");
  t.equal((await call(l.app, "GET", S)).body.result.multi_provider, false);
});

t.test("legacy use_apex_ns and secondary_overrides routes map onto dns_settings", async (t) => {
  const l = lab(t, { zones: seeded() });
  const got = await call(l.app, "GET", `${S}/use_apex_ns`);
  t.equal(got.status, 200);
  t.same(got.body.result, { id: "use_apex_ns", value: false, editable: true, modified_on: null });
  const before = version(l);
  const on = await call(l.app, "PATCH", `${S}/use_apex_ns`, { id: "use_apex_ns", value: true });
  t.equal(on.status, 200);
  t.equal(on.body.result.value, true);
  t.equal((await call(l.app, "GET", S)).body.result.multi_provider, true, "it is multi_provider");
  t.equal(version(l).serial, before.serial + 1, "a change to what is served: a new serial");
  for (const [body, message] of [
    [{ value: "yes" }, /value must be true or false/],
    [{ id: "multi_provider", value: false }, /id must be "use_apex_ns"/],
    [[true], /the body must be/],
  ] as const) {
    const r = await call(l.app, "PATCH", `${S}/use_apex_ns`, body);
    t.equal(r.status, 400);
    t.equal(r.body.errors[0].code, 89001);
    t.match(r.body.errors[0].message, message);
  }
  t.equal((await call(l.app, "GET", S)).body.result.multi_provider, true, "unchanged");
  const so = await call(l.app, "PATCH", `${S}/secondary_overrides`, { value: true });
  t.same(so.body.result, {
    id: "secondary_overrides",
    value: true,
    editable: true,
    modified_on: null,
  });
  t.equal((await call(l.app, "GET", S)).body.result.secondary_overrides, true);
  t.equal(version(l).serial, before.serial + 1, "a stored-only field: no new serial");
  const missing = await call(l.app, "GET", `/zones/${MISSING}/dns_settings/use_apex_ns`);
  t.equal(missing.status, 404);
});
