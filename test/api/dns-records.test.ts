/**
 * The dns_records routes in process (fastify inject): every endpoint, its result shape, each
 * error with Cloudflare's code, what the zone serves after each write, and the versioning
 * rule (one successful write = one new serial and one journal entry; a failed write changes
 * nothing at all).
 */

import t, { type Test } from "tap";
import type { CloudflareZones } from "../../src/cloudflare/rules/zones.js";
import { zoneId } from "../../src/cloudflare/transfer/settings.js";
import { nameKey } from "../../src/wire/name.js";
import { rdataToText } from "../../src/wire/rdata.js";
import { T } from "../../src/wire/types.js";
import { lookup } from "../../src/zone/lookup.js";
import type { Zone } from "../../src/zone/zone.js";
import { BASE, call, type Lab, lab, T0 } from "./fixture.js";

const COM = zoneId("example.com.");
const R = `/zones/${COM}/dns_records`;
const MISSING = "00000000000000000000000000000000";
const HEX32 = /^[0-9a-f]{32}$/;

type Method = "GET" | "POST" | "PUT" | "DELETE" | "PATCH";

function zoneOf(l: Lab, origin = "example.com."): Zone {
  return l.zones.set.get(origin)!;
}

/** Serial and journal length: what one committed change moves by exactly one. */
function version(l: Lab): { serial: number; journal: number } {
  const z = zoneOf(l);
  return { serial: z.serial, journal: z.journal.size };
}

/** Everything a failed write must leave as it was: versions, records, what is transferred. */
async function state(l: Lab): Promise<unknown> {
  const z = zoneOf(l);
  const list = await call(l.app, "GET", `${R}?per_page=5000`);
  return {
    ...version(l),
    count: z.recordCount,
    records: list.body.result,
    transfer: z
      .transferSnapshot()
      .map((n) => [n.name, n.sets.map((s) => [s.type, s.ttl, [...s.rdata].sort()])]),
  };
}

/** The RRset a query for (name, type) is answered with at the name itself, as text. */
function served(
  zones: CloudflareZones,
  name: string,
  type: number,
): { ttl: number; data: string[] } | undefined {
  const a = lookup(zones.set, name, type);
  const e = a?.answer.find((x) => x.set.type === type && nameKey(x.owner) === nameKey(name));
  if (e === undefined) return undefined;
  return {
    ttl: e.ttl ?? e.set.ttl,
    data: e.set.rdata.map((r) => rdataToText(type, Buffer.from(r, "latin1"))).sort(),
  };
}

/** The types a zone transfer carries at a name. */
function transferredTypes(zone: Zone, name: string): number[] {
  return zone
    .transferSets(nameKey(name))
    .map((s) => s.type)
    .sort((a, b) => a - b);
}

/** A write that must fail with `code` (and `status`) and change nothing. */
async function refused(
  t: Test,
  l: Lab,
  method: Method,
  path: string,
  body: unknown,
  code: number,
  what: string,
  status = 400,
): Promise<{ code: number; message: string }> {
  const before = await state(l);
  const r = await call(l.app, method, path, body);
  t.equal(r.status, status, `${what}: status`);
  t.equal(r.body.success, false, `${what}: success false`);
  t.equal(r.body.errors?.[0]?.code, code, `${what}: code ${code}`);
  t.same(await state(l), before, `${what}: nothing changed`);
  return r.body.errors?.[0] ?? { code: 0, message: "" };
}

/** A write that must succeed with exactly one new serial and one journal entry. */
async function committed(
  t: Test,
  l: Lab,
  method: Method,
  path: string,
  body: unknown,
  what: string,
  // biome-ignore lint/suspicious/noExplicitAny: results are checked field by field
): Promise<any> {
  const before = version(l);
  const r = await call(l.app, method, path, body);
  t.equal(r.status, 200, `${what}: status`);
  if (r.status !== 200) t.comment(JSON.stringify(r.body.errors));
  t.same(
    version(l),
    { serial: before.serial + 1, journal: before.journal + 1 },
    `${what}: one new serial, one journal entry`,
  );
  return r.body.result;
}

const META = {
  auto_added: false,
  managed_by_apps: false,
  managed_by_argo_tunnel: false,
  source: "primary",
};

/* ------------------------------------------------------------------------------------------ */

t.test("create, get, edit, overwrite, delete: shapes, ids and times", async (t) => {
  let now = T0;
  const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
  const l = lab(t, { now: () => now });
  const { app } = l;

  const created = await committed(
    t,
    l,
    "POST",
    R,
    {
      type: "A",
      name: "api",
      content: "192.0.2.10",
      ttl: 1,
      comment: "first",
      tags: ["env:prod"],
    },
    "POST",
  );
  t.match(created.id, HEX32, "id is 32 lowercase hex");
  t.same(created, {
    id: created.id,
    zone_id: COM,
    zone_name: "example.com",
    name: "api.example.com",
    type: "A",
    content: "192.0.2.10",
    ttl: 1,
    proxiable: true,
    proxied: false,
    comment: "first",
    tags: ["env:prod"],
    settings: {},
    meta: META,
    created_on: T0.toISOString(),
    modified_on: T0.toISOString(),
  });
  t.same(served(l.zones, "api.example.com.", T.A), { ttl: 300, data: ["192.0.2.10"] });

  const got = await call(app, "GET", `${R}/${created.id}`);
  t.equal(got.status, 200);
  t.same(got.body, { success: true, errors: [], messages: [], result: created });

  // An explicit TTL is kept; a name given absolute (with or without the dot) is the same.
  const mx = await committed(
    t,
    l,
    "POST",
    R,
    { type: "MX", name: "example.com.", content: "mail.example.com", priority: 10, ttl: 3600 },
    "POST MX at the apex",
  );
  t.match(mx, { name: "example.com", ttl: 3600, priority: 10, content: "mail.example.com" });
  t.equal(mx.proxiable, false);
  t.same(served(l.zones, "example.com.", T.MX), { ttl: 3600, data: ["10 mail.example.com."] });

  // PATCH: new content, same id, created_on kept, modified_on moves.
  now = at(5);
  const patched = await committed(
    t,
    l,
    "PATCH",
    `${R}/${created.id}`,
    { content: "192.0.2.11" },
    "PATCH content",
  );
  t.same(patched, {
    ...created,
    content: "192.0.2.11",
    modified_on: at(5).toISOString(),
  });
  t.same((await call(app, "GET", `${R}/${created.id}`)).body.result, patched, "GET after PATCH");
  t.same(served(l.zones, "api.example.com.", T.A), { ttl: 300, data: ["192.0.2.11"] });

  // A new record with the edited one's first data would derive the same id: it gets another.
  const again = await committed(
    t,
    l,
    "POST",
    R,
    { type: "A", name: "api", content: "192.0.2.10" },
    "POST the first data again",
  );
  t.match(again.id, HEX32);
  t.not(again.id, created.id, "a new record never takes an id an edited record holds");
  t.equal((await call(app, "GET", `${R}/${created.id}`)).body.result.content, "192.0.2.11");
  t.equal((await call(app, "GET", `${R}/${again.id}`)).body.result.content, "192.0.2.10");

  // PUT: the whole record replaced; fields not given go back to their defaults.
  now = at(10);
  const put = await committed(
    t,
    l,
    "PUT",
    `${R}/${created.id}`,
    { type: "A", name: "api.example.com", content: "192.0.2.12", ttl: 120 },
    "PUT",
  );
  t.same(put, {
    ...created,
    content: "192.0.2.12",
    ttl: 120,
    comment: null,
    tags: [],
    modified_on: at(10).toISOString(),
  });
  t.same((await call(app, "GET", `${R}/${created.id}`)).body.result, put, "GET after PUT");

  // PUT to another type and name keeps the id too.
  now = at(11);
  const moved = await committed(
    t,
    l,
    "PUT",
    `${R}/${created.id}`,
    { type: "TXT", name: "moved", content: "hello world" },
    "PUT to another type and name",
  );
  t.match(moved, {
    id: created.id,
    name: "moved.example.com",
    type: "TXT",
    content: "hello world",
    created_on: T0.toISOString(),
    modified_on: at(11).toISOString(),
  });
  t.same(served(l.zones, "api.example.com.", T.A)?.data, ["192.0.2.10"], "the other A stays");
  t.same(served(l.zones, "moved.example.com.", T.TXT), { ttl: 300, data: ['"hello world"'] });

  // A record from the zone file has a derived id and can be edited like any other.
  const list = await call(app, "GET", `${R}?name=www`);
  const www = list.body.result[0];
  t.match(www, { name: "www.example.com", type: "A", content: "192.0.2.80", ttl: 300 });
  t.match(www.id, HEX32);
  const wwwPatched = await committed(
    t,
    l,
    "PATCH",
    `${R}/${www.id}`,
    { proxied: true },
    "PATCH a file record",
  );
  t.match(wwwPatched, { id: www.id, proxied: true, ttl: 1, content: "192.0.2.80" });
  t.equal(www.created_on, T0.toISOString(), "a file record was created with the zone");
  t.equal(wwwPatched.modified_on, at(11).toISOString());
  t.equal(wwwPatched.created_on, www.created_on, "editing a file record keeps its created_on");

  // DELETE returns the id; the record is gone for every method after.
  now = at(20);
  const del = await call(app, "DELETE", `${R}/${created.id}`);
  t.equal(del.status, 200);
  t.same(del.body, { success: true, errors: [], messages: [], result: { id: created.id } });
  t.equal(served(l.zones, "moved.example.com.", T.TXT), undefined, "no longer served");
  for (const m of ["GET", "DELETE", "PATCH", "PUT"] as const) {
    const body =
      m === "PUT" ? { type: "A", name: "x", content: "192.0.2.1" } : m === "PATCH" ? {} : undefined;
    const e = await refused(t, l, m, `${R}/${created.id}`, body, 81044, `${m} deleted`, 404);
    t.equal(e.message, "Record does not exist.");
  }
});

t.test("ids that match nothing: 81044; zones that do not exist: 7003", async (t) => {
  const l = lab(t);
  const www = (await call(l.app, "GET", `${R}?name=www`)).body.result[0];
  const org = (await call(l.app, "GET", `/zones/${zoneId("example.org.")}/dns_records?name=www`))
    .body.result[0];
  t.not(org.id, www.id, "ids differ per zone for the same data");

  const bad = [MISSING, "nope", www.id.toUpperCase(), `${www.id}0`, org.id];
  for (const id of bad) {
    for (const m of ["GET", "DELETE", "PATCH", "PUT"] as const) {
      const body =
        m === "PUT"
          ? { type: "A", name: "x", content: "192.0.2.1" }
          : m === "PATCH"
            ? {}
            : undefined;
      await refused(t, l, m, `${R}/${id}`, body, 81044, `${m} ${id}`, 404);
    }
  }

  // The SOA is Cloudflare's own: no id reaches it, and the list does not show it.
  const all = (await call(l.app, "GET", R)).body.result;
  t.notOk(
    all.some((r: { type: string }) => r.type === "SOA"),
    "the SOA is not a listed record",
  );

  for (const zid of [MISSING, "nope", COM.toUpperCase()]) {
    const base = `/zones/${zid}/dns_records`;
    const cases: Array<[Method, string, unknown]> = [
      ["GET", base, undefined],
      ["POST", base, { type: "A", name: "x", content: "192.0.2.1" }],
      ["GET", `${base}/${www.id}`, undefined],
      ["PUT", `${base}/${www.id}`, { type: "A", name: "x", content: "192.0.2.1" }],
      ["PATCH", `${base}/${www.id}`, { content: "192.0.2.1" }],
      ["DELETE", `${base}/${www.id}`, undefined],
      ["POST", `${base}/batch`, { deletes: [{ id: www.id }] }],
    ];
    for (const [m, path, body] of cases) {
      const e = await refused(t, l, m, path, body, 7003, `${m} ${path}`, 404);
      t.equal(
        e.message,
        `Could not route to ${BASE}${path}, perhaps your object identifier is invalid?`,
      );
    }
  }
});

t.test("validation errors: codes, and nothing changed", async (t) => {
  const l = lab(t);
  const www = (await call(l.app, "GET", `${R}?name=www`)).body.result[0];
  const cases: Array<[string, unknown, number]> = [
    ["TTL 0", { type: "A", name: "x", content: "192.0.2.1", ttl: 0 }, 9021],
    ["TTL 29", { type: "A", name: "x", content: "192.0.2.1", ttl: 29 }, 9021],
    ["TTL 86401", { type: "A", name: "x", content: "192.0.2.1", ttl: 86401 }, 9021],
    ["TTL 1.5", { type: "A", name: "x", content: "192.0.2.1", ttl: 1.5 }, 9021],
    ["TTL as a string", { type: "A", name: "x", content: "192.0.2.1", ttl: "300" }, 9021],
    [
      "proxied MX",
      { type: "MX", name: "@", content: "mx.example.com", priority: 1, proxied: true },
      9041,
    ],
    ["proxied TXT", { type: "TXT", name: "x", content: "v", proxied: true }, 9041],
    ["A content", { type: "A", name: "x", content: "not-an-address" }, 9005],
    ["A content IPv6", { type: "A", name: "x", content: "2001:db8::1" }, 9005],
    ["AAAA content", { type: "AAAA", name: "x", content: "192.0.2.1" }, 9006],
    ["CNAME to itself", { type: "CNAME", name: "x", content: "x.example.com" }, 9007],
    ["CNAME to an address", { type: "CNAME", name: "x", content: "192.0.2.1" }, 9007],
    ["name outside the zone", { type: "A", name: "www.example.org.", content: "192.0.2.1" }, 9000],
    ["name of the parent", { type: "A", name: "com.", content: "192.0.2.1" }, 9000],
    ["name with a space", { type: "A", name: "a b", content: "192.0.2.1" }, 9000],
    ["TXT over 2048", { type: "TXT", name: "x", content: "a".repeat(2049) }, 1004],
    ["TXT empty", { type: "TXT", name: "x", content: "" }, 1004],
    ["unknown type", { type: "BOGUS", name: "x", content: "1" }, 9004],
    ["SOA type", { type: "SOA", name: "@", content: "a. b. 1 2 3 4 5" }, 9004],
    ["no name", { type: "A", content: "192.0.2.1" }, 89104],
    ["comment not a string", { type: "A", name: "x", content: "192.0.2.1", comment: 5 }, 89104],
    ["tags not name:value", { type: "A", name: "x", content: "192.0.2.1", tags: ["x"] }, 89104],
    ["body an array", [{ type: "A", name: "x", content: "192.0.2.1" }], 89104],
  ];
  for (const [what, body, code] of cases) {
    await refused(t, l, "POST", R, body, code, `POST ${what}`);
  }
  const txtError = await refused(
    t,
    l,
    "POST",
    R,
    { type: "TXT", name: "x", content: "b".repeat(2049) },
    1004,
    "TXT over 2048 message",
  );
  t.equal(
    txtError.message,
    "Content for TXT record is invalid. Content must be 2,048 characters or less.",
  );
  const ttlError = await refused(
    t,
    l,
    "POST",
    R,
    { type: "A", name: "x", content: "192.0.2.1", ttl: 5 },
    9021,
    "TTL message",
  );
  t.equal(
    ttlError.message,
    "Invalid TTL. Must be between 30 and 86,400 seconds, or 1 for Automatic.",
  );
  const nameError = await refused(
    t,
    l,
    "POST",
    R,
    { type: "A", name: "a.example.net.", content: "192.0.2.1" },
    9000,
    "name message",
  );
  t.equal(nameError.message, "DNS name is invalid. a.example.net is not in the zone example.com.");

  const txt = await committed(
    t,
    l,
    "POST",
    R,
    { type: "TXT", name: "long", content: "c".repeat(2048) },
    "TXT of exactly 2048",
  );
  // Over 255 octets the text is cut into character-strings, shown quoted.
  t.equal(
    txt.content,
    Array.from({ length: 9 }, (_, i) => `"${"c".repeat(i < 8 ? 255 : 2048 - 8 * 255)}"`).join(" "),
    "nine quoted strings of 2048 characters in all",
  );
  // What GET returns must be accepted back (a PUT of the record as read, as Terraform does).
  const back = await call(l.app, "PUT", `${R}/${txt.id}`, {
    type: "TXT",
    name: "long",
    content: txt.content,
  });
  t.equal(back.status, 200, "a 2048-character TXT can be PUT back as GET shows it");
  for (const ttl of [30, 86400]) {
    const r = await committed(
      t,
      l,
      "POST",
      R,
      { type: "A", name: `ttl${ttl}`, content: "192.0.2.1", ttl },
      `TTL ${ttl}`,
    );
    t.equal(r.ttl, ttl);
  }

  // The same rules on PUT and PATCH.
  const item = `${R}/${www.id}`;
  await refused(t, l, "PATCH", item, { ttl: 10 }, 9021, "PATCH TTL");
  await refused(t, l, "PATCH", item, { content: "300.1.1.1" }, 9005, "PATCH content");
  await refused(t, l, "PATCH", item, { name: "www.example.net." }, 9000, "PATCH name");
  await refused(
    t,
    l,
    "PATCH",
    item,
    { type: "MX", content: "mx.example.com", priority: 1, proxied: true },
    9041,
    "PATCH proxied MX",
  );
  await refused(t, l, "PATCH", item, [], 89104, "PATCH an array");
  await refused(
    t,
    l,
    "PUT",
    item,
    { type: "A", name: "www", content: "192.0.2.1", ttl: 2 },
    9021,
    "PUT TTL",
  );
  await refused(
    t,
    l,
    "PUT",
    item,
    { name: "www", content: "192.0.2.1" },
    89104,
    "PUT without type",
  );
  await refused(
    t,
    l,
    "PUT",
    item,
    { type: "TXT", name: "www", content: "d".repeat(2049) },
    1004,
    "PUT TXT",
  );

  // A proxied record's TTL is automatic whatever was asked.
  const px = await committed(
    t,
    l,
    "POST",
    R,
    { type: "A", name: "px", content: "192.0.2.7", proxied: true, ttl: 3600 },
    "proxied with a TTL",
  );
  t.equal(px.ttl, 1);
  t.equal(px.proxied, true);
});

t.test("bodies that are not JSON: 6007 and 9207", async (t) => {
  const l = lab(t);
  const www = (await call(l.app, "GET", `${R}?name=www`)).body.result[0];
  for (const [method, url] of [
    ["POST", R],
    ["PUT", `${R}/${www.id}`],
    ["PATCH", `${R}/${www.id}`],
    ["POST", `${R}/batch`],
  ] as const) {
    for (const [what, contentType, payload, code] of [
      ["malformed JSON", "application/json", '{"type": "A", ', 6007],
      ["JSON with a trailing comma", "application/json", '{"type": "A",}', 6007],
      ["text/plain", "text/plain", '{"type":"A","name":"x","content":"192.0.2.1"}', 9207],
      ["form", "application/x-www-form-urlencoded", "type=A&name=x", 9207],
    ] as const) {
      const before = await state(l);
      const res = await l.app.inject({
        method,
        url: `${BASE}${url}`,
        headers: { "content-type": contentType },
        payload,
      });
      t.equal(res.statusCode, 400, `${method} ${url} ${what}`);
      t.equal(res.json().errors[0].code, code, `${method} ${url} ${what}`);
      t.same(await state(l), before, `${method} ${url} ${what}: nothing changed`);
    }
  }
  const e = await l.app.inject({
    method: "POST",
    url: `${BASE}${R}`,
    headers: { "content-type": "application/json" },
    payload: "{",
  });
  t.same(e.json().errors, [{ code: 6007, message: "Malformed JSON in request body" }]);
  const ct = await l.app.inject({
    method: "POST",
    url: `${BASE}${R}`,
    headers: { "content-type": "text/plain" },
    payload: "x",
  });
  t.same(ct.json().errors, [{ code: 9207, message: "Content-type must be application/json." }]);

  // No body at all is not a record.
  await refused(t, l, "POST", R, undefined, 89104, "POST without a body");
});

t.test("conflicts: 81053, 81054, 81056, 81057", async (t) => {
  const l = lab(t);
  const post = (body: unknown, what: string) => committed(t, l, "POST", R, body, what);

  // Below the apex, a CNAME is alone at its name.
  await post({ type: "CNAME", name: "alias", content: "target.example.net" }, "CNAME alias");
  await refused(
    t,
    l,
    "POST",
    R,
    { type: "A", name: "alias", content: "192.0.2.1" },
    81054,
    "A beside CNAME",
  );
  await refused(
    t,
    l,
    "POST",
    R,
    { type: "AAAA", name: "alias", content: "2001:db8::1" },
    81054,
    "AAAA beside CNAME",
  );
  await refused(
    t,
    l,
    "POST",
    R,
    { type: "CNAME", name: "alias", content: "other.example.net" },
    81054,
    "second CNAME",
  );
  await refused(
    t,
    l,
    "POST",
    R,
    { type: "TXT", name: "alias", content: "x" },
    81053,
    "TXT beside CNAME",
  );
  await refused(
    t,
    l,
    "POST",
    R,
    { type: "A", name: "ALIAS.example.com", content: "192.0.2.1" },
    81054,
    "A beside CNAME, other case",
  );

  await refused(
    t,
    l,
    "POST",
    R,
    { type: "CNAME", name: "www", content: "target.example.net" },
    81053,
    "CNAME beside A",
  );
  await post({ type: "TXT", name: "txt", content: "hello" }, "TXT");
  await refused(
    t,
    l,
    "POST",
    R,
    { type: "CNAME", name: "txt", content: "target.example.net" },
    81053,
    "CNAME beside TXT",
  );

  // The apex: SOA and NS are Cloudflare's, so a CNAME there is allowed and flattened...
  const apexCname = await post(
    { type: "CNAME", name: "@", content: "www.example.com" },
    "CNAME at the apex",
  );
  t.match(apexCname, { name: "example.com", type: "CNAME", content: "www.example.com" });
  t.same(served(l.zones, "example.com.", T.A), { ttl: 300, data: ["192.0.2.80"] }, "flattened");
  t.notOk(
    transferredTypes(zoneOf(l), "example.com.").includes(T.CNAME),
    "the apex CNAME is not transferred as a CNAME",
  );
  t.ok(transferredTypes(zoneOf(l), "example.com.").includes(T.A), "but as its target's A");
  // ...but no A beside it.
  await refused(
    t,
    l,
    "POST",
    R,
    { type: "A", name: "@", content: "192.0.2.1" },
    81054,
    "apex A beside apex CNAME",
  );

  // An apex A first: no apex CNAME after it.
  const l2 = lab(t);
  const R2 = R;
  t.equal(
    (await call(l2.app, "POST", R2, { type: "A", name: "@", content: "192.0.2.1" })).status,
    200,
  );
  await refused(
    t,
    l2,
    "POST",
    R2,
    { type: "CNAME", name: "@", content: "www.example.com" },
    81053,
    "apex CNAME beside apex A",
  );

  // NS below the apex (a delegation) shares its name with nothing but DS.
  await post({ type: "NS", name: "sub", content: "ns.other.net" }, "NS sub");
  await post({ type: "NS", name: "sub", content: "ns2.other.net" }, "second NS sub");
  await refused(
    t,
    l,
    "POST",
    R,
    { type: "A", name: "sub", content: "192.0.2.1" },
    81056,
    "A beside NS",
  );
  await refused(
    t,
    l,
    "POST",
    R,
    { type: "TXT", name: "sub", content: "x" },
    81056,
    "TXT beside NS",
  );
  await post(
    {
      type: "DS",
      name: "sub",
      data: {
        key_tag: 12345,
        algorithm: 13,
        digest_type: 2,
        digest: "D2ABDE240D7CD3EE6B4B28C54DF034B97983A1D16E8A410E4561CB106618E971",
      },
    },
    "DS beside NS",
  );
  await refused(
    t,
    l,
    "POST",
    R,
    { type: "NS", name: "www", content: "ns.other.net" },
    81056,
    "NS beside A",
  );
  await refused(
    t,
    l,
    "POST",
    R,
    { type: "NS", name: "txt", content: "ns.other.net" },
    81056,
    "NS beside TXT",
  );
  // At the apex, NS beside anything is normal.
  await post({ type: "NS", name: "@", content: "ns.other-provider.net" }, "apex NS");

  // Exact duplicates, however the name and content are spelt.
  await refused(
    t,
    l,
    "POST",
    R,
    { type: "A", name: "www", content: "192.0.2.80" },
    81057,
    "duplicate A",
  );
  await refused(
    t,
    l,
    "POST",
    R,
    { type: "A", name: "WWW.Example.COM.", content: "192.0.2.80" },
    81057,
    "duplicate A, other case",
  );
  await refused(
    t,
    l,
    "POST",
    R,
    { type: "TXT", name: "txt", content: "hello" },
    81057,
    "duplicate TXT",
  );
  await refused(
    t,
    l,
    "POST",
    R,
    { type: "NS", name: "sub", content: "ns.other.net." },
    81057,
    "duplicate NS",
  );
  await post({ type: "AAAA", name: "v6", content: "2001:db8::1" }, "AAAA");
  await refused(
    t,
    l,
    "POST",
    R,
    { type: "AAAA", name: "v6", content: "2001:0db8:0:0:0:0:0:1" },
    81057,
    "duplicate AAAA, long form",
  );

  // PUT and PATCH onto another record's data, or beside a CNAME, are conflicts too.
  const txt = (await call(l.app, "GET", `${R}?name=txt`)).body.result[0];
  const two = await post({ type: "TXT", name: "txt", content: "second" }, "second TXT");
  await refused(
    t,
    l,
    "PATCH",
    `${R}/${two.id}`,
    { content: "hello" },
    81057,
    "PATCH onto a duplicate",
  );
  await refused(
    t,
    l,
    "PUT",
    `${R}/${two.id}`,
    { type: "TXT", name: "txt", content: "hello" },
    81057,
    "PUT onto a duplicate",
  );
  await refused(
    t,
    l,
    "PATCH",
    `${R}/${txt.id}`,
    { name: "alias" },
    81053,
    "PATCH a TXT beside a CNAME",
  );
  await refused(
    t,
    l,
    "PATCH",
    `${R}/${txt.id}`,
    { type: "CNAME", content: "x.example.net" },
    81053,
    "PATCH into a CNAME beside a TXT",
  );

  // A record edited in place is not a conflict with itself.
  const same = await committed(
    t,
    l,
    "PATCH",
    `${R}/${txt.id}`,
    { content: "hello" },
    "PATCH to the same content",
  );
  t.equal(same.id, txt.id);
  // Moving the only TXT away frees the name for a CNAME.
  await committed(t, l, "DELETE", `${R}/${two.id}`, undefined, "DELETE second TXT");
  await committed(
    t,
    l,
    "PATCH",
    `${R}/${txt.id}`,
    { type: "CNAME", content: "x.example.net" },
    "PATCH the TXT into a CNAME",
  );
});

t.test("what is served: proxied names, CAA", async (t) => {
  const l = lab(t);
  const z = zoneOf(l);
  const { ipv4, ipv6 } = l.zones.profile(z).anycast;

  const px = await committed(
    t,
    l,
    "POST",
    R,
    { type: "A", name: "px", content: "192.0.2.20", proxied: true },
    "proxied A",
  );
  t.same(
    served(l.zones, "px.example.com.", T.A),
    { ttl: 300, data: [...ipv4].sort() },
    "two anycast A",
  );
  t.same(
    served(l.zones, "px.example.com.", T.AAAA),
    { ttl: 300, data: [...ipv6].sort() },
    "two anycast AAAA",
  );
  t.equal(ipv4.length, 2);
  t.equal(new Set(ipv4).size, 2);
  t.equal(new Set(ipv6).size, 2);
  t.notOk(ipv4.includes("192.0.2.20"), "never the origin address");
  const txA = z.transferSets("px.example.com.").find((s) => s.type === T.A)!;
  t.same(
    txA.rdata.map((r) => rdataToText(T.A, Buffer.from(r, "latin1"))).sort(),
    [...ipv4].sort(),
    "the transfer carries the anycast pair too",
  );

  await committed(t, l, "PATCH", `${R}/${px.id}`, { proxied: false }, "proxied off");
  t.same(
    served(l.zones, "px.example.com.", T.A),
    { ttl: 300, data: ["192.0.2.20"] },
    "origin address",
  );
  t.equal(served(l.zones, "px.example.com.", T.AAAA), undefined, "no AAAA");
  await committed(t, l, "PATCH", `${R}/${px.id}`, { proxied: true }, "proxied on again");
  t.same(served(l.zones, "px.example.com.", T.A), { ttl: 300, data: [...ipv4].sort() });

  // A proxied CNAME serves the anycast addresses too, not the CNAME.
  await committed(
    t,
    l,
    "POST",
    R,
    { type: "CNAME", name: "pc", content: "origin.example.net", proxied: true },
    "proxied CNAME",
  );
  t.same(served(l.zones, "pc.example.com.", T.A), { ttl: 300, data: [...ipv4].sort() });
  t.equal(served(l.zones, "pc.example.com.", T.CNAME), undefined);

  // settings.ipv4_only keeps the A pair only.
  await committed(
    t,
    l,
    "POST",
    R,
    { type: "A", name: "v4", content: "192.0.2.21", proxied: true, settings: { ipv4_only: true } },
    "proxied A, ipv4_only",
  );
  t.same(served(l.zones, "v4.example.com.", T.A), { ttl: 300, data: [...ipv4].sort() });
  t.equal(served(l.zones, "v4.example.com.", T.AAAA), undefined, "no AAAA pair");

  // CAA: answered, never transferred.
  const caa = await committed(
    t,
    l,
    "POST",
    R,
    { type: "CAA", name: "@", data: { flags: 0, tag: "issue", value: "letsencrypt.org" } },
    "CAA",
  );
  t.match(caa, {
    type: "CAA",
    name: "example.com",
    data: { flags: 0, tag: "issue", value: "letsencrypt.org" },
  });
  t.same(served(l.zones, "example.com.", T.CAA), { ttl: 300, data: ['0 issue "letsencrypt.org"'] });
  t.notOk(transferredTypes(z, "example.com.").includes(T.CAA), "CAA stays out of transfers");
  t.ok(
    z.apex.get(T.CAA) !== undefined && transferredTypes(z, "example.com.").includes(T.SOA),
    "served at the apex, the rest of the apex still transferred",
  );
  t.notOk(
    z.journal.since(z.serial - 1)?.[0]?.added.some((r) => r.type === T.CAA),
    "the journal (IXFR) does not carry it either",
  );
});

/* ------------------------------------------------------------------------------------------ */

t.test("list: filters, order, paging", async (t) => {
  const l = lab(t);
  const { app } = l;
  const post = async (body: unknown) => {
    const r = await call(app, "POST", R, body);
    t.equal(r.status, 200, JSON.stringify(body));
    return r.body.result;
  };
  const a1 = await post({
    type: "A",
    name: "api",
    content: "192.0.2.10",
    ttl: 3600,
    comment: "Primary API",
    tags: ["env:prod", "team:core"],
  });
  const a2 = await post({
    type: "AAAA",
    name: "api",
    content: "2001:db8::10",
    proxied: true,
    tags: ["env:staging"],
  });
  const a3 = await post({ type: "TXT", name: "@", content: "v=spf1 -all", comment: "spf" });
  const a4 = await post({
    type: "MX",
    name: "@",
    content: "mail.example.com",
    priority: 10,
    ttl: 600,
  });
  const a5 = await post({
    type: "CNAME",
    name: "docs",
    content: "api.example.com",
    tags: ["team:docs"],
  });
  const a6 = await post({ type: "A", name: "mail", content: "192.0.2.25" });
  // The file: apex NS ×2, ns1 A, ns2 A, www A.
  const TOTAL = 11;

  // biome-ignore lint/suspicious/noExplicitAny: list entries are checked field by field
  const list = async (q: string): Promise<any[]> => {
    const r = await call(app, "GET", `${R}${q === "" ? "" : `?${q}`}`);
    t.equal(r.status, 200, q);
    t.equal(r.body.success, true, q);
    return r.body.result;
  };
  const keys = (rs: Array<{ name: string; type: string; content: string }>) =>
    rs.map((r) => `${r.name} ${r.type} ${r.content}`).sort();
  const ids = async (q: string) => (await list(q)).map((r) => r.id).sort();
  const sameIds = async (q: string, want: Array<{ id: string }>) =>
    t.same(await ids(q), want.map((r) => r.id).sort(), q);

  const all = await list("");
  t.equal(all.length, TOTAL);
  for (const r of all) {
    t.match(r.id, HEX32);
    t.equal(r.zone_id, COM);
    t.equal(r.zone_name, "example.com");
    t.notOk(r.name.endsWith("."), "names without the trailing dot");
  }

  // type
  t.same(keys(await list("type=A")), [
    "api.example.com A 192.0.2.10",
    "mail.example.com A 192.0.2.25",
    "ns1.example.com A 192.0.2.53",
    "ns2.example.com A 192.0.2.54",
    "www.example.com A 192.0.2.80",
  ]);
  t.equal((await list("type=aaaa")).length, 1, "type in any case");
  t.equal((await list("type=SRV")).length, 0, "a type with no records");

  // name: relative, absolute, with the dot, "@", operators
  await sameIds("name=api", [a1, a2]);
  await sameIds("name=api.example.com", [a1, a2]);
  await sameIds("name=api.example.com.", [a1, a2]);
  await sameIds("name=API.Example.com", [a1, a2]);
  t.same(keys(await list("name=@")), [
    "example.com MX mail.example.com",
    "example.com NS ns1.example.com",
    "example.com NS ns2.example.com",
    "example.com TXT v=spf1 -all",
  ]);
  await sameIds("name=example.com", [...(await list("name=@"))]);
  await sameIds("name=nothing", []);
  await sameIds("name.contains=ap", [a1, a2]);
  t.equal((await list("name.startswith=ns")).length, 2);
  t.equal((await list("name.endswith=.example.com")).length, 7, "every name below the apex");
  t.equal((await list("name.endswith=example.com")).length, TOTAL);
  await sameIds("name.exact=docs", [a5]);
  await sameIds("name.exact=docs.example.com", [a5]);

  // content
  t.equal((await list("content=192.0.2.80")).length, 1);
  await sameIds("content.contains=192.0.2.", [
    a1,
    a6,
    ...(await list("name.startswith=ns&type=A")),
    ...(await list("name=www")),
  ]);
  await sameIds("content.startswith=2001", [a2]);
  t.same(keys(await list("content.endswith=.com")), [
    "docs.example.com CNAME api.example.com",
    "example.com MX mail.example.com",
    "example.com NS ns1.example.com",
    "example.com NS ns2.example.com",
  ]);
  await sameIds("content.exact=V=SPF1 -ALL", [a3]);
  await sameIds("content=v%3Dspf1%20-all", [a3]);

  // proxied
  await sameIds("proxied=true", [a2]);
  t.equal((await list("proxied=false")).length, TOTAL - 1);

  // comment
  await sameIds("comment=spf", [a3]);
  await sameIds("comment.contains=api", [a1]);
  await sameIds("comment.startswith=Prim", [a1]);
  await sameIds("comment.endswith=API", [a1]);
  await sameIds("comment.exact=SPF", [a3]);
  await sameIds("comment.present", [a1, a3]);
  await sameIds("comment.present=true", [a1, a3]);
  t.equal((await list("comment.absent")).length, TOTAL - 2);

  // tags
  await sameIds("tag=env", [a1, a2]);
  await sameIds("tag=env:prod", [a1]);
  await sameIds("tag=env:nope", []);
  await sameIds("tag.present=team", [a1, a5]);
  t.equal((await list("tag.absent=env")).length, TOTAL - 2);
  t.notOk((await ids("tag.absent=env")).includes(a1.id));
  await sameIds("tag.contains=env:sta", [a2]);
  await sameIds("tag.startswith=team:co", [a1]);
  await sameIds("tag.endswith=team:ocs", [a5]);
  await sameIds("tag.exact=env:prod", [a1]);
  await sameIds("tag.present=team&tag.exact=env:staging", []);
  await sameIds("tag.present=team&tag.exact=env:staging&tag_match=all", []);
  await sameIds("tag.present=team&tag.exact=env:staging&tag_match=any", [a1, a2, a5]);
  await sameIds("tag.present=team&tag=env", [a1]);

  // search: name, content, comment and tags
  await sameIds("search=api", [a1, a2, a5]);
  await sameIds("search=core", [a1]);
  await sameIds("search=spf1", [a3]);

  // match
  await sameIds("type=MX&name=docs", []);
  await sameIds("type=MX&name=docs&match=all", []);
  await sameIds("type=MX&name=docs&match=any", [a4, a5]);
  await sameIds("type=A&name=api", [a1]);
  await sameIds("type=A&name=mail&proxied=false", [a6]);

  // order and direction: each key, both ways
  const cmp = (a: string | number | boolean, b: string | number | boolean) =>
    a < b ? -1 : a > b ? 1 : 0;
  const orderKey: Record<string, (r: { [k: string]: unknown }) => string | number> = {
    type: (r) => r.type as string,
    name: (r) => r.name as string,
    content: (r) => r.content as string,
    ttl: (r) => r.ttl as number,
    proxied: (r) => Number(r.proxied),
  };
  for (const [order, key] of Object.entries(orderKey)) {
    for (const dir of ["asc", "desc"] as const) {
      const rs = await list(`order=${order}&direction=${dir}`);
      t.equal(rs.length, TOTAL);
      const ok = rs.every(
        (r, i) => i === 0 || cmp(key(rs[i - 1]), key(r)) * (dir === "asc" ? 1 : -1) <= 0,
      );
      t.ok(ok, `order=${order}&direction=${dir}`);
    }
  }
  const byName = await list("");
  t.ok(
    byName.every((r, i) => i === 0 || cmp(byName[i - 1].name, r.name) <= 0),
    "default order: by name",
  );
  t.same(
    byName.filter((r) => r.name === "api.example.com").map((r) => r.type),
    ["A", "AAAA"],
    "then by type",
  );
  t.same(await list("order=name"), byName, "order=name is the default");
  t.same(await list("direction=desc"), [...byName].reverse(), "desc reverses");
  t.equal((await list("order=proxied&direction=desc"))[0].id, a2.id);
  t.equal((await list("order=ttl&direction=desc"))[0].id, a1.id, "3600 first");
  t.equal((await list("order=type"))[0].type, "A");
  t.equal((await list("order=type&direction=desc"))[0].type, "TXT");

  // paging
  const p1 = await call(app, "GET", `${R}?per_page=4`);
  t.equal(p1.body.result.length, 4);
  t.same(p1.body.result_info, {
    page: 1,
    per_page: 4,
    count: 4,
    total_count: TOTAL,
    total_pages: 3,
  });
  const p3 = await call(app, "GET", `${R}?per_page=4&page=3`);
  t.same(p3.body.result_info, {
    page: 3,
    per_page: 4,
    count: 3,
    total_count: TOTAL,
    total_pages: 3,
  });
  const pages = [
    ...p1.body.result,
    ...(await call(app, "GET", `${R}?per_page=4&page=2`)).body.result,
    ...p3.body.result,
  ];
  t.same(pages, byName, "pages follow the order without gaps or repeats");
  const past = await call(app, "GET", `${R}?per_page=4&page=4`);
  t.equal(past.status, 200, "past the end is not an error");
  t.same(past.body.result, []);
  t.same(past.body.result_info, {
    page: 4,
    per_page: 4,
    count: 0,
    total_count: TOTAL,
    total_pages: 3,
  });
  t.same((await call(app, "GET", `${R}?page=99`)).body.result, []);
  const filtered = await call(app, "GET", `${R}?type=A&per_page=2&page=3`);
  t.same(filtered.body.result_info, {
    page: 3,
    per_page: 2,
    count: 1,
    total_count: 5,
    total_pages: 3,
  });
  const big = await call(app, "GET", `${R}?per_page=100000`);
  t.equal(big.body.result_info.per_page, 5000, "per_page is capped");
  t.same((await call(app, "GET", R)).body.result_info.per_page, 100, "default per_page");

  // bad query values: 400, never a silent default
  for (const q of [
    "type=BOGUS",
    "type=A&type=AAAA",
    "name=a&name=b",
    "proxied=yes",
    "proxied=1",
    "order=priority",
    "order=id",
    "direction=up",
    "match=some",
    "tag_match=none",
    "page=0",
    "page=-1",
    "page=abc",
    "per_page=0",
    "per_page=1.5",
  ]) {
    const r = await call(app, "GET", `${R}?${q}`);
    t.equal(r.status, 400, q);
    t.equal(r.body.success, false, q);
    t.equal(r.body.errors[0].code, 89102, q);
  }
});

/* ------------------------------------------------------------------------------------------ */

t.test("batch: order, one serial, all or nothing", async (t) => {
  const l = lab(t);
  const { app } = l;
  const B = `${R}/batch`;
  const post = async (body: unknown) => (await call(app, "POST", R, body)).body.result;

  // Delete a record and post the same one again, in one batch.
  const a = await post({ type: "A", name: "b1", content: "192.0.2.1" });
  const res = await committed(
    t,
    l,
    "POST",
    B,
    {
      deletes: [{ id: a.id }],
      posts: [{ type: "A", name: "b1", content: "192.0.2.1", comment: "again" }],
    },
    "delete and post the same",
  );
  t.equal(res.deletes.length, 1);
  t.same(res.deletes[0].id, a.id);
  t.same(res.patches, []);
  t.same(res.puts, []);
  t.match(res.posts, [
    { name: "b1.example.com", type: "A", content: "192.0.2.1", comment: "again", zone_id: COM },
  ]);
  t.match(res.posts[0].id, HEX32);

  // A post that conflicts only with a record deleted in the same batch.
  const c = await post({ type: "CNAME", name: "c1", content: "target.example.net" });
  await refused(
    t,
    l,
    "POST",
    B,
    { posts: [{ type: "A", name: "c1", content: "192.0.2.3" }] },
    81054,
    "conflict without the delete",
  );
  await committed(
    t,
    l,
    "POST",
    B,
    { posts: [{ type: "A", name: "c1", content: "192.0.2.3" }], deletes: [{ id: c.id }] },
    "conflict with a deleted record",
  );
  t.same(served(l.zones, "c1.example.com.", T.A), { ttl: 300, data: ["192.0.2.3"] });

  // deletes → patches → puts → posts: each step sees the ones before it.
  const x = await post({ type: "A", name: "o1", content: "192.0.2.5" });
  const y = await post({ type: "A", name: "o1", content: "192.0.2.7" });
  const z = await post({ type: "A", name: "o1", content: "192.0.2.9" });
  const ordered = await committed(
    t,
    l,
    "POST",
    B,
    {
      // Listed out of order on purpose: the execution order is fixed.
      posts: [{ type: "A", name: "o1", content: "192.0.2.7" }],
      puts: [{ id: y.id, type: "A", name: "o1", content: "192.0.2.5" }],
      patches: [{ id: x.id, content: "192.0.2.9" }],
      deletes: [{ id: z.id }],
    },
    "deletes, patches, puts, posts",
  );
  t.equal(ordered.patches[0].id, x.id);
  t.equal(ordered.patches[0].content, "192.0.2.9");
  t.equal(ordered.puts[0].id, y.id);
  t.equal(ordered.puts[0].content, "192.0.2.5");
  t.equal(ordered.posts[0].content, "192.0.2.7");
  t.same(served(l.zones, "o1.example.com.", T.A), {
    ttl: 300,
    data: ["192.0.2.5", "192.0.2.7", "192.0.2.9"],
  });

  // All or nothing: a failing post leaves the earlier deletes and patches undone.
  const keep = await post({ type: "TXT", name: "keep", content: "k" });
  const e = await refused(
    t,
    l,
    "POST",
    B,
    {
      deletes: [{ id: keep.id }],
      patches: [{ id: x.id, content: "192.0.2.99" }],
      posts: [
        { type: "A", name: "n1", content: "192.0.2.1" },
        { type: "A", name: "n2", content: "192.0.2.1" },
        { type: "A", name: "www", content: "192.0.2.80" },
      ],
    },
    81057,
    "third post a duplicate",
  );
  t.equal(e.message, "posts[2]: Record already exists.");
  t.equal((await call(app, "GET", `${R}/${keep.id}`)).status, 200, "the delete was undone");
  t.equal((await call(app, "GET", `${R}?name=n1`)).body.result.length, 0, "no earlier post");

  const named: Array<[string, unknown, number, string]> = [
    ["unknown delete", { deletes: [{ id: MISSING }] }, 81044, "deletes[0]: Record does not exist."],
    [
      "delete twice",
      { deletes: [{ id: keep.id }, { id: keep.id }] },
      81044,
      "deletes[1]: Record does not exist.",
    ],
    [
      "patch a deleted record",
      { deletes: [{ id: keep.id }], patches: [{ id: keep.id, content: "z" }] },
      81044,
      "patches[0]: Record does not exist.",
    ],
    [
      "bad TTL in the second patch",
      {
        patches: [
          { id: keep.id, content: "z" },
          { id: x.id, ttl: 7 },
        ],
      },
      9021,
      "patches[1]: Invalid TTL. Must be between 30 and 86,400 seconds, or 1 for Automatic.",
    ],
    [
      "put without a type",
      { puts: [{ id: x.id, name: "o1", content: "192.0.2.1" }] },
      89104,
      "puts[0]: type is required",
    ],
    [
      "proxied MX post",
      { posts: [{ type: "MX", name: "@", content: "mx.example.com", priority: 1, proxied: true }] },
      9041,
      "posts[0]: Invalid proxied mode. Record cannot be proxied",
    ],
    [
      "two equal posts",
      {
        posts: [
          { type: "TXT", name: "d", content: "d" },
          { type: "TXT", name: "d", content: "d" },
        ],
      },
      81057,
      "posts[1]: Record already exists.",
    ],
  ];
  for (const [what, body, code, message] of named) {
    const err = await refused(t, l, "POST", B, body, code, what, code === 81044 ? 404 : 400);
    t.equal(err.message, message, `${what}: message names the operation`);
  }

  // The body's shape.
  for (const [what, body] of [
    ["an array", [{ deletes: [] }]],
    ["a string", "deletes"],
    ["null", null],
    ["deletes not an array", { deletes: { id: keep.id } }],
    ["a post not an object", { posts: [1] }],
    ["a delete without id", { deletes: [{}] }],
    ["a patch without id", { patches: [{ content: "x" }] }],
    ["a put with a numeric id", { puts: [{ id: 5, type: "A", name: "x", content: "192.0.2.1" }] }],
    ["an unknown key", { deletes: [], inserts: [] }],
  ] as const) {
    await refused(t, l, "POST", B, body, 89104, `batch ${what}`);
  }
  await refused(t, l, "POST", B, undefined, 89104, "batch without a body");

  // More than 3500 operations: 400 before anything is looked at.
  const posts = Array.from({ length: 3501 }, (_, i) => ({
    type: "TXT",
    name: `n${i}`,
    content: "x",
  }));
  const tooMany = await refused(t, l, "POST", B, { posts }, 89104, "3501 operations");
  t.match(tooMany.message, /3500/);
  const mixed = await refused(
    t,
    l,
    "POST",
    B,
    { deletes: Array.from({ length: 3000 }, () => ({ id: MISSING })), posts: posts.slice(0, 501) },
    89104,
    "3501 operations of two kinds",
  );
  t.match(mixed.message, /3500/);
  // Exactly 3500: one serial for all of them.
  const max = await committed(t, l, "POST", B, { posts: posts.slice(0, 3500) }, "3500 posts");
  t.equal(max.posts.length, 3500);
  t.equal(
    (await call(app, "GET", `${R}?name.startswith=n&type=TXT&per_page=1`)).body.result_info
      .total_count,
    3500,
  );

  // An empty batch changes nothing.
  for (const body of [{}, { deletes: [], patches: [], puts: [], posts: [] }]) {
    const before = await state(l);
    const r = await call(app, "POST", B, body);
    t.equal(r.status, 200);
    t.same(r.body.result, { deletes: [], patches: [], puts: [], posts: [] });
    t.same(await state(l), before, "empty batch: no new serial");
  }
});

t.test("known gaps: RRset TTLs and the case of names in content", async (t) => {
  // An RRset has one TTL (RFC 2181 §5.2): the newest record's TTL applies to the set. What
  // the API shows for each record must then be what is served (1 = automatic = 300).
  const l = lab(t);
  const shownAs = (ttl: number) => (ttl === 1 ? 300 : ttl);
  const a = await committed(
    t,
    l,
    "POST",
    R,
    { type: "A", name: "set", content: "192.0.2.1" },
    "A auto",
  );
  const b = await committed(
    t,
    l,
    "POST",
    R,
    { type: "A", name: "set", content: "192.0.2.2", ttl: 120 },
    "A ttl 120",
  );
  t.equal(b.ttl, 120);
  t.equal(served(l.zones, "set.example.com.", T.A)?.ttl, 120, "the set is served with 120");
  const aNow = (await call(l.app, "GET", `${R}/${a.id}`)).body.result;
  t.equal(shownAs(aNow.ttl), 120, "the first record shows the TTL it is served with");
  await committed(t, l, "DELETE", `${R}/${b.id}`, undefined, "DELETE the 120 record");
  const aAfter = (await call(l.app, "GET", `${R}/${a.id}`)).body.result;
  t.equal(
    served(l.zones, "set.example.com.", T.A)?.ttl,
    shownAs(aAfter.ttl),
    "after the other record is gone, the remaining one is served with the TTL it shows",
  );

  // Names inside RDATA compare without regard to case (RFC 4343 §3, RFC 4034 §6.2): NS
  // "NS.Other.net" is the record "ns.other.net" again.
  const l2 = lab(t);
  await committed(t, l2, "POST", R, { type: "NS", name: "sub", content: "ns.other.net" }, "NS");
  const dup = await call(l2.app, "POST", R, { type: "NS", name: "sub", content: "NS.Other.net" });
  t.equal(dup.status, 400, "an NS differing only in case is a duplicate");
  t.equal(dup.body.errors?.[0]?.code, 81057, "81057");
  // Another type beside an apex CNAME: refused (nothing changes), but by the zone layer's
  // own check rather than the conflict rules, so with 1004 and the zone's wording, and in a
  // batch without the operation's name.
  const l3 = lab(t);
  await committed(
    t,
    l3,
    "POST",
    R,
    { type: "CNAME", name: "@", content: "www.example.com" },
    "apex CNAME",
  );
  const v3 = version(l3);
  const txt = await call(l3.app, "POST", R, { type: "TXT", name: "@", content: "x" });
  t.equal(txt.status, 400, "TXT beside the apex CNAME is refused");
  t.same(version(l3), v3, "nothing changed");
  t.equal(txt.body.errors[0].code, 81053, "with Cloudflare's conflict code");
  const batch = await call(l3.app, "POST", `${R}/batch`, {
    posts: [
      { type: "A", name: "q", content: "192.0.2.1" },
      { type: "MX", name: "@", content: "mx.example.com", priority: 1 },
    ],
  });
  t.equal(batch.status, 400);
  t.same(version(l3), v3, "the batch changed nothing");
  t.match(batch.body.errors[0].message, /^posts\[1\]: /, "the message names the operation");
});
