import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { startPrimary } from "../src/primary.js";
import { query } from "./peers/client.js";

const ZONE = `$ORIGIN workers.test.
$TTL 300
@ SOA ns hostmaster 7 3600 600 86400 60
@ NS ns
ns A 192.0.2.53
www A 192.0.2.80
`;

t.test(
  "UDP worker processes answer on the shared port; TCP stays in the main process",
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "dns-primary-workers-"));
    writeFileSync(join(dir, "workers.test.zone"), ZONE);
    const primary = await startPrimary({
      zonesDir: dir,
      dns: { host: "127.0.0.1", port: 0 },
      udpWorkers: 2,
    });
    t.teardown(() => primary.close());
    t.equal(primary.dns.udp.port, primary.dns.tcp.port, "one port for UDP and TCP");
    const server = { host: "127.0.0.1", port: primary.dns.udp.port };
    const answers = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await query(server, "www.workers.test", "A");
      const a = r.decoded?.answers?.[0] as { data?: string } | undefined;
      answers.add(String(a?.data));
    }
    t.same([...answers], ["192.0.2.80"], "every UDP answer comes from the zone");
    const tcp = await query(server, "www.workers.test", "A", { tcp: true });
    const first = tcp.decoded?.answers?.[0] as { data?: string } | undefined;
    t.equal(first?.data, "192.0.2.80", "TCP answers too");
  },
);
