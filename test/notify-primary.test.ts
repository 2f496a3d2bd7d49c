/**
 * NOTIFY from a running primary (RFC 1996, cloudflare.md §1): when it starts with transfers
 * enabled, on enable, after a change (coalesced), on force_notify, never while disabled;
 * signed with the peer's TSIG; from the configured source address; every outcome kept per
 * peer; stopped at once for a peer unlinked by the API. A UDP socket of the test's own poses
 * as the peer.
 */

import dgram from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { TransferSettings } from "../src/cloudflare/transfer/settings.js";
import { type PrimaryServer, startServer } from "../src/primary.js";
import { OPCODE, parseQuery } from "../src/wire/message.js";
import { readTsig, tsigKey, verifyRequest } from "../src/wire/tsig.js";
import { T } from "../src/wire/types.js";
import { signedAnswer } from "./notify/helpers.js";

const SECRET = "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk=";
const ZONE = `$ORIGIN notify.test.
$TTL 300
@ SOA ns hostmaster 41 3600 600 86400 60
@ NS ns
ns A 192.0.2.53
`;

interface Received {
  at: number;
  from: string;
  id: number;
  opcode: number;
  qname: string;
  serial: number;
  signed: boolean;
  verified: boolean;
}

/** A UDP socket posing as a secondary: records each NOTIFY and answers it (or not). */
async function fakePeer(answer: (n: Received) => number | null) {
  const sock = dgram.createSocket("udp4");
  const got: Received[] = [];
  const key = tsigKey("notify-key.", "hmac-sha256", SECRET);
  sock.on("message", (msg, rinfo) => {
    const q = parseQuery(msg);
    const tsig = readTsig(msg);
    const verified =
      tsig !== null &&
      verifyRequest(msg, tsig, (n) => (n === key.name ? key : undefined), Date.now() / 1000).ok;
    // The serial of the SOA in the answer section (RFC 1996 §3.7), last 20 bytes' first u32.
    const soaAt = msg.indexOf(Buffer.from([0, 6, 0, 1]), q.questionEnd);
    const rdlenAt = soaAt + 8;
    const rdEnd = rdlenAt + 2 + msg.readUInt16BE(rdlenAt);
    const n: Received = {
      at: Date.now(),
      from: rinfo.address,
      id: msg.readUInt16BE(0),
      opcode: (msg.readUInt16BE(2) >> 11) & 0xf,
      qname: q.qname,
      serial: msg.readUInt32BE(rdEnd - 20),
      signed: tsig !== null,
      verified,
    };
    got.push(n);
    const rcode = answer(n);
    if (rcode === null) return;
    // Signed as a secondary holding the key signs it (RFC 8945 §5.3): unsigned, it is ignored.
    const reply = signedAnswer(msg, key, Date.now() / 1000, { rcode });
    sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  return { sock, got, port: sock.address().port };
}

async function until(what: string, ok: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function start(
  t: Test,
  peerPort: number,
  status: "Enabled" | "Disabled",
  opts: { source?: string; api?: boolean; retrySchedule?: number[] } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-notify-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "notify.test.zone"), ZONE);
  const transfers = new TransferSettings();
  const tsig = transfers.createTsig({ name: "notify-key.", algo: "hmac-sha256", secret: SECRET });
  const peer = transfers.createPeer({
    name: "fake",
    ip: "127.0.0.1",
    port: peerPort,
    tsig_id: tsig.id,
  });
  transfers.createOutgoing("notify.test.", { peers: [peer.id], status });
  const primary: PrimaryServer = await startServer({
    zonesDir: dir,
    dns: { host: "127.0.0.1", port: 0 },
    transfers,
    ...(opts.api ? { api: { host: "127.0.0.1", port: 0 } } : {}),
    notify: {
      coalesceMs: 100,
      retrySchedule: opts.retrySchedule ?? [300, 300],
      ...(opts.source ? { source: { host: opts.source } } : {}),
    },
  });
  t.teardown(() => primary.close());
  return { primary, transfers, peer, tsig };
}

const add = (primary: PrimaryServer, label: string, last: number) =>
  primary.commit("notify.test.", {
    add: [
      { name: `${label}.notify.test.`, type: T.A, ttl: 60, rdata: Buffer.from([192, 0, 2, last]) },
    ],
  });

t.test("a start, changes, force_notify and disable, as a peer sees them", async (t) => {
  const peer = await fakePeer(() => 0);
  t.teardown(() => peer.sock.close());
  const { primary, transfers } = await start(t, peer.port, "Enabled");

  await until("the start's NOTIFY", () => peer.got.length === 1);
  t.match(peer.got[0], {
    opcode: OPCODE.NOTIFY,
    qname: "notify.test.",
    serial: 41,
    signed: true,
    verified: true,
    from: "127.0.0.1",
  });

  // Three changes in quick succession: one NOTIFY with the newest serial.
  add(primary, "a", 1);
  add(primary, "b", 2);
  add(primary, "c", 3);
  await until("the change's NOTIFY", () => peer.got.length === 2);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(peer.got.length, 2, "coalesced into one");
  t.equal(peer.got[1].serial, 44, "carrying the newest serial");

  // What the operator sees.
  await until(
    "the outcome",
    () => primary.notifier?.status("notify.test.").peers[0]?.last?.serial === 44,
  );
  t.match(primary.notifier?.status("notify.test.").peers[0].last, {
    outcome: "answered",
    tries: 1,
    serial: 44,
  });
  const view = primary.activity.secondaries(
    "notify.test.",
    transfers.getOutgoing("notify.test.").peers.map((id) => transfers.getPeer(id)),
  );
  t.match(view.secondaries[0].last_notify, { serial: 44, outcome: "answered", tries: 1 });

  // force_notify: at once, same serial.
  transfers.forceNotify("notify.test.");
  await until("force_notify's NOTIFY", () => peer.got.length === 3);
  t.equal(peer.got[2].serial, 44);

  // Disabled: a change sends nothing.
  transfers.disable("notify.test.");
  add(primary, "d", 4);
  await new Promise((r) => setTimeout(r, 500));
  t.equal(peer.got.length, 3, "no NOTIFY while transfers are disabled");

  // Enabled again: notified at once with the current serial.
  transfers.enable("notify.test.");
  await until("enable's NOTIFY", () => peer.got.length === 4);
  t.equal(peer.got[3].serial, 45);
});

t.test(
  "no NOTIFY at start while disabled; retries, then a timeout; an error rcode is kept",
  async (t) => {
    let mode: "silent" | "refuse" = "silent";
    const peer = await fakePeer(() => (mode === "silent" ? null : 5));
    t.teardown(() => peer.sock.close());
    const { primary, transfers } = await start(t, peer.port, "Disabled");
    await new Promise((r) => setTimeout(r, 300));
    t.equal(peer.got.length, 0, "nothing while disabled");

    transfers.enable("notify.test.");
    // Tries at 0 and 300 ms, then the outcome 300 ms later.
    await until("two tries", () => peer.got.length === 2);
    t.equal(peer.got[0].id, peer.got[1].id, "a retry is the same message");
    await until(
      "the timeout",
      () => primary.notifier?.status("notify.test.").peers[0]?.last?.outcome === "timeout",
    );
    t.equal(primary.notifier?.status("notify.test.").peers[0].last?.tries, 2);

    mode = "refuse";
    transfers.forceNotify("notify.test.");
    await until(
      "the refusal",
      () => primary.notifier?.status("notify.test.").peers[0]?.last?.outcome === "error",
    );
    t.match(primary.notifier?.status("notify.test.").peers[0].last, {
      outcome: "error",
      rcode: "REFUSED",
      tries: 1,
    });
    await new Promise((r) => setTimeout(r, 400));
    t.equal(peer.got.length, 3, "an error rcode is not retried");
  },
);

t.test("NOTIFY leaves from the configured source address", async (t) => {
  const peer = await fakePeer(() => 0);
  t.teardown(() => peer.sock.close());
  // 127.0.0.2 is a loopback address on Linux without configuration.
  await start(t, peer.port, "Enabled", { source: "127.0.0.2" });
  await until("the start's NOTIFY", () => peer.got.length === 1);
  t.equal(peer.got[0].from, "127.0.0.2");
});

t.test("a peer unlinked by PUT outgoing is notified no more; the view says why", async (t) => {
  // Issue 12: the start's NOTIFY to a peer that never answers went on for the whole retry
  // schedule after the peer was unlinked. Five tries, 300 ms apart: 1.5 s in all.
  const silent = await fakePeer(() => null);
  t.teardown(() => silent.sock.close());
  const answering = await fakePeer(() => 0);
  t.teardown(() => answering.sock.close());
  const retrySchedule = [300, 300, 300, 300, 300];
  const { primary, transfers, tsig } = await start(t, silent.port, "Enabled", {
    api: true,
    retrySchedule,
  });
  const other = transfers.createPeer({
    name: "other",
    ip: "127.0.0.1",
    port: answering.port,
    tsig_id: tsig.id,
  });
  const base = `http://127.0.0.1:${primary.api!.port}`;
  const headers = { authorization: "Bearer any", "content-type": "application/json" };
  const zones = (await (await fetch(`${base}/client/v4/zones`, { headers })).json()) as {
    result: { id: string }[];
  };
  const zoneId = zones.result[0].id;

  await until("the start's NOTIFY", () => silent.got.length === 1);
  const put = await fetch(`${base}/client/v4/zones/${zoneId}/secondary_dns/outgoing`, {
    method: "PUT",
    headers,
    body: JSON.stringify({ name: "notify.test.", peers: [other.id] }),
  });
  t.equal(put.status, 200);
  const after = silent.got.length;
  t.ok(after < retrySchedule.length, "the PUT came while the NOTIFY was being retried");

  // The newly linked peer is told the serial at once; it answers.
  await until("the new peer's NOTIFY", () => answering.got.length === 1);
  t.match(answering.got[0], { serial: 41, verified: true });
  // Past the whole retry window: nothing more reached the unlinked peer.
  await new Promise((r) => setTimeout(r, retrySchedule.reduce((a, b) => a + b) + 300));
  t.equal(silent.got.length, after, "no NOTIFY to the unlinked peer after the PUT");
  t.equal(answering.got.length, 1, "answered: not retried");

  const view = (await (
    await fetch(`${base}/dns-primary/v1/zones/${zoneId}/secondaries`, { headers })
  ).json()) as { result: { secondaries: Record<string, unknown>[] } };
  t.match(view.result.secondaries, [
    { peer_name: "other", via: "peer", last_notify: { serial: 41, outcome: "answered" } },
    {
      peer_name: "fake",
      via: null,
      address: "127.0.0.1",
      port: silent.port,
      last_notify: {
        serial: 41,
        outcome: "cancelled",
        detail: "peer unlinked from the zone",
        tries: after,
      },
    },
  ]);
});
