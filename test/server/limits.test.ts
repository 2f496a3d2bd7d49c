/**
 * Limits through a whole primary (transport/limits.ts): transfers in progress per zone and in
 * total (beyond: REFUSED and logged), a reader that never drains the AXFR of a big zone
 * (bounded memory, others still answered, cut at the transfer deadline), records per zone
 * (the API answers 400, commit throws), the API body size, and close() with an AXFR in
 * progress.
 */
import { setTimeout as sleep } from "node:timers/promises";
import v8 from "node:v8";
import vm from "node:vm";
import pino from "pino";
import t, { type Test } from "tap";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { type PrimaryServer, startServer } from "../../src/primary.js";
import type { Limits } from "../../src/transport/limits.js";
import { T } from "../../src/wire/types.js";
import { ZoneError } from "../../src/zone/zone.js";
import { query } from "../peers/client.js";
import { axfr, stalledAxfr } from "./axfr-client.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const BIG = 100_000;
/** 100 000 TXT records of about 110 octets on the wire: an AXFR of about 11 MB. */
function bigZone(): string {
  const lines = [
    "$ORIGIN big.test.",
    "$TTL 300",
    "@ IN SOA ns1.big.test. hostmaster.big.test. 1 7200 3600 1209600 300",
    "@ IN NS ns1.big.test.",
    "ns1 IN A 192.0.2.1",
  ];
  const text = "x".repeat(96);
  for (let i = 0; i < BIG - 3; i++) lines.push(`r${i} IN TXT "${text}${i}"`);
  return `${lines.join("\n")}\n`;
}
const BIG_TEXT = bigZone();
const SMALL_TEXT = `$ORIGIN small.test.
$TTL 300
@ IN SOA ns1.small.test. hostmaster.small.test. 1 7200 3600 1209600 300
@ IN NS ns1.small.test.
ns1 IN A 192.0.2.1
www IN A 192.0.2.2
`;

async function start(t: Test, limits: Partial<Limits>, api = false) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: "info" },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  const transfers = new TransferSettings();
  transfers.createAcl({ name: "loopback", ip_range: "127.0.0.0/24" });
  transfers.createOutgoing("big.test.", { status: "Enabled" });
  transfers.createOutgoing("small.test.", { status: "Enabled" });
  const primary: PrimaryServer = await startServer({
    zones: [{ text: BIG_TEXT }, { text: SMALL_TEXT }],
    dns: { host: "127.0.0.1", port: 0 },
    ...(api ? { api: { host: "127.0.0.1", port: 0 } } : {}),
    transfers,
    logger,
    notify: false,
    limits,
  });
  t.teardown(() => primary.close());
  const server = { host: "127.0.0.1", port: primary.dns.tcp.port };
  return { primary, lines, server };
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

t.test("transfers in progress beyond the limits are REFUSED and logged", async (t) => {
  const { primary, lines, server } = await start(t, {
    transfersMax: 2,
    transfersPerZone: 1,
    transferMs: 20_000,
  });
  const held = await stalledAxfr(server.host, server.port, "big.test.");
  await sleep(200);
  const second = await axfr(server.host, server.port, "big.test.");
  t.equal(second.rcode, 5, "a second AXFR of the same zone: REFUSED (per-zone limit 1)");
  const small = await axfr(server.host, server.port, "small.test.");
  t.equal(small.rcode, 0, "another zone still transfers");
  t.equal(small.records.length, 3);
  const refusal = lines.find((l) => l.msg === "zone transfer refused");
  t.match(refusal, { zone: "big.test.", reason: /too many transfers of the zone in progress/ });
  t.match(
    primary.activity.secondaries("big.test.", []).recent_refusals[0],
    { rcode_name: "REFUSED", reason: /too many transfers/ },
    "the refusal is kept in the activity store",
  );
  held.destroy();
  await until("the held transfer to end", () =>
    lines.some((l) => l.outcome === "aborted" && l.zone === "big.test."),
  );
  const again = await axfr(server.host, server.port, "big.test.", { timeoutMs: 30_000 });
  t.equal(again.rcode, 0, "once the held transfer ended, the zone transfers again");
  t.equal(again.records.length, BIG - 1);
});

t.test("the total limit counts every zone", async (t) => {
  const { lines, server } = await start(t, {
    transfersMax: 1,
    transfersPerZone: 5,
    transferMs: 20_000,
  });
  const held = await stalledAxfr(server.host, server.port, "big.test.");
  await sleep(200);
  const small = await axfr(server.host, server.port, "small.test.");
  t.equal(small.rcode, 5, "REFUSED: one transfer in progress, limit 1");
  t.ok(
    lines.some((l) => /too many transfers in progress/.test(String(l.reason))),
    "logged with the reason",
  );
  const soa = await query(server, "small.test.", "SOA", { tcp: true });
  t.equal(soa.parsed.rcode, 0, "plain queries are not transfers: answered");
  held.destroy();
  await until("the held transfer to end", () => lines.some((l) => l.outcome === "aborted"));
  t.equal((await axfr(server.host, server.port, "small.test.")).rcode, 0);
});

t.test("a reader that never drains a 100k-record AXFR: bounded memory, cut in time", async (t) => {
  const transferMs = 3000;
  const { lines, server } = await start(t, { transferMs, tcpIdleMs: 60_000 });
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(50);
    }
    return process.memoryUsage().heapUsed;
  };
  const before = await settle();
  const t0 = Date.now();
  const held = await stalledAxfr(server.host, server.port, "big.test.");
  await sleep(1000);
  // Others are answered meanwhile, over UDP and TCP, and the small zone transfers.
  const udp = await query(server, "www.small.test.", "A");
  t.equal(udp.parsed.answer.length, 1, "a UDP query is answered");
  const tcp = await query(server, "r5.big.test.", "TXT", { tcp: true });
  t.equal(tcp.parsed.answer.length, 1, "a TCP query is answered");
  t.equal((await axfr(server.host, server.port, "small.test.")).rcode, 0, "another AXFR works");
  const grown = ((await settle()) - before) / 2 ** 20;
  t.ok(grown < 4, `the heap grew by ${grown.toFixed(2)} MiB with the AXFR stalled (zone ~11 MB)`);
  await until(
    "the transfer deadline",
    () => lines.some((l) => l.outcome === "aborted" && l.zone === "big.test."),
    transferMs + 3000,
  );
  const ms = Date.now() - t0;
  const line = lines.find((l) => l.outcome === "aborted" && l.zone === "big.test.")!;
  t.ok(ms >= transferMs - 100 && ms < transferMs + 2000, `cut after ${ms} ms`);
  t.ok(
    Number(line.records) < BIG / 2,
    `only what the socket buffers took was generated (${line.records} of ${BIG} records)`,
  );
  t.ok(
    lines.some((l) => String(l.msg).includes("multi-message answer not finished in time")),
    "the cut is logged",
  );
  held.destroy();
});

t.test("records per zone: a write past the limit is refused", async (t) => {
  const { primary } = await start(t, { zoneRecords: 5 }, true);
  // small.test. holds 4 records (SOA, NS, two A): one more fits, two do not.
  const rr = (name: string, last: number) => ({
    name,
    type: T.A,
    ttl: 300,
    rdata: Buffer.from([192, 0, 2, last]),
  });
  primary.commit("small.test.", { add: [rr("a.small.test.", 10)] });
  t.throws(
    () => primary.commit("small.test.", { add: [rr("b.small.test.", 11)] }),
    ZoneError,
    "commit throws",
  );
  t.throws(() => primary.commit("small.test.", { add: [rr("b.small.test.", 11)] }), {
    message: /would hold 6 records, over the limit of 5/,
  });
  t.doesNotThrow(
    () =>
      primary.commit("small.test.", {
        remove: [rr("a.small.test.", 10)],
        add: [rr("c.small.test.", 12)],
      }),
    "a change that adds no records still passes at the limit",
  );
  const base = `http://127.0.0.1:${primary.api!.port}/client/v4`;
  const zones = (await (await fetch(`${base}/zones?name=small.test`)).json()) as {
    result: Array<{ id: string; name: string }>;
  };
  const id = zones.result.find((z) => z.name === "small.test")!.id;
  const res = await fetch(`${base}/zones/${id}/dns_records`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ type: "A", name: "d.small.test", content: "192.0.2.13", ttl: 300 }),
  });
  t.equal(res.status, 400, "the API answers 400");
  const body = (await res.json()) as { success: boolean; errors: Array<{ message: string }> };
  t.equal(body.success, false);
  t.match(body.errors[0].message, /over the limit of 5/, "with a clear message");
  const big = await primary.cloudflare.set.get("big.test.");
  t.ok(big, "zones above the limit at load are served (the limit is on writes)");
});

t.test("the API body limit", async (t) => {
  const { primary } = await start(t, { apiBodyBytes: 1000 }, true);
  const base = `http://127.0.0.1:${primary.api!.port}/client/v4`;
  const res = await fetch(`${base}/zones`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "x.test", pad: "p".repeat(2000) }),
  });
  t.equal(res.status, 413, "a body over the limit: 413");
});

t.test("close() with AXFRs in progress resolves within the bound", async (t) => {
  const shutdownMs = 1000;
  const { primary, server } = await start(t, { shutdownMs, transferMs: 60_000 });
  const held = await stalledAxfr(server.host, server.port, "big.test.");
  const closedHeld = new Promise<void>((r) => held.once("close", () => r()));
  let received = 0;
  const reading = axfr(server.host, server.port, "big.test.", {
    timeoutMs: 20_000,
    onRecords: (n) => {
      received = n;
    },
  });
  await until("the reading transfer to be under way", () => received > 1000);
  const t0 = Date.now();
  await primary.close();
  const ms = Date.now() - t0;
  t.ok(ms < shutdownMs + 500, `close() resolved in ${ms} ms (bound ${shutdownMs} ms)`);
  const r = await reading;
  t.ok(
    r.cut || r.records.length === BIG - 1,
    r.cut
      ? `the reading transfer was cut cleanly (${r.records.length} records)`
      : "the reading transfer completed",
  );
  held.resume();
  held.on("data", () => {});
  await closedHeld;
  t.pass("the stalled transfer's connection was closed");
  const refused = await axfr(server.host, server.port, "big.test.", { timeoutMs: 2000 }).then(
    () => "answered",
    (err: NodeJS.ErrnoException) => err.code,
  );
  t.equal(refused, "ECONNREFUSED", "nothing listens after close()");
});
