import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { TransferSettings } from "../src/cloudflare/transfer/settings.js";
import { startServer } from "../src/primary.js";
import { T } from "../src/wire/types.js";

const ZONE = `$ORIGIN api.test.
$TTL 300
@ SOA ns hostmaster 1 3600 600 86400 60
@ NS ns
ns A 192.0.2.53
`;

t.test("startServer serves the API beside DNS; disable clears the IXFR backlog", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-api-"));
  writeFileSync(join(dir, "api.test.zone"), ZONE);
  const transfers = new TransferSettings();
  const primary = await startServer({
    zonesDir: dir,
    dns: { host: "127.0.0.1", port: 0 },
    api: { host: "127.0.0.1", port: 0 },
    transfers,
    apiToken: "secret-token",
  });
  t.teardown(() => primary.close());
  t.ok(primary.api?.port, "the API has an address");
  const base = `http://127.0.0.1:${primary.api!.port}/client/v4`;
  const auth = { authorization: "Bearer secret-token", "content-type": "application/json" };
  const denied = await fetch(`${base}/zones`);
  t.equal(denied.status, 400, "the token is required (9106: no credential)");
  const zones = (await (await fetch(`${base}/zones`, { headers: auth })).json()) as {
    result: Array<{ id: string; name: string }>;
  };
  t.same(
    zones.result.map((z) => z.name),
    ["api.test"],
  );
  const zoneId = zones.result[0].id;
  const created = await fetch(`${base}/zones/${zoneId}/secondary_dns/outgoing`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ name: "api.test.", peers: [] }),
  });
  t.equal(created.status, 200);
  primary.commit("api.test.", {
    add: [{ name: "x.api.test.", type: T.A, ttl: 300, rdata: Buffer.from([192, 0, 2, 1]) }],
  });
  const zone = primary.zoneSet.get("api.test.")!;
  t.equal(zone.journal.size, 1);
  const disabled = await fetch(`${base}/zones/${zoneId}/secondary_dns/outgoing/disable`, {
    method: "POST",
    headers: auth,
  });
  t.equal(((await disabled.json()) as { result: string }).result, "Disabled");
  t.equal(zone.journal.size, 0, "the backlog is gone: the next IXFR gets the whole zone");
});
