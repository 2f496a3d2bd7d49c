import * as packet from "dns-packet";
import t from "tap";
import {
  Notifier,
  type NotifierOptions,
  type NotifyLogger,
  type NotifyOutcomeEvent,
  type NotifyTarget,
} from "../../src/notify/notifier.js";
import { OPCODE } from "../../src/wire/message.js";
import { readTsig, tsigKey, verifyRequest } from "../../src/wire/tsig.js";
import { answer, FakeClock, FakeTransport, KEY, type Sent, signedAnswer, soa } from "./helpers.js";

const A: NotifyTarget = { peerId: "a".repeat(32), peerName: "bind", host: "192.0.2.1", port: 53 };
const B: NotifyTarget = { peerId: "b".repeat(32), peerName: "knot", host: "192.0.2.2", port: 5300 };
const ZONE = "example.com.";

interface Line {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}

function setup(opts: Partial<NotifierOptions> & { peers?: NotifyTarget[] } = {}) {
  const clock = new FakeClock();
  const t0 = clock.now();
  const transport = new FakeTransport(clock);
  const state = { serial: 100 };
  const events: NotifyOutcomeEvent[] = [];
  const lines: Line[] = [];
  const log =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void => {
      lines.push({ level, fields, msg });
    };
  const logger = { info: log("info"), warn: log("warn"), debug: log("debug") } as NotifyLogger;
  const peers = opts.peers ?? [A, B];
  const n = new Notifier({
    targets: () => peers,
    soa: () => soa(state.serial),
    clock,
    transport,
    onEvent: (e) => events.push(e),
    logger,
    ...opts,
  });
  /** Sends to one host, with times relative to the start. */
  const to = (host: string) =>
    transport.sent.filter((s) => s.host === host).map((s) => ({ ...s, at: s.at - t0 }));
  return { n, clock, t0, transport, state, events, lines, to };
}

function serialOf(s: Sent): number {
  const a = packet.decode(s.message).answers![0] as packet.Answer & { data: packet.SoaData };
  return a.data.serial!;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

t.test("changes in quick succession make one NOTIFY with the newest serial", async (t) => {
  const { n, clock, state, to, transport } = setup();
  state.serial = 101;
  n.trigger(ZONE, "change");
  clock.advance(40);
  state.serial = 102;
  n.trigger(ZONE, "change");
  clock.advance(60);
  state.serial = 103;
  n.trigger(ZONE, "change");
  t.equal(transport.sent.length, 0, "nothing before the coalescing delay");
  t.equal(n.status(ZONE).pending, true);
  clock.advance(149);
  t.equal(transport.sent.length, 0);
  clock.advance(1);
  t.same(
    to(A.host).map((s) => [s.at, s.port, serialOf(s)]),
    [[250, 53, 103]],
  );
  t.same(
    to(B.host).map((s) => [s.at, s.port, serialOf(s)]),
    [[250, 5300, 103]],
  );
  t.equal(n.status(ZONE).pending, false);
});

t.test("the coalescing delay is an option", async (t) => {
  const { n, clock, transport } = setup({ coalesceMs: 1000 });
  n.trigger(ZONE, "change");
  clock.advance(999);
  t.equal(transport.sent.length, 0);
  clock.advance(1);
  t.equal(transport.sent.length, 2);
});

t.test("enable and force send at once; force takes the place of a pending change", async (t) => {
  const { n, clock, transport, to, state } = setup();
  n.trigger(ZONE, "enable");
  t.same(
    transport.sent.map((s) => [s.host, s.at - clock.now()]),
    [
      [A.host, 0],
      [B.host, 0],
    ],
  );
  for (const s of transport.sent) transport.deliver(answer(s.message), s.host, s.port);
  clock.advance(500);
  state.serial = 101;
  n.trigger(ZONE, "change");
  clock.advance(100);
  n.trigger(ZONE, "force");
  t.same(
    to(A.host).map((s) => [s.at, serialOf(s)]),
    [
      [0, 100],
      [600, 101],
    ],
  );
  for (const s of transport.sent.slice(2)) transport.deliver(answer(s.message), s.host, s.port);
  clock.advance(10_000);
  t.equal(transport.sent.length, 4, "the pending change sent nothing more");
  t.equal(n.status(ZONE).peers[0].last?.reason, "force");
});

t.test("retries follow the schedule, then give up as timeout", async (t) => {
  const { n, clock, to, events, lines } = setup({ peers: [A] });
  n.trigger(ZONE, "enable");
  clock.advance(100_000);
  const tries = to(A.host);
  t.same(
    tries.map((s) => s.at),
    [0, 2000, 6000, 14000, 30000],
    "five tries: 2, 4, 8, 16 s apart",
  );
  t.ok(
    tries.every((s) => s.message.equals(tries[0].message)),
    "every try sends the same bytes",
  );
  t.equal(events.length, 1);
  t.match(events[0], {
    kind: "notify",
    zone: ZONE,
    peerId: A.peerId,
    peerName: "bind",
    address: A.host,
    port: 53,
    serial: 100,
    outcome: "timeout",
    tries: 5,
    ms: 46000,
    reason: "enable",
    sentAt: new Date(clock.now() - 100_000).toISOString(),
    at: new Date(clock.now() - 100_000 + 46000).toISOString(),
  });
  t.notOk("rcode" in events[0]);
  const outcome = lines.filter((l) => l.fields.outcome);
  t.equal(outcome.length, 1, "one log line per outcome");
  t.equal(outcome[0].level, "warn");
  t.match(outcome[0].fields, {
    zone: ZONE,
    peer: "bind",
    address: A.host,
    port: 53,
    serial: 100,
    tries: 5,
    outcome: "timeout",
    ms: 46000,
  });
  t.match(outcome[0].msg, /NOTIFY example\.com\. serial 100 to bind 192\.0\.2\.1:53: timeout/);
  t.same(n.status(ZONE).peers[0].inFlight, null);
  t.equal(clock.pending, 0, "no timer left");
});

t.test("a custom retry schedule", async (t) => {
  const { n, clock, to, events } = setup({ peers: [A], retrySchedule: [100, 200] });
  n.trigger(ZONE, "force");
  clock.advance(1000);
  t.same(
    to(A.host).map((s) => s.at),
    [0, 100],
  );
  t.match(events, [{ outcome: "timeout", tries: 2, ms: 300 }]);
  t.throws(() => setup({ retrySchedule: [] }), /retrySchedule/);
  t.throws(() => setup({ retrySchedule: [100, 0] }), /retrySchedule/);
});

t.test("an answer ends the retries", async (t) => {
  const { n, clock, to, events, lines, transport } = setup({ peers: [A] });
  n.trigger(ZONE, "enable");
  clock.advance(2500);
  const sent = to(A.host);
  t.equal(sent.length, 2);
  clock.advance(20);
  transport.deliver(answer(sent[0].message), A.host, 53);
  clock.advance(100_000);
  t.equal(to(A.host).length, 2, "no try after the answer");
  t.match(events, [{ outcome: "answered", rcode: "NOERROR", tries: 2, ms: 2520, serial: 100 }]);
  t.notOk("detail" in events[0]);
  const status = n.status("EXAMPLE.com");
  t.match(status, {
    zone: ZONE,
    pending: false,
    peers: [
      {
        peerId: A.peerId,
        peerName: "bind",
        address: A.host,
        port: 53,
        inFlight: null,
        last: { serial: 100, outcome: "answered", rcode: "NOERROR", tries: 2, ms: 2520 },
      },
    ],
  });
  const line = lines.find((l) => l.fields.outcome);
  t.equal(line?.level, "info");
  t.match(line?.msg, /answered after 2 tries, 2520 ms/);
});

t.test("status while a NOTIFY is in flight", async (t) => {
  const { n, clock } = setup({ peers: [A] });
  t.same(n.status(ZONE), { zone: ZONE, pending: false, peers: [] });
  const start = clock.now();
  n.trigger(ZONE, "enable");
  clock.advance(2000);
  t.same(n.status(ZONE).peers[0].inFlight, {
    serial: 100,
    sentAt: new Date(start).toISOString(),
    tries: 2,
    reason: "enable",
  });
  t.equal(n.status(ZONE).peers[0].last, null);
});

for (const [rcode, name] of [
  [5, "REFUSED"],
  [9, "NOTAUTH"],
  [4, "NOTIMP"],
  [2, "SERVFAIL"],
] as const) {
  t.test(`an answer ${name} is recorded and not retried`, async (t) => {
    const { n, clock, to, events, transport, lines } = setup({ peers: [A] });
    n.trigger(ZONE, "enable");
    clock.advance(10);
    transport.deliver(answer(to(A.host)[0].message, { rcode }), A.host, 53);
    clock.advance(100_000);
    t.equal(to(A.host).length, 1);
    t.match(events, [{ outcome: "error", rcode: name, tries: 1, ms: 10 }]);
    t.match(n.status(ZONE).peers[0].last, { outcome: "error", rcode: name });
    const line = lines.find((l) => l.fields.outcome);
    t.equal(line?.level, "warn");
    t.match(line?.msg, new RegExp(`error ${name} after 1 try`));
  });
}

t.test("a newer serial replaces the NOTIFY in flight", async (t) => {
  const { n, clock, to, events, transport, state } = setup({ peers: [A] });
  n.trigger(ZONE, "enable");
  clock.advance(2000); // second try of serial 100 leaves
  const old = to(A.host)[0].message;
  state.serial = 101;
  n.trigger(ZONE, "change");
  clock.advance(250);
  t.match(events, [{ outcome: "replaced", serial: 100, tries: 2, ms: 2250 }]);
  t.same(
    to(A.host).map((s) => [s.at, serialOf(s)]),
    [
      [0, 100],
      [2000, 100],
      [2250, 101],
    ],
  );
  // A late answer to the replaced NOTIFY changes nothing.
  transport.deliver(answer(old), A.host, 53);
  t.equal(events.length, 1);
  clock.advance(2000);
  t.same(
    to(A.host).map((s) => [s.at, serialOf(s)]),
    [
      [0, 100],
      [2000, 100],
      [2250, 101],
      [4250, 101],
    ],
    "only the new NOTIFY is retried, on its own schedule",
  );
  transport.deliver(answer(to(A.host)[2].message), A.host, 53);
  t.match(events[1], { outcome: "answered", serial: 101, tries: 2, reason: "change" });
  t.equal(clock.pending, 0);
});

t.test("a change with the serial already in flight does not restart it; force does", async (t) => {
  const { n, clock, to, events } = setup({ peers: [A] });
  n.trigger(ZONE, "enable");
  clock.advance(1000);
  n.trigger(ZONE, "change");
  clock.advance(500);
  t.equal(events.length, 0);
  t.same(
    to(A.host).map((s) => s.at),
    [0],
  );
  n.trigger(ZONE, "force");
  t.match(events, [{ outcome: "replaced", serial: 100, reason: "enable" }]);
  t.same(
    to(A.host).map((s) => s.at),
    [0, 1500],
  );
});

t.test("cancel drops the pending change and the NOTIFYs in flight", async (t) => {
  const { n, clock, transport, events, state } = setup();
  n.trigger(ZONE, "enable");
  clock.advance(100);
  state.serial = 101;
  n.trigger(ZONE, "change");
  t.equal(n.status(ZONE).pending, true);
  n.cancel(ZONE, "zone removed");
  t.match(events, [
    {
      peerId: A.peerId,
      outcome: "cancelled",
      serial: 100,
      tries: 1,
      ms: 100,
      detail: "zone removed",
    },
    {
      peerId: B.peerId,
      outcome: "cancelled",
      serial: 100,
      tries: 1,
      ms: 100,
      detail: "zone removed",
    },
  ]);
  t.equal(n.status(ZONE).pending, false);
  clock.advance(100_000);
  t.equal(transport.sent.length, 2, "nothing more sent");
  t.equal(events.length, 2);
  t.equal(clock.pending, 0);
  n.cancel("other.example.", "zone removed");
});

t.test("forget cancels and drops the zone's record", async (t) => {
  const { n, transport, events } = setup({ peers: [A] });
  n.trigger(ZONE, "enable");
  n.forget(ZONE);
  t.match(events, [{ outcome: "cancelled", detail: "zone removed" }]);
  t.same(n.status(ZONE), { zone: ZONE, pending: false, peers: [] });
  transport.deliver(answer(transport.sent[0].message), A.host, 53);
  t.equal(events.length, 1);
});

t.test("a change to the same serial with an equal key (a new object) adds nothing", async (t) => {
  const peers = [{ ...A, key: KEY }];
  const { n, clock, to, events } = setup({ peers });
  n.trigger(ZONE, "enable");
  peers[0] = { ...A, key: tsigKey("notify-key", "hmac-sha256", KEY.secret.toString("base64")) };
  n.trigger(ZONE, "change");
  clock.advance(250);
  t.equal(events.length, 0);
  t.equal(to(A.host).length, 1);
  peers[0] = { ...A, key: tsigKey("notify-key", "hmac-sha256", "AAAA") };
  n.trigger(ZONE, "change");
  clock.advance(250);
  t.match(
    events,
    [{ outcome: "cancelled", detail: "peer's TSIG changed" }],
    "another secret: the old NOTIFY cancelled, sent again",
  );
  t.equal(to(A.host).length, 2);
});

t.test("datagrams from strangers change nothing", async (t) => {
  const { n, clock, to, events, transport } = setup({ peers: [A] });
  n.trigger(ZONE, "enable");
  const req = to(A.host)[0].message;
  const id = req.readUInt16BE(0);
  const query = answer(req);
  query.writeUInt16BE((query.readUInt16BE(2) & ~0x7800) | (OPCODE.QUERY << 11), 2);
  const otherName = Buffer.from(answer(req));
  otherName[13] = "x".charCodeAt(0); // "xxample.com."
  const otherType = answer(req);
  otherType.writeUInt16BE(1, otherType.length - 4);
  const strangers: [string, Buffer, string, number][] = [
    ["another address", answer(req), "192.0.2.99", 53],
    ["another port", answer(req), A.host, 5353],
    ["another id", answer(req, { id: id ^ 1 }), A.host, 53],
    ["opcode QUERY", query, A.host, 53],
    ["QR clear", answer(req, { flags: (OPCODE.NOTIFY << 11) | 0x0400 }), A.host, 53],
    ["another question name", otherName, A.host, 53],
    ["another question type", otherType, A.host, 53],
    ["no question", answer(req).subarray(0, 12).fill(0, 4), A.host, 53],
    ["garbage", Buffer.from("not a DNS message"), A.host, 53],
    ["too short", Buffer.alloc(5), A.host, 53],
  ];
  strangers[7][1].writeUInt16BE(id, 0);
  strangers[7][1].writeUInt16BE(0x8000 | (OPCODE.NOTIFY << 11), 2);
  const before = JSON.stringify(n.status(ZONE));
  for (const [what, msg, address, port] of strangers) {
    transport.deliver(msg, address, port);
    t.equal(events.length, 0, what);
    t.equal(JSON.stringify(n.status(ZONE)), before, `${what}: state unchanged`);
  }
  clock.advance(2000);
  t.equal(to(A.host).length, 2, "the retries go on");
  transport.deliver(answer(req), A.host, 53);
  t.match(events, [{ outcome: "answered", tries: 2 }]);
});

t.test("a signed NOTIFY: signed request, verified answer", async (t) => {
  const peer = { ...A, key: KEY };
  const { n, clock, to, events, transport } = setup({ peers: [peer] });
  n.trigger(ZONE, "enable");
  const req = to(A.host)[0].message;
  const tsig = readTsig(req);
  t.ok(tsig, "the request carries a TSIG");
  t.match(
    verifyRequest(req, tsig!, () => KEY, clock.now() / 1000),
    { ok: true },
  );
  clock.advance(5);
  transport.deliver(signedAnswer(req, KEY, clock.now() / 1000), A.host, 53);
  t.match(events, [{ outcome: "answered", rcode: "NOERROR", tries: 1 }]);
});

t.test("a signed NOTIFY: answers that do not verify are ignored", async (t) => {
  const peer = { ...A, key: KEY };
  const { n, clock, to, events, transport, lines } = setup({ peers: [peer] });
  n.trigger(ZONE, "enable");
  const req = to(A.host)[0].message;
  const now = clock.now() / 1000;
  const other = tsigKey(KEY.name, KEY.algorithm, Buffer.from("another secret").toString("base64"));
  const forged = signedAnswer(req, other, now, { rcode: 5 });
  const tampered = signedAnswer(req, KEY, now);
  tampered[tampered.length - 10] ^= 1;
  const late = signedAnswer(req, KEY, now - 3600);
  for (const [what, msg] of [
    ["unsigned", answer(req)],
    ["signed with another secret", forged],
    ["MAC altered", tampered],
    ["signed an hour ago", late],
  ] as const) {
    transport.deliver(msg, A.host, 53);
    t.equal(events.length, 0, what);
    t.equal(n.status(ZONE).peers[0].inFlight?.tries, 1, `${what}: still in flight`);
  }
  t.ok(lines.some((l) => l.level === "debug" && /rejected: BADSIG/.test(l.msg)));
  clock.advance(2000);
  t.equal(to(A.host).length, 2, "retries go on");
  clock.advance(100_000);
  t.match(events, [{ outcome: "timeout", tries: 5 }]);
  t.match(events[0].detail, /answer NOERROR rejected: BADTIME/);
});

t.test("a peer that does not know our key: the timeout says why", async (t) => {
  const peer = { ...A, key: KEY };
  const { n, clock, to, events, transport } = setup({ peers: [peer] });
  n.trigger(ZONE, "enable");
  const req = to(A.host)[0].message;
  // What BIND answers to an unknown key: NOTAUTH with TSIG error BADKEY and no MAC.
  const { errorResponseTsig } = await import("../../src/wire/tsig.js");
  const tsig = readTsig(req)!;
  const reply = errorResponseTsig(
    answer(req, { rcode: 9 }),
    { ok: false, error: "BADKEY", tsig, detail: "no key named k." },
    0,
  );
  transport.deliver(reply, A.host, 53);
  t.equal(events.length, 0);
  clock.advance(100_000);
  t.match(events, [{ outcome: "timeout", tries: 5 }]);
  t.match(events[0].detail, /answer NOTAUTH rejected: SERVER \(server says BADKEY\)/);
  t.notOk("rcode" in events[0]);
});

t.test("a send that fails is a failed try", async (t) => {
  const { n, clock, to, events, transport } = setup({ peers: [A] });
  transport.failWith = new Error("EHOSTUNREACH");
  n.trigger(ZONE, "enable");
  await tick();
  clock.advance(2000);
  await tick();
  t.equal(to(A.host).length, 2);
  transport.failWith = null;
  clock.advance(100_000);
  t.match(events, [{ outcome: "timeout", tries: 5, detail: "send failed: EHOSTUNREACH" }]);
});

t.test("a zone that is gone sends nothing", async (t) => {
  const { n, transport, clock } = setup({ soa: () => undefined });
  n.trigger(ZONE, "enable");
  n.trigger(ZONE, "change");
  clock.advance(1000);
  t.equal(transport.sent.length, 0);
});

t.test("IPv6 peers: the answer's address is compared in canonical form", async (t) => {
  const C: NotifyTarget = {
    peerId: "c".repeat(32),
    peerName: "v6",
    host: "2001:db8::53",
    port: 53,
  };
  const { n, to, events, transport } = setup({ peers: [C] });
  n.trigger(ZONE, "enable");
  transport.deliver(answer(to(C.host)[0].message), "2001:DB8::53", 53);
  t.match(events, [{ outcome: "answered", address: "2001:db8::53" }]);
});

t.test("several zones and peers keep separate state", async (t) => {
  const { n, transport, events } = setup();
  n.trigger(ZONE, "enable");
  n.trigger("example.org.", "enable");
  t.equal(transport.sent.length, 4);
  const ids = new Set(transport.sent.map((s) => s.message.readUInt16BE(0)));
  t.equal(ids.size, 4, "distinct IDs in flight");
  const s = transport.sent[3];
  transport.deliver(answer(s.message, { rcode: 5 }), s.host, s.port);
  t.match(events, [{ zone: "example.org.", peerId: B.peerId, outcome: "error" }]);
  t.equal(n.status(ZONE).peers.filter((p) => p.inFlight).length, 2);
});

t.test("close stops everything", async (t) => {
  const { n, clock, transport, events } = setup();
  n.trigger(ZONE, "enable");
  n.trigger(ZONE, "change");
  await n.close();
  t.equal(transport.closed, true);
  t.equal(clock.pending, 0);
  clock.advance(100_000);
  n.trigger(ZONE, "force");
  t.equal(transport.sent.length, 2);
  t.equal(events.length, 0);
  await n.close();
});

t.test("options", async (t) => {
  t.throws(
    () => new Notifier({ targets: () => [], soa: () => undefined }),
    /source address or a transport/,
  );
  t.throws(
    () => new Notifier({ targets: () => [], soa: () => undefined, source: { host: "localhost" } }),
    /not an IPv4 or IPv6 address/,
  );
});
