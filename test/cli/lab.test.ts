/**
 * `dns-primary lab check ZONE` against a running dns-primary with a registrar: clean when the
 * zone's only provider answers (every answer validated from the registrar's key); then a
 * second provider registered at the registrar (another server with an older copy of the zone,
 * unsigned) makes it report the answer that differs, the server whose keys do not chain to
 * the DS, and exit 1. The servers sit on one address with ports of their own, mapped with
 * --server, as a lab without port 53 does.
 */

import t from "tap";
import { run } from "../../src/cli/run.js";
import { startServer } from "../../src/primary.js";
import { fakeIO } from "./fake-io.js";

const RECORDS = [
  { name: "www", type: "A", content: "192.0.2.80", ttl: 300 },
  { name: "@", type: "MX", content: "mail.lab.test", priority: 10, ttl: 300 },
  { name: "mail", type: "A", content: "192.0.2.25", ttl: 300 },
];

t.test("lab check: clean, then a stale second provider", async (t) => {
  const primary = await startServer({
    dns: { host: "127.0.0.1", port: 0 },
    api: { host: "127.0.0.1", port: 0 },
    registrar: { port: 0, origin: "test" },
    notify: false,
    zones: [{ origin: "lab.test", records: RECORDS }],
  });
  t.teardown(() => primary.close());
  const api = `127.0.0.1:${primary.api!.port}`;
  const base = `http://${api}`;
  const h = { authorization: "Bearer t", "content-type": "application/json" };
  const zone = (
    (await (await fetch(`${base}/client/v4/zones?name=lab.test`, { headers: h })).json()) as any
  ).result[0];
  await fetch(`${base}/client/v4/zones/${zone.id}/dnssec`, {
    method: "PATCH",
    headers: h,
    body: JSON.stringify({ status: "active" }),
  });
  // Cloudflare's nameservers are outside test.: give them an address the lab maps.
  const assigned: string[] = zone.name_servers.map((n: string) => `${n}.`);
  const put = (body: unknown) =>
    fetch(`${base}/dns-primary/v1/registrar/domains/lab.test`, {
      method: "PUT",
      headers: h,
      body: JSON.stringify(body),
    });
  const cloudflareNs = "ns1.cloudflare-lab.test";
  await put({ nameservers: [cloudflareNs], glue: { [cloudflareNs]: ["127.0.0.81"] } });
  const mapCf = `127.0.0.81=127.0.0.1:${primary.dns.udp.port}`;

  const clean = fakeIO();
  const code = await run(["lab", "check", "lab.test", "--api", api, "--server", mapCf], clean.io);
  t.equal(code, 0, clean.out() + clean.err());
  t.match(clean.out(), /delegation secure/);
  t.match(clean.out(), /same {2}www\.lab\.test\. A {2}\(secure\)/);
  t.match(clean.out(), /same {2}dns-primary-lab-check\.lab\.test\. A {2}\(secure\)/);
  t.match(clean.out(), /ok: every server gave the same answers/);
  t.ok(assigned.length === 2, "the zone has Cloudflare's two nameservers");

  // A second provider with an older copy, unsigned.
  const stale = await startServer({
    dns: { host: "127.0.0.1", port: 0 },
    notify: false,
    zones: [
      {
        origin: "lab.test",
        records: RECORDS.map((r) => (r.name === "www" ? { ...r, content: "192.0.2.79" } : r)),
      },
    ],
  });
  t.teardown(() => stale.close());
  await put({
    nameservers: [cloudflareNs, "ns1.secondary-lab.test"],
    glue: { [cloudflareNs]: ["127.0.0.81"], "ns1.secondary-lab.test": ["127.0.0.82"] },
  });
  const bad = fakeIO();
  const args = ["lab", "check", "lab.test", "--api", api, "--server", mapCf];
  const code2 = await run(
    [...args, "--server", `127.0.0.82=127.0.0.1:${stale.dns.udp.port}`, "--json"],
    bad.io,
  );
  t.equal(code2, 1, "a difference: exit 1");
  const report = JSON.parse(bad.out());
  const www = report.answers.find((a: any) => a.name === "www.lab.test." && a.type === "A");
  t.equal(www.same, false, "www differs");
  t.same(
    Object.values(www.by_server)
      .map((x: any) => x.answer[0])
      .sort(),
    ["www.lab.test. 300 A 192.0.2.79", "www.lab.test. 300 A 192.0.2.80"],
  );
  const mx = report.answers.find((a: any) => a.type === "MX");
  t.equal(mx.same, true, "MX is the same at both");
  t.ok(
    report.problems.includes("www.lab.test. A: the servers differ"),
    "the problems name the answer that differs",
  );
  t.ok(
    report.problems.some((p: string) => /^ns1\.secondary-lab\.test\. .*bogus: no DNSKEY/.test(p)),
    "and the provider whose answers do not validate",
  );
  t.match(
    report.nameservers.find((n: any) => n.name === "ns1.secondary-lab.test.").dnssec,
    /^bogus/,
    "the unsigned provider's keys do not chain to the DS",
  );

  // Usage and reachability errors: one line each.
  const usage = fakeIO();
  t.equal(await run(["lab", "check"], usage.io), 2);
  t.match(usage.err(), /lab check: name one zone/);
  const none = fakeIO();
  t.equal(await run(["lab", "check", "nope.test", "--api", api], none.io), 1);
  t.match(none.err(), /zone nope\.test is not served/);
});
