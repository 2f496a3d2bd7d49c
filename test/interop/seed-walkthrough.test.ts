/**
 * The setup guide (cloudflare-as-primary-setup.md) from end to end against a running primary:
 * every step with the official `cloudflare` SDK (steps 1, 2, 3, 5, 6), step 5's curl example
 * verbatim, then what a secondary receives checked with kdig AXFR/IXFR signed with the TSIG:
 * Cloudflare's apex NS, proxied and CAA rules (cloudflare.md §1).
 */

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Cloudflare from "cloudflare";
import t from "tap";
import { TransferSettings, zoneId } from "../../src/cloudflare/transfer/settings.js";
import { type PrimaryServer, startServer } from "../../src/primary.js";
import { kdig } from "../peers/dig.js";
import { requireTool } from "../peers/tools.js";

const TOKEN = "seed-token";
const SECRET = "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk=";
const KEY = `hmac-sha512:tsig.customer.cf.:${SECRET}`;

const ZONE_FILE = `$ORIGIN example.com.
$TTL 3600
@     IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 900 1209600 300
@     IN NS  ns1.example.com.
@     IN NS  ns2.example.com.
ns1   IN A   192.0.2.1
ns2   IN A   192.0.2.2
www   IN A   192.0.2.80
`;

interface Line {
  name: string;
  ttl: number;
  type: string;
  data: string;
}

/** The records of kdig's AXFR/IXFR output, one per line (the TSIG of each message left out). */
function records(out: string): Line[] {
  return out
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith(";"))
    .map((l) => {
      const [name, ttl, , type, ...data] = l.trim().split(/\s+/);
      return { name: name.toLowerCase(), ttl: Number(ttl), type, data: data.join(" ") };
    })
    .filter((r) => r.type !== "TSIG");
}

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("curl", args, { timeout: 10000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

t.test("the setup guide with the SDK, curl and kdig", async (t) => {
  if (!requireTool(t, "kdig") || !requireTool(t, "curl")) return;
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-seed-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "example.com.zone"), ZONE_FILE);
  const primary: PrimaryServer = await startServer({
    zonesDir: dir,
    dns: { host: "127.0.0.1", port: 0 },
    api: { host: "127.0.0.1", port: 0 },
    apiToken: TOKEN,
    transfers: new TransferSettings(),
  });
  t.teardown(() => primary.close());
  const baseURL = `http://127.0.0.1:${primary.api!.port}/client/v4`;
  const client = new Cloudflare({ apiToken: TOKEN, baseURL });
  const account_id = (await client.accounts.list()).result[0].id;
  const zone_id = zoneId("example.com.");
  const port = String(primary.dns.tcp.port);
  const axfr = async () =>
    records(await kdig(["-y", KEY, "@127.0.0.1", "-p", port, "+tcp", "AXFR", "example.com."]));

  // 1. Create a TSIG.
  const tsig = await client.dns.zoneTransfers.tsigs.create({
    account_id,
    name: "tsig.customer.cf.",
    algo: "hmac-sha512.",
    secret: SECRET,
  });
  // 2. Create a peer, then give it the address it transfers from and the TSIG.
  const created = await client.dns.zoneTransfers.peers.create({ account_id, name: "kdig" });
  const peer = await client.dns.zoneTransfers.peers.update(created.id, {
    account_id,
    name: "kdig",
    ip: "127.0.0.1",
    port: 53,
    tsig_id: tsig.id,
  });
  // 3. Link the peer to the zone.
  await client.dns.zoneTransfers.outgoing.create({
    zone_id,
    name: "example.com.",
    peers: [peer.id],
  });

  // Records a Cloudflare zone typically has: a proxied origin, CAA, certificate validation.
  const proxied = await client.dns.records.create({
    zone_id,
    type: "A",
    name: "app.example.com",
    content: "198.51.100.7",
    proxied: true,
    ttl: 1,
  });
  t.equal(proxied.proxied, true);
  await client.dns.records.create({
    zone_id,
    type: "CAA",
    name: "example.com",
    data: { flags: 0, tag: "issue", value: "letsencrypt.org" },
    ttl: 3600,
  });
  await client.dns.records.create({
    zone_id,
    type: "TXT",
    name: "_acme-challenge.example.com",
    content: "validation-token",
    ttl: 120,
  });

  // 5. The secondary's nameservers at the apex, then multi-provider DNS with the guide's curl.
  for (const ns of ["ns1.secondary.example.net", "ns2.secondary.example.net"]) {
    await client.dns.records.create({
      zone_id,
      type: "NS",
      name: "example.com",
      content: ns,
      ttl: 86400,
    });
  }
  const ZONE_ID = zone_id;
  const CLOUDFLARE_API_TOKEN = TOKEN;
  const out = await curl([
    `${baseURL}/zones/${ZONE_ID}/dns_settings`,
    "--request",
    "PATCH",
    "--header",
    `Authorization: Bearer ${CLOUDFLARE_API_TOKEN}`,
    "--json",
    `{
    "multi_provider": true
  }`,
  ]);
  t.match(JSON.parse(out), { success: true, result: { multi_provider: true } });
  t.equal((await client.dns.settings.zone.get({ zone_id })).multi_provider, true);

  // Before step 6 transfers are refused.
  const refused = await kdig([
    "-y",
    KEY,
    "@127.0.0.1",
    "-p",
    port,
    "+tcp",
    "AXFR",
    "example.com.",
  ]).then(
    (out) => out,
    (err: Error) => err.message,
  );
  t.match(refused, /REFUSED/, "transfers are refused until step 6");

  // 6. Enable outgoing transfers.
  t.equal(await client.dns.zoneTransfers.outgoing.enable({ zone_id }), "Enabled");
  t.equal(await client.dns.zoneTransfers.outgoing.status.get({ zone_id }), "Enabled");

  const got = await axfr();
  const at = (name: string, type: string) =>
    got.filter((r) => r.name === name && r.type === type).map((r) => r.data);
  t.equal(got[0].type, "SOA");
  t.equal(got.at(-1)?.type, "SOA");
  t.same(
    at("example.com.", "NS").sort(),
    [
      "ns1.example.com.",
      "ns1.secondary.example.net.",
      "ns2.example.com.",
      "ns2.secondary.example.net.",
    ],
    "multi-provider: the assigned nameservers and the user's apex NS",
  );
  t.equal(at("app.example.com.", "A").length, 2, "proxied: two anycast A");
  t.equal(at("app.example.com.", "AAAA").length, 2, "proxied: two anycast AAAA");
  t.notOk(
    got.some((r) => r.data === "198.51.100.7"),
    "the origin address never leaves",
  );
  t.ok(
    got.filter((r) => r.name === "app.example.com.").every((r) => r.ttl === 300),
    "TTL 300",
  );
  t.same(at("example.com.", "CAA"), [], "CAA is withheld from transfers");
  t.same(at("_acme-challenge.example.com.", "TXT"), [], "certificate validation TXT withheld");
  t.same(at("www.example.com.", "A"), ["192.0.2.80"], "DNS-only records as stored");
  // Queries see the same rules, CAA excepted (it is answered).
  const q = await kdig(["@127.0.0.1", "-p", port, "CAA", "example.com.", "+short"]);
  t.match(q, /letsencrypt\.org/, "CAA still answers queries");

  // Multi-provider off: the user's apex NS are ignored again, as one change an IXFR carries.
  const serial = (await client.dns.zoneTransfers.outgoing.get({ zone_id })).soa_serial;
  await client.dns.settings.zone.edit({ zone_id, multi_provider: false });
  const ixfr = records(
    await kdig(["-y", KEY, "@127.0.0.1", "-p", port, "+tcp", `IXFR=${serial}`, "example.com."]),
  );
  t.same(
    ixfr
      .filter((r) => r.type === "NS")
      .map((r) => r.data)
      .sort(),
    ["ns1.secondary.example.net.", "ns2.secondary.example.net."],
    "the IXFR removes exactly the user's apex NS",
  );
  t.equal(
    ixfr.filter((r) => r.type === "SOA").length,
    4,
    "one changeset: SOA, old SOA, new SOA, SOA",
  );
  t.same(
    (await axfr())
      .filter((r) => r.name === "example.com." && r.type === "NS")
      .map((r) => r.data)
      .sort(),
    ["ns1.example.com.", "ns2.example.com."],
  );

  // Listing records with auto-pagination over several pages ends.
  const ids: string[] = [];
  for await (const r of client.dns.records.list({ zone_id, per_page: 2 })) ids.push(r.id);
  t.equal(ids.length, new Set(ids).size);
  t.equal(ids.length, 10, "every record once: 2 NS, 3 A, proxied A, CAA, TXT, 2 user NS");
});
