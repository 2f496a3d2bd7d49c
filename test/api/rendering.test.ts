// The emulator's extension: what was configured versus what is transferred, and why.
import t, { type Test } from "tap";
import { call, lab } from "./fixture.js";

const EXT = "/dns-primary/v1";

// biome-ignore lint/suspicious/noExplicitAny: envelopes are checked field by field
async function ext(app: Parameters<typeof call>[0], path: string, headers = {}): Promise<any> {
  const res = await app.inject({ method: "GET", url: `${EXT}${path}`, headers });
  return { status: res.statusCode, body: res.json() };
}

async function zoneIdOf(
  app: Parameters<typeof call>[0],
  name: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const r = await ext(app, `/zones?name=${name}`, headers);
  return r.body.result[0].id;
}

interface Rec {
  name: string;
  type: string;
  content: string;
  disposition: string;
  reason?: string;
  addresses?: string[];
  withheld?: string;
  served: boolean;
  in_transfer: boolean;
}
interface RRsetJson {
  name: string;
  type: string;
  ttl: number;
  rdata: string[];
}

function find(records: Rec[], name: string, type: string, content?: string): Rec {
  const r = records.find(
    (x) => x.name === name && x.type === type && (content === undefined || x.content === content),
  );
  if (r === undefined) throw new Error(`no ${name} ${type} ${content ?? ""}`);
  return r;
}

function setOf(sets: RRsetJson[], name: string, type: string): RRsetJson | undefined {
  return sets.find((s) => s.name === name && s.type === type);
}

/** example.com with one record per rule, all created through the dns_records API. */
async function configured(t: Test, opts: Parameters<typeof lab>[1] = {}) {
  const l = lab(t, opts);
  const h: Record<string, string> = opts.apiToken
    ? { authorization: `Bearer ${opts.apiToken}` }
    : {};
  const id = await zoneIdOf(l.app, "example.com", h);
  for (const body of [
    { name: "web", type: "A", content: "198.51.100.7", proxied: true },
    { name: "@", type: "CNAME", content: "www.example.com" },
    { name: "www", type: "CAA", data: { flags: 0, tag: "issue", value: "letsencrypt.org" } },
    { name: "_acme-challenge", type: "TXT", content: "token-1" },
    { name: "mail", type: "TXT", content: "v=spf1 -all" },
    { name: "@", type: "NS", content: "ns.other-provider.net" },
    { name: "alias", type: "CNAME", content: "nowhere.example.net" },
  ]) {
    const r = await call(l.app, "POST", `/zones/${id}/dns_records`, body, h);
    t.equal(r.status, 200, `created ${body.name} ${body.type}`);
  }
  return { ...l, id, h };
}

t.test("every disposition of a zone built through the Cloudflare renderer", async (t) => {
  const { app, id } = await configured(t);
  const r = await ext(app, `/zones/${id}/rendering`);
  t.equal(r.status, 200);
  t.equal(r.body.success, true);
  t.same(r.body.errors, []);
  const { zone, records, transferred } = r.body.result as {
    // biome-ignore lint/suspicious/noExplicitAny: checked below
    zone: any;
    records: Rec[];
    transferred: RRsetJson[];
  };
  t.match(zone, {
    id,
    name: "example.com",
    multi_provider: false,
    flatten_all_cnames: false,
    ns_ttl: 300,
    nameservers: ["ns1.example.com", "ns2.example.com"],
    anycast: { ipv4: [String, String], ipv6: [String, String] },
  });
  t.type(zone.serial, "number");
  const anycast = [...zone.anycast.ipv4, ...zone.anycast.ipv6];

  t.notOk(
    records.some((x) => x.type === "SOA"),
    "the SOA is Cloudflare's own, not a configured record",
  );

  const web = find(records, "web.example.com", "A");
  t.match(web, { disposition: "proxied", served: false, in_transfer: false, proxied: true });
  t.same(web.addresses, anycast);
  t.match(web.reason, /proxied/);
  t.same(setOf(transferred, "web.example.com", "A")?.rdata, zone.anycast.ipv4);
  t.same(setOf(transferred, "web.example.com", "AAAA")?.rdata, zone.anycast.ipv6);
  t.notOk(
    transferred.some((s) => s.rdata.includes("198.51.100.7")),
    "the origin address is never transferred",
  );

  const apexCname = find(records, "example.com", "CNAME");
  t.match(apexCname, {
    disposition: "flattened",
    addresses: ["192.0.2.80"],
    target: "www.example.com",
    chain: ["www.example.com"],
  });
  t.match(apexCname.reason, /apex is always flattened/);
  t.same(setOf(transferred, "example.com", "A")?.rdata, ["192.0.2.80"]);
  t.notOk(setOf(transferred, "example.com", "CNAME"));

  const caa = find(records, "www.example.com", "CAA");
  t.match(caa, { disposition: "withheld", withheld: "caa", served: true, in_transfer: false });
  t.notOk(transferred.some((s) => s.type === "CAA"));

  const acme = find(records, "_acme-challenge.example.com", "TXT");
  t.match(acme, { disposition: "withheld", withheld: "certificate-validation" });
  t.notOk(setOf(transferred, "_acme-challenge.example.com", "TXT"));

  t.match(find(records, "mail.example.com", "TXT"), {
    disposition: "transferred",
    served: true,
    in_transfer: true,
  });
  t.notOk(find(records, "mail.example.com", "TXT").reason, "no reason when nothing changes");
  t.same(setOf(transferred, "mail.example.com", "TXT")?.rdata, ['"v=spf1 -all"']);

  t.match(find(records, "example.com", "NS", "ns1.example.com"), { disposition: "assigned-ns" });
  t.notOk(
    "served_ttl" in find(records, "example.com", "NS", "ns1.example.com"),
    "TTL as configured",
  );
  const userNs = find(records, "example.com", "NS", "ns.other-provider.net");
  t.match(userNs, { disposition: "apex-ns-ignored", served: false, in_transfer: false });
  t.match(userNs.reason, /multi_provider is off/);
  t.same(setOf(transferred, "example.com", "NS"), {
    name: "example.com",
    type: "NS",
    ttl: 300,
    rdata: ["ns1.example.com.", "ns2.example.com."],
  });

  t.match(find(records, "alias.example.com", "CNAME"), { disposition: "transferred" });
  t.equal(transferred[0].type, "SOA", "the apex comes first, its SOA included");
  t.match(transferred[0].rdata[0], new RegExp(` ${zone.serial} `));

  // Settings change what is transferred: multi_provider honours the user's apex NS,
  // flatten_all_cnames flattens (or fails to flatten) every CNAME.
  const patched = await call(app, "PATCH", `/zones/${id}/dns_settings`, {
    multi_provider: true,
    flatten_all_cnames: true,
    ns_ttl: 3600,
  });
  t.equal(patched.status, 200);
  const after = (await ext(app, `/zones/${id}/rendering`)).body.result as {
    // biome-ignore lint/suspicious/noExplicitAny: checked below
    zone: any;
    records: Rec[];
    transferred: RRsetJson[];
  };
  t.ok(after.zone.serial > zone.serial, "the settings change was a new serial");
  t.match(after.zone, { multi_provider: true, flatten_all_cnames: true });
  const ns = find(after.records, "example.com", "NS", "ns.other-provider.net");
  t.match(ns, { disposition: "transferred", served: true, in_transfer: true });
  // Configured at 300 (automatic), served with ns_ttl: the view says both.
  t.match(ns, { ttl: 1, served_ttl: 3600 });
  t.match(find(after.records, "example.com", "NS", "ns1.example.com"), { served_ttl: 3600 });
  t.equal(setOf(after.transferred, "example.com", "NS")?.ttl, 3600);
  t.match(ns.reason, /multi_provider is on/);
  t.same(setOf(after.transferred, "example.com", "NS")?.rdata, [
    "ns1.example.com.",
    "ns2.example.com.",
    "ns.other-provider.net.",
  ]);
  const alias = find(after.records, "alias.example.com", "CNAME");
  t.match(alias, {
    disposition: "unresolved-cname",
    target: "nowhere.example.net",
    served: true,
    in_transfer: true,
  });
  t.match(
    alias.reason,
    /cannot flatten the CNAME: nowhere\.example\.net\.? has no A or AAAA record here; it is served and transferred as a CNAME/,
  );
  t.same(setOf(after.transferred, "alias.example.com", "CNAME")?.rdata, ["nowhere.example.net."]);
});

t.test("?name= keeps one owner name", async (t) => {
  const { app, id } = await configured(t);
  for (const name of ["www", "www.example.com", "WWW.example.com."]) {
    const r = await ext(app, `/zones/${id}/rendering?name=${encodeURIComponent(name)}`);
    t.equal(r.status, 200, name);
    const { records, transferred } = r.body.result;
    t.same([...new Set(records.map((x: Rec) => x.name))], ["www.example.com"], name);
    t.same(
      transferred.map((s: RRsetJson) => `${s.name} ${s.type}`),
      ["www.example.com A"],
      name,
    );
  }
  const apex = (await ext(app, `/zones/${id}/rendering?name=@`)).body.result;
  t.ok(apex.records.every((x: Rec) => x.name === "example.com"));
  t.ok(apex.records.some((x: Rec) => x.type === "CNAME"));
  const none = await ext(app, `/zones/${id}/rendering?name=absent`);
  t.equal(none.status, 200);
  t.same(none.body.result.records, []);
  t.same(none.body.result.transferred, []);
  t.equal(none.body.result_info.total_count, 0);
  const bad = await ext(app, `/zones/${id}/rendering?name=${"a".repeat(64)}`);
  t.equal(bad.status, 400);
  t.equal(bad.body.errors[0].code, 89102);
});

t.test("paged by owner name, names never split", async (t) => {
  const { app, id } = await configured(t);
  const all = (await ext(app, `/zones/${id}/rendering`)).body;
  const names = new Set(all.result.records.map((x: Rec) => x.name));
  const total = all.result_info.total_count;
  t.ok(total >= names.size);
  const seen: Rec[] = [];
  const sets: RRsetJson[] = [];
  let pages = 0;
  for (let page = 1; ; page++) {
    const r = (await ext(app, `/zones/${id}/rendering?per_page=2&page=${page}`)).body;
    t.equal(r.result_info.per_page, 2);
    t.equal(r.result_info.total_count, total);
    if (r.result.records.length === 0 && r.result.transferred.length === 0) break;
    pages++;
    t.ok(new Set(r.result.transferred.map((s: RRsetJson) => s.name)).size <= 2);
    t.same(r.result.zone, all.result.zone, "every page carries the zone");
    seen.push(...r.result.records);
    sets.push(...r.result.transferred);
  }
  t.equal(pages, Math.ceil(total / 2));
  t.same(seen, all.result.records, "the pages together are the whole list");
  t.same(sets, all.result.transferred);
  const bad = await ext(app, `/zones/${id}/rendering?per_page=0`);
  t.equal(bad.status, 400);
});

t.test("zones list for discovery", async (t) => {
  const { app } = lab(t);
  const r = await ext(app, "/zones");
  t.equal(r.status, 200);
  t.same(
    r.body.result.map((z: { name: string }) => z.name),
    ["example.com", "example.org"],
  );
  for (const z of r.body.result) {
    t.match(z, { id: /^[0-9a-f]{32}$/, name: String, serial: Number });
    const v4 = await call(app, "GET", `/zones/${z.id}`);
    t.equal(v4.body.result.name, z.name, "the same id as the Cloudflare routes");
  }
  t.match(r.body.result_info, { page: 1, count: 2, total_count: 2 });
  const one = await ext(app, "/zones?name=EXAMPLE.org.");
  t.same(
    one.body.result.map((z: { name: string; serial: number }) => [z.name, z.serial]),
    [["example.org", 101]],
  );
  t.same((await ext(app, "/zones?name=nope.test")).body.result, []);
});

t.test("unknown zone id: 7003", async (t) => {
  const { app } = lab(t);
  for (const id of ["0123456789abcdef0123456789abcdef", "not-an-id"]) {
    const r = await ext(app, `/zones/${id}/rendering`);
    t.equal(r.status, 404);
    t.equal(r.body.success, false);
    t.equal(r.body.errors[0].code, 7003);
    t.equal(r.body.result, null);
  }
  const nowhere = await ext(app, "/nothing");
  t.equal(nowhere.body.errors[0].code, 7000);
  // Not in Cloudflare's namespace.
  const id = await zoneIdOf(app, "example.com");
  const v4 = await call(app, "GET", `/zones/${id}/rendering`);
  t.equal(v4.status, 404);
  t.equal(v4.body.errors[0].code, 7000);
});

t.test("the API token is enforced as on the Cloudflare routes", async (t) => {
  const token = "s3cret-token";
  const { app, id } = await configured(t, { apiToken: token });
  for (const path of ["/zones", `/zones/${id}/rendering`]) {
    const none = await ext(app, path);
    t.equal(none.status, 400, `${path} without a token`);
    t.equal(none.body.errors[0].code, 9106);
    const wrong = await ext(app, path, { authorization: "Bearer nope" });
    t.equal(wrong.status, 403, `${path} with the wrong token`);
    const right = await ext(app, path, { authorization: `Bearer ${token}` });
    t.equal(right.status, 200, `${path} with the token`);
    const legacy = await ext(app, path, { "x-auth-email": "a@b.c", "x-auth-key": token });
    t.equal(legacy.status, 200, `${path} with X-Auth-Key`);
  }
});
