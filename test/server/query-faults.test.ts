/**
 * The query point of fault injection (src/server/query-faults.ts): each kind driven through
 * the real query handler with real query bytes, the answers decoded with the tests' own wire
 * codec (test/peers/wire.ts); latency also through real UDP and TCP sockets. Always: the
 * zone's serial stays as it was, a fault is counted only when it acted, and no faulted answer
 * is served from the answer cache or left in it.
 */
import pino from "pino";
import t from "tap";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { type FaultApplied, Faults } from "../../src/faults/faults.js";
import type { HandlerResult, RequestContext, StreamItem } from "../../src/server/handler.js";
import { createQueryHandler } from "../../src/server/query.js";
import { createKeyring } from "../../src/server/signed.js";
import { listenDns } from "../../src/transport/listen.js";
import { ResponseVerifier, signRequest, tsigKey } from "../../src/wire/tsig.js";
import { zoneFromText } from "../../src/zone/load.js";
import { ZoneSet } from "../../src/zone/zoneset.js";
import { query as ask } from "../peers/client.js";
import { encodeQuery, type ParsedMessage, parseMessage, rcodeText, TYPE } from "../peers/wire.js";

const zoneText = (origin: string, serial: number) =>
  [
    `$ORIGIN ${origin}`,
    "$TTL 300",
    `@ SOA ns hostmaster ${serial} 3600 600 86400 60`,
    "@ NS ns",
    "ns A 192.0.2.53",
    "www A 192.0.2.80",
    "",
  ].join("\n");

const CLIENT = "192.0.2.1";
const udp: RequestContext = {
  transport: "udp",
  remoteAddress: CLIENT,
  remotePort: 5300,
  localAddress: "127.0.0.1",
  localPort: 53,
};
const tcp: RequestContext = { ...udp, transport: "tcp" };

function setup(opts: { keyring?: ReturnType<typeof createKeyring> } = {}) {
  const zones = new ZoneSet();
  const example = zoneFromText(zoneText("example.", 2000), { file: "a" }).zone;
  const other = zoneFromText(zoneText("other.test.", 7), { file: "b" }).zone;
  zones.add(example);
  zones.add(other);
  const faults = new Faults({ peer: () => undefined });
  const applied: FaultApplied[] = [];
  faults.onApplied((e) => applied.push({ ...e, fault: { ...e.fault } }));
  const h = createQueryHandler(zones, { faults, ...opts });
  return { zones, example, faults, applied, h };
}

/** Every item of an answer: one message, nothing (null), or the items of a stream. */
async function items(res: HandlerResult): Promise<StreamItem[] | null> {
  if (res === null) return null;
  if (Buffer.isBuffer(res)) return [res];
  const out: StreamItem[] = [];
  for await (const item of res) out.push(item);
  return out;
}

type H = ReturnType<typeof setup>["h"];

/** The one message a synchronous answer is (fails on a stream or none). */
function answer(h: H, name: string, type: string, ctx = udp): ParsedMessage {
  const res = h.handle(encodeQuery(name, TYPE[type], { id: 7 }), ctx);
  if (!Buffer.isBuffer(res)) throw new Error(`not one message: ${String(res)}`);
  return parseMessage(res);
}

/** The serial of the first SOA in a section. */
const serialIn = (rrs: ParsedMessage["answer"]) =>
  Number(rrs.find((r) => r.type === TYPE.SOA)?.rdataText.split(" ")[2]);

t.test("serial-regression lowers the SOA answered and the SOA of negative answers", async (t) => {
  const { h, faults, applied, example } = setup();
  faults.add(example.key, { kind: "serial-regression" });
  for (const ctx of [udp, tcp]) {
    const soa = answer(h, "example.", "SOA", ctx);
    t.equal(serialIn(soa.answer), 1000, `${ctx.transport}: SOA 2000 served as 1000 (delta 1000)`);
    t.ok(soa.aa, "still authoritative");
  }
  const nx = answer(h, "nope.example.", "A");
  t.equal(rcodeText(nx.rcode), "NXDOMAIN");
  t.equal(serialIn(nx.authority), 1000, "NXDOMAIN: the authority SOA lowered");
  const nodata = answer(h, "www.example.", "TXT");
  t.equal(nodata.answer.length, 0);
  t.equal(serialIn(nodata.authority), 1000, "NODATA: the authority SOA lowered");
  const any = answer(h, "EXAMPLE.", "ANY");
  t.equal(serialIn(any.answer), 1000, "ANY at the apex, asked in another case");
  const a = answer(h, "www.example.", "A");
  t.equal(a.answer[0].rdataText, "192.0.2.80", "an answer without SOA is untouched");
  t.equal(applied.length, 5, "applied once per answer holding the SOA; not for the A answer");
  t.match(applied[0], {
    zone: "example.",
    point: "query",
    address: CLIENT,
    action: "served serial 1000 instead of 2000",
  });
  t.equal(example.serial, 2000, "the zone's serial is untouched");
  t.equal(serialIn(answer(h, "other.test.", "SOA").answer), 7, "another zone is untouched");
  t.equal(faults.list(example.key)[0].applied, 5);
});

t.test("serial-regression wraps modulo 2^32 (RFC 1982)", async (t) => {
  const { h, faults, example } = setup();
  faults.add(example.key, { kind: "serial-regression", delta: 2001 });
  t.equal(serialIn(answer(h, "example.", "SOA").answer), 2 ** 32 - 1, "2000 - 2001 = 2^32 - 1");
});

t.test("soa-rcode: the apex SOA query gets the RCODE, or no answer at all", async (t) => {
  const { h, faults, applied, example } = setup();
  const f = faults.add(example.key, { kind: "soa-rcode" });
  for (const ctx of [udp, tcp]) {
    const r = answer(h, "example.", "SOA", ctx);
    t.equal(rcodeText(r.rcode), "SERVFAIL", `${ctx.transport}: SERVFAIL by default`);
    t.equal(r.answer.length + r.authority.length, 0, "no records");
    t.notOk(r.aa);
    t.equal(r.question[0].name, "example.", "the question echoed");
    t.equal(r.id, 7);
  }
  t.equal(rcodeText(answer(h, "www.example.", "SOA").rcode), "NOERROR", "not the apex: as usual");
  t.equal(answer(h, "example.", "NS").answer.length, 1, "not SOA: as usual");
  t.equal(applied.length, 2);
  t.equal(applied[0].action, "answered the SOA query with SERVFAIL");
  faults.remove(example.key, f.id);

  faults.add(example.key, { kind: "soa-rcode", rcode: 5 });
  t.equal(rcodeText(answer(h, "example.", "SOA").rcode), "REFUSED", "an RCODE by number");
  faults.clear(example.key);

  faults.add(example.key, { kind: "soa-rcode", drop: true });
  const q = encodeQuery("example.", TYPE.SOA);
  t.equal(h.handle(q, udp), null, "UDP: nothing sent");
  t.same(await items(h.handle(q, tcp)), [{ control: "stall" }], "TCP: a silent connection");
  t.same(
    applied.slice(-2).map((e) => e.action),
    ["sent no answer to the SOA query over UDP", "sent no answer to the SOA query over TCP"],
  );
});

t.test("latency: every answer for the zone comes as a delay then the message", async (t) => {
  const { h, faults, applied, example } = setup();
  faults.add(example.key, { kind: "latency", ms: 250 });
  for (const ctx of [udp, tcp]) {
    const got = await items(h.handle(encodeQuery("www.example.", TYPE.A, { id: 9 }), ctx));
    t.equal(got?.length, 2);
    t.same(got?.[0], { control: "delay", ms: 250 }, `${ctx.transport}: the delay first`);
    const m = parseMessage(got?.[1] as Buffer);
    t.equal(m.answer[0].rdataText, "192.0.2.80", "then the zone's answer");
    t.equal(m.id, 9);
  }
  const nx = await items(h.handle(encodeQuery("nope.example.", TYPE.A), udp));
  t.same(nx?.[0], { control: "delay", ms: 250 }, "negative answers too");
  t.ok(
    Buffer.isBuffer(h.handle(encodeQuery("www.other.test.", TYPE.A), udp)),
    "another zone's answer at once",
  );
  t.same(
    applied.map((e) => e.action),
    [
      "delayed the UDP answer by 250 ms",
      "delayed the TCP answer by 250 ms",
      "delayed the UDP answer by 250 ms",
    ],
  );
});

t.test("latency through real UDP and TCP sockets: at least ms later", async (t) => {
  const { h, faults, example } = setup();
  const dns = await listenDns({
    host: "127.0.0.1",
    port: 0,
    handler: h,
    logger: pino({ level: "silent" }),
  });
  t.teardown(() => dns.close());
  const server = { host: "127.0.0.1", port: dns.udp.port };
  faults.add(example.key, { kind: "latency", ms: 300 });
  for (const viaTcp of [false, true]) {
    const r = await ask(server, "www.example.", "A", { tcp: viaTcp, timeoutMs: 5000, retries: 0 });
    // Never an upper bound: a loaded machine is late, never early (1 ms: timer granularity).
    t.ok(r.ms >= 299, `${viaTcp ? "TCP" : "UDP"}: answered after ${Math.round(r.ms)} ms`);
    t.equal(r.parsed.answer[0].rdataText, "192.0.2.80");
  }
  faults.clear(example.key);
  const fast = await ask(server, "www.example.", "A", { timeoutMs: 5000 });
  t.equal(fast.parsed.answer[0].rdataText, "192.0.2.80", "answered again once removed");
});

t.test(
  "udp-drop: probability 1 drops every UDP answer, 0 none; TCP is never dropped",
  async (t) => {
    const { h, faults, applied, example } = setup();
    const f = faults.add(example.key, { kind: "udp-drop", probability: 1 });
    const q = encodeQuery("www.example.", TYPE.A);
    for (let i = 0; i < 5; i++) t.equal(h.handle(q, udp), null, `UDP answer ${i + 1} dropped`);
    t.ok(Buffer.isBuffer(h.handle(q, tcp)), "TCP answered");
    t.equal(applied.length, 5, "each drop counted, the TCP answer not");
    t.equal(applied[0].action, "dropped the UDP answer");
    faults.remove(example.key, f.id);

    faults.add(example.key, { kind: "udp-drop", probability: 0 });
    for (let i = 0; i < 5; i++) t.ok(Buffer.isBuffer(h.handle(q, udp)), `UDP answer ${i + 1} sent`);
    t.equal(applied.length, 5, "a fault that dropped nothing is not counted");
    t.equal(faults.list(example.key)[0].applied, 0);
  },
);

t.test("times: the fault acts that many times, then the zone answers as usual", async (t) => {
  const { h, faults, example } = setup();
  faults.add(example.key, { kind: "soa-rcode", times: 2 });
  const rcodes = Array.from({ length: 4 }, () => rcodeText(answer(h, "example.", "SOA").rcode));
  t.same(rcodes, ["SERVFAIL", "SERVFAIL", "NOERROR", "NOERROR"]);
  t.match(faults.list(example.key)[0], { applied: 2, times: 0, active: false });
});

t.test("the answer cache: never serves a faulted zone, never keeps a faulted answer", async (t) => {
  const { h, faults, example } = setup();
  const before = answer(h, "example.", "SOA"); // cached now
  t.equal(serialIn(before.answer), 2000);
  const f = faults.add(example.key, { kind: "serial-regression", delta: 5 });
  t.equal(serialIn(answer(h, "example.", "SOA").answer), 1995, "the cached answer is not served");
  t.equal(serialIn(answer(h, "example.", "SOA").answer), 1995, "nor the faulted one kept");
  // Another zone, while this one has a fault: its answers (from the cache on the second ask)
  // are the zone's.
  for (let i = 0; i < 2; i++)
    t.equal(serialIn(answer(h, "other.test.", "SOA").answer), 7, `other zone, ask ${i + 1}`);
  faults.remove(example.key, f.id);
  t.equal(serialIn(answer(h, "example.", "SOA").answer), 2000, "once removed: the zone's serial");
  // And the other way: a faulted answer given while the cache held nothing is not stored.
  faults.add(example.key, { kind: "serial-regression", delta: 5 });
  t.equal(serialIn(answer(h, "nope.example.", "A").authority), 1995);
  faults.clear(example.key);
  t.equal(serialIn(answer(h, "nope.example.", "A").authority), 2000, "nothing faulted was kept");
});

t.test("scope: a fault narrowed to a source acts on that client only", async (t) => {
  const { h, faults, applied, example } = setup();
  faults.add(example.key, { kind: "soa-rcode", source: "198.51.100.9" });
  t.equal(rcodeText(answer(h, "example.", "SOA").rcode), "NOERROR", "another client");
  const scoped = { ...udp, remoteAddress: "198.51.100.9" };
  t.equal(rcodeText(answer(h, "example.", "SOA", scoped).rcode), "SERVFAIL", "the client named");
  t.equal(applied.length, 1);
  t.equal(applied[0].address, "198.51.100.9");
});

t.test("a signed query's faulted answer is signed over what is sent", async (t) => {
  const SECRET = "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk=";
  const settings = new TransferSettings();
  settings.createTsig({ name: "q-key.", algo: "hmac-sha256", secret: SECRET });
  const now = () => Date.now() / 1000;
  const { h, faults, example } = setup({ keyring: createKeyring(settings, now) });
  faults.add(example.key, { kind: "serial-regression", delta: 1 });
  faults.add(example.key, { kind: "latency", ms: 1 });
  const key = tsigKey("q-key.", "hmac-sha256", SECRET);
  const { message, mac } = signRequest(encodeQuery("example.", TYPE.SOA), key, now());
  const got = await items(h.handle(message, udp));
  const m = got?.[1] as Buffer;
  t.equal(serialIn(parseMessage(m).answer), 1999, "the lowered serial...");
  t.match(new ResponseVerifier(key, mac, now).verify(m), { ok: true }, "...under a valid MAC");
});

t.test("mutated messages with every query fault on never throw out of the handler", async (t) => {
  const { h, faults, example } = setup();
  faults.add(example.key, { kind: "serial-regression" });
  faults.add(example.key, { kind: "soa-rcode", drop: true, times: 1000 });
  faults.add(example.key, { kind: "udp-drop" });
  faults.add(example.key, { kind: "latency", ms: 1 });
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const valid = [
    encodeQuery("example.", TYPE.SOA, { id: 1 }),
    encodeQuery("nope.example.", TYPE.A, { id: 2 }),
    encodeQuery("www.example.", TYPE.ANY, { id: 3, edns: null }),
  ];
  let bad = 0;
  let answered = 0;
  for (let i = 0; i < 5000; i++) {
    const m = Buffer.from(valid[i % valid.length]);
    for (let f = rnd() % 4; f > 0; f--) m[12 + (rnd() % (m.length - 12))] = rnd() & 0xff;
    const got = await items(h.handle(m, i % 2 ? udp : tcp));
    for (const item of got ?? []) {
      if (!Buffer.isBuffer(item)) continue;
      answered++;
      if (item.length < 12 || item.readUInt16BE(0) !== m.readUInt16BE(0)) bad++;
    }
  }
  t.equal(bad, 0, "every answer echoes the ID");
  t.ok(answered > 1000, `${answered} answers among 5000 messages`);
});
