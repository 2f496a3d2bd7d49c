/**
 * close() releases every socket, timer and worker: a process that starts a primary, uses it
 * (API, NOTIFY retries pending, a transfer peer, UDP workers) and closes it exits on its own.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import t from "tap";
import { buildPackage } from "../cli/package.js";

const run = promisify(execFile);

const SCRIPT = (entry: string, workers: number) => `
import dgram from "node:dgram";
import { startPrimary } from ${JSON.stringify(entry)};

const primary = await startPrimary({
  zones: [{ origin: "close.test", records: [{ name: "www", type: "A", content: "192.0.2.1" }] }],
  api: { port: 0 },
  udpWorkers: ${workers},
  // A peer that never answers: NOTIFY retries are pending when close() comes.
  notify: { coalesceMs: 5, retrySchedule: [60000, 60000] },
});
const peer = primary.transfers.createPeer({ name: "silent", ip: "127.0.0.1", port: 9 });
primary.transfers.createOutgoing("close.test.", { peers: [peer.id], status: "Enabled" });
primary.records("close.test").create({ name: "new", type: "A", content: "192.0.2.2" });
const res = await fetch("http://127.0.0.1:" + primary.api.port + "/client/v4/zones", {
  headers: { connection: "keep-alive" },
});
await res.json();
const answered = await new Promise((resolve, reject) => {
  const s = dgram.createSocket("udp4");
  const q = Buffer.from("abcd01000001000000000000036e657705636c6f73650474657374000001" + "0001", "hex");
  s.on("message", (m) => { s.close(); resolve(m.readUInt16BE(6)); });
  s.on("error", reject);
  s.send(q, primary.dns.udp.port, "127.0.0.1");
});
const pending = primary.waitFor("transfer").then(() => "resolved", (e) => e.message);
await primary.close();
const waited = await pending;
// Handles closed are listed until the loop has turned a few times.
await new Promise((r) => setTimeout(r, 200));
const left = process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap" && r !== "PipeWrap");
console.log(JSON.stringify({ answered, waited, left }));
`;

t.test("a process that closes its primaries exits on its own", async (t) => {
  const pkg = buildPackage((fn) => t.teardown(fn));
  const entry = pathToFileURL(join(pkg, "dist", "index.js")).href;
  for (const workers of [0, 1]) {
    const file = join(pkg, `close-${workers}.mjs`);
    writeFileSync(file, SCRIPT(entry, workers));
    const t0 = Date.now();
    // The child is killed after 15 s: a leaked socket or timer fails the test, not hangs it.
    const { stdout } = await run(process.execPath, [file], { timeout: 15000 });
    const out = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
    t.equal(out.answered, 1, `udpWorkers ${workers}: the query was answered`);
    t.match(out.waited, /closed/, `udpWorkers ${workers}: a pending waitFor rejects`);
    t.same(out.left, [], `udpWorkers ${workers}: nothing left active after close()`);
    t.ok(Date.now() - t0 < 10000, `udpWorkers ${workers}: exited by itself`);
  }
});
