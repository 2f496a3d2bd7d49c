/**
 * The library contract (README "As a library"): zones inline, from files and as record
 * objects; port 0 for several instances at once; record and settings handles that follow the
 * API's rules and codes; events a test can await.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { ApiError, type Primary, startPrimary, ZoneFileError } from "../../src/index.js";
import { answers, ask, serialOf } from "./helpers.js";

const TEXT = `$TTL 300
@    IN SOA ns.alpha.test. admin.alpha.test. 7 3600 600 86400 60
@    IN NS  ns.alpha.test.
ns   IN A   192.0.2.53
www  IN A   192.0.2.80
`;

async function started(t: Test, p: Promise<Primary>): Promise<Primary> {
  const primary = await p;
  t.teardown(() => primary.close());
  return primary;
}

t.test("two instances on port 0 at once, each answering its own zone", async (t) => {
  const [a, b] = await Promise.all([
    started(t, startPrimary({ zones: [{ origin: "alpha.test", text: TEXT }] })),
    started(
      t,
      startPrimary({
        zones: [
          { origin: "beta.test", records: [{ name: "www", type: "A", content: "192.0.2.9" }] },
        ],
        api: { port: 0 },
      }),
    ),
  ]);
  t.equal(a.dns.udp.address, "127.0.0.1", "loopback by default");
  t.equal(a.dns.udp.port, a.dns.tcp.port, "UDP and TCP on one port");
  t.not(a.dns.udp.port, b.dns.udp.port, "different ports");
  t.not(a.dns.udp.port, 0);
  t.equal(a.api, undefined, "no API unless asked");
  t.ok(b.api && b.api.port > 0, "API on a free port");
  t.same(answers(await ask(a.dns.udp.port, "www.alpha.test")), ["192.0.2.80"]);
  t.same(answers(await ask(b.dns.udp.port, "www.beta.test")), ["192.0.2.9"]);
  t.equal((await ask(a.dns.udp.port, "www.beta.test")).rcode, "REFUSED", "not the other's zone");
  t.equal((await ask(b.dns.udp.port, "www.alpha.test")).rcode, "REFUSED");
  // A change to one leaves the other alone.
  b.records("beta.test").create({ name: "new", type: "A", content: "192.0.2.10" });
  t.same(answers(await ask(b.dns.udp.port, "new.beta.test")), ["192.0.2.10"]);
  t.equal(a.zone("beta.test"), undefined);
});

t.test("zones as master-file text, as a file and as record objects", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-lib-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "gamma.test.zone");
  writeFileSync(file, TEXT.replaceAll("alpha", "gamma"));
  const before = Math.floor(Date.now() / 1000);
  const p = await started(
    t,
    startPrimary({
      zones: [
        { text: `$ORIGIN alpha.test.\n${TEXT}` },
        { file },
        {
          origin: "delta.test.",
          records: [
            { name: "@", type: "A", content: "192.0.2.1" },
            { name: "www.delta.test", type: "CNAME", content: "delta.test", proxied: false },
            { name: "@", type: "MX", content: "mail.delta.test", priority: 10, ttl: 3600 },
            { name: "txt", type: "TXT", content: "hello", comment: "c", tags: ["k:v"] },
          ],
        },
      ],
    }),
  );
  t.same(
    p.zones.map((z) => z.origin),
    ["alpha.test.", "gamma.test.", "delta.test."],
  );
  t.same(answers(await ask(p.dns.udp.port, "www.alpha.test")), ["192.0.2.80"]);
  t.same(answers(await ask(p.dns.udp.port, "www.gamma.test")), ["192.0.2.80"]);
  t.same(answers(await ask(p.dns.udp.port, "delta.test")), ["192.0.2.1"]);
  t.same(answers(await ask(p.dns.udp.port, "delta.test", "MX"), "MX"), [
    { preference: 10, exchange: "mail.delta.test" },
  ]);
  // Records zones are built, not committed to: the first serial is a new zone's (the time).
  const serial = serialOf(await ask(p.dns.udp.port, "delta.test", "SOA"));
  t.ok(serial >= before && serial <= before + 5, `serial ${serial} is the creation time`);
  t.equal(p.serial("delta.test"), serial);
  t.equal(p.zoneSet.get("delta.test.")?.journal.size ?? 0, 0, "nothing journaled");
  const txt = p.records("delta.test").list({ type: "TXT" });
  t.match(txt, [{ name: "txt.delta.test", content: "hello", comment: "c", tags: ["k:v"] }]);
  // A file zone keeps its file (reload works); inline text has none.
  t.equal(p.zoneSet.get("gamma.test.")?.file, file);
  t.equal(p.zoneSet.get("alpha.test.")?.file, undefined);
  t.same(
    (await p.reload()).map((r) => r.origin),
    ["gamma.test."],
  );
});

t.test("record objects are validated as the API validates them", async (t) => {
  await t.rejects(
    startPrimary({
      zones: [{ origin: "bad.test", records: [{ name: "www", type: "A", content: "nope" }] }],
    }),
    { name: "ApiError", code: 9005, message: /zones\[0\]\.records\[0\]/ },
  );
  await t.rejects(
    startPrimary({
      zones: [
        {
          origin: "bad.test",
          records: [
            { name: "www", type: "A", content: "192.0.2.1" },
            { name: "www", type: "CNAME", content: "elsewhere.test" },
          ],
        },
      ],
    }),
    { code: 81053, message: /records\[1\]/ },
  );
  await t.rejects(startPrimary({ zones: [{ text: "www 300 IN A 192.0.2.1\n" }] }), ZoneFileError);
  await t.rejects(
    startPrimary({
      zones: [
        { origin: "alpha.test", text: TEXT },
        { origin: "alpha.test", records: [] },
      ],
    }),
    { message: /given twice/ },
  );
});

t.test("the records handle: the API's objects, rules and codes", async (t) => {
  const p = await started(
    t,
    startPrimary({ zones: [{ origin: "alpha.test", text: TEXT }], api: { port: 0 } }),
  );
  const recs = p.records("alpha.test.");
  t.equal(recs.zone, "alpha.test.");
  t.match(recs.zoneId, /^[0-9a-f]{32}$/);
  t.equal(p.records(recs.zoneId).zone, "alpha.test.", "by zone id too");

  const serial0 = p.serial("alpha.test");
  const made = recs.create({ name: "api", type: "A", content: "192.0.2.44", ttl: 120 });
  t.match(made, {
    id: /^[0-9a-f]{32}$/,
    zone_name: "alpha.test",
    name: "api.alpha.test",
    type: "A",
    content: "192.0.2.44",
    ttl: 120,
    proxied: false,
  });
  t.equal(p.serial("alpha.test"), serial0 + 1, "one call, one serial");
  t.same(answers(await ask(p.dns.udp.port, "api.alpha.test")), ["192.0.2.44"]);

  // The same record as the API shows it.
  const res = await fetch(
    `http://127.0.0.1:${p.api!.port}/client/v4/zones/${recs.zoneId}/dns_records/${made.id}`,
  );
  const body = (await res.json()) as { result: unknown };
  t.same(body.result, recs.get(made.id), "the API and the handle agree");

  t.throws(() => recs.create({ name: "api", type: "A", content: "192.0.2.44" }), {
    name: "ApiError",
    code: 81057,
  });
  t.throws(() => recs.create({ name: "api", type: "CNAME", content: "www.alpha.test" }), {
    code: 81053,
  });
  t.throws(() => recs.get("0".repeat(32)), { code: 81044 });
  t.throws(() => recs.create({ name: "x", type: "A", content: "300.1.1.1" }), ApiError);
  t.equal(p.serial("alpha.test"), serial0 + 1, "failed writes change nothing");

  const edited = recs.edit(made.id, { content: "192.0.2.45" });
  t.equal(edited.id, made.id, "PATCH keeps the id");
  t.equal(edited.ttl, 120, "and the fields not given");
  const put = recs.update(made.id, { name: "api", type: "A", content: "192.0.2.46" });
  t.equal(put.ttl, 1, "PUT replaces every field (automatic TTL)");
  t.same(answers(await ask(p.dns.udp.port, "api.alpha.test")), ["192.0.2.46"]);
  t.match(recs.list({ name: "api" }), [{ id: made.id, content: "192.0.2.46" }]);
  t.same(recs.list({ "name.contains": "nothing-like-this" }), []);

  const before = p.serial("alpha.test");
  const b = recs.batch({
    deletes: [{ id: made.id }],
    posts: [
      { name: "b1", type: "A", content: "192.0.2.61" },
      { name: "b2", type: "TXT", content: "two" },
    ],
  });
  t.equal(b.deletes[0]?.id, made.id);
  t.equal(b.posts.length, 2);
  t.equal(p.serial("alpha.test"), before + 1, "a batch is one serial");
  t.throws(() => recs.batch({ posts: [{ name: "b1", type: "A", content: "192.0.2.61" }] }), {
    code: 81057,
    message: /^posts\[0\]/,
  });
  t.same(recs.delete(b.posts[0]!.id), { id: b.posts[0]!.id });
  t.equal((await ask(p.dns.udp.port, "b1.alpha.test")).rcode, "NXDOMAIN");

  t.throws(() => p.records("nowhere.test"), { code: 7003 });
});

t.test("zones and settings handles", async (t) => {
  const p = await started(t, startPrimary({}));
  const z = p.createZone("fresh.test");
  t.match(z, { name: "fresh.test", origin: "fresh.test.", id: /^[0-9a-f]{32}$/ });
  t.ok(z.name_servers.length > 0);
  t.throws(() => p.createZone("fresh.test"), { code: 1061 });
  t.throws(() => p.createZone("x"), { code: 1049 });
  t.equal((await ask(p.dns.udp.port, "fresh.test", "SOA")).rcode, "NOERROR");

  const s = p.settings("fresh.test");
  t.equal(s.get().multi_provider, false);
  const serial = p.serial("fresh.test");
  const changed = p.waitFor("change", (e) => e.zone === "fresh.test.", { timeoutMs: 2000 });
  t.equal(s.edit({ multi_provider: true }).multi_provider, true);
  t.match(await changed, { settings: true, serial: serial + 1, previousSerial: serial });
  t.throws(() => s.edit({ ns_ttl: "soon" }), { name: "SettingsError" });

  p.transfers.createOutgoing("fresh.test.", { peers: [] });
  t.same(p.removeZone("fresh.test"), { id: z.id });
  t.equal(p.transfers.outgoing("fresh.test."), undefined, "its outgoing config went too");
  t.equal((await ask(p.dns.udp.port, "fresh.test", "SOA")).rcode, "REFUSED");
  t.equal(p.zone("fresh.test"), undefined);
});

t.test("change events, unsubscribe, waitFor's timeout", async (t) => {
  const p = await started(t, startPrimary({ zones: [{ origin: "alpha.test", text: TEXT }] }));
  const seen: unknown[] = [];
  const off = p.on("change", (e) => seen.push(e));
  const rec = p.records("alpha.test").create({ name: "ev", type: "A", content: "192.0.2.7" });
  t.match(seen, [
    {
      zone: "alpha.test.",
      serial: 8,
      previousSerial: 7,
      added: [{ name: "ev.alpha.test.", type: "A", ttl: 300, content: "192.0.2.7" }],
      removed: [],
      settings: false,
    },
  ]);
  off();
  p.records("alpha.test").delete(rec.id);
  t.equal(seen.length, 1, "no events after unsubscribing");

  const slow = p.waitFor("transfer", (e) => e.serial >= 100, { timeoutMs: 50 });
  await t.rejects(slow, {
    message: 'waitFor("transfer") timed out after 50 ms: no "transfer" event came',
  });
  const none = p.waitFor("change", (e) => e.serial > 1000, { timeoutMs: 100 });
  p.records("alpha.test").create({ name: "ev2", type: "A", content: "192.0.2.7" });
  await t.rejects(none, {
    message: /1 "change" event came, none matched; the last: \{"zone":"alpha.test."/,
  });
  const ac = new AbortController();
  const aborted = p.waitFor("notify", undefined, { signal: ac.signal });
  ac.abort();
  await t.rejects(aborted, { message: /aborted/ });
  const pending = p.waitFor("refused");
  await p.close();
  await t.rejects(pending, { message: /closed/ });
  await t.rejects(p.waitFor("change"), { message: /closed/ });
});

t.test("logger: a pino logger or pino options; silent by default", async (t) => {
  const lines: string[] = [];
  const { default: pino } = await import("pino");
  const logger = pino({ level: "info" }, { write: (s: string) => lines.push(s) });
  const p = await startPrimary({ zones: [{ origin: "alpha.test", text: TEXT }], logger });
  p.records("alpha.test").create({ name: "log", type: "A", content: "192.0.2.7" });
  await p.close();
  t.ok(
    lines.some((l) => l.includes('"zone changed"')),
    "the given logger gets the primary's lines",
  );
  const q = await startPrimary({ logger: { level: "silent" } });
  await q.close();
});

t.test("Symbol.asyncDispose closes: `await using`", async (t) => {
  let port = 0;
  {
    await using p = await startPrimary({});
    port = p.dns.udp.port;
  }
  // The port is free again: another primary can take it.
  const q = await startPrimary({ dns: { port } });
  t.equal(q.dns.udp.port, port);
  await q.close();
});
