/**
 * Events a test can await: NOTIFY outcomes to a linked peer, real transfers (kdig), refusals.
 */
import dgram from "node:dgram";
import t, { type Test } from "tap";
import { startPrimary } from "../../src/index.js";
import { kdig } from "../peers/dig.js";
import { requireTool } from "../peers/tools.js";

const TEXT = `$TTL 300
@    IN SOA ns.alpha.test. admin.alpha.test. 7 3600 600 86400 60
@    IN NS  ns.alpha.test.
www  IN A   192.0.2.80
`;

/** A secondary's NOTIFY side: answers each NOTIFY (the request with QR set). */
async function notifyPeer(t: Test): Promise<{ port: number; got: () => number }> {
  const sock = dgram.createSocket("udp4");
  let got = 0;
  sock.on("message", (m, rinfo) => {
    got++;
    const answer = Buffer.from(m);
    answer[2] = (answer[2] ?? 0) | 0x80;
    sock.send(answer, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  t.teardown(() => new Promise<void>((r) => sock.close(() => r())));
  return { port: sock.address().port, got: () => got };
}

t.test("notify, transfer and refused events", async (t) => {
  const peerSide = await notifyPeer(t);
  const p = await startPrimary({
    zones: [
      { origin: "alpha.test", text: TEXT },
      { origin: "beta.test", records: [] },
    ],
    notify: { coalesceMs: 10 },
  });
  t.teardown(() => p.close());
  // The first NOTIFY goes out when outgoing transfers are enabled.
  const enabled = p.waitFor("notify", (e) => e.peerName === "bind", { timeoutMs: 5000 });
  const peer = p.transfers.createPeer({ name: "bind", ip: "127.0.0.1", port: peerSide.port });
  p.transfers.createOutgoing("alpha.test.", { peers: [peer.id], status: "Enabled" });
  t.match(await enabled, { kind: "notify", zone: "alpha.test.", serial: 7, outcome: "answered" });

  // A change: NOTIFY with the new serial.
  const notified = p.waitFor("notify", (e) => e.serial === 8, { timeoutMs: 5000 });
  p.records("alpha.test").create({ name: "new", type: "A", content: "192.0.2.8" });
  t.match(await notified, { peerName: "bind", outcome: "answered" });
  t.ok(peerSide.got() >= 2);

  if (!requireTool(t, "kdig")) return;
  const at = ["-p", String(p.dns.tcp.port), "@127.0.0.1"];
  const axfr = p.waitFor("transfer", (e) => e.peerName === "bind" && e.serial >= 8, {
    timeoutMs: 5000,
  });
  const out = await kdig([...at, "alpha.test.", "AXFR"]);
  t.match(out, /new\.alpha\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.8/);
  t.match(await axfr, {
    kind: "transfer",
    zone: "alpha.test.",
    type: "AXFR",
    serial: 8,
    outcome: "finished",
    address: "127.0.0.1",
  });

  const ixfr = p.waitFor("transfer", (e) => e.type === "IXFR", { timeoutMs: 5000 });
  await kdig([...at, "alpha.test.", "IXFR=7"]);
  t.match(await ixfr, { fromSerial: 7, serial: 8, peerName: "bind" });

  // beta.test has no outgoing configuration: its transfers are refused.
  const refused = p.waitFor("refused", (e) => e.zone === "beta.test.", { timeoutMs: 5000 });
  await kdig([...at, "beta.test.", "AXFR"]).catch(() => "");
  t.match(await refused, { kind: "refused", qtype: "AXFR", served: true });
});
