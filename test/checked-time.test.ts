import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { TransferSettings } from "../src/cloudflare/transfer/settings.js";
import { startServer } from "../src/primary.js";
import { query } from "./peers/client.js";

const ZONE = `$ORIGIN checked.test.
$TTL 300
@ SOA ns hostmaster 1 3600 600 86400 60
@ NS ns
ns A 192.0.2.53
`;

t.test("an SOA query from an allowed source sets checked_time; others do not", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-checked-"));
  writeFileSync(join(dir, "checked.test.zone"), ZONE);
  const transfers = new TransferSettings();
  const peer = transfers.createPeer({ name: "p", ip: "127.0.0.1" });
  transfers.createOutgoing("checked.test.", { peers: [peer.id], status: "Enabled" });
  const primary = await startServer({
    zonesDir: dir,
    dns: { host: "127.0.0.1", port: 0 },
    transfers,
  });
  t.teardown(() => primary.close());
  t.equal(transfers.getOutgoing("checked.test.").checked_time, null);
  await query({ host: "127.0.0.1", port: primary.dns.udp.port }, "checked.test", "A");
  t.equal(transfers.getOutgoing("checked.test.").checked_time, null, "an A query is not a check");
  for (const tcp of [false, true, false]) {
    await query({ host: "127.0.0.1", port: primary.dns.udp.port }, "checked.test", "SOA", { tcp });
  }
  t.ok(
    transfers.getOutgoing("checked.test.").checked_time,
    "set by the peer's SOA query (also when answered from the cache)",
  );
});
