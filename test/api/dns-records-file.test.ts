/**
 * `POST .../dns_records/import` and `GET .../dns_records/export` in process (fastify inject):
 * the multipart form and its refusals, the zone-file rules (directives, line numbers,
 * duplicates, cf_tags, proxied default), one serial per import and all or nothing, and the
 * export read back by the import. The official SDK drives both once over a real socket.
 */

import Cloudflare from "cloudflare";
import t from "tap";
import { MAX_IMPORT_BYTES } from "../../src/api/routes/dns-records-file.js";
import { listenApi } from "../../src/api/server.js";
import { zoneId } from "../../src/cloudflare/transfer/settings.js";
import type { Zone } from "../../src/zone/zone.js";
import { BASE, call, type Lab, lab } from "./fixture.js";

const COM = zoneId("example.com.");
const R = `/zones/${COM}/dns_records`;

function zoneOf(l: Lab): Zone {
  return l.zones.set.get("example.com.")!;
}

function version(l: Lab): { serial: number; journal: number } {
  const z = zoneOf(l);
  return { serial: z.serial, journal: z.journal.size };
}

/** A multipart body built by the platform's FormData: bytes and the content-type. */
async function multipart(
  fields: Array<[string, string, "file" | "field"]>,
): Promise<{ payload: Buffer; contentType: string }> {
  const fd = new FormData();
  for (const [name, value, kind] of fields) {
    if (kind === "file") fd.append(name, new Blob([value], { type: "text/plain" }), "zone.txt");
    else fd.append(name, value);
  }
  const res = new Response(fd);
  return {
    payload: Buffer.from(await res.arrayBuffer()),
    contentType: res.headers.get("content-type")!,
  };
}

async function send(
  l: Lab,
  payload: string | Buffer,
  contentType: string,
  zone = COM,
  // biome-ignore lint/suspicious/noExplicitAny: envelopes are checked field by field
): Promise<{ status: number; body: any }> {
  const res = await l.app.inject({
    method: "POST",
    url: `${BASE}/zones/${zone}/dns_records/import`,
    headers: { "content-type": contentType },
    payload,
  });
  return { status: res.statusCode, body: res.json() };
}

/** Import `text` as the file part, with an optional `proxied` field. */
async function importText(
  l: Lab,
  text: string,
  opts: { proxied?: string; asField?: boolean } = {},
): Promise<{ status: number; body: ReturnType<typeof JSON.parse> }> {
  const fields: Array<[string, string, "file" | "field"]> = [
    ["file", text, opts.asField ? "field" : "file"],
  ];
  if (opts.proxied !== undefined) fields.push(["proxied", opts.proxied, "field"]);
  const { payload, contentType } = await multipart(fields);
  return send(l, payload, contentType);
}

interface Row {
  name: string;
  type: string;
  content: string;
  ttl: number;
  proxied: boolean;
  comment: string | null;
  tags: string[];
  priority?: number;
  settings: Record<string, unknown>;
}

async function records(l: Lab, zone = COM): Promise<Row[]> {
  const list = await call(l.app, "GET", `/zones/${zone}/dns_records?per_page=5000`);
  return list.body.result.map((r: Row) => ({
    name: r.name,
    type: r.type,
    content: r.content,
    ttl: r.ttl,
    proxied: r.proxied,
    comment: r.comment,
    tags: [...r.tags].sort(),
    ...(r.priority === undefined ? {} : { priority: r.priority }),
    settings: r.settings,
  }));
}

function find(rows: Row[], name: string, type: string): Row[] {
  return rows.filter((r) => r.name === name && r.type === type);
}

function errorOf(r: {
  status: number;
  body: { errors: Array<{ code: number; message: string }> };
}) {
  return { status: r.status, code: r.body.errors[0]?.code, message: r.body.errors[0]?.message };
}

const FILE = `$ORIGIN example.com.
$TTL 3600
; an export of another provider
@            IN SOA ns.other.net. admin.other.net. 1 7200 3600 1209600 300
@         86400 IN NS ns1.example.com.
api          IN A     192.0.2.10 ; cf_tags=cf-proxied:true
api          IN AAAA  2001:db8::10 ; origin servers cf_tags=cf-proxied:false
blog    300  IN CNAME api
@            IN MX    10 mail
mail     10  IN A     192.0.2.25 ; mail host
@       172800 IN TXT "v=spf1 mx -all"
_sip._tcp    IN SRV   10 60 5060 sip.example.com.
tagged       IN TXT   "x" ; cf_tags=env:prod,owner:"a b",cf-dcv
$GENERATE 1-3 host-$ A 198.51.100.$
`;

t.test(
  "import: records planned through the API's checks and committed as one change",
  async (t) => {
    const l = lab(t);
    const before = version(l);
    const r = await importText(l, FILE);
    t.equal(r.status, 200, JSON.stringify(r.body));
    t.same(r.body, {
      success: true,
      errors: [],
      messages: [],
      // 13 records: the SOA is left out, the apex NS is in the zone already.
      result: { recs_added: 11, total_records_parsed: 12 },
    });
    const after = version(l);
    t.equal(after.journal, before.journal + 1, "one journal entry");
    t.equal(after.serial, before.serial + 1, "one new serial");

    const rows = await records(l);
    t.match(find(rows, "api.example.com", "A"), [{ content: "192.0.2.10", proxied: true, ttl: 1 }]);
    t.match(find(rows, "api.example.com", "AAAA"), [
      { content: "2001:db8::10", proxied: false, ttl: 3600, comment: "origin servers" },
    ]);
    t.match(find(rows, "blog.example.com", "CNAME"), [
      { content: "api.example.com", ttl: 300, proxied: false },
    ]);
    t.match(find(rows, "example.com", "MX"), [{ content: "mail.example.com", priority: 10 }]);
    t.match(
      find(rows, "mail.example.com", "A"),
      [{ ttl: 30, comment: "mail host" }],
      "TTL 10 → 30",
    );
    t.match(find(rows, "example.com", "TXT"), [{ content: "v=spf1 mx -all", ttl: 86400 }]);
    t.match(find(rows, "_sip._tcp.example.com", "SRV"), [
      { content: "60 5060 sip.example.com", priority: 10 },
    ]);
    t.match(find(rows, "tagged.example.com", "TXT"), [
      { tags: ["cf-dcv:", "env:prod", "owner:a b"], comment: null },
    ]);
    t.same(
      rows.filter((x) => x.name.startsWith("host-")).map((x) => [x.name, x.content]),
      [
        ["host-1.example.com", "198.51.100.1"],
        ["host-2.example.com", "198.51.100.2"],
        ["host-3.example.com", "198.51.100.3"],
      ],
    );
    t.equal(zoneOf(l).soa.mname !== "ns.other.net.", true, "the file's SOA is not taken");
  },
);

t.test("import: `file` as a plain form field, as the official SDK sends it", async (t) => {
  const l = lab(t);
  const r = await importText(l, "x 300 IN A 192.0.2.1\n", { asField: true });
  t.same(r.body.result, { recs_added: 1, total_records_parsed: 1 });
});

t.test("import: the form's proxied is the default for proxiable records", async (t) => {
  const l = lab(t);
  const text = `$TTL 600
a IN A 192.0.2.1
c IN CNAME a
m IN MX 5 a
off IN A 192.0.2.2 ; cf_tags=cf-proxied:false
`;
  const r = await importText(l, text, { proxied: "true" });
  t.same(r.body.result, { recs_added: 4, total_records_parsed: 4 });
  const rows = await records(l);
  t.match(find(rows, "a.example.com", "A"), [{ proxied: true, ttl: 1 }]);
  t.match(find(rows, "c.example.com", "CNAME"), [{ proxied: true }]);
  t.match(find(rows, "m.example.com", "MX"), [{ proxied: false, ttl: 600 }]);
  t.match(find(rows, "off.example.com", "A"), [{ proxied: false, ttl: 600 }]);

  const l2 = lab(t);
  await importText(l2, "a 600 IN A 192.0.2.1\n", { proxied: "false" });
  t.match(find(await records(l2), "a.example.com", "A"), [{ proxied: false }]);

  const bad = await importText(lab(t), "a 600 IN A 192.0.2.1\n", { proxied: "yes" });
  t.match(errorOf(bad), { status: 400, code: 89104, message: /proxied must be/ });
});

t.test("import: TTL 1 and records without any TTL are automatic", async (t) => {
  const l = lab(t);
  const r = await importText(l, "a 1 IN A 192.0.2.1\nb IN A 192.0.2.2\nc 90000 IN A 192.0.2.3\n");
  t.equal(r.status, 200);
  const rows = await records(l);
  t.match(find(rows, "a.example.com", "A"), [{ ttl: 1 }]);
  t.match(find(rows, "b.example.com", "A"), [{ ttl: 1 }]);
  t.match(find(rows, "c.example.com", "A"), [{ ttl: 86400 }], "above 86400 → 86400");
});

t.test("import: records already in the zone, or twice in the file, are skipped", async (t) => {
  const l = lab(t);
  const text = "www 300 IN A 192.0.2.80\nnew 300 IN A 192.0.2.9\nnew 600 IN A 192.0.2.9\n";
  const first = await importText(l, text);
  t.same(first.body.result, { recs_added: 1, total_records_parsed: 3 });
  const v = version(l);
  const again = await importText(l, text);
  t.same(again.body.result, { recs_added: 0, total_records_parsed: 3 });
  t.same(version(l), v, "nothing to add: no new serial");
});

t.test("import: one invalid record and nothing is imported", async (t) => {
  const l = lab(t);
  const v = version(l);
  const before = await records(l);
  const cases: Array<[string, string, number, RegExp]> = [
    [
      "bad content",
      "ok 300 IN A 192.0.2.1\nalias 300 IN CNAME alias\n",
      9007,
      /^line 2: Content for CNAME record is invalid\. A CNAME record cannot point to itself\./,
    ],
    ["CNAME beside A", "www 300 IN CNAME other.net.\n", 81053, /^line 1: An A, AAAA/],
    ["proxied MX", "@ 300 IN MX 1 mx.example.com. ; cf_tags=cf-proxied:true\n", 9041, /^line 1: /],
    [
      "outside the zone",
      "ok 300 IN A 192.0.2.1\n\nwww.example.org. 300 IN A 192.0.2.1\n",
      9000,
      /^line 3: DNS name is invalid\. www\.example\.org is not in the zone example\.com\./,
    ],
    [
      "another $ORIGIN",
      "$ORIGIN example.net.\nwww 300 IN A 192.0.2.1\n",
      9000,
      /^line 2: .*not in the zone/,
    ],
    ["SOA below the apex", "sub 300 IN SOA a. b. 1 2 3 4 5\n", 9004, /^line 1: /],
  ];
  for (const [what, text, code, message] of cases) {
    const r = await importText(l, text);
    t.match(errorOf(r), { status: 400, code, message }, what);
    t.equal(r.body.result, null, what);
  }
  t.same(version(l), v, "no new serial");
  t.same(await records(l), before, "no record added");
});

t.test("import: zone-file errors name the line", async (t) => {
  const l = lab(t);
  const lines = Array.from({ length: 11 }, (_, i) => `h${i} 300 IN A 192.0.2.${i}`);
  const syntax = await importText(l, `${lines.join("\n")}\nbroken 300 IN A not-an-address\n`);
  t.match(errorOf(syntax), { status: 400, code: 1004, message: /^line 12: / });

  const include = await importText(l, "a 300 IN A 192.0.2.1\n$INCLUDE /etc/passwd\n");
  t.match(errorOf(include), { status: 400, code: 1004, message: /^line 2: \$INCLUDE/ });

  const type = await importText(l, "a 300 IN BOGUS x\n");
  t.match(errorOf(type), {
    status: 400,
    code: 1004,
    message: 'line 1: unknown record type "BOGUS"',
  });

  const huge = await importText(l, "$GENERATE 1-60000 h$ A 192.0.2.1\n");
  t.match(errorOf(huge), { status: 400, code: 1004, message: /^line 1: more than 50000 records/ });

  t.same(await records(l), await records(lab(t)), "nothing imported");
});

t.test("import: the form and its limits", async (t) => {
  const l = lab(t);
  const v = version(l);

  const json = await call(l.app, "POST", `${R}/import`, { file: "a 300 IN A 192.0.2.1" });
  t.match(errorOf(json), { status: 400, code: 9207, message: /multipart\/form-data/ });

  const bare = await l.app.inject({ method: "POST", url: `${BASE}${R}/import` });
  t.match(errorOf({ status: bare.statusCode, body: bare.json() }), { status: 400, code: 9207 });

  const text = await send(l, "a 300 IN A 192.0.2.1\n", "text/plain");
  t.match(errorOf(text), { status: 400, code: 9207 }, "text/plain");

  const noBoundary = await send(l, "--x\r\n", "multipart/form-data");
  t.match(errorOf(noBoundary), { status: 400, code: 89103, message: /^Malformed multipart/ });

  const truncated = await send(
    l,
    '--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc',
    "multipart/form-data; boundary=b",
  );
  t.match(errorOf(truncated), { status: 400, code: 89103 }, "body ends inside a part");

  const noFile = await multipart([["proxied", "true", "field"]]);
  t.match(errorOf(await send(l, noFile.payload, noFile.contentType)), {
    status: 400,
    code: 89104,
    message: /field named file/,
  });

  const empty = await send(l, "--b--\r\n", "multipart/form-data; boundary=b");
  t.match(errorOf(empty), { status: 400, code: 89104 }, "an empty form has no file");

  // 256 KiB is taken; one byte more is not, as a file part or as a field.
  const line = "; padding padding padding padding padding padding padding padding padding\n";
  const exact = line.repeat(Math.ceil(MAX_IMPORT_BYTES / line.length)).slice(0, MAX_IMPORT_BYTES);
  const fits = await importText(l, exact);
  t.same(fits.body.result, { recs_added: 0, total_records_parsed: 0 }, "exactly 256 KiB");
  for (const asField of [false, true]) {
    const r = await importText(l, `${exact}x`, { asField });
    t.match(
      errorOf(r),
      { status: 413, code: 89101, message: /larger than 262144 bytes/ },
      asField ? "field" : "file",
    );
  }

  const missing = await importText(l, "a 300 IN A 192.0.2.1\n");
  t.equal(missing.status, 200);
  const other = await multipart([["file", "a 300 IN A 192.0.2.1\n", "file"]]);
  const nowhere = await send(l, other.payload, other.contentType, "0".repeat(32));
  t.match(errorOf(nowhere), { status: 404, code: 7003 });
  t.equal(version(l).serial, v.serial + 1, "only the good import changed the zone");
});

t.test("multipart stays on the import route: other routes answer 9207", async (t) => {
  const l = lab(t);
  const { payload, contentType } = await multipart([["name", "a", "field"]]);
  const res = await l.app.inject({
    method: "POST",
    url: `${BASE}${R}`,
    headers: { "content-type": contentType },
    payload,
  });
  t.equal(res.statusCode, 400);
  t.equal(res.json().errors[0].code, 9207);
  t.match(res.json().errors[0].message, /application\/json/);
});

t.test("export: a BIND file in Cloudflare's shape", async (t) => {
  const l = lab(t);
  const post = (body: object) => call(l.app, "POST", R, body);
  await post({ type: "A", name: "p", content: "192.0.2.7", proxied: true, comment: "edge" });
  await post({ type: "CNAME", name: "c", content: "www.example.com", ttl: 1 });
  await post({ type: "TXT", name: "t", content: "two words", tags: ["team:dns", "x:a,b"] });
  await post({
    type: "MX",
    name: "@",
    content: "mail.example.com",
    priority: 5,
    ttl: 600,
    comment: 'line\nbreak cf_tags=nope "q"',
  });
  const res = await l.app.inject({ method: "GET", url: `${BASE}${R}/export` });
  t.equal(res.statusCode, 200);
  t.equal(res.headers["content-type"], "text/plain; charset=utf-8");
  const text = res.body;
  t.match(text, /^;;\n;; Domain: {5}example\.com\.\n/);
  t.match(text, /\n\$ORIGIN example\.com\.\n/);
  const soa = zoneOf(l).soa;
  t.match(text, new RegExp(`\\nexample\\.com\\.\\t\\d+\\tIN\\tSOA\\t\\S+ \\S+ ${soa.serial} `));
  t.match(text, "\np.example.com.\t1\tIN\tA\t192.0.2.7 ; edge cf_tags=cf-proxied:true\n");
  t.match(text, "\nc.example.com.\t1\tIN\tCNAME\twww.example.com. ; cf_tags=cf-proxied:false\n");
  t.match(text, "\nwww.example.com.\t300\tIN\tA\t192.0.2.80 ; cf_tags=cf-proxied:false\n");
  t.match(text, '\nt.example.com.\t1\tIN\tTXT\t"two words" ; cf_tags=team:dns,x:"a,b"\n');
  t.match(
    text,
    '\nexample.com.\t600\tIN\tMX\t5 mail.example.com. ; line break cf_tags=nope "q" cf_tags=\n',
  );
  t.match(text, "\nexample.com.\t300\tIN\tNS\tns1.example.com.\n", "no tags: no comment");
  t.ok(text.indexOf(";; NS Records") < text.indexOf(";; A Records"), "NS first");
  t.ok(text.indexOf(";; CNAME Records") < text.indexOf(";; MX Records"));

  const missing = await call(l.app, "GET", `/zones/${"0".repeat(32)}/dns_records/export`);
  t.match(errorOf(missing), { status: 404, code: 7003 });
});

t.test("export → import into a new zone gives the same records", async (t) => {
  const src = lab(t);
  const post = async (body: object) => {
    const r = await call(src.app, "POST", R, body);
    t.equal(r.status, 200, JSON.stringify(r.body.errors));
  };
  await post({ type: "A", name: "p", content: "192.0.2.7", proxied: true, comment: "edge" });
  await post({ type: "AAAA", name: "p", content: "2001:db8::7", proxied: true });
  await post({
    type: "A",
    name: "v4",
    content: "192.0.2.8",
    proxied: true,
    settings: { ipv4_only: true },
  });
  await post({ type: "CNAME", name: "c", content: "www.example.com", ttl: 1 });
  await post({
    type: "CNAME",
    name: "f",
    content: "www.example.com",
    settings: { flatten_cname: true },
  });
  await post({ type: "TXT", name: "t", content: "two words", tags: ["team:dns", "x:a,b", "e:"] });
  await post({ type: "TXT", name: "t2", content: '"a" "b"', ttl: 120 });
  await post({ type: "MX", name: "@", content: "mail.example.com", priority: 5, ttl: 600 });
  await post({
    type: "SRV",
    name: "_x._tcp",
    data: { priority: 1, weight: 2, port: 3, target: "t.example.com" },
  });
  await post({ type: "CAA", name: "@", data: { flags: 0, tag: "issue", value: "ca.example" } });
  await post({
    type: "HTTPS",
    name: "h",
    data: { priority: 1, target: ".", value: 'alpn="h2,h3"' },
  });
  await post({ type: "NS", name: "sub", content: "ns.other.net" });
  await post({ type: "A", name: "cmt", content: "192.0.2.9", comment: "has cf_tags=inside" });

  const exported = await src.app.inject({ method: "GET", url: `${BASE}${R}/export` });
  const dst = lab(t);
  const r = await importText(dst, exported.body);
  t.equal(r.status, 200, JSON.stringify(r.body.errors));
  const want = await records(src);
  t.same(r.body.result, { recs_added: want.length - 5, total_records_parsed: want.length });
  t.same(await records(dst), want, "same records, proxied flags, TTLs, comments, tags, settings");
  const again = await dst.app.inject({ method: "GET", url: `${BASE}${R}/export` });
  const body = (s: string) => s.replace(/^;; Exported:.*$/m, "").replace(/\tSOA\t.*$/m, "");
  t.equal(body(again.body), body(exported.body), "the export of the copy is the same file");
});

t.test("the official SDK imports and exports", async (t) => {
  const l = lab(t, { apiToken: "k" });
  const { port } = await listenApi(l.app, { host: "127.0.0.1", port: 0 });
  const client = new Cloudflare({ apiToken: "k", baseURL: `http://127.0.0.1:${port}/client/v4` });
  const imported = await client.dns.records.import({
    zone_id: COM,
    file: "sdk 300 IN A 192.0.2.44\nsdk2 300 IN CNAME sdk\n",
    proxied: "true",
  });
  t.same(imported, { recs_added: 2, total_records_parsed: 2 });
  const text = await client.dns.records.export({ zone_id: COM });
  t.match(text, "\nsdk.example.com.\t1\tIN\tA\t192.0.2.44 ; cf_tags=cf-proxied:true\n");
});
