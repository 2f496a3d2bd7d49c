// The per-zone, per-secondary record of checks, transfers, refusals and NOTIFY outcomes.
import t from "tap";
import {
  type ActivityEvent,
  TransferActivity,
  type TransferInput,
  zoneKey,
} from "../../../src/cloudflare/transfer/activity.js";

const T0 = Date.parse("2024-05-01T12:00:00.000Z");

function clock() {
  let ms = T0;
  return { now: () => new Date(ms), tick: (by = 1000) => (ms += by) };
}

const PEER = { id: "p1".padEnd(32, "0"), name: "bind", ip: "192.0.2.1", port: 53 };
const PEER2 = { id: "p2".padEnd(32, "0"), name: "knot", ip: "192.0.2.2", port: 5353 };
const ACL = { id: "a1".padEnd(32, "0"), name: "lab" };

function axfr(over: Partial<TransferInput> = {}): TransferInput {
  return {
    address: "192.0.2.1",
    port: 40000,
    peer: PEER,
    type: "AXFR",
    serial: 10,
    records: 5,
    messages: 1,
    bytes: 300,
    ms: 2,
    outcome: "finished",
    ...over,
  };
}

t.test("zone keys: canonical, lowercase, trailing dot", async (t) => {
  t.equal(zoneKey("Example.COM"), "example.com.");
  t.equal(zoneKey("example.com."), "example.com.");
  const a = new TransferActivity();
  a.transferred("EXAMPLE.com", axfr());
  t.equal(a.secondaries("example.com.", [PEER]).secondaries[0].last_transfer?.serial, 10);
});

t.test("a linked peer: check, transfer, refusal and NOTIFY under its id", async (t) => {
  const c = clock();
  const a = new TransferActivity({ now: c.now });
  t.same(a.secondaries("example.", [PEER]).secondaries[0], {
    peer_id: PEER.id,
    peer_name: "bind",
    via: "peer",
    acl_id: null,
    acl_name: null,
    address: "192.0.2.1",
    port: 53,
    last_notify: null,
    last_check: null,
    last_transfer: null,
    last_refusal: null,
    counts: { checks: 0, transfers: 0, aborted: 0, refusals: 0, notifies: 0 },
  });
  a.checked("example.", { address: "192.0.2.1", port: 41000 }, { peer: PEER });
  c.tick();
  a.transferred("example.", axfr({ key: "xfr-key." }));
  c.tick();
  a.transferred("example.", axfr({ type: "IXFR", fromSerial: 10, serial: 11, outcome: "aborted" }));
  c.tick();
  a.refused("example.", {
    address: "192.0.2.1",
    port: 41001,
    peer: PEER,
    qtype: "IXFR",
    reason: "outgoing transfers are not enabled for the zone",
    rcode: 5,
  });
  a.notified({
    zone: "example.",
    peerId: PEER.id,
    peerName: "bind",
    address: "192.0.2.1",
    port: 53,
    serial: 11,
    outcome: "error",
    rcode: 5,
    tries: 1,
    ms: 40,
  });
  const v = a.secondaries("example.", [PEER]);
  t.equal(v.secondaries.length, 1, "one entry for the peer, whatever its source ports");
  const s = v.secondaries[0];
  t.same(s.last_check, { at: "2024-05-01T12:00:00.000Z", address: "192.0.2.1", port: 41000 });
  t.match(s.last_transfer, {
    at: "2024-05-01T12:00:02.000Z",
    type: "IXFR",
    from_serial: 10,
    serial: 11,
    outcome: "aborted",
    key: null,
  });
  t.match(s.last_refusal, { reason: /not enabled/, rcode: 5, rcode_name: "REFUSED" });
  t.same(s.last_notify, {
    serial: 11,
    sent_at: "2024-05-01T12:00:02.960Z",
    at: "2024-05-01T12:00:03.000Z",
    address: "192.0.2.1",
    port: 53,
    outcome: "error",
    rcode: 5,
    rcode_name: "REFUSED",
    tries: 1,
    ms: 40,
  });
  t.same(s.counts, { checks: 1, transfers: 1, aborted: 1, refusals: 1, notifies: 1 });
  t.equal(v.recent_refusals.length, 1);
  t.equal(v.recent_refusals[0].peer_id, PEER.id);
  t.same(
    a.secondaries("example.", [PEER2, PEER]).secondaries.map((x) => x.peer_name),
    ["knot", "bind"],
    "linked peers in link order, seen or not",
  );
  t.same(a.secondaries("other.", [PEER]).secondaries[0].last_transfer, null, "per zone");
});

t.test("ACL sources are keyed by address and carry the ACL", async (t) => {
  const a = new TransferActivity({ now: clock().now });
  a.transferred("example.", axfr({ peer: undefined, acl: ACL, address: "10.0.0.9", port: 1 }));
  a.checked("example.", { address: "10.0.0.9", port: 2 }, { acl: ACL });
  a.refused("example.", {
    address: "203.0.113.5",
    port: 3,
    qtype: "AXFR",
    reason: "source address is neither a linked peer nor in an ACL",
    rcode: 5,
  });
  const v = a.secondaries("example.", [PEER]);
  t.same(
    v.secondaries.map((s) => [s.peer_id, s.via, s.acl_id, s.address, s.port]),
    [
      [PEER.id, "peer", null, "192.0.2.1", 53],
      [null, null, null, "203.0.113.5", 3],
      [null, "acl", ACL.id, "10.0.0.9", 2],
    ],
    "peer first, then others most recently active first",
  );
  t.equal(v.secondaries[2].last_transfer?.records, 5);
  t.equal(v.secondaries[2].last_check?.port, 2);
});

t.test("bounds: refusal ring, sources per zone (peers kept), other names, zones", async (t) => {
  const a = new TransferActivity({
    now: clock().now,
    maxRefusals: 3,
    maxSources: 3,
    maxOtherNames: 2,
    maxZones: 2,
    isZone: (n) => n.toLowerCase().startsWith("zone"),
  });
  a.checked("zone1.", { address: "192.0.2.1", port: 1 }, { peer: PEER });
  for (let i = 0; i < 10; i++) {
    a.refused("zone1.", {
      address: `203.0.113.${i}`,
      port: i,
      qtype: "AXFR",
      reason: `r${i}`,
      rcode: 5,
    });
  }
  const v = a.secondaries("zone1.", [PEER]);
  t.same(
    v.recent_refusals.map((r) => r.reason),
    ["r9", "r8", "r7"],
    "the most recent refusals, newest first",
  );
  t.same(
    v.secondaries.map((s) => s.peer_id ?? s.address),
    [PEER.id, "203.0.113.9", "203.0.113.8"],
    "strangers evicted oldest first; the peer is kept",
  );
  t.equal(v.secondaries[0].last_check?.port, 1);

  // Names that are not zones: kept apart, under the asked name, at most maxOtherNames.
  for (const n of ["a.test.", "b.test.", "c.test."]) {
    a.refused(n, { address: "198.51.100.1", port: 9, qtype: "AXFR", reason: "nz", rcode: 9 });
  }
  t.same(a.secondaries("a.test.", []).recent_refusals, [], "the oldest other name evicted");
  t.equal(a.secondaries("c.test.", []).recent_refusals.length, 1);
  t.same(a.secondaries("c.test.", []).secondaries, [], "no per-source entries for them");
  t.equal(a.secondaries("zone1.", [PEER]).recent_refusals.length, 3, "zones untouched");

  // Zones: the least recently active evicted.
  a.checked("zone2.", { address: "192.0.2.1", port: 1 }, { peer: PEER });
  a.checked("zone1.", { address: "192.0.2.1", port: 1 }, { peer: PEER });
  a.checked("zone3.", { address: "192.0.2.1", port: 1 }, { peer: PEER });
  t.equal(a.secondaries("zone2.", [PEER]).secondaries[0].last_check, null, "zone2 evicted");
  t.not(a.secondaries("zone1.", [PEER]).secondaries[0].last_check, null);
  a.forget("zone1.");
  t.equal(a.secondaries("zone1.", [PEER]).secondaries[0].last_check, null, "forgotten");
});

t.test("only peers left: the oldest peer goes; unlinked peers follow the linked", async (t) => {
  const a = new TransferActivity({ maxSources: 1 });
  a.checked("example.", { address: "192.0.2.1", port: 1 }, { peer: PEER });
  a.checked("example.", { address: "192.0.2.2", port: 1 }, { peer: PEER2 });
  const v = a.secondaries("example.", [PEER]);
  t.equal(v.secondaries[0].last_check, null, "PEER's record was evicted");
  t.same(
    v.secondaries.map((s) => [s.peer_id, s.peer_name, s.via, s.address, s.port]),
    [
      [PEER.id, "bind", "peer", "192.0.2.1", 53],
      [PEER2.id, "knot", null, "192.0.2.2", 1],
    ],
    "PEER2 is not linked: listed after, as a source that is no peer of the zone",
  );
  t.equal(a.secondaries("example.", [PEER2]).secondaries.length, 1, "linked: listed once");
  t.equal(a.secondaries("example.", [PEER2]).secondaries[0].counts.checks, 1);
});

t.test("a peer unlinked while notified: its cancelled NOTIFY stays in view", async (t) => {
  const a = new TransferActivity({ now: clock().now });
  a.notified({
    zone: "example.",
    peerId: PEER2.id,
    peerName: "knot",
    address: "192.0.2.2",
    port: 5353,
    serial: 10,
    outcome: "cancelled",
    detail: "peer unlinked from the zone",
    tries: 2,
    ms: 2500,
  });
  const v = a.secondaries("example.", [PEER]);
  t.same(
    v.secondaries.map((s) => [s.peer_id, s.via]),
    [
      [PEER.id, "peer"],
      [PEER2.id, null],
    ],
  );
  t.match(v.secondaries[1], {
    peer_name: "knot",
    address: "192.0.2.2",
    port: 5353,
    last_notify: { serial: 10, outcome: "cancelled", detail: "peer unlinked from the zone" },
    counts: { notifies: 1 },
  });
});

t.test("incoming NOTIFY: counted per zone", async (t) => {
  const a = new TransferActivity({ now: clock().now });
  a.incomingNotify("example.", { address: "192.0.2.9", port: 5 });
  a.incomingNotify("Example", { address: "192.0.2.8", port: 6 });
  t.same(a.secondaries("example.", []).incoming_notify, {
    count: 2,
    last: { at: "2024-05-01T12:00:00.000Z", address: "192.0.2.8", port: 6 },
  });
});

t.test("the event hook: every record, and a failing listener is contained", async (t) => {
  const errors: unknown[] = [];
  const a = new TransferActivity({ now: clock().now, onListenerError: (e) => errors.push(e) });
  const events: ActivityEvent[] = [];
  a.on(() => {
    throw new Error("boom");
  });
  const off = a.on((e) => events.push(e));
  a.checked("example.", { address: "10.0.0.9", port: 2 }, { acl: ACL });
  a.transferred("example.", axfr());
  a.refused("nowhere.", { address: "1.2.3.4", port: 1, qtype: "AXFR", reason: "x", rcode: 9 });
  a.notified({
    zone: "example.",
    peerId: PEER.id,
    peerName: "bind",
    address: "192.0.2.1",
    port: 53,
    serial: 10,
    outcome: "acknowledged",
    tries: 2,
    ms: 3000,
    at: new Date(T0 + 5000),
  });
  a.incomingNotify("example.", { address: "1.2.3.4", port: 1 });
  t.same(
    events.map((e) => e.kind),
    ["checked", "transfer", "refused", "notify", "notify-received"],
  );
  t.match(events[0], { kind: "checked", zone: "example.", aclId: ACL.id, address: "10.0.0.9" });
  t.match(events[1], {
    kind: "transfer",
    peerId: PEER.id,
    peerName: "bind",
    type: "AXFR",
    serial: 10,
    records: 5,
    outcome: "finished",
  });
  t.notOk("peer" in events[1], "no nested peer object in the event");
  t.match(events[2], { kind: "refused", zone: "nowhere.", served: true, rcode: 9 });
  t.match(events[3], { kind: "notify", peerId: PEER.id, tries: 2, at: new Date(T0 + 5000) });
  t.equal(errors.length, 5, "the throwing listener's errors went to onListenerError");
  off();
  a.incomingNotify("example.", { address: "1.2.3.4", port: 1 });
  t.equal(events.length, 5, "unsubscribed");
});
