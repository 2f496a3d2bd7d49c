/**
 * The setup guide's zone-transfer steps (cloudflare-as-primary-setup.md, steps 1, 2, 3 and 6)
 * driven by the official SDK against the API listening on 127.0.0.1, as a user's script would.
 */

import Cloudflare from "cloudflare";
import t, { type Test } from "tap";
import { listenApi } from "../../src/api/server.js";
import { zoneId } from "../../src/cloudflare/transfer/settings.js";
import { ACCOUNT, lab, SECRET } from "./fixture.js";

const TOKEN = "t";

async function setup(t: Test, origins?: string[]) {
  const l = lab(t, { apiToken: TOKEN, ...(origins === undefined ? {} : { origins }) });
  const requests: string[] = [];
  l.app.addHook("onRequest", async (req) => {
    requests.push(`${req.method} ${req.url}`);
  });
  const { port } = await listenApi(l.app, { host: "127.0.0.1", port: 0 });
  const baseURL = `http://127.0.0.1:${port}/client/v4`;
  const client = new Cloudflare({ apiToken: TOKEN, baseURL });
  return { ...l, client, baseURL, requests };
}

t.test("setup guide steps with the official SDK", async (t) => {
  const { client, transfers } = await setup(t);
  const account_id = ACCOUNT.id;
  const zone_id = zoneId("example.com.");

  // 1. Create TSIG.
  const tsig = await client.dns.zoneTransfers.tsigs.create({
    account_id,
    name: "tsig.customer.cf.",
    algo: "hmac-sha512.",
    secret: SECRET,
  });
  t.match(tsig, { name: "tsig.customer.cf.", algo: "hmac-sha512.", secret: SECRET });
  t.match(tsig.id, /^[0-9a-f]{32}$/);

  // 2. Create a peer (documented with a name only), then give it ip, port and the TSIG.
  const created = await client.dns.zoneTransfers.peers.create({ account_id, name: "secondary" });
  t.equal(created.name, "secondary");
  const peer = await client.dns.zoneTransfers.peers.update(created.id, {
    account_id,
    name: "secondary",
    ip: "192.0.2.53",
    port: 53,
    tsig_id: tsig.id,
  });
  t.same(peer, {
    id: created.id,
    name: "secondary",
    ip: "192.0.2.53",
    port: 53,
    ixfr_enable: false,
    tsig_id: tsig.id,
  });
  const peers = [];
  for await (const p of client.dns.zoneTransfers.peers.list({ account_id })) peers.push(p.id);
  t.same(peers, [peer.id]);

  // 3. Link the peer to the primary zone.
  const outgoing = await client.dns.zoneTransfers.outgoing.create({
    zone_id,
    name: "example.com.",
    peers: [peer.id],
  });
  t.match(outgoing, { id: zone_id, name: "example.com.", peers: [peer.id], soa_serial: 100 });
  t.equal(await client.dns.zoneTransfers.outgoing.status.get({ zone_id }), "Disabled");

  // 6. Enable outgoing zone transfers.
  t.equal(await client.dns.zoneTransfers.outgoing.enable({ zone_id }), "Enabled");
  t.equal(await client.dns.zoneTransfers.outgoing.status.get({ zone_id }), "Enabled");
  t.equal(transfers.getOutgoing("example.com.").status, "Enabled", "the live store changed");
  t.equal(transfers.zoneTsig("example.com.")?.id, tsig.id, "the transfer server sees the TSIG");
  t.same(transfers.isAllowedSource("example.com.", "192.0.2.53").via, "peer");

  t.equal(await client.dns.zoneTransfers.outgoing.forceNotify({ zone_id }), "OK");
  t.match(await client.dns.zoneTransfers.outgoing.get({ zone_id }), { peers: [peer.id] });
  t.equal(await client.dns.zoneTransfers.outgoing.disable({ zone_id }), "Disabled");

  const zone = await client.zones.get({ zone_id });
  t.match(zone, { id: zone_id, name: "example.com", status: "active", account: ACCOUNT });
  const account = await client.accounts.get({ account_id });
  t.match(account, { id: ACCOUNT.id, name: ACCOUNT.name });
});

t.test("zones.list auto-pagination ends", async (t) => {
  const origins = ["a.example.", "b.example.", "c.example.", "d.example.", "e.example."];
  const { client, requests } = await setup(t, origins);
  const seen: string[] = [];
  for await (const z of client.zones.list({ per_page: 1 })) {
    seen.push(z.name);
    if (seen.length > origins.length) break;
  }
  t.same(seen, ["a.example", "b.example", "c.example", "d.example", "e.example"]);
  // Five full pages, then the empty sixth that stops the SDK.
  t.equal(requests.filter((r) => r.startsWith("GET /client/v4/zones")).length, 6);

  const page = await client.zones.list({ per_page: 2, page: 3 });
  t.same(
    page.result.map((z) => z.name),
    ["e.example"],
  );
  t.match(page.result_info, { page: 3, per_page: 2 });
  // The SDK types only page and per_page; the rest of result_info is passed through.
  t.equal((page.result_info as { total_count?: number }).total_count, 5);
  const named = [];
  for await (const z of client.zones.list({ name: "c.example" })) named.push(z.id);
  t.same(named, [zoneId("c.example.")]);
});

t.test("SDK errors: 400 is not retried, 404 and 403 surface with their codes", async (t) => {
  const { client, baseURL, requests } = await setup(t);
  const account_id = ACCOUNT.id;
  const zone_id = zoneId("example.com.");
  const k1 = await client.dns.zoneTransfers.tsigs.create({
    account_id,
    name: "k1.",
    algo: "hmac-sha256",
    secret: SECRET,
  });
  const k2 = await client.dns.zoneTransfers.tsigs.create({
    account_id,
    name: "k2.",
    algo: "hmac-sha256",
    secret: SECRET,
  });
  const p1 = await client.dns.zoneTransfers.peers.create({ account_id, name: "a" });
  const p2 = await client.dns.zoneTransfers.peers.create({ account_id, name: "b" });
  await client.dns.zoneTransfers.peers.update(p1.id, { account_id, name: "a", tsig_id: k1.id });
  await client.dns.zoneTransfers.peers.update(p2.id, { account_id, name: "b", tsig_id: k2.id });

  const before = requests.length;
  const err = await client.dns.zoneTransfers.outgoing
    .create({ zone_id, name: "example.com.", peers: [p1.id, p2.id] })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  t.ok(err instanceof Cloudflare.BadRequestError, "a 400");
  t.equal((err as InstanceType<typeof Cloudflare.APIError>).status, 400);
  t.match((err as InstanceType<typeof Cloudflare.APIError>).errors, [{ code: 89013 }]);
  t.equal(requests.length - before, 1, "sent once: no retry");

  const missing = await client.dns.zoneTransfers.tsigs
    .get("00000000000000000000000000000000", { account_id })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  t.ok(missing instanceof Cloudflare.NotFoundError);
  t.match((missing as InstanceType<typeof Cloudflare.APIError>).errors, [{ code: 7003 }]);

  // DELETE returns { id } (and the peer, never linked, can go).
  t.same(await client.dns.zoneTransfers.peers.delete(p1.id, { account_id }), { id: p1.id });

  const stranger = new Cloudflare({ apiToken: "wrong", baseURL, maxRetries: 0 });
  const denied = await stranger.accounts.get({ account_id }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(denied instanceof Cloudflare.PermissionDeniedError);
  t.match((denied as InstanceType<typeof Cloudflare.APIError>).errors, [
    { code: 10000, message: "Authentication error" },
  ]);
});

t.test(
  "account DNS settings with the official SDK: get, edit, zone defaults, errors",
  async (t) => {
    const { client, requests, zones } = await setup(t);
    const account_id = ACCOUNT.id;
    const got = await client.dns.settings.account.get({ account_id });
    t.equal(got.enforce_dns_only, false);
    t.equal(got.zone_defaults.multi_provider, false);
    t.equal(got.zone_defaults.ns_ttl, 86400);

    const edited = await client.dns.settings.account.edit({
      account_id,
      zone_defaults: { multi_provider: true, ns_ttl: 3600 },
    });
    t.equal(edited.zone_defaults.multi_provider, true);
    t.equal(edited.zone_defaults.ns_ttl, 3600);
    t.equal(edited.enforce_dns_only, false);
    const enforced = await client.dns.settings.account.edit({ account_id, enforce_dns_only: true });
    t.equal(enforced.enforce_dns_only, true);
    t.equal(enforced.zone_defaults.multi_provider, true, "an edit leaves the other fields");

    // A zone created afterwards starts with the defaults, without a settings call.
    const zone = await client.zones.create({
      name: "defaults.example",
      account: { id: account_id },
    });
    const settings = await client.dns.settings.zone.get({ zone_id: zone.id });
    t.equal(settings.multi_provider, true);
    t.equal(settings.ns_ttl, 3600);
    t.equal(zones.accountSettings().enforce_dns_only, true);

    // A bad value is a 400 the SDK does not retry.
    const before = requests.length;
    const err = await client.dns.settings.account
      .edit({ account_id, zone_defaults: { ns_ttl: 5 } })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    t.ok(err instanceof Cloudflare.BadRequestError, "a BadRequestError");
    t.equal((err as InstanceType<typeof Cloudflare.BadRequestError>).status, 400);
    t.equal(requests.length, before + 1, "asked once");
  },
);
