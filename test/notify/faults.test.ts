/**
 * The NOTIFY faults (faults/kinds.ts, point "notify") on real UDP sockets: a socket on the
 * loopback stands in for each secondary and records what reached it, from where.
 */

import type { RemoteInfo } from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as packet from "dns-packet";
import pino from "pino";
import t, { type Test } from "tap";
import { TransferActivity } from "../../src/cloudflare/transfer/activity.js";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { type FaultApplied, Faults } from "../../src/faults/faults.js";
import {
  Notifier,
  type NotifyLogger,
  type NotifyOutcomeEvent,
  type NotifyTarget,
} from "../../src/notify/notifier.js";
import { UdpTransport } from "../../src/notify/udp.js";
import { startServer } from "../../src/primary.js";
import { RCODE } from "../../src/wire/message.js";
import { readTsig, type TsigKey, verifyRequest } from "../../src/wire/tsig.js";
import { answer, KEY, signedAnswer, soa, udpPeer } from "./helpers.js";

const ZONE = "example.com.";
const ZONE_KEY = "example.com.";
const SERIAL = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(ok: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(10);
  }
}

interface Datagram {
  msg: Buffer;
  rinfo: RemoteInfo;
}

/**
 * A secondary on `host`: records every datagram; `reply` says what to answer (default: an
 * unsigned NOERROR echo; undefined: silence).
 */
async function secondary(
  t: Test,
  peerId: string,
  host = "127.0.0.1",
  opts: { key?: TsigKey; reply?: (msg: Buffer, n: number) => Buffer | undefined } = {},
) {
  const socket = await udpPeer(host);
  t.teardown(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const got: Datagram[] = [];
  socket.on("message", (msg, rinfo) => {
    got.push({ msg, rinfo });
    const out = opts.reply ? opts.reply(msg, got.length) : answer(msg);
    if (out) socket.send(out, rinfo.port, rinfo.address);
  });
  const target: NotifyTarget = {
    peerId,
    peerName: `lab-${peerId.slice(0, 4)}`,
    host,
    port: socket.address().port,
    ...(opts.key ? { key: opts.key } : {}),
  };
  return { got, target };
}

/** A notifier from 127.0.0.1 with the given faults store; outcomes are awaited in order. */
function notifier(t: Test, targets: NotifyTarget[], schedule = [200, 200]) {
  const byId = new Map(targets.map((x) => [x.peerId, { ip: x.host }]));
  const faults = new Faults({ peer: (id) => byId.get(id) });
  const applied: FaultApplied[] = [];
  faults.onApplied((e) => applied.push(e));
  const activity = new TransferActivity();
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const log =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void => {
      lines.push({ level, fields, msg });
    };
  const logger = { info: log("info"), warn: log("warn"), debug: log("debug") } as NotifyLogger;
  const queue: NotifyOutcomeEvent[] = [];
  let wake: (() => void) | undefined;
  const n = new Notifier({
    targets: () => targets,
    soa: () => soa(SERIAL),
    source: { host: "127.0.0.1" },
    retrySchedule: schedule,
    onEvent: (e) => {
      activity.notified(e);
      queue.push(e);
      wake?.();
    },
    logger,
    faults,
  });
  t.teardown(() => n.close());
  /** The next outcome of a NOTIFY (any peer). */
  const outcome = async (): Promise<NotifyOutcomeEvent> => {
    while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return queue.shift()!;
  };
  return { n, faults, applied, activity, lines, outcome };
}

const from = (d: Datagram) => d.rinfo.address;
const keyName = (d: Datagram) => readTsig(d.msg)?.keyName;

/**
 * A secondary holding KEY: an unsigned NOTIFY is refused, one whose TSIG does not verify gets
 * NOTAUTH (both unsigned, as BIND answers them), a verified one a signed NOERROR.
 */
function keyedReply(msg: Buffer): Buffer {
  const tsig = readTsig(msg);
  if (tsig === null) return answer(msg, { rcode: RCODE.REFUSED });
  const now = Date.now() / 1000;
  if (!verifyRequest(msg, tsig, () => KEY, now).ok) return answer(msg, { rcode: RCODE.NOTAUTH });
  return signedAnswer(msg, KEY, now);
}

t.test("notify-drop: nothing arrives; the outcome is 'dropped', with the fault", async (t) => {
  const a = await secondary(t, "a".repeat(32));
  const { n, faults, applied, activity, outcome } = notifier(t, [a.target]);
  const fault = faults.add(ZONE_KEY, { kind: "notify-drop" });
  n.trigger(ZONE, "enable");
  const e = await outcome();
  t.match(e, {
    outcome: "dropped",
    serial: SERIAL,
    tries: 0,
    detail: "not sent (fault notify-drop)",
    faults: [{ id: fault.id, kind: "notify-drop", action: "NOTIFY not sent" }],
  });
  // Beyond the whole retry schedule: no try was made later either.
  await sleep(600);
  t.equal(a.got.length, 0, "the secondary received nothing");
  t.equal(n.status(ZONE).peers[0].inFlight, null, "nothing in flight");
  t.match(faults.get(ZONE_KEY, fault.id), { applied: 1, active: true });
  t.match(applied, [{ zone: ZONE, point: "notify", address: "127.0.0.1" }]);
  const view = activity.secondaries(ZONE, [
    { id: a.target.peerId, name: a.target.peerName, ip: "127.0.0.1", port: a.target.port },
  ]);
  t.match(view.secondaries[0].last_notify, {
    outcome: "dropped",
    serial: SERIAL,
    faults: [{ id: fault.id, kind: "notify-drop", action: "NOTIFY not sent" }],
  });

  // Removed, the next NOTIFY goes out and is answered.
  faults.remove(ZONE_KEY, fault.id);
  n.trigger(ZONE, "force");
  const after = await outcome();
  t.match(after, { outcome: "answered", tries: 1 });
  t.notOk("faults" in after, "no fault named once none acted");
  t.equal(a.got.length, 1);
});

t.test("notify-from: the NOTIFY leaves from 127.0.0.2 and is answered there", async (t) => {
  const a = await secondary(t, "a".repeat(32));
  const { n, faults, outcome } = notifier(t, [a.target]);
  const fault = faults.add(ZONE_KEY, { kind: "notify-from", source: "127.0.0.2" });
  t.same(fault.params, { source: "127.0.0.2" });
  t.equal(fault.source, null, "source is the parameter, not a scope");
  n.trigger(ZONE, "enable");
  t.match(await outcome(), {
    outcome: "answered",
    tries: 1,
    faults: [{ id: fault.id, kind: "notify-from", action: "NOTIFY from 127.0.0.2" }],
  });
  n.trigger(ZONE, "force");
  t.match(await outcome(), { outcome: "answered", tries: 1 });
  t.same(a.got.map(from), ["127.0.0.2", "127.0.0.2"]);
  t.equal(a.got[1].rinfo.port, a.got[0].rinfo.port, "one socket on 127.0.0.2, reused");
  t.equal(faults.get(ZONE_KEY, fault.id).applied, 2);

  faults.remove(ZONE_KEY, fault.id);
  n.trigger(ZONE, "force");
  t.match(await outcome(), { outcome: "answered" });
  t.equal(from(a.got[2]), "127.0.0.1", "from the configured source once removed");

  // Closed with the notifier: the port on 127.0.0.2 can be bound again.
  const port = a.got[0].rinfo.port;
  await n.close();
  const again = new UdpTransport({ host: "127.0.0.2", port });
  t.teardown(() => again.close());
  t.same(await again.address(), { address: "127.0.0.2", port });
});

t.test("notify-from an address this host lacks: a clear outcome and log line", async (t) => {
  const a = await secondary(t, "a".repeat(32));
  const { n, faults, lines, outcome } = notifier(t, [a.target]);
  // TEST-NET-1 (RFC 5737): not an address of this host, so binding it fails.
  const fault = faults.add(ZONE_KEY, { kind: "notify-from", source: "192.0.2.7" });
  n.trigger(ZONE, "enable");
  const e = await outcome();
  t.match(e, {
    outcome: "timeout",
    tries: 2,
    detail: /^send failed: cannot bind the NOTIFY source 192\.0\.2\.7:0: .*EADDRNOTAVAIL/,
    faults: [{ id: fault.id, kind: "notify-from", action: "NOTIFY from 192.0.2.7" }],
  });
  t.equal(a.got.length, 0);
  const warned = lines.filter((l) => l.level === "warn" && /fault notify-from/.test(l.msg));
  t.equal(warned.length, 2, "one warning per try");
  t.match(warned[0], {
    msg: /^NOTIFY example\.com\. to lab-aaaa: fault notify-from: send failed: cannot bind the NOTIFY source 192\.0\.2\.7:0/,
    fields: { source: "192.0.2.7", fault: "notify-from" },
  });

  // The notifier goes on: without the fault the NOTIFY is answered.
  faults.remove(ZONE_KEY, fault.id);
  n.trigger(ZONE, "force");
  t.match(await outcome(), { outcome: "answered" });
  t.equal(from(a.got[0]), "127.0.0.1");
});

t.test("notify-unsigned: no TSIG although the peer has a key; signed once removed", async (t) => {
  const a = await secondary(t, "a".repeat(32), "127.0.0.1", { key: KEY, reply: keyedReply });
  const { n, faults, outcome } = notifier(t, [a.target]);
  const fault = faults.add(ZONE_KEY, { kind: "notify-unsigned" });
  n.trigger(ZONE, "enable");
  t.match(await outcome(), {
    outcome: "error",
    rcode: "REFUSED",
    tries: 1,
    faults: [
      { id: fault.id, kind: "notify-unsigned", action: "NOTIFY sent without TSIG notify-key." },
    ],
  });
  t.equal(readTsig(a.got[0].msg), null, "the datagram carries no TSIG");
  t.equal(a.got[0].msg.readUInt16BE(10), 0, "ARCOUNT 0");

  faults.remove(ZONE_KEY, fault.id);
  n.trigger(ZONE, "force");
  t.match(await outcome(), { outcome: "answered", rcode: "NOERROR" });
  t.equal(keyName(a.got[1]), "notify-key.", "signed with the peer's key again");
});

t.test("notify-unsigned leaves a peer without a key alone", async (t) => {
  const a = await secondary(t, "a".repeat(32));
  const { n, faults, outcome } = notifier(t, [a.target]);
  const fault = faults.add(ZONE_KEY, { kind: "notify-unsigned" });
  n.trigger(ZONE, "enable");
  const e = await outcome();
  t.match(e, { outcome: "answered" });
  t.notOk("faults" in e);
  t.equal(faults.get(ZONE_KEY, fault.id).applied, 0, "nothing to leave out: not applied");
});

t.test("times: 1 applies to one try only", async (t) => {
  // Silent to the first datagram, so the NOTIFY is tried again.
  const a = await secondary(t, "a".repeat(32), "127.0.0.1", {
    reply: (msg, n) => (n === 1 ? undefined : answer(msg)),
  });
  const { n, faults, outcome } = notifier(t, [a.target]);
  const fault = faults.add(ZONE_KEY, { kind: "notify-from", source: "127.0.0.2", times: 1 });
  n.trigger(ZONE, "enable");
  t.match(await outcome(), {
    outcome: "answered",
    tries: 2,
    faults: [{ id: fault.id, kind: "notify-from" }],
  });
  t.same(a.got.map(from), ["127.0.0.2", "127.0.0.1"], "the retry left from the configured source");
  t.match(faults.get(ZONE_KEY, fault.id), { applied: 1, times: 0, active: false });
  n.trigger(ZONE, "force");
  const next = await outcome();
  t.notOk("faults" in next);
  t.equal(from(a.got[2]), "127.0.0.1");
});

t.test("serial-regression lowers the serial of the SOA the NOTIFY carries", async (t) => {
  const a = await secondary(t, "a".repeat(32), "127.0.0.1", { key: KEY, reply: keyedReply });
  const { n, faults, outcome } = notifier(t, [a.target]);
  const fault = faults.add(ZONE_KEY, { kind: "serial-regression", delta: 30 });
  n.trigger(ZONE, "enable");
  // Signed again after the change (the peer verified it): its signed answer verifies against
  // the MAC of those bytes.
  const e = await outcome();
  t.match(e, {
    outcome: "answered",
    serial: SERIAL,
    faults: [
      { id: fault.id, kind: "serial-regression", action: "NOTIFY SOA serial 70 instead of 100" },
    ],
  });
  const soaOf = (d: Datagram) =>
    (packet.decode(d.msg).answers![0] as packet.Answer & { data: packet.SoaData }).data.serial;
  t.equal(soaOf(a.got[0]), 70);
  t.equal(keyName(a.got[0]), "notify-key.", "still signed");

  // RFC 1982: below 0 it wraps around the 32-bit sequence space.
  faults.remove(ZONE_KEY, fault.id);
  faults.add(ZONE_KEY, { kind: "serial-regression" });
  n.trigger(ZONE, "force");
  t.match(await outcome(), { outcome: "answered" });
  t.equal(soaOf(a.got[1]), 2 ** 32 - 900);
});

t.test("scope: peer_id and source narrow a fault to one target", async (t) => {
  const a = await secondary(t, "a".repeat(32), "127.0.0.1");
  const b = await secondary(t, "b".repeat(32), "127.0.0.3");
  const { n, faults, outcome } = notifier(t, [a.target, b.target]);
  const byPeer = faults.add(ZONE_KEY, { kind: "notify-drop", peer_id: b.target.peerId });
  n.trigger(ZONE, "enable");
  const first = [await outcome(), await outcome()];
  t.match(Object.fromEntries(first.map((e) => [e.address, e.outcome])), {
    "127.0.0.1": "answered",
    "127.0.0.3": "dropped",
  });
  faults.remove(ZONE_KEY, byPeer.id);
  faults.add(ZONE_KEY, { kind: "notify-drop", source: "127.0.0.1" });
  n.trigger(ZONE, "force");
  const second = [await outcome(), await outcome()];
  t.match(Object.fromEntries(second.map((e) => [e.address, e.outcome])), {
    "127.0.0.1": "dropped",
    "127.0.0.3": "answered",
  });
  t.equal(a.got.length, 1);
  t.equal(b.got.length, 1);
});

t.test(
  "the transport: another source's socket closes when idle; families must match",
  async (t) => {
    const a = await udpPeer("127.0.0.1");
    t.teardown(() => a.close());
    const tr = new UdpTransport({ host: "127.0.0.1" }, undefined, 100);
    t.teardown(() => tr.close());
    const got = new Promise<RemoteInfo>((resolve) => a.once("message", (_m, r) => resolve(r)));
    await tr.send(Buffer.from("x"), "127.0.0.1", a.address().port, "127.0.0.2");
    const r = await got;
    t.equal(r.address, "127.0.0.2");
    await sleep(300);
    // Idle past lingerMs: closed, so its port is free to bind exclusively.
    const again = new UdpTransport({ host: "127.0.0.2", port: r.port });
    t.teardown(() => again.close());
    t.same(await again.address(), { address: "127.0.0.2", port: r.port });
    await t.rejects(
      tr.send(Buffer.from("x"), "::1", 53, "127.0.0.2"),
      /cannot send from 127\.0\.0\.2 to ::1: not the same address family/,
    );
  },
);

t.test("a running server: declared and run-time faults reach its NOTIFYs", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-notify-faults-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, "example.com.zone"),
    "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hostmaster 41 3600 600 86400 60\n@ NS ns\nns A 192.0.2.53\n",
  );
  const a = await secondary(t, "unused");
  const transfers = new TransferSettings();
  const peer = transfers.createPeer({ name: "lab", ip: "127.0.0.1", port: a.target.port });
  transfers.createOutgoing(ZONE, { peers: [peer.id], status: "Enabled" });
  const lines: string[] = [];
  const primary = await startServer({
    zonesDir: dir,
    dns: { host: "127.0.0.1", port: 0 },
    transfers,
    notify: { coalesceMs: 10, retrySchedule: [200, 200] },
    // The config file's and --fault's faults: the NOTIFY at start leaves from 127.0.0.2.
    faults: [{ zone: "example.com", spec: { kind: "notify-from", source: "127.0.0.2" } }],
    logger: pino({ level: "info" }, { write: (l: string) => lines.push(l) }),
  });
  t.teardown(() => primary.close());
  const view = () =>
    primary.activity.secondaries(ZONE, [transfers.getPeer(peer.id)]).secondaries[0].last_notify;
  await until(() => view()?.outcome === "answered");
  t.equal(from(a.got[0]), "127.0.0.2");
  t.match(view(), {
    serial: 41,
    faults: [{ kind: "notify-from", action: "NOTIFY from 127.0.0.2" }],
  });
  t.ok(
    lines.some((l) => /fault applied: NOTIFY from 127\.0\.0\.2/.test(l)),
    "one log line per application",
  );

  primary.faults.clear(ZONE_KEY);
  const drop = primary.faults.add(ZONE_KEY, { kind: "notify-drop", peer_id: peer.id });
  transfers.forceNotify(ZONE);
  await until(() => view()?.outcome === "dropped");
  t.match(view(), { faults: [{ id: drop.id, kind: "notify-drop", action: "NOTIFY not sent" }] });
  t.equal(a.got.length, 1, "nothing more reached the secondary");
  t.equal(primary.faults.get(ZONE_KEY, drop.id).applied, 1);
});
