import t from "tap";
import { zoneId } from "../../src/transfer/settings.js";
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
});
