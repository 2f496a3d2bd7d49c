import t from "tap";
import { zoneId } from "../../src/cloudflare/transfer/settings.js";
import { T } from "../../src/wire/types.js";
import { zoneFromText } from "../../src/zone/load.js";
import { ACCOUNT, call, lab, T0, zoneText } from "./fixture.js";

const ORIGINS = ["b.example.", "a.example.", "c.example.", "d.test.", "e.example."];

t.test("accounts: the one account, paged; another id is 404 7003", async (t) => {
  const { app } = lab(t);
  const list = await call(app, "GET", "/accounts");
  t.equal(list.status, 200);
  t.same(list.body, {
    success: true,
    errors: [],
    messages: [],
    result: [{ id: ACCOUNT.id, name: ACCOUNT.name, type: "standard" }],
    result_info: { page: 1, per_page: 20, count: 1, total_count: 1, total_pages: 1 },
  });
  const page2 = await call(app, "GET", "/accounts?page=2");
  t.same(page2.body.result, [], "past the end: an empty page");
  const one = await call(app, "GET", `/accounts/${ACCOUNT.id}`);
  t.same(one.body.result, { id: ACCOUNT.id, name: ACCOUNT.name, type: "standard" });
  const other = await call(app, "GET", "/accounts/ffffffffffffffffffffffffffffffff");
  t.equal(other.status, 404);
  t.same(other.body.errors, [
    {
      code: 7003,
      message:
        "Could not route to /client/v4/accounts/ffffffffffffffffffffffffffffffff, perhaps your object identifier is invalid?",
    },
  ]);
});

t.test("GET /zones/{id}: Cloudflare's zone object, id derived from the name", async (t) => {
  const { app } = lab(t);
  const id = zoneId("example.com.");
  const r = await call(app, "GET", `/zones/${id}`);
  t.equal(r.status, 200);
  t.same(r.body.result, {
    id,
    name: "example.com",
    status: "active",
    paused: false,
    type: "full",
    development_mode: 0,
    name_servers: ["ns1.example.com", "ns2.example.com"],
    original_name_servers: null,
    original_registrar: null,
    original_dnshost: null,
    account: ACCOUNT,
    created_on: T0.toISOString(),
    modified_on: T0.toISOString(),
    activated_on: T0.toISOString(),
  });
  for (const bad of ["00000000000000000000000000000000", "example.com", id.toUpperCase()]) {
    const miss = await call(app, "GET", `/zones/${bad}`);
    t.equal(miss.status, 404, bad);
    t.equal(miss.body.errors[0].code, 7003, bad);
  }
});

t.test("a zone name where a zone id belongs: Cloudflare's 7003, then a hint", async (t) => {
  const { app } = lab(t);
  const id = zoneId("example.com.");
  const served = await call(app, "GET", "/zones/example.com/dns_records");
  t.equal(served.status, 404);
  t.same(served.body.errors, [
    {
      code: 7003,
      message: `Could not route to /client/v4/zones/example.com/dns_records, perhaps your object identifier is invalid? Hint: example.com is a zone name, not an id: its id is ${id} (GET /zones?name=example.com finds a zone's id).`,
    },
  ]);
  const dotted = await call(app, "GET", "/zones/Example.COM./dns_settings");
  t.match(dotted.body.errors[0].message, `its id is ${id}`, "any case, trailing dot");
  const unknown = await call(app, "GET", "/zones/nowhere.test/dns_records");
  t.match(
    unknown.body.errors[0].message,
    /invalid\? Hint: a zone id is 32 hexadecimal digits, not a name \(GET \/zones\?name=nowhere\.test finds a zone's id\)\.$/,
  );
  const broken = await call(app, "GET", `/zones/a..b/dns_records`);
  t.equal(broken.status, 404, "not even a name: still 7003");
  t.match(broken.body.errors[0].message, /Hint: a zone id is 32 hexadecimal digits/);
  // An id-shaped miss keeps Cloudflare's sentence alone.
  const miss = await call(app, "GET", `/zones/${"0".repeat(32)}`);
  t.match(miss.body.errors[0].message, /invalid\?$/);
});

t.test("zones follow the live ZoneSet: added, changed, removed", async (t) => {
  let now = T0;
  const { app, zones } = lab(t, { now: () => now });
  const id = zoneId("late.example.");
  t.equal((await call(app, "GET", `/zones/${id}`)).status, 404);
  const late = () =>
    zoneFromText(zoneText("late.example."), { file: "late.zone", renderer: zones.renderer }).zone;
  zones.add(late());
  now = new Date("2024-05-02T00:00:00.000Z");
  const added = await call(app, "GET", `/zones/${id}`);
  t.equal(added.status, 200, "a zone added later is found");
  t.equal(added.body.result.created_on, now.toISOString());

  now = new Date("2024-05-03T00:00:00.000Z");
  const com = zones.set.get("example.com.")!;
  com.commit({
    add: [{ name: "x.example.com.", type: T.A, ttl: 60, rdata: new Uint8Array([192, 0, 2, 1]) }],
  });
  const changed = await call(app, "GET", `/zones/${zoneId("example.com.")}`);
  t.equal(changed.body.result.created_on, T0.toISOString());
  t.equal(changed.body.result.modified_on, now.toISOString(), "modified_on moves on a change");

  zones.remove(zones.set.get("late.example.")!);
  t.equal((await call(app, "GET", `/zones/${id}`)).status, 404, "a removed zone is gone");
  zones.add(late());
  t.equal((await call(app, "GET", `/zones/${id}`)).status, 200, "and back with the same id");
});

t.test("GET /zones: sorted by name, paged, result: [] past the end", async (t) => {
  const { app } = lab(t, { origins: ORIGINS });
  const all = await call(app, "GET", "/zones");
  t.same(
    all.body.result.map((z: { name: string }) => z.name),
    ["a.example", "b.example", "c.example", "d.test", "e.example"].sort(),
  );
  t.same(all.body.result_info, { page: 1, per_page: 20, count: 5, total_count: 5, total_pages: 1 });

  const p2 = await call(app, "GET", "/zones?per_page=2&page=2");
  t.same(
    p2.body.result.map((z: { name: string }) => z.name),
    ["c.example", "d.test"],
  );
  t.same(p2.body.result_info, { page: 2, per_page: 2, count: 2, total_count: 5, total_pages: 3 });
  const p3 = await call(app, "GET", "/zones?per_page=2&page=3");
  t.equal(p3.body.result.length, 1);
  const past = await call(app, "GET", "/zones?per_page=2&page=4");
  t.equal(past.status, 200);
  t.same(past.body.result, []);
  t.same(past.body.result_info, { page: 4, per_page: 2, count: 0, total_count: 5, total_pages: 3 });

  const capped = await call(app, "GET", "/zones?per_page=500");
  t.equal(capped.body.result_info.per_page, 50, "per_page is at most 50");

  const desc = await call(app, "GET", "/zones?direction=desc&per_page=1");
  t.equal(desc.body.result[0].name, "e.example");

  for (const q of [
    "page=0",
    "page=x",
    "per_page=-1",
    "per_page=1.5",
    "direction=up",
    "page=1&page=2",
  ]) {
    const r = await call(app, "GET", `/zones?${q}`);
    t.equal(r.status, 400, q);
    t.equal(r.body.errors[0].code, 89102, q);
  }
});

t.test("GET /zones: filters", async (t) => {
  const { app } = lab(t, { origins: ORIGINS });
  const names = async (q: string) =>
    (await call(app, "GET", `/zones?${q}`)).body.result.map((z: { name: string }) => z.name);
  t.same(await names("name=c.example"), ["c.example"]);
  t.same(await names("name=C.Example."), ["c.example"], "case-insensitive, trailing dot ok");
  t.same(await names("name=nothing.example"), []);
  t.same(await names("name=ends_with:.test"), ["d.test"]);
  t.same(await names("name=starts_with:a"), ["a.example"]);
  t.same(await names("name=contains:example&per_page=2"), ["a.example", "b.example"]);
  t.same(await names("name=not_equal:a.example&per_page=1"), ["b.example"]);
  t.same(await names("name=contains_case_sensitive:EXAMPLE"), []);
  t.same(await names("status=active&per_page=1"), ["a.example"]);
  t.same(await names("status=pending"), []);
  t.same(await names(`account.id=${ACCOUNT.id}&per_page=1`), ["a.example"]);
  t.same(await names("account.id=ffffffffffffffffffffffffffffffff"), []);
  t.same(await names("account.name=Lab%20account&per_page=1"), ["a.example"]);
  t.same(await names("type=full&type=secondary&per_page=1"), ["a.example"]);
  t.same(await names("type=secondary"), []);
  t.same(await names("type=partial,full&per_page=1"), ["a.example"], "comma-separated types");
  t.same(await names("account.name=contains:lab&per_page=1"), ["a.example"], "operators too");
  t.same(await names("account.name=starts_with:other"), []);
  // match=any: one filter that holds is enough; match=all (the default): every one must.
  t.same(await names("name=c.example&status=pending"), []);
  t.same(await names("name=c.example&status=pending&match=any"), ["c.example"]);
  t.same(await names("name=c.example&status=active&match=any&per_page=2"), [
    "a.example",
    "b.example",
  ]);
  t.same(await names("status=pending&type=secondary&match=any"), []);
  // order: every field but the name is the same for all zones here, so name order.
  t.same(await names("order=status&direction=desc&per_page=1"), ["e.example"]);
  t.same(await names("order=account.name&per_page=1"), ["a.example"]);
  for (const bad of ["order=colour", "match=some", "status=asleep", "direction=up"]) {
    const r = await call(app, "GET", `/zones?${bad}`);
    t.equal(r.status, 400, bad);
    t.equal(r.body.errors[0].code, 89102);
  }
});

t.test("the SDK's zones.list filters reach the server as it sends them", async (t) => {
  const { app } = lab(t, { origins: ORIGINS });
  const seen: string[] = [];
  app.addHook("onRequest", async (req) => {
    seen.push(req.url);
  });
  const { listenApi } = await import("../../src/api/server.js");
  const { default: Cloudflare } = await import("cloudflare");
  const { port } = await listenApi(app, { host: "127.0.0.1", port: 0 });
  const client = new Cloudflare({ apiToken: "x", baseURL: `http://127.0.0.1:${port}/client/v4` });
  const got: string[] = [];
  for await (const z of client.zones.list({
    name: "ends_with:.example",
    status: "active",
    account: { id: ACCOUNT.id },
    type: ["full", "partial"],
    order: "name",
    direction: "desc",
    match: "all",
  }))
    got.push(z.name);
  t.same(got, ["e.example", "c.example", "b.example", "a.example"]);
  t.match(seen[0], /type=full&type=partial/, "types repeated, as the SDK sends them");
});

t.test("POST /zones: a new zone is served at once with Cloudflare's defaults", async (t) => {
  const { app, zones, transfers } = lab(t);
  const r = await call(app, "POST", "/zones", {
    name: "new.example",
    account: { id: ACCOUNT.id },
    type: "full",
  });
  t.equal(r.status, 200);
  t.match(r.body.result, {
    id: zoneId("new.example."),
    name: "new.example",
    status: "active",
    type: "full",
    account: { id: ACCOUNT.id },
  });
  t.equal(r.body.result.name_servers.length, 2);
  for (const ns of r.body.result.name_servers) t.match(ns, /^[a-z]+\.ns\.cloudflare\.com$/);
  const zone = zones.set.get("new.example.")!;
  t.ok(zone, "served");
  t.equal(zone.recordCount, 1, "the SOA only");
  // The apex NS served are the assigned nameservers; the SOA is Cloudflare's default.
  t.equal(zone.apex.get(T.NS)?.size, 2);
  t.equal(zone.apex.get(T.NS)?.ttl, 86400);
  const settings = (await call(app, "GET", `/zones/${r.body.result.id}/dns_settings`)).body.result;
  t.match(settings.soa, {
    mname: null,
    rname: "dns.cloudflare.com",
    refresh: 10000,
    retry: 2400,
    expire: 604800,
    min_ttl: 1800,
    ttl: 3600,
  });
  t.equal(zone.soa.mname, `${r.body.result.name_servers[0]}.`);
  t.equal((await call(app, "GET", "/zones?name=new.example")).body.result.length, 1);

  // A record added through the API is served and versioned.
  const serial = zone.serial;
  const rec = await call(app, "POST", `/zones/${r.body.result.id}/dns_records`, {
    type: "A",
    name: "www",
    content: "192.0.2.10",
    ttl: 120,
  });
  t.equal(rec.status, 200);
  t.equal(zone.serial, serial + 1);

  // Errors: already there, bad names, other zone types, another account, no body.
  const again = await call(app, "POST", "/zones", { name: "NEW.example." });
  t.equal(again.status, 400);
  t.same(again.body.errors, [{ code: 1061, message: "new.example already exists" }]);
  for (const name of ["com", "", "bad..name", "a b.example", 7]) {
    const bad = await call(app, "POST", "/zones", { name });
    t.equal(bad.status, 400, String(name));
    t.ok([1049, 89104].includes(bad.body.errors[0].code), String(name));
  }
  const partial = await call(app, "POST", "/zones", { name: "p.example", type: "partial" });
  t.equal(partial.status, 400);
  t.match(partial.body.errors[0].message, /full zones only/);
  const other = await call(app, "POST", "/zones", {
    name: "q.example",
    account: { id: "ffffffffffffffffffffffffffffffff" },
  });
  t.equal(other.status, 404);
  t.equal(other.body.errors[0].code, 7003);
  t.equal((await call(app, "POST", "/zones")).status, 400);
  t.notOk(zones.set.get("q.example."), "nothing created by a failed call");
  t.equal(transfers.outgoing("new.example."), undefined);
});

t.test("PATCH and DELETE /zones/{id}", async (t) => {
  let now = T0;
  const { app, zones, transfers } = lab(t, { now: () => now });
  const id = zoneId("example.com.");
  now = new Date("2024-06-01T00:00:00.000Z");
  const paused = await call(app, "PATCH", `/zones/${id}`, { paused: true });
  t.equal(paused.status, 200);
  t.equal(paused.body.result.paused, true);
  t.equal(paused.body.result.modified_on, now.toISOString());
  t.equal((await call(app, "GET", `/zones/${id}`)).body.result.paused, true);
  t.equal((await call(app, "PATCH", `/zones/${id}`, { type: "full" })).status, 200);
  for (const body of [{ paused: "yes" }, { type: "secondary" }, { plan: { id: "x" } }, [1]]) {
    const r = await call(app, "PATCH", `/zones/${id}`, body);
    t.equal(r.status, 400, JSON.stringify(body));
    t.equal(r.body.errors[0].code, 89104);
  }
  t.equal((await call(app, "PATCH", `/zones/${"0".repeat(32)}`, { paused: true })).status, 404);

  transfers.createOutgoing("example.com.", { peers: [] });
  const del = await call(app, "DELETE", `/zones/${id}`);
  t.same(del.body, { success: true, errors: [], messages: [], result: { id } });
  t.notOk(zones.set.get("example.com."), "no longer served");
  t.equal(transfers.outgoing("example.com."), undefined, "its outgoing configuration is gone");
  t.equal((await call(app, "GET", `/zones/${id}`)).status, 404);
  t.equal((await call(app, "DELETE", `/zones/${id}`)).status, 404);
  // Created again: the same id, a fresh zone.
  const back = await call(app, "POST", "/zones", { name: "example.com" });
  t.equal(back.body.result.id, id);
  t.equal(zones.set.get("example.com.")!.recordCount, 1);
});
