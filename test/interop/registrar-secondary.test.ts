/**
 * The registrar's parent zone is a zone like the others: BIND, as its secondary, transfers it
 * from the registrar's listener, is notified of a change made through the registrar (a domain's
 * nameservers), and then serves the new delegation at the new serial, read back from BIND.
 */

import t from "tap";
import { startServer } from "../../src/primary.js";
import { startBindSecondary } from "../peers/secondary.js";
import { freePort, requireTool } from "../peers/tools.js";

t.test("BIND as the parent zone's secondary: transfer, NOTIFY, the new delegation", async (t) => {
  if (requireTool(t, "named") === undefined) return;
  const registrarPort = await freePort();
  const bind = await startBindSecondary({
    origin: "test.",
    primary: { host: "127.0.0.1", port: registrarPort },
    notifyFrom: ["127.0.0.1"],
    minRetrySeconds: 1,
  });
  t.teardown(() => bind.stop());
  const primary = await startServer({
    dns: { host: "127.0.0.1", port: 0 },
    registrar: {
      port: registrarPort,
      origin: "test",
      secondaries: [{ host: "127.0.0.1", port: bind.port }],
    },
    notify: {},
    zones: [{ origin: "example.test", records: [] }],
  });
  t.teardown(() => primary.close());
  // BIND started before the registrar listened: ask it to try again now.
  await bind.refresh();
  await bind.waitForSerial(await serialOf(primary), 15000);
  const zone = primary.registrar!.domain("example.test")!;
  const mark = bind.logMark();
  primary.registrar!.put("example.test", {
    nameservers: [...zone.nameservers, "ns1.secondary.test"],
    glue: { "ns1.secondary.test": ["127.0.0.3"] },
  });
  await bind.waitForSerial(await serialOf(primary), 15000);
  const copy = await bind.axfr();
  t.ok(
    copy.some(
      (r) => r.name === "example.test." && r.type === 2 && r.rdataText === "ns1.secondary.test.",
    ),
    "BIND's copy holds the new delegation",
  );
  t.ok(
    copy.some((r) => r.name === "ns1.secondary.test." && r.rdataText === "127.0.0.3"),
    "and its glue",
  );
  t.match(bind.logSince(mark), /received notify for zone 'test'/, "BIND was notified");
});

/** The parent's serial, as the registrar's listener answers it. */
async function serialOf(primary: Awaited<ReturnType<typeof startServer>>): Promise<number> {
  const { query } = await import("../peers/client.js");
  const r = await query(
    { host: "127.0.0.1", port: primary.registrar!.dns.udp.port },
    "test.",
    "SOA",
  );
  return Number(r.parsed.answer[0].rdataText.split(" ")[2]);
}
