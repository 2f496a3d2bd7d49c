/**
 * Hostile TSIG (RFC 8945) through the server's handlers (src/server): stale, future and
 * replayed requests, MAC comparison, truncated MACs, and a log line for every refusal.
 *
 * Replay, as decided here: the defence is §5.2.3's time check. A request replayed after its
 * Time Signed ± Fudge has passed gets BADTIME, answered signed with our time. A replay inside
 * that window is answered like the original: the answer is signed for the key holder, a
 * transfer still needs an allowed source address, and refusing repeats would break real
 * secondaries (BIND's request layer resends the very same bytes when a UDP answer is lost,
 * and peers sharing a TSIG send interleaved times, so "newest time per key" would refuse them).
 */

import * as crypto from "node:crypto";
import t from "tap";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import type { RequestContext } from "../../src/server/handler.js";
import { createQueryHandler } from "../../src/server/query.js";
import { createKeyring } from "../../src/server/signed.js";
import { createTransferHandler, udpWorkerTransfer } from "../../src/server/transfer.js";
import { collect } from "../../src/server/xfr.js";
import { nameToWire } from "../../src/wire/name.js";
import { computeMac, encodeTsig, variables } from "../../src/wire/tsig/record.js";
import {
  macLength,
  minMacLength,
  ResponseVerifier,
  readTsig,
  signRequest,
  type TsigAlgorithm,
  type TsigKey,
  tsigKey,
} from "../../src/wire/tsig.js";
import { zoneFromText } from "../../src/zone/load.js";
import { ZoneSet } from "../../src/zone/zoneset.js";

const ZONE = `$ORIGIN example.
$TTL 300
@ SOA ns hostmaster 10 3600 600 86400 60
@ NS ns
ns A 192.0.2.53
www A 192.0.2.80
`;
const NOW = 1_800_000_000;
const SECRET = "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk=";
const ALGORITHMS: TsigAlgorithm[] = [
  "hmac-md5.sig-alg.reg.int.",
  "hmac-sha1.",
  "hmac-sha224.",
  "hmac-sha256.",
  "hmac-sha384.",
  "hmac-sha512.",
];
const keyName = (a: TsigAlgorithm) => `${a.replace(/\..*$/, "")}-key.`;
const KEYS = new Map(ALGORITHMS.map((a) => [a, tsigKey(keyName(a), a, SECRET)]));
const KEY = KEYS.get("hmac-sha256.")!;

type Log = Record<string, unknown> & { level: string; msg?: string };

/** The primary's handlers over one zone, with a clock we move and a logger we read. */
function setup() {
  const clock = { now: NOW };
  const zones = new ZoneSet();
  zones.add(zoneFromText(ZONE, { file: "inline" }).zone);
  const settings = new TransferSettings({ now: () => new Date(clock.now * 1000) });
  for (const a of ALGORITHMS) settings.createTsig({ name: keyName(a), algo: a, secret: SECRET });
  const tsig = settings.tsigByName(KEY.name)!;
  const peer = settings.createPeer({ name: "sec", ip: "192.0.2.1", port: 53, tsig_id: tsig.id });
  settings.createOutgoing("example.", { peers: [peer.id], status: "Enabled" });
  const logs: Log[] = [];
  const at =
    (level: string) =>
    (o: Record<string, unknown>, msg?: string): void => {
      logs.push({ level, ...o, msg });
    };
  const logger = {
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    debug: () => {},
    child: () => logger,
  } as never;
  const now = () => clock.now;
  const keyring = createKeyring(settings, now);
  const transfer = createTransferHandler({ zones, settings, logger, now, keyring });
  const h = createQueryHandler(zones, { transfer, keyring, logger });
  return { h, logs, clock, settings };
}

const ctx = (transport: "tcp" | "udp" = "tcp", ip = "192.0.2.1"): RequestContext => ({
  transport,
  remoteAddress: ip,
  remotePort: 40000,
  localAddress: "127.0.0.1",
  localPort: 53,
});

function query(name: string, type: number, id = 0x4242): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([header, nameToWire(name), tail]);
}

const SOA = 6;
const AXFR = 252;

async function ask(h: ReturnType<typeof setup>["h"], msg: Buffer, c = ctx()): Promise<Buffer[]> {
  const r = h.handle(msg, c);
  if (r === null) return [];
  if (Buffer.isBuffer(r)) return [r];
  return collect(r);
}

const rcode = (m: Buffer) => m[3] & 0xf;
const NOTAUTH = 9;
const FORMERR = 1;

/** A request whose MAC is cut to `n` octets (and the MAC Size field says so). */
function truncated(msg: Buffer, key: TsigKey, n: number, time = NOW): Buffer {
  const fields = {
    keyName: key.name,
    algorithm: key.algorithm,
    timeSigned: time,
    fudge: 300,
    error: 0,
    otherData: Buffer.alloc(0),
  };
  const mac = computeMac(key, null, [msg], variables(fields));
  const cut = n <= mac.length ? mac.subarray(0, n) : Buffer.concat([mac, mac]).subarray(0, n);
  const out = Buffer.concat([
    msg,
    encodeTsig({ ...fields, mac: cut, originalId: msg.readUInt16BE(0) }),
  ]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return out;
}

t.test("stale and future requests get BADTIME, signed, with our time (§5.2.3)", async (t) => {
  const { h, logs, clock } = setup();
  for (const [what, type] of [
    ["SOA query", SOA],
    ["AXFR", AXFR],
  ] as const) {
    for (const skew of [-86_400, -301, 301, 3600]) {
      logs.length = 0;
      const signedAt = NOW + skew;
      const { message, mac } = signRequest(query("example.", type), KEY, signedAt);
      const [res, ...more] = await ask(h, message);
      t.equal(more.length, 0);
      t.equal(rcode(res), NOTAUTH, `${what} signed ${skew} s away: NOTAUTH`);
      const rr = readTsig(res)!;
      t.equal(rr.error, 18, "TSIG error BADTIME");
      t.equal(rr.timeSigned, signedAt, "Time Signed echoes the request's");
      t.equal(rr.otherData.length, 6, "Other Data: our time, 48 bits");
      t.equal(rr.otherData.readUIntBE(0, 6), clock.now, "Other Data is our clock");
      t.equal(rr.mac.length, macLength(KEY.algorithm), "signed with the full MAC");
      const client = new ResponseVerifier(KEY, mac, () => signedAt).verify(res);
      t.match(client, { ok: false, error: "SERVER", serverError: "BADTIME", signed: true });
      t.equal(logs.length, 1, `${what}: the refusal is logged`);
      t.match(JSON.stringify(logs), /BADTIME/);
      t.match(
        logs[0],
        type === AXFR ? { reason: "TSIG BADTIME", key: KEY.name } : { key: KEY.name },
      );
    }
    for (const skew of [-299, 0, 299]) {
      const { message } = signRequest(query("example.", type), KEY, NOW + skew);
      const [res] = await ask(h, message);
      t.equal(rcode(res), 0, `${what} signed ${skew} s away: inside the fudge, answered`);
    }
  }
});

t.test("a replayed request: served inside its fudge, BADTIME after it", async (t) => {
  const { h, logs, clock } = setup();
  const { message } = signRequest(query("example.", AXFR), KEY, NOW);
  const first = await ask(h, message);
  t.equal(rcode(first[0]), 0, "the original transfer");
  clock.now = NOW + 120;
  t.equal(rcode((await ask(h, message))[0]), 0, "the same bytes 2 minutes later: inside ±300 s");
  clock.now = NOW + 301;
  logs.length = 0;
  const late = await ask(h, message);
  t.equal(rcode(late[0]), NOTAUTH, "the same bytes 301 s later: refused");
  t.equal(readTsig(late[0])!.error, 18, "BADTIME");
  t.match(logs, [{ level: "warn", reason: "TSIG BADTIME", peer: "192.0.2.1" }]);
  // The window is the one the key holder signed: a request signed with fudge 30 ages fast.
  clock.now = NOW;
  const short = signRequest(query("example.", SOA), KEY, NOW, 30).message;
  t.equal(rcode((await ask(h, short, ctx("udp")))[0]), 0);
  clock.now = NOW + 31;
  const stale = (await ask(h, short, ctx("udp")))[0];
  t.equal(rcode(stale), NOTAUTH);
  t.equal(readTsig(stale)!.error, 18);
  t.equal(readTsig(stale)!.fudge, 30, "the BADTIME answer carries the request's fudge");
  // Replaying from an address that is not an allowed source is refused whatever the time.
  clock.now = NOW;
  const elsewhere = await ask(h, message, ctx("tcp", "198.51.100.7"));
  t.equal(rcode(elsewhere[0]), 5, "REFUSED from another address");
});

t.test("MACs are compared with crypto.timingSafeEqual", async (t) => {
  let calls = 0;
  const server = await t.mockImport<typeof import("../../src/wire/tsig/server.js")>(
    "../../src/wire/tsig/server.js",
    {
      "node:crypto": {
        ...crypto,
        timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
          calls++;
          return crypto.timingSafeEqual(a, b);
        },
      },
    },
  );
  const mac = crypto.randomBytes(32);
  t.ok(server.macMatches(mac, Buffer.from(mac)));
  // A MAC differing in its first or its last octet is refused the same way.
  for (const at of [0, 31]) {
    const other = Buffer.from(mac);
    other[at] ^= 0x80;
    t.notOk(server.macMatches(mac, other), `differs at octet ${at}`);
  }
  t.ok(server.macMatches(mac, mac.subarray(0, 16)), "a truncated MAC compares its prefix");
  t.equal(calls, 4, "every comparison went through timingSafeEqual");
  // No content comparison at all for an empty or an over-long MAC (their length is public).
  t.notOk(server.macMatches(mac, Buffer.alloc(0)));
  t.notOk(server.macMatches(mac, Buffer.concat([mac, mac])));
  t.equal(calls, 4);
  // And through a whole verification.
  const msg = signRequest(query("example.", SOA), KEY, NOW).message;
  const v = server.verifyRequest(msg, readTsig(msg)!, () => KEY, NOW);
  t.ok(v.ok);
  t.equal(calls, 5);
});

t.test("truncated MACs below RFC 8945's minimum are FORMERR, logged (§5.2.2.1)", async (t) => {
  const { h, logs } = setup();
  for (const a of ALGORITHMS) {
    const key = KEYS.get(a)!;
    const min = minMacLength(a);
    t.equal(min, Math.max(10, macLength(a) / 2), `${a}: the floor is max(10, half the hash)`);
    for (const [type, what] of [
      [SOA, "query"],
      [AXFR, "AXFR"],
    ] as const) {
      for (const n of [0, 1, min - 1, macLength(a) + 1]) {
        logs.length = 0;
        const [res] = await ask(h, truncated(query("example.", type), key, n));
        t.equal(rcode(res), FORMERR, `${a} ${what}, MAC of ${n} octets: FORMERR`);
        t.equal(readTsig(res), null, "the FORMERR is not signed");
        t.match(logs, [{ reason: /MAC of \d+ octets/ }], "and logged");
      }
      // Permitted by §5.2.2.1 but shorter than the full MAC our policy wants: BADTRUNC
      // (§5.2.4), answered signed with the full MAC.
      if (min < macLength(a)) {
        logs.length = 0;
        const [res] = await ask(h, truncated(query("example.", type), key, min));
        t.equal(rcode(res), NOTAUTH, `${a} ${what}, MAC of ${min} octets: NOTAUTH`);
        const rr = readTsig(res)!;
        t.equal(rr.error, 22, "BADTRUNC");
        t.equal(rr.mac.length, macLength(a), "signed with the full MAC");
        t.equal(logs.length, 1, "and logged");
        t.match(JSON.stringify(logs), /BADTRUNC/);
      }
      const [full] = await ask(h, truncated(query("example.", type), key, macLength(a)));
      t.equal(rcode(full), type === AXFR && a !== KEY.algorithm ? 5 : 0, `${a}: the full MAC`);
    }
  }
});

t.test("every TSIG refusal is logged, on the query and the transfer path", async (t) => {
  const { h, logs } = setup();
  const wrong = tsigKey(KEY.name, KEY.algorithm, Buffer.from("not the secret").toString("base64"));
  const unknown = tsigKey("nobody.", "hmac-sha256", SECRET);
  const cases: Array<[string, (m: Buffer) => Buffer, string, number]> = [
    ["BADKEY", (m) => signRequest(m, unknown, NOW).message, "BADKEY", 17],
    ["BADSIG", (m) => signRequest(m, wrong, NOW).message, "BADSIG", 16],
    ["BADTIME", (m) => signRequest(m, KEY, NOW - 1000).message, "BADTIME", 18],
    ["BADTRUNC", (m) => truncated(m, KEY, 16), "BADTRUNC", 22],
  ];
  for (const [type, path] of [
    [SOA, "query"],
    [AXFR, "transfer"],
  ] as const) {
    for (const [what, make, error, code] of cases) {
      logs.length = 0;
      const [res] = await ask(h, make(query("example.", type)));
      t.equal(rcode(res), NOTAUTH, `${path} ${what}: NOTAUTH`);
      t.equal(readTsig(res)!.error, code);
      t.equal(logs.length, 1, `${path} ${what}: one log line`);
      const line = logs[0];
      t.ok(line.level === "info" || line.level === "warn");
      t.equal(line.remote ?? line.peer, "192.0.2.1", "with the source address");
      t.match(JSON.stringify(line), error, "with the TSIG error");
    }
    logs.length = 0;
    const [res] = await ask(h, truncated(query("example.", type), KEY, 3));
    t.equal(rcode(res), FORMERR, `${path}: a malformed TSIG is FORMERR`);
    t.equal(logs.length, 1, `${path}: logged too`);
  }
});

t.test("a UDP worker answers an unreadable TSIG with FORMERR instead of throwing", async (t) => {
  const zones = new ZoneSet();
  zones.add(zoneFromText(ZONE, { file: "inline" }).zone);
  const h = createQueryHandler(zones, { transfer: udpWorkerTransfer(zones) });
  const soa = Buffer.from(
    "076578616d706c650000060001000000000018c00cc00c0000000a000000010000000100000001" + "00000001",
    "hex",
  );
  const ixfr = Buffer.concat([query("example.", 251), soa]);
  ixfr.writeUInt16BE(1, 8);
  const signed = signRequest(ixfr, KEY, NOW).message;
  // Other Len says 0xffff: the TSIG RR cannot be read (it was a crash of the worker's handler).
  const broken = Buffer.from(signed);
  broken.writeUInt16BE(0xffff, broken.length - 2);
  const res = h.handle(broken, ctx("udp")) as Buffer;
  t.ok(Buffer.isBuffer(res));
  t.equal(rcode(res), FORMERR);
  const ok = h.handle(signed, ctx("udp")) as Buffer;
  t.equal(rcode(ok), 5, "a readable signed IXFR is left to the main process (REFUSED here)");
});
