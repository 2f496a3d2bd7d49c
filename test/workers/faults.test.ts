/**
 * Query faults in UDP worker processes (src/workers/faults.ts): with `udpWorkers: 1` every UDP
 * answer comes from the worker, TCP from the main process. A fault declared at start and one
 * added at run time both reach the worker; what the worker applies is counted in the main
 * process's store, with its events; removing the fault restores the worker's answers.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import type { FaultApplied } from "../../src/faults/faults.js";
import { startServer } from "../../src/primary.js";
import { query } from "../peers/client.js";
import { rcodeText } from "../peers/wire.js";

const zone = (origin: string) => `$ORIGIN ${origin}
$TTL 300
@ SOA ns hostmaster 5000 3600 600 86400 60
@ NS ns
ns A 192.0.2.53
www A 192.0.2.80
`;

const dir = mkdtempSync(join(tmpdir(), "dns-primary-worker-faults-"));
writeFileSync(join(dir, "declared.test.zone"), zone("declared.test."));
writeFileSync(join(dir, "runtime.test.zone"), zone("runtime.test."));
const primary = await startServer({
  zonesDir: dir,
  dns: { host: "127.0.0.1", port: 0 },
  udpWorkers: 1,
  faults: [{ zone: "declared.test", spec: { kind: "soa-rcode", rcode: "REFUSED" } }],
});
t.teardown(() => primary.close());
const server = { host: "127.0.0.1", port: primary.dns.udp.port };
const events: FaultApplied[] = [];
primary.faults.onApplied((e) => events.push(e));

const soa = async (name: string, tcp = false) => {
  const r = await query(server, name, "SOA", { tcp, timeoutMs: 1000, retries: 0 });
  const serial = Number(r.parsed.answer[0]?.rdataText.split(" ")[2]);
  return { rcode: rcodeText(r.parsed.rcode), serial };
};

/** Ask until `ok` holds (a broadcast reaches the worker asynchronously), at most `ms`. */
async function until<R>(
  t: Test,
  ask: () => Promise<R>,
  ok: (r: R) => boolean,
  what: string,
  ms = 3000,
): Promise<R> {
  const deadline = Date.now() + ms;
  let r = await ask();
  while (!ok(r) && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 25));
    r = await ask();
  }
  t.ok(ok(r), what);
  return r;
}

t.test("a fault declared at start acts in the worker from its first answer", async (t) => {
  const first = await soa("declared.test.");
  t.equal(first.rcode, "REFUSED", "UDP (the worker): the declared RCODE at once");
  const viaTcp = await soa("declared.test.", true);
  t.equal(viaTcp.rcode, "REFUSED", "TCP (the main process) alike");
  // The worker's report crosses the IPC channel: it may come after the TCP answer.
  await until(
    t,
    async () => primary.faults.list("declared.test.")[0].applied,
    (n) => n === 2,
    "the worker's application is counted in the main process",
  );
  const fromWorker = events.filter((e) => e.zone === "declared.test.");
  t.equal(fromWorker.length, 2, "an event for each");
  t.match(fromWorker[0], {
    point: "query",
    address: "127.0.0.1",
    action: "answered the SOA query with REFUSED",
  });
});

t.test("a fault added at run time reaches the worker; removed, it stops", async (t) => {
  const key = "runtime.test.";
  t.equal((await soa(key)).serial, 5000, "before: the zone's serial");
  const before = events.length;
  const f = primary.faults.add(key, { kind: "serial-regression", delta: 10 });
  await until(
    t,
    () => soa(key),
    (r) => r.serial === 4990,
    "UDP (the worker) serves the lowered serial",
  );
  t.equal((await soa(key, true)).serial, 4990, "TCP (the main process) too");
  const applied = () => primary.faults.get(key, f.id).applied;
  await until(
    t,
    async () => applied(),
    (n) => n >= 2,
    "the worker's applications are counted in the main process",
  );
  t.ok(
    events.slice(before).some((e) => e.action === "served serial 4990 instead of 5000"),
    "with the worker's action in the event",
  );
  primary.faults.remove(key, f.id);
  await until(
    t,
    () => soa(key),
    (r) => r.serial === 5000,
    "once removed, the worker serves the zone's serial again",
  );
});

t.test("times in the worker: used up there, and the main process knows", async (t) => {
  const key = "runtime.test.";
  const f = primary.faults.add(key, { kind: "udp-drop", probability: 1, times: 2 });
  // Wait until the worker holds it: a dropped answer is a timeout.
  const dropped = async () =>
    query(server, `www.${key}`, "A", { timeoutMs: 300, retries: 0 }).then(
      () => false,
      () => true,
    );
  await until(t, dropped, (d) => d, "the worker drops a UDP answer");
  const rest = [await dropped(), await dropped(), await dropped()];
  t.same(rest, [true, false, false], "two drops in all, then answers");
  await until(
    t,
    async () => primary.faults.get(key, f.id),
    (i) => i.applied === 2 && i.times === 0 && !i.active,
    "the main process counted both and the fault is used up",
  );
});
