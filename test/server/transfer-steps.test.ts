/**
 * Each step of the transfer chain (src/server/transfer.ts) on its own, over one request
 * object: what it fills in, what it refuses and why, and that the chain can take a new step
 * (a fault between admit and stream) without touching the others. The whole chain through a
 * query handler is test/server/transfer.test.ts; over sockets, limits.test.ts and interop/.
 */
import packet from "dns-packet";
import t from "tap";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import type { RequestContext } from "../../src/server/handler.js";
import { createKeyring } from "../../src/server/signed.js";
import { runSteps, STEPS, type Step, udpWorkerTransfer } from "../../src/server/transfer.js";
import { TransferLimits } from "../../src/server/transfer-limits.js";
import {
  axfrOverTcp,
  noAxfr,
  primaryPolicy,
  servedHere,
  signedWithZoneKey,
  sourceAllowed,
  verifiedHere,
  workerPolicy,
} from "../../src/server/transfer-policy.js";
import {
  newRequest,
  refuse,
  type StepEnv,
  type TransferRequest,
} from "../../src/server/transfer-request.js";
import {
  admit,
  checkPolicy,
  chooseAnswer,
  findZone,
  recordOutcome,
  stream,
  tsigPresence,
  verifyTsig,
} from "../../src/server/transfer-steps.js";
import { collect } from "../../src/server/xfr.js";
import { parseQuery } from "../../src/wire/message.js";
import { ResponseVerifier, signRequest, tsigKey } from "../../src/wire/tsig.js";
import { T } from "../../src/wire/types.js";
import { zoneFromText } from "../../src/zone/load.js";
import { RCODE } from "../../src/zone/lookup.js";
import { ZoneSet } from "../../src/zone/zoneset.js";
import { xfrRequest } from "./xfr-requests.js";

const NOW = 1_800_000_000;
const SECRET = "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk=";
const KEY = tsigKey("xfr-key.", "hmac-sha256", SECRET);
const zoneText = (origin: string, txt = 0) =>
  [
    `$ORIGIN ${origin}`,
    "$TTL 300",
    "@ SOA ns hostmaster 10 3600 600 86400 60",
    "@ NS ns",
    "ns A 192.0.2.53",
    ...Array.from({ length: txt }, (_, i) => `t${i} TXT "${"x".repeat(80)}${i}"`),
    "",
  ].join("\n");

/** example. (signed: its peer uses xfr-key.) and open.test. (any loopback source via an ACL). */
function setup() {
  const zones = new ZoneSet();
  const example = zoneFromText(zoneText("example."), { file: "a" }).zone;
  const open = zoneFromText(zoneText("open.test.", 3), { file: "b" }).zone;
  zones.add(example);
  zones.add(open);
  const settings = new TransferSettings({ now: () => new Date(NOW * 1000) });
  const tsig = settings.createTsig({ name: "xfr-key.", algo: "hmac-sha256", secret: SECRET });
  const peer = settings.createPeer({ name: "bind", ip: "127.0.0.1", port: 53, tsig_id: tsig.id });
  settings.createOutgoing("example.", { peers: [peer.id], status: "Enabled" });
  settings.createOutgoing("open.test.", { status: "Enabled" });
  settings.createAcl({ name: "lab", ip_range: "127.0.0.0/24" });
  const logs: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const kept: Array<{ what: string; zone: string; r: Record<string, unknown> }> = [];
  const keyring = createKeyring(settings, () => NOW);
  const env: StepEnv = {
    zones,
    verify: (msg) => keyring.check(msg),
    policy: primaryPolicy(settings),
    ixfr: "journal",
    limits: new TransferLimits(2, 1),
    settings,
    logger: {
      info: (obj: Record<string, unknown>, msg: string) => logs.push({ level: "info", obj, msg }),
      warn: (obj: Record<string, unknown>, msg: string) => logs.push({ level: "warn", obj, msg }),
    } as never,
    activity: {
      refused: (zone: string, r: never) => kept.push({ what: "refused", zone, r }),
      transferred: (zone: string, r: never) => kept.push({ what: "transferred", zone, r }),
    },
  };
  return { zones, example, open, settings, env, logs, kept };
}

const ctx = (transport: "tcp" | "udp" = "tcp", ip = "127.0.0.1"): RequestContext => ({
  transport,
  remoteAddress: ip,
  remotePort: 40000,
  localAddress: "127.0.0.1",
  localPort: 53,
});

/** An AXFR or IXFR request; `soa: "A"` puts an A record where the IXFR's SOA goes. */
const request = (name: string, qtype: "AXFR" | "IXFR", serial?: number, soa: "SOA" | "A" = "SOA") =>
  xfrRequest(name, qtype, { serial, id: 42, authority: soa });

const rq = (env: StepEnv, msg: Buffer, c = ctx()): TransferRequest =>
  newRequest(env, msg, parseQuery(msg), c);
/** A request taken through the steps before `step` (each must let it through). */
function upTo(step: Step, env: StepEnv, msg: Buffer, c = ctx()): TransferRequest {
  const r = rq(env, msg, c);
  for (const s of STEPS) {
    if (s === step) return r;
    const refusal = s(r);
    if (refusal) throw new Error(`${s.name} refused: ${refusal.reason}`);
  }
  return r;
}
const signed = (msg: Buffer) => signRequest(msg, KEY, NOW);
const rcode = (m: Buffer) => m[3] & 0xf;
const types = (ms: Buffer[]) =>
  ms.flatMap((m) =>
    (
      packet.decode(m) as unknown as { answers: Array<{ type: string; data: { serial?: number } }> }
    ).answers.map((a) => (a.type === "SOA" ? `SOA${a.data.serial}` : a.type)),
  );
const addA = (zone: ReturnType<typeof setup>["open"], name: string) =>
  zone.commit({ add: [{ name, type: T.A, ttl: 300, rdata: Buffer.from([192, 0, 2, 9]) }] });

t.test("the chain's order, and the main process's policy rules in theirs", async (t) => {
  t.same(
    STEPS.map((s) => s.name),
    ["findZone", "verifyTsig", "checkPolicy", "chooseAnswer", "admit", "injectFaults"],
  );
  t.same(
    primaryPolicy(new TransferSettings()).map((r) => r.name),
    ["servedHere", "outgoingEnabled", "sourceAllowed", "signedWithZoneKey", "axfrOverTcp"],
  );
  t.same(
    workerPolicy.map((r) => r.name),
    ["noAxfr", "servedHere", "verifiedHere"],
  );
});

t.test("findZone: the zone the question names, in any case, and never a refusal", async (t) => {
  const { env, example } = setup();
  for (const [name, zone] of [
    ["example.", example],
    ["EXAMPLE.", example],
    ["www.example.", undefined],
    ["nope.test.", undefined],
  ] as const) {
    const r = rq(env, request(name, "AXFR"));
    t.equal(findZone(r), undefined, `${name}: no refusal`);
    t.equal(r.zone, zone, `${name}: zone`);
  }
});

t.test("verifyTsig: none, verified, failed, malformed; a worker only notices", async (t) => {
  const { env } = setup();
  const plain = upTo(verifyTsig, env, request("example.", "AXFR"));
  t.equal(verifyTsig(plain), undefined);
  t.equal(plain.keyName, undefined);

  const good = upTo(verifyTsig, env, signed(request("example.", "AXFR")).message);
  t.equal(verifyTsig(good), undefined);
  t.equal(good.keyName, "xfr-key.");
  t.ok(good.signer, "answers will be signed");

  const wrong = tsigKey("xfr-key.", "hmac-sha256", Buffer.alloc(32, 7).toString("base64"));
  const bad = upTo(verifyTsig, env, signRequest(request("example.", "AXFR"), wrong, NOW).message);
  const failed = verifyTsig(bad);
  t.match(failed, { rcode: RCODE.NOTAUTH, reason: /^TSIG BADSIG: / });
  t.equal(bad.keyName, "xfr-key.", "the key it named is logged");
  t.equal(bad.signer, undefined);
  t.type(failed?.answer, "function", "the TSIG error answer (RFC 8945 §5.3.2)");

  const broken = Buffer.from(signed(request("www.example.", "AXFR")).message);
  broken.writeUInt16BE(0xffff, broken.length - 2); // Other Len beyond the message
  const malformed = upTo(verifyTsig, env, broken);
  t.match(verifyTsig(malformed), {
    rcode: RCODE.FORMERR,
    reason: /^malformed TSIG: /,
    zone: "www.example.",
    keep: false,
  });

  t.same(tsigPresence(request("example.", "IXFR", 1)), { kind: "none" });
  t.same(tsigPresence(signed(request("example.", "IXFR", 1)).message), {
    kind: "unverified",
    keyName: "xfr-key.",
  });
  t.match(tsigPresence(broken), { kind: "malformed" });
});

t.test("policy rules, each with its reason", async (t) => {
  const { env, settings } = setup();
  const at = (msg: Buffer, c = ctx()) => upTo(checkPolicy, env, msg, c);
  t.match(servedHere(RCODE.NOTAUTH)(at(request("www.example.", "AXFR"))), {
    rcode: RCODE.NOTAUTH,
    reason: "not a zone served here",
    zone: "www.example.",
  });
  t.equal(servedHere(RCODE.NOTAUTH)(at(request("EXAMPLE.", "AXFR"))), undefined, "any case");

  const viaPeer = at(signed(request("example.", "AXFR")).message);
  t.equal(sourceAllowed(settings)(viaPeer), undefined);
  t.equal(viaPeer.source?.peer?.name, "bind", "the peer is named for the log");
  const viaAcl = at(request("open.test.", "AXFR"), ctx("tcp", "127.0.0.9"));
  t.equal(sourceAllowed(settings)(viaAcl), undefined);
  t.equal(viaAcl.source?.acl?.name, "lab");
  t.match(sourceAllowed(settings)(at(request("open.test.", "AXFR"), ctx("tcp", "10.0.0.1"))), {
    rcode: RCODE.REFUSED,
    reason: "source address is neither a linked peer nor in an ACL",
  });

  t.match(signedWithZoneKey(settings)(at(request("example.", "AXFR"))), {
    rcode: RCODE.REFUSED,
    reason: "not signed with the zone's TSIG xfr-key.",
  });
  settings.createTsig({ name: "other.", algo: "hmac-sha256", secret: SECRET });
  const other = signRequest(
    request("example.", "AXFR"),
    tsigKey("other.", "hmac-sha256", SECRET),
    NOW,
  );
  t.match(signedWithZoneKey(settings)(at(other.message)), {
    reason: "signed with other., not the zone's TSIG xfr-key.",
  });
  t.equal(signedWithZoneKey(settings)(at(request("open.test.", "AXFR"))), undefined, "no key");

  t.match(axfrOverTcp(at(request("open.test.", "AXFR"), ctx("udp"))), {
    rcode: RCODE.FORMERR,
    reason: "AXFR over UDP",
  });
  t.equal(axfrOverTcp(at(request("open.test.", "AXFR"))), undefined);

  settings.createOutgoing("off.test.", { status: "Disabled" });
  env.zones.add(zoneFromText(zoneText("off.test."), { file: "c" }).zone);
  t.match(checkPolicy(at(request("off.test.", "AXFR"))), {
    rcode: RCODE.REFUSED,
    reason: "outgoing transfers are not enabled for the zone",
  });
  t.match(
    checkPolicy(at(request("nope.test.", "AXFR"), ctx("udp", "10.0.0.1"))),
    { rcode: RCODE.NOTAUTH },
    "the first rule that refuses is the answer",
  );
});

t.test(
  "a worker's rules: no AXFR on any transport, a signature is the main process's",
  async (t) => {
    const { env } = setup();
    const worker: StepEnv = {
      zones: env.zones,
      verify: tsigPresence,
      policy: workerPolicy,
      ixfr: "soa-alone",
    };
    const at = (msg: Buffer, c = ctx("udp")) => upTo(checkPolicy, worker, msg, c);
    t.match(noAxfr(at(request("open.test.", "AXFR"), ctx("tcp"))), { rcode: RCODE.FORMERR });
    t.match(verifiedHere(at(signed(request("open.test.", "IXFR", 1)).message)), {
      rcode: RCODE.REFUSED,
    });
    t.match(checkPolicy(at(request("www.open.test.", "IXFR", 1))), { rcode: RCODE.REFUSED });
    t.equal(checkPolicy(at(request("open.test.", "IXFR", 1))), undefined);
  },
);

t.test("chooseAnswer: RFC 1995 §4 cases, over TCP and UDP", async (t) => {
  const { env, open } = setup();
  const choose = (msg: Buffer, c = ctx()) => {
    const r = upTo(chooseAnswer, env, msg, c);
    const refusal = chooseAnswer(r);
    return { r, refusal, a: r.answer };
  };
  t.match(choose(request("open.test.", "AXFR")).a, { kind: "AXFR", serial: 10 });
  t.match(choose(request("open.test.", "IXFR", 10)).a, { kind: "IXFR-SOA", from: 10 }, "current");
  t.match(choose(request("open.test.", "IXFR", 11)).a, { kind: "IXFR-SOA", from: 11 }, "newer");
  t.match(choose(request("open.test.", "IXFR", 3)).a, {
    kind: "IXFR-AXFR",
    why: "no journal history",
  });
  addA(open, "n1.open.test.");
  t.match(choose(request("open.test.", "IXFR", 10)).a, { kind: "IXFR", serial: 11, from: 10 });
  t.equal(choose(request("open.test.", "IXFR", 10)).a?.history?.length, 1);
  t.match(choose(request("open.test.", "IXFR", 3)).a, {
    kind: "IXFR-AXFR",
    why: "serial 3 is older than the journal",
  });
  t.match(
    choose(request("open.test.", "IXFR", 3), ctx("udp")).a,
    { kind: "IXFR-SOA", why: "serial 3 is older than the journal" },
    "UDP cannot carry the zone: the SOA alone, with the reason kept for the log",
  );
  const fits = choose(request("open.test.", "IXFR", 10), ctx("udp"));
  t.match(fits.a, { kind: "IXFR" });
  t.ok(Buffer.isBuffer(fits.a?.message), "the increments in one UDP message, built");
  t.same(types([fits.a!.message!]), ["SOA11", "SOA10", "SOA11", "A", "SOA11"]);
  t.equal(fits.r.stats.messages, 1);

  for (let i = 0; i < 40; i++) addA(open, `m${i}-${"y".repeat(40)}.open.test.`);
  const big = choose(request("open.test.", "IXFR", 10), ctx("udp"));
  t.match(big.a, { kind: "IXFR-SOA", why: "incremental answer larger than a UDP message" });
  t.equal(big.a?.message, undefined);
  t.same(big.r.stats, { records: 0, messages: 0, bytes: 0 }, "the trial does not count");

  const bad = choose(request("open.test.", "IXFR", 10, "A"));
  t.match(bad.refusal, { rcode: RCODE.FORMERR, quiet: true }, "no SOA in the authority section");
  t.equal(bad.a, undefined);

  const worker: StepEnv = { ...env, ixfr: "soa-alone" };
  const r = upTo(chooseAnswer, worker, request("open.test.", "IXFR", 10, "A"));
  t.equal(chooseAnswer(r), undefined, "a worker does not read the client's serial");
  t.match(r.answer, { kind: "IXFR-SOA", from: undefined });
});

t.test("admit: streams take a slot, single messages none; beyond the limits REFUSED", async (t) => {
  const { env, open } = setup();
  const limits = env.limits!;
  const single = upTo(admit, env, request("open.test.", "IXFR", 10));
  t.equal(admit(single), undefined);
  t.equal(single.release, undefined, "the SOA alone is not counted");

  const first = upTo(admit, env, request("open.test.", "AXFR"));
  t.equal(admit(first), undefined);
  t.equal(limits.inProgress(open.key), 1);
  t.match(admit(upTo(admit, env, request("open.test.", "AXFR"))), {
    rcode: RCODE.REFUSED,
    reason: "too many transfers of the zone in progress (1, limit 1)",
  });
  const second = upTo(admit, env, signed(request("example.", "AXFR")).message);
  t.equal(admit(second), undefined);
  t.match(admit(upTo(admit, env, request("open.test.", "AXFR"))), {
    reason: "too many transfers in progress (2, limit 2)",
  });
  first.release?.();
  first.release?.();
  t.equal(limits.inProgress(), 1, "a slot is given back once");
  second.release?.();
  t.equal(limits.inProgress(), 0);
});

t.test("stream and recordOutcome: the summary line, the activity, the slot", async (t) => {
  const { env, open, settings, logs, kept } = setup();
  const soa = upTo(admit, env, request("open.test.", "IXFR", 10), ctx("tcp", "127.0.0.7"));
  admit(soa);
  const m = stream(soa);
  t.ok(Buffer.isBuffer(m));
  t.same(soa.stats, { records: 1, messages: 1, bytes: (m as Buffer).length });
  t.match(logs.at(-1), {
    level: "info",
    obj: {
      zone: "open.test.",
      peer: "127.0.0.7",
      peerName: "lab",
      key: null,
      type: "IXFR-SOA",
      from: 10,
      serial: 10,
      records: 1,
      outcome: "finished",
    },
    msg: /^IXFR-SOA of open\.test\. to 127\.0\.0\.7: finished, 1 records, 1 messages, \d+ bytes, \d+ ms$/,
  });
  t.match(kept.at(-1), { what: "transferred", zone: "open.test.", r: { type: "IXFR-SOA" } });
  t.notOk("why" in (logs.at(-1)?.obj ?? {}), "no why when the answer is what was asked");

  const axfr = upTo(admit, env, request("open.test.", "AXFR"));
  admit(axfr);
  const messages = stream(axfr) as AsyncIterable<Buffer>;
  t.equal(env.limits!.inProgress(open.key), 1, "the slot is held while the stream runs");
  t.equal(axfr.release, undefined, "handed to the stream");
  t.same(types(await collect(messages)), ["SOA10", "NS", "A", "TXT", "TXT", "TXT", "SOA10"]);
  t.equal(env.limits!.inProgress(), 0, "given back at the end");
  t.match(logs.at(-1)?.obj, { type: "AXFR", records: 7, outcome: "finished" });
  t.ok(settings.getOutgoing("open.test.").last_transferred_time, "the last transfer is kept");

  const dropped = upTo(admit, env, request("open.test.", "AXFR"));
  admit(dropped);
  const it = (stream(dropped) as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  await it.next();
  await it.return?.();
  t.equal(env.limits!.inProgress(), 0, "given back when the reader goes away");
  t.match(logs.at(-1)?.obj, { type: "AXFR", outcome: "aborted" });
  t.match(kept.at(-1), { what: "transferred", r: { outcome: "aborted" } });

  const direct = upTo(admit, env, request("open.test.", "IXFR", 3));
  recordOutcome(direct, "aborted");
  t.match(logs.at(-1)?.obj, { type: "IXFR-AXFR", why: "no journal history", from: 3 });
});

t.test("refuse: one log line, one activity record, the answer signed as the request", async (t) => {
  const { env, logs, kept } = setup();
  const { message, mac } = signed(request("example.", "AXFR"));
  const r = upTo(checkPolicy, env, message, ctx("tcp", "127.0.0.1"));
  const answer = refuse(r, { rcode: RCODE.REFUSED, reason: "because" });
  t.equal(rcode(answer), RCODE.REFUSED);
  t.match(new ResponseVerifier(KEY, mac, () => NOW).verify(answer), { ok: true }, "signed");
  t.same(logs.at(-1), {
    level: "warn",
    obj: {
      zone: "example.",
      peer: "127.0.0.1",
      port: 40000,
      key: "xfr-key.",
      qtype: "AXFR",
      reason: "because",
    },
    msg: "zone transfer refused",
  });
  t.match(kept.at(-1), {
    what: "refused",
    zone: "example.",
    r: { address: "127.0.0.1", peer: { name: "bind" }, key: "xfr-key.", rcode: RCODE.REFUSED },
  });

  const n = kept.length;
  refuse(r, { rcode: RCODE.FORMERR, reason: "logged only", keep: false });
  t.equal(kept.length, n, "keep: false is not kept");
  t.equal(logs.at(-1)?.obj.reason, "logged only");
  const l = logs.length;
  const quiet = refuse(r, { rcode: RCODE.FORMERR, reason: "x", quiet: true, answer: (b) => b });
  t.equal(logs.length, l, "quiet: not logged");
  t.equal(packet.decode(quiet).additionals?.length ?? 0, 0, "answer: as given (unsigned)");
});

t.test("a step can be added: a fault after admit refuses and the slot is given back", async (t) => {
  const { env, logs } = setup();
  const seen: string[] = [];
  const fault: Step = function fault(rq) {
    return rq.answer?.kind === "AXFR" ? { rcode: RCODE.SERVFAIL, reason: "fault" } : undefined;
  };
  const observed = [...STEPS, fault].map(
    (s): Step =>
      (rq) => {
        const refusal = s(rq);
        seen.push(`${s.name}${refusal ? "!" : ""}`);
        return refusal;
      },
  );
  const res = runSteps(observed, rq(env, request("open.test.", "AXFR"))) as Buffer;
  t.equal(rcode(res), RCODE.SERVFAIL);
  t.same(seen, [
    "findZone",
    "verifyTsig",
    "checkPolicy",
    "chooseAnswer",
    "admit",
    "injectFaults",
    "fault!",
  ]);
  t.equal(env.limits!.inProgress(), 0, "the slot admit took is given back");
  t.match(logs.at(-1)?.obj, { reason: "fault", zone: "open.test." });
  seen.length = 0;
  const ok = runSteps(observed, rq(env, request("open.test.", "IXFR", 10)));
  t.ok(Buffer.isBuffer(ok));
  t.equal(seen.at(-1), "fault", "passed through");
});

t.test("a UDP worker never streams, on any transport, and signs nothing", async (t) => {
  const { zones, open } = setup();
  addA(open, "n1.open.test.");
  const h = udpWorkerTransfer(zones);
  const call = (msg: Buffer, transport: "tcp" | "udp") => h(msg, parseQuery(msg), ctx(transport));
  for (const transport of ["udp", "tcp"] as const) {
    const axfr = call(request("open.test.", "AXFR"), transport) as Buffer;
    t.equal(rcode(axfr), RCODE.FORMERR, `${transport}: AXFR`);
    const ixfr = call(request("open.test.", "IXFR", 10), transport) as Buffer;
    t.same(types([ixfr]), ["SOA11"], `${transport}: IXFR gets the SOA alone`);
    const sig = call(signed(request("open.test.", "IXFR", 10)).message, transport) as Buffer;
    t.equal(rcode(sig), RCODE.REFUSED, `${transport}: signed`);
    t.equal(packet.decode(sig).additionals?.length ?? 0, 0, "the refusal is not signed");
    t.equal(rcode(call(request("nope.test.", "IXFR", 1), transport) as Buffer), RCODE.REFUSED);
  }
});

t.test("a signed IXFR over UDP too big for one message: the SOA alone verifies", async (t) => {
  // RFC 8945 §5.3.1: each message's MAC chains to the one before, so the increments tried
  // and not sent must not have gone through the signer.
  const { env, example } = setup();
  for (let i = 0; i < 40; i++) addA(example, `m${i}-${"y".repeat(40)}.example.`);
  const { message, mac } = signed(request("example.", "IXFR", 10));
  const res = runSteps(STEPS, rq(env, message, ctx("udp"))) as Buffer;
  t.same(types([res]), ["SOA50"]);
  t.match(new ResponseVerifier(KEY, mac, () => NOW).verify(res), { ok: true });
  addA(example, "one-more.example.");
  const fits = signed(request("example.", "IXFR", 50));
  const one = runSteps(STEPS, rq(env, fits.message, ctx("udp"))) as Buffer;
  t.same(types([one]), ["SOA51", "SOA50", "SOA51", "A", "SOA51"]);
  t.match(new ResponseVerifier(KEY, fits.mac, () => NOW).verify(one), { ok: true });
});
