/**
 * The library's faults handle (docs/faults.md): add, list, get, remove and clear by zone name
 * or id, with the store's checks and error codes; declared faults at start; a deleted zone
 * takes its faults with it; the "fault" event when a fault acted (a real NOTIFY dropped).
 */
import dgram from "node:dgram";
import t, { type Test } from "tap";
import { FAULT_KINDS, type Primary, startPrimary } from "../../src/index.js";

const TEXT = `$TTL 300
@    IN SOA ns.alpha.test. admin.alpha.test. 7 3600 600 86400 60
@    IN NS  ns.alpha.test.
www  IN A   192.0.2.80
`;

async function started(t: Test, opts: Parameters<typeof startPrimary>[0] = {}): Promise<Primary> {
  const p = await startPrimary({
    zones: [
      { origin: "alpha.test", text: TEXT },
      { origin: "beta.test", records: [] },
    ],
    notify: false,
    ...opts,
  });
  t.teardown(() => p.close());
  return p;
}

/** What an ApiError with this code matches. */
const code = (c: number) => ({ name: "ApiError", code: c });

t.test("add by name (dot optional) or id; the handle shows the fault with defaults", async (t) => {
  const p = await started(t);
  const a = p.faults.add("alpha.test", { kind: "xfr-truncate" });
  t.match(a, {
    zone: "alpha.test.",
    kind: "xfr-truncate",
    params: { after_messages: 1 },
    peer_id: null,
    source: null,
    times: null,
    applied: 0,
    last_applied: null,
    active: true,
    origin: "runtime",
  });
  t.match(a.id, /^[0-9a-f]{32}$/);
  t.match(a.created_on, /^\d{4}-\d\d-\d\dT/);
  const b = p.faults.add("ALPHA.test.", { kind: "ixfr-refuse", rcode: "refused", times: 2 });
  t.same(b.params, { rcode: "REFUSED" }, "an RCODE by mnemonic, any case");
  t.equal(b.times, 2);
  const id = p.zone("beta.test")!.id;
  const c = p.faults.add(id, { kind: "latency", ms: 50, source: "127.0.0.2" });
  t.equal(c.zone, "beta.test.", "a zone by id");
  t.equal(c.source, "127.0.0.2");
  // What JSON shows: the zone and the fault's fields, not the method.
  t.same(JSON.parse(JSON.stringify(a)), {
    zone: "alpha.test.",
    id: a.id,
    kind: "xfr-truncate",
    params: { after_messages: 1 },
    peer_id: null,
    source: null,
    times: null,
    applied: 0,
    last_applied: null,
    active: true,
    created_on: a.created_on,
    origin: "runtime",
  });
});

t.test("list, get, remove and clear", async (t) => {
  const p = await started(t);
  const a1 = p.faults.add("alpha.test", { kind: "notify-drop" });
  const b1 = p.faults.add("beta.test", { kind: "udp-drop", probability: 1 });
  const a2 = p.faults.add("alpha.test", { kind: "serial-regression" });
  t.same(
    p.faults.list("alpha.test").map((f) => f.id),
    [a1.id, a2.id],
    "a zone's faults, oldest first",
  );
  t.same(
    p.faults
      .list()
      .map((f) => [f.zone, f.id])
      .sort(),
    [
      ["alpha.test.", a1.id],
      ["alpha.test.", a2.id],
      ["beta.test.", b1.id],
    ].sort(),
    "every zone's, each with its zone",
  );
  t.equal(p.faults.get("alpha.test.", a2.id).kind, "serial-regression");
  t.throws(() => p.faults.get("beta.test", a1.id), code(89203), "another zone's fault: 89203");

  t.equal(a1.remove(), true);
  t.equal(a1.remove(), false, "already gone");
  t.same(
    p.faults.list("alpha.test").map((f) => f.id),
    [a2.id],
  );
  t.throws(() => p.faults.get("alpha.test", a1.id), code(89203));

  t.equal(p.faults.clear("beta.test"), 1);
  t.equal(b1.remove(), false, "cleared with its zone's faults");
  t.equal(p.faults.clear("beta.test"), 0);
  p.faults.add("beta.test", { kind: "notify-unsigned" });
  t.equal(p.faults.clear(), 2, "every zone's");
  t.same(p.faults.list(), []);
});

t.test("the store's checks and codes; an unknown zone is 7003", async (t) => {
  const p = await started(t);
  t.throws(() => p.faults.add("gamma.test", { kind: "notify-drop" }), code(7003));
  t.throws(() => p.faults.list("gamma.test"), code(7003));
  t.throws(() => p.faults.clear("gamma.test"), code(7003));
  t.throws(() => p.faults.add("alpha.test", { kind: "xfr-explode" }), {
    code: 89201,
    message: /unknown fault kind "xfr-explode": one of axfr-soa-mismatch, /,
  });
  t.throws(() => p.faults.add("alpha.test", { kind: "latency" }), {
    code: 89202,
    message: /latency: ms is required/,
  });
  t.throws(() => p.faults.add("alpha.test", { kind: "xfr-slow", bytes_per_second: 0 }), {
    code: 89202,
    message: /xfr-slow: bytes_per_second must be a whole number from 1 to 1073741824/,
  });
  t.throws(() => p.faults.add("alpha.test", { kind: "notify-drop", peer_id: "0".repeat(32) }), {
    code: 89202,
    message: /is not a peer of this account/,
  });
  t.same(p.faults.list(), [], "nothing added by a refused call");
  // A peer the transfer settings know narrows the fault.
  const peer = p.transfers.createPeer({ name: "bind", ip: "127.0.0.1", port: 5301 });
  t.equal(p.faults.add("alpha.test", { kind: "notify-drop", peer_id: peer.id }).peer_id, peer.id);
});

t.test("faults declared at start; a deleted zone's faults go with it", async (t) => {
  const p = await started(t, {
    faults: [{ zone: "alpha.test", spec: { kind: "axfr-soa-mismatch", serial_delta: 5 } }],
  });
  const [declared] = p.faults.list();
  t.match(declared, {
    zone: "alpha.test.",
    kind: "axfr-soa-mismatch",
    params: { serial_delta: 5 },
    origin: "config",
  });
  p.removeZone("alpha.test");
  t.equal(declared!.remove(), false, "cleared with the zone");
  p.createZone("alpha.test");
  t.same(p.faults.list("alpha.test"), [], "the zone created again starts without faults");

  await t.rejects(
    started(t, { faults: [{ zone: "gamma.test", spec: { kind: "notify-drop" } }] }),
    code(7003),
    "a declared fault for a zone not served stops the start",
  );
  await t.rejects(
    started(t, { faults: [{ zone: "alpha.test", spec: { kind: "latency", ms: -1 } }] }),
    code(89202),
  );
});

/** A secondary's NOTIFY side: counts what arrives, answers nothing. */
async function notifyPeer(t: Test): Promise<{ port: number; got: () => number }> {
  const sock = dgram.createSocket("udp4");
  let got = 0;
  sock.on("message", () => {
    got++;
  });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  t.teardown(() => new Promise<void>((r) => sock.close(() => r())));
  return { port: sock.address().port, got: () => got };
}

t.test("the fault event, and the handle following what the server did", async (t) => {
  const peerSide = await notifyPeer(t);
  const p = await started(t, { notify: { coalesceMs: 10 } });
  const peer = p.transfers.createPeer({ name: "bind", ip: "127.0.0.1", port: peerSide.port });
  const drop = p.faults.add("alpha.test", { kind: "notify-drop", peer_id: peer.id, times: 1 });
  const seen: string[] = [];
  const off = p.on("fault", (e) => seen.push(e.fault.kind));
  const event = p.waitFor("fault", (e) => e.fault.id === drop.id, { timeoutMs: 5000 });
  const dropped = p.waitFor("notify", (e) => e.outcome === "dropped", { timeoutMs: 5000 });
  // Enabling transfers notifies the linked peer: the fault keeps that NOTIFY from leaving.
  p.transfers.createOutgoing("alpha.test.", { peers: [peer.id], status: "Enabled" });
  const e = await event;
  t.match(e, {
    zone: "alpha.test.",
    point: "notify",
    address: "127.0.0.1",
    action: "NOTIFY not sent",
    fault: { id: drop.id, kind: "notify-drop", applied: 1, times: 0, active: false },
  });
  t.match((await dropped).faults, [{ id: drop.id, kind: "notify-drop" }]);
  t.same(seen, ["notify-drop"]);
  off();
  // The handle is live: the store's counts, not those at add().
  t.equal(drop.applied, 1);
  t.equal(drop.active, false, "times used up");
  t.equal(drop.last_applied, e.fault.last_applied);
  t.equal(peerSide.got(), 0, "no NOTIFY reached the peer");

  // Used up: the next change's NOTIFY leaves; the event's fault was a copy.
  p.records("alpha.test").create({ name: "new", type: "A", content: "192.0.2.8" });
  const deadline = Date.now() + 5000;
  while (peerSide.got() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.ok(peerSide.got() >= 1, "the peer got the next NOTIFY");
  t.equal(drop.applied, 1);
  t.equal(e.fault.applied, 1);
  t.same(seen, ["notify-drop"], "no more events");
});

t.test("the kinds are exported with their parameters", async (t) => {
  t.ok(Object.keys(FAULT_KINDS).length >= 17);
  t.same(Object.keys(FAULT_KINDS["ixfr-refuse"].params), ["rcode"]);
});
