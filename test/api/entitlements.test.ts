/**
 * The outgoing-transfer entitlement (the setup guide's "Make sure your account team has
 * enabled your zone for outgoing zone transfers"): granted by default; revoked, the zone's
 * outgoing routes answer 403 (89105) and its configuration is kept; the emulator's route to
 * read, grant and revoke it; the official SDK meeting the refusal without retrying; and on
 * the DNS side a real AXFR refused with the reason, then transferred once granted again.
 */

import { writeFileSync } from "node:fs";
import path from "node:path";
import Cloudflare from "cloudflare";
import t from "tap";
import { listenApi } from "../../src/api/server.js";
import { TransferSettings, zoneId } from "../../src/cloudflare/transfer/settings.js";
import { startServer } from "../../src/primary.js";
import { query } from "../peers/client.js";
import { makeTempDir, removeTempDir } from "../peers/tools.js";
import { rcodeText } from "../peers/wire.js";
import { call, lab, zoneText } from "./fixture.js";

const COM = zoneId("example.com.");
const OUT = `/zones/${COM}/secondary_dns/outgoing`;
const ENT = `/dns-primary/v1/zones/${COM}/entitlements`;

async function ext(app: ReturnType<typeof lab>["app"], method: "GET" | "PUT", body?: unknown) {
  const res = await app.inject({
    method,
    url: ENT,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, payload: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: res.json() };
}

t.test(
  "granted by default; revoked, the outgoing routes answer 403 and keep the config",
  async (t) => {
    const l = lab(t);
    t.same((await ext(l.app, "GET")).body.result, { outgoing_zone_transfers: true });
    t.equal((await call(l.app, "POST", OUT, { name: "example.com", peers: [] })).status, 200);
    t.equal((await call(l.app, "POST", `${OUT}/enable`)).status, 200);

    const revoked = await ext(l.app, "PUT", { outgoing_zone_transfers: false });
    t.equal(revoked.status, 200);
    t.same(revoked.body.result, { outgoing_zone_transfers: false });
    const calls: Array<["GET" | "POST" | "PUT" | "DELETE", string, unknown?]> = [
      ["GET", OUT],
      ["GET", `${OUT}/status`],
      ["POST", OUT, { name: "example.com" }],
      ["PUT", OUT, { name: "example.com", peers: [] }],
      ["POST", `${OUT}/enable`],
      ["POST", `${OUT}/disable`],
      ["POST", `${OUT}/force_notify`],
      ["DELETE", OUT],
    ];
    for (const [method, p, body] of calls) {
      const r = await call(l.app, method, p, body);
      t.equal(r.status, 403, `${method} ${p}`);
      t.equal(r.body.errors[0].code, 89105);
      t.match(r.body.errors[0].message, /not enabled for zone example\.com/);
    }
    t.equal(l.transfers.outgoing("example.com.")?.status, "Enabled", "the configuration is kept");
    const other = await call(
      l.app,
      "GET",
      `/zones/${zoneId("example.org.")}/secondary_dns/outgoing`,
    );
    t.equal(other.status, 404, "another zone is not affected (it has no configuration)");

    t.equal((await ext(l.app, "PUT", { outgoing_zone_transfers: true })).status, 200);
    const back = await call(l.app, "GET", `${OUT}/status`);
    t.equal(back.status, 200);
    t.equal(back.body.result, "Enabled", "granted again: as it was");
  },
);

t.test("the route refuses what is not an entitlement", async (t) => {
  const l = lab(t);
  for (const body of [{ outgoing_zone_transfers: "no" }, { secondary_dns: false }, {}]) {
    const r = await ext(l.app, "PUT", body);
    t.equal(r.status, 400, JSON.stringify(body));
    t.equal(r.body.errors[0].code, 89104);
  }
  t.equal(l.transfers.entitled("example.com."), true, "unchanged");
  const missing = await l.app.inject({
    method: "GET",
    url: "/dns-primary/v1/zones/00000000000000000000000000000000/entitlements",
  });
  t.equal(missing.statusCode, 404);
});

t.test("the official SDK: a 403 with the code, not retried", async (t) => {
  const l = lab(t, { apiToken: "sdk" });
  let asked = 0;
  l.app.addHook("onRequest", async () => {
    asked++;
  });
  l.transfers.setEntitled("example.com.", false);
  const { port } = await listenApi(l.app, { host: "127.0.0.1", port: 0 });
  const client = new Cloudflare({ apiToken: "sdk", baseURL: `http://127.0.0.1:${port}/client/v4` });
  const err = await client.dns.zoneTransfers.outgoing.get({ zone_id: COM }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof Cloudflare.PermissionDeniedError, "PermissionDeniedError");
  t.equal((err as InstanceType<typeof Cloudflare.PermissionDeniedError>).status, 403);
  t.match(String((err as Error).message), /89105/);
  t.equal(asked, 1, "asked once");
});

t.test("transfers: refused without the entitlement, with the reason; granted, sent", async (t) => {
  const dir = makeTempDir("dns-primary-entitled-");
  t.teardown(() => removeTempDir(dir));
  writeFileSync(path.join(dir, "example.com.zone"), zoneText("example.com."));
  const transfers = new TransferSettings();
  transfers.createAcl({ name: "lab", ip_range: "127.0.0.0/24" });
  transfers.createOutgoing("example.com.", { status: "Enabled" });
  transfers.setEntitled("example.com.", false);
  const primary = await startServer({
    zonesDir: dir,
    dns: { host: "127.0.0.1", port: 0 },
    transfers,
    notify: false,
  });
  t.teardown(() => primary.close());
  const server = { host: "127.0.0.1", port: primary.dns.tcp.port };
  const refused = await query(server, "example.com.", "AXFR", { tcp: true });
  t.equal(rcodeText(refused.parsed.rcode), "REFUSED");
  const seen = primary.activity.secondaries("example.com.", []);
  t.match(
    JSON.stringify(seen),
    /not enabled for outgoing zone transfers \(entitlement\)/,
    "the refusal says why",
  );
  transfers.setEntitled("example.com.", true);
  const sent = await query(server, "example.com.", "AXFR", { tcp: true });
  t.equal(rcodeText(sent.parsed.rcode), "NOERROR");
  t.ok(sent.parsed.answer.length > 2, "the zone is transferred");
});
