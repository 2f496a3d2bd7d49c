/**
 * The fault store (faults/faults.ts): each parameter type checked with its code and message,
 * defaults filled in, the scope (peer_id through the peer's address or the NOTIFY's peer,
 * source, IPv4-mapped IPv6), the points, `times` used up, remove/clear/not found, and
 * `active()` free when there is no fault.
 */
import t from "tap";
import { ApiError } from "../../src/cloudflare/errors.js";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { type FaultApplied, Faults, peersOf, rcodeOf } from "../../src/faults/faults.js";
import { FAULT_KIND_NAMES, FAULT_KINDS } from "../../src/faults/kinds.js";

const ZONE = "example.com.";
const T0 = new Date("2024-05-01T12:00:00.000Z");

function store(now: () => Date = () => T0) {
  const settings = new TransferSettings({ now: () => T0 });
  const faults = new Faults(peersOf(settings), now);
  return { settings, faults };
}

/** The ApiError `spec` is refused with: its code and message. */
function refusal(faults: Faults, spec: unknown): { code: number; message: string } {
  try {
    faults.add(ZONE, spec);
  } catch (err) {
    if (err instanceof ApiError) return { code: err.code, message: err.message };
    throw err;
  }
  return { code: 0, message: "accepted" };
}

t.test("kinds: a known kind, or 89201 listing them; the spec an object (89202)", async (t) => {
  const { faults } = store();
  const all = FAULT_KIND_NAMES.join(", ");
  t.same(refusal(faults, { kind: "xfr-explode" }), {
    code: 89201,
    message: `unknown fault kind "xfr-explode": one of ${all}`,
  });
  t.same(refusal(faults, {}), { code: 89201, message: `kind is required: one of ${all}` });
  t.same(refusal(faults, { kind: "toString" }).code, 89201, "not a kind inherited from Object");
  for (const spec of [null, "latency", 5, [{ kind: "latency" }]])
    t.same(
      refusal(faults, spec),
      { code: 89202, message: "a fault is an object with a kind and its parameters" },
      JSON.stringify(spec),
    );
  t.equal(faults.size, 0, "nothing refused was added");
});

t.test("every kind takes its defaults; the fault as shown", async (t) => {
  let clock = T0;
  const { faults } = store(() => clock);
  for (const [kind, k] of Object.entries(FAULT_KINDS)) {
    const required = Object.entries(k.params).filter(([, p]) => p.default === undefined);
    const spec: Record<string, unknown> = { kind };
    for (const [name, p] of required) spec[name] = p.type === "address" ? "127.0.0.2" : 7;
    const f = faults.add(ZONE, spec);
    const want = Object.fromEntries(
      Object.entries(k.params).map(([n, p]) => [n, p.default ?? spec[n]]),
    );
    t.same(f.params, want, `${kind}: every parameter, defaults filled in`);
  }
  clock = new Date(T0.getTime() + 5000);
  const f = faults.add(ZONE, { kind: "xfr-truncate" }, "config");
  t.same(f, {
    id: f.id,
    kind: "xfr-truncate",
    params: { after_messages: 1 },
    peer_id: null,
    source: null,
    times: null,
    applied: 0,
    last_applied: null,
    active: true,
    created_on: "2024-05-01T12:00:05.000Z",
    origin: "config",
  });
  t.match(f.id, /^[0-9a-f]{32}$/);
  t.not(faults.add(ZONE, { kind: "xfr-truncate" }).id, f.id, "ids differ");
});

t.test("parameters: each type, its accepted forms, its message and 89202", async (t) => {
  const { faults } = store();
  const value = (spec: Record<string, unknown>, name: string) =>
    faults.add(ZONE, spec).params[name];
  // int: a whole number in bounds, also as text.
  t.equal(value({ kind: "xfr-slow", bytes_per_second: 512 }, "bytes_per_second"), 512);
  t.equal(value({ kind: "xfr-slow", bytes_per_second: " 512 " }, "bytes_per_second"), 512);
  t.equal(
    value({ kind: "xfr-truncate", after_messages: 0 }, "after_messages"),
    0,
    "0 is in bounds",
  );
  const intMessage =
    "xfr-slow: bytes_per_second must be a whole number from 1 to 1073741824 (the pace of the stream)";
  for (const v of [0, 1.5, 2 ** 30 + 1, "", "fast", "1e3x", true, Number.NaN, Infinity, {}])
    t.same(
      refusal(faults, { kind: "xfr-slow", bytes_per_second: v }),
      { code: 89202, message: intMessage },
      `int ${String(v)}`,
    );
  t.same(refusal(faults, { kind: "latency" }), {
    code: 89202,
    message: "latency: ms is required (the delay before each answer)",
  });
  t.same(refusal(faults, { kind: "latency", ms: null }).code, 89202, "null is absent");
  // number: a fraction in bounds.
  t.equal(value({ kind: "udp-drop", probability: "0.25" }, "probability"), 0.25);
  t.equal(value({ kind: "udp-drop", probability: 1 }, "probability"), 1);
  for (const v of [-0.1, 1.5, "half"])
    t.same(refusal(faults, { kind: "udp-drop", probability: v }), {
      code: 89202,
      message:
        "udp-drop: probability must be a number from 0 to 1 (the share of UDP answers dropped)",
    });
  // bool: true or false, also as text.
  t.equal(value({ kind: "soa-rcode", drop: "true" }, "drop"), true);
  t.equal(value({ kind: "soa-rcode", drop: false }, "drop"), false);
  for (const v of ["yes", 1, "TRUE"])
    t.same(refusal(faults, { kind: "soa-rcode", drop: v }), {
      code: 89202,
      message: "soa-rcode: drop must be true or false (send no answer at all)",
    });
  // rcode: a mnemonic in any case, or a number 1..15; stored as the mnemonic.
  t.equal(value({ kind: "ixfr-refuse", rcode: "refused" }, "rcode"), "REFUSED");
  t.equal(value({ kind: "ixfr-refuse", rcode: 2 }, "rcode"), "SERVFAIL");
  t.equal(value({ kind: "ixfr-refuse", rcode: "9" }, "rcode"), "NOTAUTH");
  t.equal(value({ kind: "ixfr-refuse", rcode: 15 }, "rcode"), "RCODE15", "no mnemonic: RCODEn");
  t.equal(rcodeOf("RCODE15"), 15);
  t.equal(rcodeOf("NOTIMP"), 4);
  for (const v of ["NOERROR", 0, 16, "BADSIG", "", -1])
    t.match(
      refusal(faults, { kind: "ixfr-refuse", rcode: v }),
      {
        code: 89202,
        message: /^ixfr-refuse: rcode must be an error RCODE: FORMERR, SERVFAIL, .* or 1\.\.15$/,
      },
      `rcode ${String(v)}`,
    );
  // message: counted from 1, or "last".
  t.equal(value({ kind: "tsig-bad-mac", message: 3 }, "message"), 3);
  t.equal(value({ kind: "tsig-bad-mac", message: "2" }, "message"), 2);
  t.equal(value({ kind: "tsig-unsigned", message: "last" }, "message"), "last");
  for (const v of [0, "first", 1.5, "LAST"])
    t.same(refusal(faults, { kind: "tsig-bad-mac", message: v }), {
      code: 89202,
      message:
        'tsig-bad-mac: message must be "last" or a message number from 1 (which message (1 = the first))',
    });
  // address: IPv4 or IPv6.
  t.equal(value({ kind: "notify-from", source: "127.0.0.2" }, "source"), "127.0.0.2");
  t.equal(value({ kind: "notify-from", source: "::1" }, "source"), "::1");
  for (const v of ["localhost", "127.0.0.256", 7])
    t.same(refusal(faults, { kind: "notify-from", source: v }), {
      code: 89202,
      message: "notify-from: source must be an IP address (the address NOTIFYs leave from)",
    });
  t.same(refusal(faults, { kind: "notify-from" }), {
    code: 89202,
    message: "notify-from: source is required (the address NOTIFYs leave from)",
  });
  // Unknown parameters name the kind's own.
  t.same(refusal(faults, { kind: "xfr-truncate", after: 2 }), {
    code: 89202,
    message:
      "xfr-truncate has no parameter after (it has after_messages); the scope is peer_id or source, the count is times",
  });
  t.same(refusal(faults, { kind: "notify-drop", ms: 2 }), {
    code: 89202,
    message:
      "notify-drop has no parameter ms (it takes none); the scope is peer_id or source, the count is times",
  });
});

t.test("scope and count: peer_id, source, times", async (t) => {
  const { faults, settings } = store();
  const peer = settings.createPeer({ name: "bind", ip: "127.0.0.1", port: 5301 });
  t.equal(faults.add(ZONE, { kind: "notify-drop", peer_id: peer.id }).peer_id, peer.id);
  t.same(refusal(faults, { kind: "notify-drop", peer_id: "bind" }), {
    code: 89202,
    message: "peer_id must be a peer's id (32 hexadecimal digits)",
  });
  t.same(refusal(faults, { kind: "notify-drop", peer_id: "ab".repeat(16) }), {
    code: 89202,
    message: `peer_id ${"ab".repeat(16)} is not a peer of this account`,
  });
  t.equal(
    faults.add(ZONE, { kind: "latency", ms: 1, source: "::ffff:127.0.0.3" }).source,
    "::ffff:127.0.0.3",
  );
  t.same(refusal(faults, { kind: "latency", ms: 1, source: "lab" }), {
    code: 89202,
    message: 'source "lab" is not an IP address',
  });
  const notifyFrom = faults.add(ZONE, { kind: "notify-from", source: "127.0.0.2" });
  t.equal(notifyFrom.source, null, "notify-from's source is its parameter, not a scope");
  t.equal(faults.add(ZONE, { kind: "notify-drop", times: 3 }).times, 3);
  t.equal(faults.add(ZONE, { kind: "notify-drop", times: "2" }).times, 2, "as text");
  t.equal(
    faults.add(ZONE, { kind: "notify-drop", times: null }).times,
    null,
    "null: until removed",
  );
  for (const v of [0, 1.5, "x", "1.0", 1_000_001, -1, true])
    t.same(
      refusal(faults, { kind: "notify-drop", times: v }),
      {
        code: 89202,
        message: "times must be a whole number from 1 to 1000000 (absent: until removed)",
      },
      `times ${String(v)}`,
    );
});

t.test("which exchanges a fault matches", async (t) => {
  const { faults, settings } = store();
  const near = settings.createPeer({ name: "near", ip: "127.0.0.1", port: 5301 });
  const v6 = settings.createPeer({ name: "v6", ip: "2001:db8::1", port: 5301 });
  const noIp = settings.createPeer({ name: "no-ip" });
  const kinds = (x: Parameters<Faults["active"]>[1]) =>
    faults.active(ZONE, x).map((f) => (f as { id: string }).id);

  const byPeer = faults.add(ZONE, { kind: "serial-regression", peer_id: near.id }).id;
  const byV6Peer = faults.add(ZONE, { kind: "serial-regression", peer_id: v6.id }).id;
  const byIpless = faults.add(ZONE, { kind: "serial-regression", peer_id: noIp.id }).id;
  const bySource = faults.add(ZONE, { kind: "latency", ms: 5, source: "127.0.0.2" }).id;
  const byMapped = faults.add(ZONE, { kind: "udp-drop", source: "::ffff:127.0.0.3" }).id;
  const anyone = faults.add(ZONE, { kind: "notify-drop" }).id;

  // The peer's address, in any of its forms.
  t.same(kinds({ point: "query", address: "127.0.0.1" }), [byPeer]);
  t.same(kinds({ point: "query", address: "::ffff:127.0.0.1" }), [byPeer], "IPv4-mapped IPv6");
  t.same(kinds({ point: "transfer", address: "2001:0db8:0:0:0:0:0:1" }), [byV6Peer], "IPv6 forms");
  t.same(kinds({ point: "query" }), [], "no address: no peer, no source matches");
  // A NOTIFY names its peer: the id decides, not the address.
  t.same(kinds({ point: "notify", address: "127.0.0.9", peerId: near.id }), [byPeer, anyone]);
  t.same(kinds({ point: "notify", address: "127.0.0.1", peerId: v6.id }), [byV6Peer, anyone]);
  t.same(
    kinds({ point: "notify", peerId: noIp.id }),
    [byIpless, anyone],
    "a peer without ip, by id",
  );
  // Source: the address, IPv4 and its mapped form alike.
  t.same(kinds({ point: "query", address: "127.0.0.2" }), [bySource]);
  t.same(kinds({ point: "transfer", address: "::ffff:127.0.0.2" }), [bySource]);
  t.same(kinds({ point: "query", address: "127.0.0.3" }), [byMapped], "given mapped, asked plain");
  t.same(kinds({ point: "transfer", address: "127.0.0.3" }), [], "udp-drop acts on queries only");
  t.same(kinds({ point: "notify", address: "127.0.0.2" }), [anyone], "latency: not a NOTIFY point");
  // Another zone has none.
  t.same(faults.active("example.org.", { point: "query", address: "127.0.0.1" }), []);
  // find: the first active fault of a kind.
  t.equal(
    (faults.find(ZONE, "latency", { point: "query", address: "127.0.0.2" }) as { id: string }).id,
    bySource,
  );
  t.equal(faults.find(ZONE, "latency", { point: "query", address: "127.0.0.1" }), undefined);
  // A peer deleted: its faults match nothing by address any more.
  settings.deletePeer(near.id);
  t.same(kinds({ point: "query", address: "127.0.0.1" }), []);
});

t.test("applied: counted, times used up, listeners told", async (t) => {
  let clock = T0;
  const { faults } = store(() => clock);
  const events: FaultApplied[] = [];
  const off = faults.onApplied((e) => events.push(e));
  const info = faults.add(ZONE, { kind: "xfr-truncate", times: 2 });
  const [fault] = faults.active(ZONE, { point: "transfer", address: "127.0.0.1" });
  clock = new Date(T0.getTime() + 1000);
  const after = faults.applied(ZONE, fault!, {
    point: "transfer",
    address: "127.0.0.1",
    action: "closed",
  });
  t.equal(after, info, "the fault as shown, the same object");
  t.match(info, { applied: 1, times: 1, active: true, last_applied: "2024-05-01T12:00:01.000Z" });
  t.same(events, [
    { zone: ZONE, fault: info, point: "transfer", address: "127.0.0.1", action: "closed" },
  ]);
  faults.applied(ZONE, fault!, { point: "transfer", action: "closed" });
  t.match(info, { applied: 2, times: 0, active: false });
  t.same(faults.active(ZONE, { point: "transfer", address: "127.0.0.1" }), [], "used up: inactive");
  t.same(faults.list(ZONE), [info], "still listed");
  t.equal(faults.size, 1, "still counted");
  off();
  const forever = faults.add(ZONE, { kind: "xfr-reset" });
  const [f2] = faults.active(ZONE, { point: "transfer" });
  for (let i = 0; i < 3; i++) faults.applied(ZONE, f2!, { point: "transfer", action: "reset" });
  t.match(forever, { applied: 3, times: null, active: true }, "no times: until removed");
  t.equal(events.length, 2, "no events once unsubscribed");
});

t.test("list, get, remove, clear; 89203 for an unknown id", async (t) => {
  const { faults } = store();
  const a = faults.add(ZONE, { kind: "notify-drop" });
  const b = faults.add(ZONE, { kind: "notify-unsigned" });
  const c = faults.add("example.org.", { kind: "ixfr-as-axfr" });
  t.same(faults.list(ZONE), [a, b], "oldest first");
  t.same(faults.list("example.net."), []);
  t.same(faults.zones(), [ZONE, "example.org."]);
  t.equal(faults.size, 3);
  t.equal(faults.get(ZONE, b.id), b);
  const notFound = (id: string) => ({
    name: "ApiError",
    code: 89203,
    status: 404,
    message: `no fault with id "${id}" on this zone`,
  });
  t.throws(() => faults.get(ZONE, c.id), notFound(c.id), "another zone's fault");
  t.throws(() => faults.get(ZONE, "nope"), notFound("nope"));
  t.equal(faults.remove(ZONE, a.id), a);
  t.throws(() => faults.remove(ZONE, a.id), notFound(a.id), "removed twice");
  t.throws(() => faults.remove("example.net.", a.id), notFound(a.id), "a zone without faults");
  t.equal(faults.size, 2);
  t.equal(faults.clear(ZONE), 1);
  t.equal(faults.clear(ZONE), 0);
  t.same(faults.zones(), ["example.org."], "a zone without faults is forgotten");
  faults.remove("example.org.", c.id);
  t.same(faults.zones(), []);
  t.equal(faults.size, 0);
});

t.test("with no fault, active() is the one frozen empty array", async (t) => {
  const { faults } = store();
  const none = faults.active(ZONE, { point: "query", address: "127.0.0.1" });
  t.same(none, []);
  t.ok(Object.isFrozen(none));
  t.equal(faults.active("example.org.", { point: "transfer" }), none, "the same array every time");
  t.equal(faults.find(ZONE, "latency", { point: "query" }), undefined);
  // Faults elsewhere, or not for this exchange: still the same array, nothing allocated.
  faults.add("example.org.", { kind: "latency", ms: 5 });
  t.equal(faults.active(ZONE, { point: "query" }), none, "another zone's faults");
  faults.add(ZONE, { kind: "notify-drop" });
  t.equal(faults.active(ZONE, { point: "query" }), none, "none at this point");
  faults.clear(ZONE);
  faults.clear("example.org.");
  t.equal(faults.size, 0);
  t.equal(faults.active(ZONE, { point: "notify" }), none, "cleared: back to it");
  // And it cannot be changed by a caller.
  t.throws(() => (none as unknown[]).push(1), TypeError);
});
