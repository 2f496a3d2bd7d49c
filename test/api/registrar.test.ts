/**
 * The registrar's routes (`/dns-primary/v1/registrar`) and what its listener serves after
 * each: the defaults for a Cloudflare zone (assigned nameservers with the DNS listener's
 * address, the zone's DS while DNSSEC is on), a domain set through PUT (the secondary's
 * nameserver and glue, another signer's DS), the errors with their codes, DELETE back to the
 * defaults, and the key and domains kept by the data dir.
 */

import t from "tap";
import { startServer } from "../../src/primary.js";
import { rdataToText } from "../../src/wire/rdata.js";
import { query } from "../peers/client.js";
import { makeTempDir, removeTempDir } from "../peers/tools.js";
import { rrText } from "../peers/wire.js";

const OTHER_DS = "2371 13 2 1F987CC6583E92DF0890718C42F8EA88DB65BBF9D7C1C4ED34F0DF8325DE49BD";

async function start(dataDir?: string) {
  const server = await startServer({
    dns: { host: "127.0.0.1", port: 0 },
    registrar: { port: 0, origin: "test" },
    api: { host: "127.0.0.1", port: 0 },
    notify: false,
    ...(dataDir ? { dataDir } : { zones: [{ origin: "example.test", records: [] }] }),
  });
  const base = `http://127.0.0.1:${server.api!.port}`;
  const call = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: "Bearer t", "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as any };
  };
  const at = { host: "127.0.0.1", port: server.registrar!.dns.udp.port };
  const served = async (name: string, type: string) => {
    const r = await query(at, name, type, { dnssecOk: true });
    return [...r.parsed.answer, ...r.parsed.authority, ...r.parsed.additional]
      .filter((rr) => rr.type !== 46 && rr.type !== 41 && rr.type !== 47 && rr.type !== 6)
      .map((rr) =>
        // The test client's own text, but for DS, which it leaves in RFC 3597 form.
        rr.type === 43 ? `${rr.name} ${rr.ttl} IN DS ${rdataToText(43, rr.rdata)}` : rrText(rr),
      );
  };
  return { server, call, served };
}

t.test("registrar routes and the parent they serve", async (t) => {
  const dir = makeTempDir("dns-primary-registrar-");
  t.teardown(() => removeTempDir(dir));
  const { server, call, served } = await start();
  const zoneId = (await call("GET", "/client/v4/zones?name=example.test")).json.result[0].id;

  const reg = (await call("GET", "/dns-primary/v1/registrar")).json.result;
  t.equal(reg.origin, "test.");
  t.same(reg.dns, { host: "127.0.0.1", port: server.registrar!.dns.tcp.port });
  t.match(reg.trust_anchor.ds, /^test\. 300 IN DS \d+ 13 2 [0-9A-F]{64}$/);
  const assigned: string[] = reg.domains[0].nameservers;
  t.match(assigned, [/\.ns\.cloudflare\.com\.$/, /\.ns\.cloudflare\.com\.$/]);
  t.same(reg.domains[0].glue, {}, "Cloudflare's nameservers are outside test.: no glue there");
  t.same(
    (await served("example.test", "NS")).sort(),
    assigned.map((n) => `example.test. 300 IN NS ${n}`).sort(),
    "a referral to Cloudflare's nameservers",
  );

  // DNSSEC on: the zone's DS goes to the parent.
  const dnssec = (await call("PATCH", `/client/v4/zones/${zoneId}/dnssec`, { status: "active" }))
    .json.result;
  const ownDs = `${dnssec.key_tag} 13 2 ${dnssec.digest}`;
  t.same(await served("example.test", "DS"), [`example.test. 300 IN DS ${ownDs}`]);

  const put = await call("PUT", "/dns-primary/v1/registrar/domains/example.test", {
    nameservers: [...assigned, "ns1.secondary.test"],
    glue: { "ns1.secondary.test": ["127.0.0.3", "::1"] },
    ds: [`example.test. 3600 IN DS ${OTHER_DS}`],
  });
  t.equal(put.status, 200);
  t.same(put.json.result.ds, [ownDs, OTHER_DS], "the zone's DS, then the one added");
  t.same(put.json.result.ds_added, [OTHER_DS]);
  t.equal(put.json.result.nameservers_source, "registrar");
  t.same(
    (await served("example.test", "DS")).sort(),
    [`example.test. 300 IN DS ${OTHER_DS}`, `example.test. 300 IN DS ${ownDs}`].sort(),
  );
  const referral = await served("www.example.test", "A");
  t.ok(referral.includes("example.test. 300 IN NS ns1.secondary.test."), "the secondary's NS");
  t.ok(referral.includes("ns1.secondary.test. 300 IN A 127.0.0.3"), "its glue (IPv4)");
  t.ok(referral.includes("ns1.secondary.test. 300 IN AAAA ::1"), "its glue (IPv6)");

  const errors: Array<[string, unknown, number, RegExp]> = [
    ["example.test", { nameservers: [], glue: {} }, 89001, /nameservers/],
    ["example.test", { glue: { "ns.outside.example": ["127.0.0.4"] } }, 89001, /outside test\./],
    ["example.test", { glue: { "ns1.secondary.test": ["not-an-ip"] } }, 89005, /glue/],
    ["example.test", { ds: ["12 13 2 XYZ"] }, 89001, /ds\[0\]/],
    ["example.test", { color: "blue" }, 89001, /color/],
    ["other.test", {}, 89001, /needs its own/],
    ["example.com", { nameservers: ["ns.example.com"] }, 9000, /not below/],
  ];
  for (const [name, body, code, message] of errors) {
    const r = await call("PUT", `/dns-primary/v1/registrar/domains/${name}`, body);
    t.equal(r.status, 400, `${JSON.stringify(body)}: 400`);
    t.equal(r.json.errors[0].code, code, `${JSON.stringify(body)}: ${code}`);
    t.match(r.json.errors[0].message, message);
  }
  t.same(
    (await call("GET", "/dns-primary/v1/registrar/domains/example.test")).json.result,
    put.json.result,
    "a refused PUT changed nothing",
  );
  t.equal(
    (await call("GET", "/dns-primary/v1/registrar/domains/nope.test")).json.errors[0].code,
    7003,
  );

  // A domain that is not a Cloudflare zone here: delegated with the nameservers given.
  const other = await call("PUT", "/dns-primary/v1/registrar/domains/other.test", {
    nameservers: ["ns.other.test"],
    glue: { "ns.other.test": ["127.0.0.5"] },
  });
  t.equal(other.json.result.cloudflare_zone, false);
  t.ok((await served("x.other.test", "A")).includes("ns.other.test. 300 IN A 127.0.0.5"));

  const back = await call("DELETE", "/dns-primary/v1/registrar/domains/example.test");
  t.same(back.json.result.nameservers, assigned, "DELETE: Cloudflare's nameservers again");
  t.same(back.json.result.ds, [ownDs], "and the zone's own DS only");
  await server.close();
});

t.test("the data dir keeps the registrar's key and domains", async (t) => {
  const dir = makeTempDir("dns-primary-registrar-");
  t.teardown(() => removeTempDir(dir));
  const first = await start(dir);
  await first.call("POST", "/client/v4/zones", { name: "example.test" });
  await first.call("PUT", "/dns-primary/v1/registrar/domains/example.test", {
    ds: [OTHER_DS],
  });
  const before = (await first.call("GET", "/dns-primary/v1/registrar")).json.result;
  await first.server.close();
  const second = await start(dir);
  const after = (await second.call("GET", "/dns-primary/v1/registrar")).json.result;
  t.same(after.trust_anchor, before.trust_anchor, "the same trust anchor");
  t.same(after.domains, before.domains, "the same domains");
  t.same(await second.served("example.test", "DS"), [`example.test. 300 IN DS ${OTHER_DS}`]);

  // The zone deleted: its stored domain (Cloudflare's nameservers) no longer holds, and the
  // next start leaves it out rather than failing.
  const id = (await second.call("GET", "/client/v4/zones?name=example.test")).json.result[0].id;
  await second.call("DELETE", `/client/v4/zones/${id}`);
  await second.server.close();
  const third = await start(dir);
  t.teardown(() => third.server.close());
  const after3 = (await third.call("GET", "/dns-primary/v1/registrar")).json.result;
  t.same(after3.domains, [], "the stale domain is left out");
  t.same(after3.trust_anchor, before.trust_anchor, "the key is still the same");
});

t.test("no registrar: its routes say so", async (t) => {
  const server = await startServer({ dns: { port: 0 }, api: { port: 0 }, notify: false });
  t.teardown(() => server.close());
  const res = await fetch(`http://127.0.0.1:${server.api!.port}/dns-primary/v1/registrar`, {
    headers: { authorization: "Bearer t" },
  });
  t.equal(res.status, 404);
  t.match(((await res.json()) as any).errors[0], { code: 7003, message: /--registrar/ });
});
