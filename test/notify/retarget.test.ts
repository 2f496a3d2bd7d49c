/**
 * The NOTIFY sender follows the transfer settings (notifier.ts `retarget`, peers.ts): after any
 * change, nothing more goes to a target that is no longer wanted (the peer unlinked, its ip,
 * port or TSIG changed, the outgoing configuration deleted, transfers disabled), the NOTIFY in
 * flight to it is recorded as cancelled with why, and a new or changed target is sent the
 * current serial at once. Real settings and activity stores; a fake clock and transport.
 */

import * as packet from "dns-packet";
import t from "tap";
import { TransferActivity } from "../../src/cloudflare/transfer/activity.js";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { Notifier, type NotifyOutcomeEvent } from "../../src/notify/notifier.js";
import { followSettings, notifyDropReason, notifyTargets } from "../../src/notify/peers.js";
import { readTsig, tsigKey, verifyRequest } from "../../src/wire/tsig.js";
import { FakeClock, FakeTransport, type Sent, signedAnswer, soa } from "./helpers.js";

const ZONE = "example.com.";
const SECRET = Buffer.from("the zone's NOTIFY secret").toString("base64");
const ROTATED = Buffer.from("the rotated NOTIFY secret").toString("base64");
const KEY = tsigKey("notify-key.", "hmac-sha256", SECRET);
/** Beyond the whole default retry schedule (46 s). */
const LONG = 100_000;

/** A zone linked to peer A (Enabled), peer B unlinked, both with one TSIG; A notified. */
function setup(opts: { status?: "Enabled" | "Disabled"; notify?: boolean } = {}) {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const settings = new TransferSettings();
  const activity = new TransferActivity({ now: () => new Date(clock.now()) });
  const tsig = settings.createTsig({ name: "notify-key.", algo: "hmac-sha256", secret: SECRET });
  const a = settings.createPeer({ name: "bind", ip: "192.0.2.1", port: 53, tsig_id: tsig.id });
  const b = settings.createPeer({ name: "knot", ip: "192.0.2.2", port: 5300, tsig_id: tsig.id });
  settings.createOutgoing(ZONE, { peers: [a.id], status: opts.status ?? "Enabled" });
  const state = { serial: 100 };
  const events: NotifyOutcomeEvent[] = [];
  const n = new Notifier({
    targets: notifyTargets(settings),
    whyNot: notifyDropReason(settings),
    soa: () => soa(state.serial),
    clock,
    transport,
    onEvent: (e) => {
      events.push(e);
      activity.notified(e);
    },
  });
  followSettings(n, settings);
  if (opts.notify !== false) n.trigger(ZONE, "enable");
  /** The peer's answer to what it was sent, signed as it signs it (RFC 8945 §5.3). */
  const reply = (s: Sent) =>
    transport.deliver(signedAnswer(s.message, KEY, clock.now() / 1000), s.host, s.port);
  const to = (host: string, port?: number) =>
    transport.sent.filter((s) => s.host === host && (port === undefined || s.port === port));
  /** The secondaries view's row for a peer (linked or not). */
  const row = (peerId: string) =>
    activity
      .secondaries(ZONE, settings.linkedPeers(ZONE))
      .secondaries.find((s) => s.peer_id === peerId);
  return { n, clock, transport, settings, tsig, a, b, state, events, to, row, reply };
}

function serialOf(s: Sent): number {
  const ans = packet.decode(s.message).answers![0] as packet.Answer & { data: packet.SoaData };
  return ans.data.serial!;
}

t.test("unlinked by PUT outgoing: A stops at once, B newly linked is notified", async (t) => {
  const { n, clock, settings, a, b, state, events, to, row, reply } = setup();
  clock.advance(2500); // A's second try has left, A never answers
  t.equal(to("192.0.2.1").length, 2);
  state.serial = 101; // committed but not yet announced: the current serial goes to B
  settings.updateOutgoing(ZONE, { peers: [b.id] });

  t.match(events, [
    {
      peerId: a.id,
      outcome: "cancelled",
      detail: "peer unlinked from the zone",
      serial: 100,
      tries: 2,
      ms: 2500,
      reason: "enable",
    },
  ]);
  t.same(
    to("192.0.2.2").map((s) => [s.port, serialOf(s)]),
    [[5300, 101]],
    "B is notified at once, with the current serial",
  );
  t.match(n.status(ZONE).peers, [
    { peerId: a.id, inFlight: null, last: { outcome: "cancelled" } },
    { peerId: b.id, inFlight: { serial: 101, tries: 1, reason: "peer" } },
  ]);

  clock.advance(LONG);
  t.equal(to("192.0.2.1").length, 2, "no further try to A within the retry window");
  t.equal(to("192.0.2.2").length, 5, "B's NOTIFY runs its own schedule");
  t.equal(events.length, 2);
  t.match(events[1], { peerId: b.id, outcome: "timeout", reason: "peer" });
  // A late answer from A to the cancelled NOTIFY changes nothing.
  reply(to("192.0.2.1")[0]);
  t.equal(events.length, 2);

  t.match(row(a.id), {
    via: null,
    peer_name: "bind",
    address: "192.0.2.1",
    port: 53,
    last_notify: { serial: 100, outcome: "cancelled", detail: "peer unlinked from the zone" },
  });
  t.match(row(b.id), { via: "peer", last_notify: { outcome: "timeout" } });
  t.equal(clock.pending, 0, "no timer left");
});

t.test("linked again: notified again; linked to a disabled zone: not notified", async (t) => {
  const { clock, settings, a, b, to } = setup();
  settings.updateOutgoing(ZONE, { peers: [] });
  settings.updateOutgoing(ZONE, { peers: [a.id] });
  t.equal(to("192.0.2.1").length, 2, "relinked: a new NOTIFY at once");
  t.not(
    to("192.0.2.1")[0].message.readUInt16BE(0),
    to("192.0.2.1")[1].message.readUInt16BE(0),
    "a new message, not a retry",
  );
  settings.disable(ZONE);
  settings.updateOutgoing(ZONE, { peers: [a.id, b.id] });
  clock.advance(LONG);
  t.equal(to("192.0.2.2").length, 0, "nothing while transfers are disabled");
  t.equal(to("192.0.2.1").length, 2);
});

t.test(
  "peer deleted: refused while linked; once unlinked and deleted, never notified",
  async (t) => {
    const { clock, settings, a, events, to, row } = setup();
    clock.advance(1000);
    t.throws(() => settings.deletePeer(a.id), { name: "SettingsError", kind: "PEER_IN_USE" });
    t.equal(events.length, 0, "a refused deletion changes nothing");
    clock.advance(1000);
    t.equal(to("192.0.2.1").length, 2, "the retries go on");

    settings.updateOutgoing(ZONE, { peers: [] });
    settings.deletePeer(a.id);
    clock.advance(LONG);
    t.equal(to("192.0.2.1").length, 2, "no further try after the change");
    t.match(events, [
      { peerId: a.id, outcome: "cancelled", detail: "peer unlinked from the zone" },
    ]);
    t.match(row(a.id)?.last_notify, {
      outcome: "cancelled",
      detail: "peer unlinked from the zone",
    });
  },
);

t.test("why a peer is no longer a target", async (t) => {
  const { settings, a, b, tsig } = setup({ notify: false });
  const why = notifyDropReason(settings);
  const c = settings.createPeer({ name: "noip", port: 53, tsig_id: tsig.id });
  settings.updateOutgoing(ZONE, { peers: [a.id, c.id] });
  t.equal(why(ZONE, c.id), "peer's address removed", "linked, no ip");
  t.equal(why(ZONE, b.id), "peer unlinked from the zone");
  settings.deletePeer(b.id);
  t.equal(why(ZONE, b.id), "peer deleted");
  settings.disable(ZONE);
  t.equal(why(ZONE, a.id), "transfers disabled");
  settings.deleteOutgoing(ZONE);
  t.equal(why(ZONE, a.id), "outgoing transfer configuration deleted");
});

t.test("the peer's ip changed: the old address stops, the new one is notified", async (t) => {
  const { n, clock, settings, a, tsig, state, events, to, row } = setup();
  clock.advance(2000);
  state.serial = 101;
  settings.updatePeer(a.id, { name: "bind", ip: "192.0.2.9", port: 53, tsig_id: tsig.id });
  t.match(events, [
    {
      peerId: a.id,
      address: "192.0.2.1",
      outcome: "cancelled",
      detail: "peer's address changed to 192.0.2.9:53",
      tries: 2,
    },
  ]);
  t.same(
    to("192.0.2.9").map((s) => [s.port, serialOf(s)]),
    [[53, 101]],
  );
  t.match(n.status(ZONE).peers[0], {
    address: "192.0.2.9",
    inFlight: { serial: 101, reason: "peer" },
  });
  clock.advance(LONG);
  t.equal(to("192.0.2.1").length, 2, "no further try to the old address");
  t.equal(to("192.0.2.9").length, 5);
  // The view shows the peer as configured now, and what became of the last NOTIFY.
  t.match(row(a.id), { via: "peer", address: "192.0.2.9", last_notify: { outcome: "timeout" } });
});

t.test("the peer's port changed: the old port stops, the new one is notified", async (t) => {
  const { clock, settings, a, tsig, events, to, row, reply } = setup();
  clock.advance(500);
  settings.updatePeer(a.id, { name: "bind", ip: "192.0.2.1", port: 5353, tsig_id: tsig.id });
  t.match(events, [
    { outcome: "cancelled", detail: "peer's address changed to 192.0.2.1:5353", port: 53 },
  ]);
  t.match(row(a.id)?.last_notify, {
    outcome: "cancelled",
    port: 53,
    detail: "peer's address changed to 192.0.2.1:5353",
  });
  // The answer to the cancelled NOTIFY, arriving late from the old port, changes nothing.
  reply(to("192.0.2.1", 53)[0]);
  t.equal(events.length, 1);
  clock.advance(LONG);
  t.equal(to("192.0.2.1", 53).length, 1, "no further try to the old port");
  t.equal(to("192.0.2.1", 5353).length, 5);
  t.equal(serialOf(to("192.0.2.1", 5353)[0]), 100);
});

t.test("the TSIG's secret changed: the old signature stops, re-signed with the new", async (t) => {
  const { clock, settings, tsig, events, to, row } = setup();
  clock.advance(2000);
  const before = to("192.0.2.1");
  settings.updateTsig(tsig.id, { name: "notify-key.", algo: "hmac-sha256", secret: ROTATED });
  t.match(events, [{ outcome: "cancelled", detail: "peer's TSIG changed", tries: 2 }]);
  t.match(row(settings.linkedPeers(ZONE)[0].id)?.last_notify, {
    outcome: "cancelled",
    detail: "peer's TSIG changed",
  });
  clock.advance(LONG);
  const sent = to("192.0.2.1");
  t.equal(sent.length, 2 + 5, "only the new NOTIFY is tried after the change");
  t.ok(
    sent.slice(2).every((s) => s.message.equals(sent[2].message)),
    "its retries repeat the new message",
  );
  t.notOk(sent[2].message.equals(before[0].message));
  const verify = (msg: Buffer, secret: string) =>
    verifyRequest(
      msg,
      readTsig(msg)!,
      () => tsigKey("notify-key.", "hmac-sha256", secret),
      clock.now() / 1000 - LONG / 1000,
    ).ok;
  t.ok(verify(sent[2].message, ROTATED), "signed with the rotated secret");
  t.notOk(verify(sent[2].message, SECRET), "not with the old one");
});

t.test("the peer's TSIG removed: cancelled and sent unsigned", async (t) => {
  const { settings, a, events, to } = setup();
  settings.updatePeer(a.id, { name: "bind", ip: "192.0.2.1", port: 53 });
  t.match(events, [{ outcome: "cancelled", detail: "peer's TSIG changed" }]);
  t.equal(readTsig(to("192.0.2.1")[1].message), null, "the new NOTIFY is unsigned");
});

t.test("the outgoing configuration deleted: everything stops", async (t) => {
  const { n, clock, settings, a, state, events, to, row } = setup();
  clock.advance(100);
  state.serial = 101;
  n.trigger(ZONE, "change"); // a change waiting for the coalescing timer
  settings.deleteOutgoing(ZONE);
  t.match(events, [
    { peerId: a.id, outcome: "cancelled", detail: "outgoing transfer configuration deleted" },
  ]);
  t.equal(n.status(ZONE).pending, false, "the pending change is dropped");
  clock.advance(LONG);
  t.equal(to("192.0.2.1").length, 1, "no further try");
  t.equal(clock.pending, 0);
  t.match(row(a.id), {
    via: null,
    last_notify: { outcome: "cancelled", detail: "outgoing transfer configuration deleted" },
  });
});

t.test("transfers disabled: everything stops; enabled again: notified", async (t) => {
  const { n, clock, settings, a, state, events, to, row } = setup();
  clock.advance(6000); // the third try has left
  state.serial = 101;
  n.trigger(ZONE, "change");
  settings.disable(ZONE);
  t.match(events, [
    { peerId: a.id, outcome: "cancelled", detail: "transfers disabled", tries: 3, ms: 6000 },
  ]);
  t.equal(n.status(ZONE).pending, false);
  clock.advance(LONG);
  t.equal(to("192.0.2.1").length, 3, "no further try while disabled");
  t.match(row(a.id), {
    via: "peer",
    last_notify: { outcome: "cancelled", detail: "transfers disabled" },
  });
  settings.enable(ZONE);
  t.same(
    to("192.0.2.1").slice(3).map(serialOf),
    [101],
    "enabled again: one NOTIFY with the current serial",
  );
});

t.test("changes that keep the target change nothing", async (t) => {
  const { n, clock, settings, a, tsig, events, to } = setup();
  clock.advance(2000);
  settings.updatePeer(a.id, { name: "bind-renamed", ip: "192.0.2.1", port: 53, tsig_id: tsig.id });
  settings.createAcl({ name: "lab", ip_range: "10.0.0.0/24" });
  settings.updateOutgoing(ZONE, { peers: [a.id] });
  settings.createOutgoing("example.org.", { status: "Enabled" });
  settings.enable("example.org.");
  n.retarget();
  t.equal(events.length, 0, "nothing cancelled");
  t.equal(to("192.0.2.1").length, 2, "nothing sent but the retry");
  t.equal(n.status(ZONE).peers[0].peerName, "bind-renamed", "the status shows the new name");
  clock.advance(4000);
  t.equal(to("192.0.2.1").length, 3, "the retries go on");
});

t.test("answered, then moved: the new address is told the serial", async (t) => {
  const { settings, a, tsig, events, to, reply } = setup();
  reply(to("192.0.2.1")[0]);
  t.match(events, [{ outcome: "answered" }]);
  settings.updatePeer(a.id, { name: "bind", ip: "192.0.2.8", port: 53, tsig_id: tsig.id });
  t.equal(events.length, 1, "nothing to cancel");
  t.same(to("192.0.2.8").map(serialOf), [100]);
});

t.test("a zone not notified yet is left to its first NOTIFY", async (t) => {
  const { n, settings, a, b, tsig, transport } = setup({ notify: false });
  settings.updatePeer(a.id, { name: "bind", ip: "192.0.2.7", port: 53, tsig_id: tsig.id });
  settings.updateOutgoing(ZONE, { peers: [a.id, b.id] });
  n.retarget();
  t.equal(transport.sent.length, 0);
  settings.enable(ZONE);
  t.same(
    transport.sent.map((x) => x.host),
    ["192.0.2.7", "192.0.2.2"],
  );
});

t.test("a peer linked while a change waits: notified once, by the change", async (t) => {
  const { n, clock, settings, a, b, state, to, reply } = setup();
  reply(to("192.0.2.1")[0]);
  state.serial = 101;
  n.trigger(ZONE, "change");
  settings.updateOutgoing(ZONE, { peers: [a.id, b.id] });
  t.equal(to("192.0.2.2").length, 0, "not before the coalescing timer");
  clock.advance(250);
  t.same(to("192.0.2.2").map(serialOf), [101]);
  t.same(to("192.0.2.1").map(serialOf), [100, 101]);
});
