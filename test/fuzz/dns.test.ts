/**
 * Fuzzing the DNS listener: more than 100 000 generated and mutated messages sent over real
 * UDP and TCP sockets to a primary started in-process, with a zone, a TSIG and outgoing
 * transfers configured so that the transfer paths (signed and unsigned AXFR/IXFR, refusals,
 * TSIG errors) are reached as well as the query path.
 *
 * Generators (fast-check, fixed seed): random bytes; headers with arbitrary counts; names with
 * bad pointers, loops and overlong labels; OPT records with odd options; TSIG records
 * truncated or with huge lengths; AXFR/IXFR requests; every opcode; and mutations (bit flips,
 * truncations, splices, insertions, deletions, count rewrites) of real packets: the queries
 * dig and kdig send, signed AXFR and IXFR requests, NOTIFY and UPDATE.
 *
 * What must hold:
 * - the server never throws out of its handler (no error is logged) and still answers a
 *   normal query over UDP and TCP at the end;
 * - a message shorter than a header, or with QR set, gets no answer at all (the server drops
 *   what it cannot take for a request, RFC 1035 §4.1.1; answering a response could loop);
 * - every other message gets an answer (over TCP, in order; a transfer may be several
 *   messages) that decodes as a DNS message, with the request's ID and opcode, QR set, and an
 *   RCODE among NOERROR, FORMERR, NXDOMAIN, NOTIMP, REFUSED, NOTAUTH (BADVERS through EDNS);
 * - TCP connections with broken framing are closed without taking anything else down;
 * - the heap after a GC at the end is within a small bound of the heap after warm-up.
 */

import dgram from "node:dgram";
import net from "node:net";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import dnsPacket from "dns-packet";
import fc from "fast-check";
import pino from "pino";
import t from "tap";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { type PrimaryServer, startServer } from "../../src/primary.js";
import { createQueryHandler } from "../../src/server/query.js";
import { udpWorkerTransfer } from "../../src/server/transfer.js";
import { signRequest, tsigKey } from "../../src/wire/tsig.js";

const SECRET = "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk=";
const KEY = tsigKey("xfr-key.", "hmac-sha256", SECRET);
const WRONG_KEY = tsigKey(
  "xfr-key.",
  "hmac-sha256",
  "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=",
);
const OTHER_KEY = tsigKey("other-key.", "hmac-sha1", "b3RoZXJvdGhlcm90aGVy");

const ZONE = `$ORIGIN example.
$TTL 300
@ SOA ns hostmaster 10 3600 600 86400 60
@ NS ns
@ MX 10 mail
ns A 192.0.2.53
mail A 192.0.2.25
www A 192.0.2.80
www AAAA 2001:db8::80
*.wild A 192.0.2.9
alias CNAME www
sub NS ns.sub
ns.sub A 192.0.2.99
txt TXT "hello" "world"
`;
const OPEN_ZONE = `$ORIGIN open.
$TTL 300
@ SOA ns hostmaster 1 3600 600 86400 60
@ NS ns
ns A 192.0.2.1
`;
const CLOSED_ZONE = `$ORIGIN closed.
$TTL 300
@ SOA ns hostmaster 1 3600 600 86400 60
@ NS ns
ns A 192.0.2.2
`;

const ZONE_NAMES = ["example.", "open.", "closed.", "www.example.", "nowhere.", "."];
const QTYPES = [1, 2, 5, 6, 15, 16, 28, 41, 250, 251, 252, 253, 254, 255, 0, 65535, 99];
/** Every RCODE an answer may carry: NOERROR, FORMERR, NXDOMAIN, NOTIMP, REFUSED, NOTAUTH. */
const RCODES = new Set([0, 1, 3, 4, 5, 9]);
const RCODE_NAMES: Record<number, string> = {
  0: "NOERROR",
  1: "FORMERR",
  3: "NXDOMAIN",
  4: "NOTIMP",
  5: "REFUSED",
  9: "NOTAUTH",
  16: "BADVERS",
};

// ---------------------------------------------------------------------------------------
// Building messages

function nameWire(name: string): Buffer {
  if (name === ".") return Buffer.from([0]);
  const parts = name.replace(/\.$/, "").split(".");
  return Buffer.concat([
    ...parts.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "latin1")])),
    Buffer.from([0]),
  ]);
}

function header(id: number, flags: number, qd: number, an: number, ns: number, ar: number) {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(qd, 4);
  h.writeUInt16BE(an, 6);
  h.writeUInt16BE(ns, 8);
  h.writeUInt16BE(ar, 10);
  return h;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff, 0);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

function rr(owner: Buffer, type: number, cls: number, ttl: number, rdata: Buffer): Buffer {
  return Buffer.concat([owner, u16(type), u16(cls), u32(ttl), u16(rdata.length), rdata]);
}

function opt(udp: number, ttl: number, options: Buffer): Buffer {
  return rr(Buffer.from([0]), 41, udp, ttl, options);
}

function soaRdata(serial: number): Buffer {
  return Buffer.concat([
    nameWire("ns.example."),
    nameWire("hostmaster.example."),
    u32(serial),
    u32(3600),
    u32(600),
    u32(86400),
    u32(60),
  ]);
}

interface QOpts {
  id?: number;
  flags?: number;
  edns?: Buffer | null;
  authority?: Buffer[];
}

function query(name: string, qtype: number, o: QOpts = {}): Buffer {
  const ar = o.edns ? [o.edns] : [];
  const ns = o.authority ?? [];
  return Buffer.concat([
    header(o.id ?? 0x1234, o.flags ?? 0, 1, 0, ns.length, ar.length),
    nameWire(name),
    u16(qtype),
    u16(1),
    ...ns,
    ...ar,
  ]);
}

function ixfr(name: string, serial: number, o: QOpts = {}): Buffer {
  return query(name, 251, { ...o, authority: [rr(nameWire(name), 6, 1, 0, soaRdata(serial))] });
}

/** The queries dig and kdig send, and the requests secondaries send (signed now). */
function seeds(now: number): Buffer[] {
  const cookie = Buffer.concat([u16(10), u16(8), Buffer.from("0123456789abcdef", "hex")]);
  const nsid = Buffer.concat([u16(3), u16(0)]);
  const padding = Buffer.concat([u16(12), u16(20), Buffer.alloc(20)]);
  const dig = query("www.example.", 1, { flags: 0x0120, edns: opt(1232, 0, cookie) });
  const kdig = query("example.", 6, { flags: 0x0100, edns: opt(1232, 0x8000, nsid) });
  const plain = query("Mail.Example.", 15, { flags: 0x0100 });
  const any = query("example.", 255, { edns: opt(4096, 0, Buffer.concat([cookie, padding])) });
  const axfr = query("example.", 252);
  const signedAxfr = signRequest(axfr, KEY, now).message;
  const signedIxfr = signRequest(ixfr("example.", 10), KEY, now).message;
  const signedIxfrCurrent = signRequest(
    ixfr("example.", 13, { edns: opt(1232, 0, cookie) }),
    KEY,
    now,
  ).message;
  const openIxfr = ixfr("open.", 1);
  const notify = signRequest(
    query("example.", 6, { flags: 0x2400, authority: [] }),
    KEY,
    now,
  ).message;
  const update = Buffer.concat([
    header(7, 0x2800, 1, 0, 1, 0),
    nameWire("example."),
    u16(6),
    u16(1),
    rr(nameWire("new.example."), 1, 1, 300, Buffer.from([192, 0, 2, 7])),
  ]);
  const signedSoa = signRequest(
    query("example.", 6, { edns: opt(1232, 0, Buffer.alloc(0)) }),
    KEY,
    now,
  ).message;
  return [
    dig,
    kdig,
    plain,
    any,
    axfr,
    signedAxfr,
    signedIxfr,
    signedIxfrCurrent,
    openIxfr,
    notify,
    update,
    signedSoa,
  ];
}

// ---------------------------------------------------------------------------------------
// Generators

const byte = fc.integer({ min: 0, max: 255 });
const u16a = fc.integer({ min: 0, max: 0xffff });
const bytes = (max: number) =>
  fc.uint8Array({ minLength: 0, maxLength: max }).map((a) => Buffer.from(a));

/** Random bytes, short and long. */
const randomBytes = fc.oneof(bytes(16), bytes(64), bytes(600));

/** A plausible header with counts that do not match what follows. */
const brokenCounts = fc
  .record({
    id: u16a,
    flags: fc.oneof(
      fc.constant(0),
      fc.constant(0x0100),
      u16a.map((f) => f & 0x7fff),
    ),
    counts: fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), u16a), {
      minLength: 4,
      maxLength: 4,
    }),
    name: fc.constantFrom(...ZONE_NAMES),
    qtype: fc.constantFrom(...QTYPES),
    tail: bytes(80),
  })
  .map(({ id, flags, counts, name, qtype, tail }) =>
    Buffer.concat([
      header(id, flags, counts[0], counts[1], counts[2], counts[3]),
      nameWire(name),
      u16(qtype),
      u16(1),
      tail,
    ]),
  );

/** One piece of a name on the wire: a label, a pointer (to anywhere), or a bad length byte. */
const namePiece = fc.oneof(
  fc.string({ minLength: 1, maxLength: 63 }).map((s) => {
    const b = Buffer.from(s, "latin1").subarray(0, 63);
    return Buffer.concat([Buffer.from([b.length]), b]);
  }),
  fc
    .constantFrom("www", "example", "wild", "sub", "ns", "x")
    .map((s) => nameWire(s).subarray(0, -1)),
  u16a.map((p) => u16(0xc000 | (p & 0x3fff))), // pointer anywhere (forward, out of range)
  fc.constant(u16(0xc00c)), // pointer to the question's own start: a loop
  fc.integer({ min: 64, max: 191 }).map((l) => Buffer.from([l])), // reserved label types
  fc.integer({ min: 1, max: 63 }).map((l) => Buffer.from([l, 0x61])), // length past the data
  fc.constant(Buffer.alloc(64, 63)), // many labels: a name longer than 255
);

const badNames = fc
  .record({
    id: u16a,
    pieces: fc.array(namePiece, { minLength: 0, maxLength: 8 }),
    end: fc.boolean(),
    qtype: fc.constantFrom(...QTYPES),
    more: fc.oneof(fc.constant(Buffer.alloc(0)), bytes(40)),
    ar: fc.integer({ min: 0, max: 2 }),
  })
  .map(({ id, pieces, end, qtype, more, ar }) =>
    Buffer.concat([
      header(id, 0, 1, 0, 0, ar),
      ...pieces,
      end ? Buffer.from([0]) : Buffer.alloc(0),
      u16(qtype),
      u16(1),
      more,
    ]),
  );

/** EDNS options: code, a declared length, and data that may be shorter or longer. */
const ednsOption = fc
  .record({ code: u16a, len: fc.oneof(fc.integer({ min: 0, max: 12 }), u16a), data: bytes(12) })
  .map(({ code, len, data }) => Buffer.concat([u16(code), u16(len), data]));

const oddOpt = fc
  .record({
    id: u16a,
    name: fc.constantFrom(...ZONE_NAMES),
    qtype: fc.constantFrom(...QTYPES),
    udp: fc.oneof(fc.constantFrom(0, 1, 511, 512, 1232, 4096, 65535), u16a),
    // extended RCODE, version, DO and Z
    ttl: fc.oneof(
      fc.constantFrom(0, 0x8000, 0x00010000, 0xff000000),
      fc.integer().map((n) => n >>> 0),
    ),
    options: fc.array(ednsOption, { maxLength: 4 }),
    optCount: fc.integer({ min: 1, max: 2 }),
    owner: fc.constantFrom(Buffer.from([0]), nameWire("example."), Buffer.from([0xc0, 0x0c])),
    rdlenDelta: fc.oneof(fc.constant(0), fc.integer({ min: -4, max: 4 })),
  })
  .map(({ id, name, qtype, udp, ttl, options, optCount, owner, rdlenDelta }) => {
    const rdata = Buffer.concat(options);
    const one = Buffer.concat([
      owner,
      u16(41),
      u16(udp),
      u32(ttl),
      u16(Math.max(0, rdata.length + rdlenDelta)),
      rdata,
    ]);
    const q = query(name, qtype, { id });
    q.writeUInt16BE(optCount, 10);
    return Buffer.concat([q, ...Array.from({ length: optCount }, () => one)]);
  });

/** Signed requests, then broken: truncated, huge MAC size or RDLENGTH, wrong key, odd fields. */
function tsigBroken(now: number) {
  const base = fc.oneof(
    fc.constant(query("example.", 252)),
    fc.constant(query("www.example.", 1, { edns: opt(1232, 0, Buffer.alloc(0)) })),
    fc.integer({ min: 0, max: 20 }).map((s) => ixfr("example.", s)),
  );
  return fc
    .record({
      msg: base,
      key: fc.constantFrom(KEY, KEY, WRONG_KEY, OTHER_KEY),
      skew: fc.oneof(fc.constant(0), fc.integer({ min: -100_000, max: 100_000 })),
      fudge: fc.oneof(fc.constant(300), u16a),
      damage: fc.oneof(
        fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
        fc.record({ kind: fc.constant("macsize" as const), value: u16a }),
        fc.record({ kind: fc.constant("rdlength" as const), value: u16a }),
        fc.record({ kind: fc.constant("otherlen" as const), value: u16a }),
        fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
        fc.record({ kind: fc.constant("none" as const) }),
        fc.record({ kind: fc.constant("append" as const), extra: bytes(20) }),
      ),
    })
    .map(({ msg, key, skew, fudge, damage }) => {
      const signed = signRequest(msg, key, now + skew, fudge).message;
      const tsigStart = msg.length;
      // Offsets inside the TSIG RR: owner, then type(2) class(2) ttl(4) rdlength(2), then
      // algorithm name, time(6), fudge(2), MAC size(2), MAC, original id(2), error(2), len(2).
      const ownerLen = key.name.length + 1;
      const rdlenAt = tsigStart + ownerLen + 8;
      const algAt = rdlenAt + 2;
      const macSizeAt = algAt + key.algorithm.length + 1 + 8;
      const otherLenAt = signed.length - 2;
      const out = Buffer.from(signed);
      switch (damage.kind) {
        case "truncate":
          return out.subarray(0, tsigStart + (damage.at % (signed.length - tsigStart)));
        case "macsize":
          out.writeUInt16BE(damage.value, macSizeAt);
          return out;
        case "rdlength":
          out.writeUInt16BE(damage.value, rdlenAt);
          return out;
        case "otherlen":
          out.writeUInt16BE(damage.value, otherLenAt);
          return out;
        case "flip": {
          const at = tsigStart + (damage.at % (signed.length - tsigStart));
          out[at] ^= 1 << damage.bit;
          return out;
        }
        case "append":
          return Buffer.concat([out, damage.extra]);
        default:
          return out;
      }
    });
}

/** Well-formed transfer requests: zones served or not, signed or not, any serial. */
function transfers(now: number) {
  return fc
    .record({
      id: u16a,
      name: fc.constantFrom(...ZONE_NAMES),
      kind: fc.constantFrom("AXFR", "IXFR", "IXFR-noSOA", "IXFR-badSOA"),
      serial: fc.oneof(
        fc.integer({ min: 0, max: 20 }),
        fc.integer().map((n) => n >>> 0),
      ),
      edns: fc.oneof(
        fc.constant(null),
        fc.constant(opt(1232, 0, Buffer.alloc(0))),
        fc.constant(opt(512, 0x00010000, Buffer.alloc(0))),
      ),
      sign: fc.constantFrom(null, KEY, KEY, WRONG_KEY, OTHER_KEY),
      skew: fc.constantFrom(0, 0, 0, 1000, -1000),
    })
    .map(({ id, name, kind, serial, edns, sign, skew }) => {
      let m: Buffer;
      if (kind === "AXFR") m = query(name, 252, { id, edns });
      else if (kind === "IXFR") m = ixfr(name, serial, { id, edns });
      else if (kind === "IXFR-noSOA") m = query(name, 251, { id, edns });
      else
        m = query(name, 251, {
          id,
          edns,
          authority: [rr(nameWire(name), 6, 1, 0, Buffer.from([0, 0, 1]))],
        });
      return sign ? signRequest(m, sign, now + skew).message : m;
    });
}

/** Every opcode (NOTIFY, UPDATE, the unassigned ones) with something in each section. */
const opcodes = fc
  .record({
    id: u16a,
    opcode: fc.integer({ min: 0, max: 15 }),
    flags: u16a,
    name: fc.constantFrom(...ZONE_NAMES),
    qtype: fc.constantFrom(...QTYPES),
    an: fc.integer({ min: 0, max: 2 }),
    ns: fc.integer({ min: 0, max: 2 }),
  })
  .map(({ id, opcode, flags, name, qtype, an, ns }) => {
    const f = (flags & 0x07ff & ~0x8000) | (opcode << 11);
    const record = rr(nameWire(name), 1, 1, 300, Buffer.from([192, 0, 2, 1]));
    return Buffer.concat([
      header(id, f, 1, an, ns, 0),
      nameWire(name),
      u16(qtype),
      u16(1),
      ...Array.from({ length: an + ns }, () => record),
    ]);
  });

/** Mutations of real packets. */
function mutations(pool: Buffer[]) {
  const op = fc.oneof(
    fc.record({ k: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
    fc.record({ k: fc.constant("truncate" as const), at: fc.nat() }),
    fc.record({ k: fc.constant("splice" as const), other: fc.nat(), a: fc.nat(), b: fc.nat() }),
    fc.record({ k: fc.constant("insert" as const), at: fc.nat(), data: bytes(8) }),
    fc.record({
      k: fc.constant("delete" as const),
      at: fc.nat(),
      n: fc.integer({ min: 1, max: 8 }),
    }),
    fc.record({ k: fc.constant("set16" as const), at: fc.nat(), v: u16a }),
    fc.record({
      k: fc.constant("count" as const),
      which: fc.nat(3),
      v: fc.integer({ min: 0, max: 4 }),
    }),
    fc.record({ k: fc.constant("byte" as const), at: fc.nat(), v: byte }),
  );
  return fc
    .record({ seed: fc.nat(pool.length - 1), ops: fc.array(op, { minLength: 1, maxLength: 4 }) })
    .map(({ seed, ops }) => {
      let m = Buffer.from(pool[seed]);
      for (const o of ops) {
        const n = m.length;
        if (n === 0) break;
        switch (o.k) {
          case "flip":
            m[o.at % n] ^= 1 << o.bit;
            break;
          case "truncate":
            m = m.subarray(0, o.at % n);
            break;
          case "splice": {
            const other = pool[o.other % pool.length];
            const a = o.a % n;
            m = Buffer.concat([m.subarray(0, a), other.subarray(o.b % other.length)]);
            break;
          }
          case "insert": {
            const at = o.at % n;
            m = Buffer.concat([m.subarray(0, at), o.data, m.subarray(at)]);
            break;
          }
          case "delete": {
            const at = o.at % n;
            m = Buffer.concat([m.subarray(0, at), m.subarray(at + o.n)]);
            break;
          }
          case "set16":
            if (n >= 2) m.writeUInt16BE(o.v, o.at % (n - 1));
            break;
          case "count":
            if (n >= 12) m.writeUInt16BE(o.v, 4 + 2 * o.which);
            break;
          case "byte":
            m[o.at % n] = o.v;
            break;
        }
      }
      return Buffer.from(m);
    });
}

/** `count` messages from every generator, in a fixed order from a fixed seed. */
function corpus(count: number, seed: number, now: number): { kind: string; msg: Buffer }[] {
  const pool = seeds(now);
  const gens: Array<[string, fc.Arbitrary<Buffer>, number]> = [
    ["random bytes", randomBytes, 0.12],
    ["broken counts", brokenCounts, 0.1],
    ["bad names", badNames, 0.12],
    ["odd OPT", oddOpt, 0.1],
    ["broken TSIG", tsigBroken(now), 0.1],
    ["transfers", transfers(now), 0.1],
    ["opcodes", opcodes, 0.06],
    ["mutated packets", mutations(pool), 0.28],
    ["real packets", fc.constantFrom(...pool), 0.02],
  ];
  const out: { kind: string; msg: Buffer }[] = [];
  gens.forEach(([kind, arb, share], i) => {
    const n = Math.round(count * share);
    for (const msg of fc.sample(arb, { numRuns: n, seed: seed + i })) out.push({ kind, msg });
  });
  // Interleave the kinds so every batch mixes them.
  const rnd = fc.sample(fc.nat(), { numRuns: out.length, seed });
  for (let i = out.length - 1; i > 0; i--) {
    const j = rnd[i] % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Checking answers

interface Tally {
  sent: number;
  answered: number;
  unanswered: number;
  messages: number;
  byRcode: Map<string, number>;
  byKind: Map<string, number>;
  problems: string[];
}

function tally(): Tally {
  return {
    sent: 0,
    answered: 0,
    unanswered: 0,
    messages: 0,
    byRcode: new Map(),
    byKind: new Map(),
    problems: [],
  };
}

function bump(m: Map<string, number>, k: string, n = 1): void {
  m.set(k, (m.get(k) ?? 0) + n);
}

/** Whether the server owes an answer: a readable header of a request (QR clear). */
function wantsAnswer(msg: Buffer): boolean {
  return msg.length >= 12 && (msg[2] & 0x80) === 0;
}

/** The full RCODE of an answer (header + the OPT's extended bits), after decoding it. */
function check(req: Buffer, res: Buffer, tl: Tally, where: string): void {
  const problem = (what: string) => {
    if (tl.problems.length < 20) {
      tl.problems.push(`${where}: ${what}; request ${req.toString("hex")}`);
    }
  };
  if (res.length < 12) {
    problem(`answer of ${res.length} octets`);
    return;
  }
  if (res.readUInt16BE(0) !== req.readUInt16BE(0)) problem("answer ID differs");
  if ((res[2] & 0x80) === 0) problem("QR clear in the answer");
  if ((res[2] & 0x78) !== (req[2] & 0x78)) problem("opcode not echoed");
  let decoded: dnsPacket.Packet;
  try {
    decoded = dnsPacket.decode(res);
  } catch (e) {
    problem(`answer does not decode: ${(e as Error).message}`);
    return;
  }
  let rcode = res[3] & 0xf;
  const optRr = decoded.additionals?.find((a) => a.type === "OPT") as
    | { extendedRcode?: number }
    | undefined;
  if (optRr?.extendedRcode) rcode |= optRr.extendedRcode << 4;
  if (!RCODES.has(rcode) && rcode !== 16) problem(`RCODE ${rcode}`);
  bump(tl.byRcode, RCODE_NAMES[rcode] ?? `RCODE${rcode}`);
}

// ---------------------------------------------------------------------------------------
// Sending

const SENTINEL = query("www.example.", 1, { flags: 0x0100 });

function withId(msg: Buffer, id: number): Buffer {
  if (msg.length < 2) return msg;
  const m = Buffer.from(msg);
  m.writeUInt16BE(id, 0);
  return m;
}

/**
 * UDP: each socket sends a batch, then a plain query as a sentinel; the server answers in
 * order on loopback, so once the sentinel's answer is back every answer owed is too.
 */
async function udpWorker(
  port: number,
  items: { kind: string; msg: Buffer }[],
  tl: Tally,
  batchSize: number,
): Promise<void> {
  const sock = dgram.createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  let nextId = 1;
  let pending = new Map<number, Buffer>();
  let silent = new Set<number>();
  let sentinelId = -1;
  let onSentinel: (() => void) | null = null;
  // Sentinels of earlier batches: a resent one may be answered twice.
  const sentinels = new Set<number>();
  sock.on("message", (res: Buffer) => {
    const id = res.length >= 2 ? res.readUInt16BE(0) : -1;
    if (id === sentinelId) {
      onSentinel?.();
      return;
    }
    if (sentinels.has(id)) return;
    const req = pending.get(id);
    if (req) {
      pending.delete(id);
      tl.answered++;
      tl.messages++;
      check(req, res, tl, "udp");
    } else if (silent.has(id)) {
      tl.problems.push(`udp: an answer to a message that needs none (${id})`);
    } else {
      tl.problems.push(`udp: an unexpected answer (ID ${id})`);
    }
  });
  try {
    for (let i = 0; i < items.length; i += batchSize) {
      pending = new Map();
      silent = new Set();
      for (const { kind, msg } of items.slice(i, i + batchSize)) {
        const id = nextId++ & 0xffff;
        const m = withId(msg, id);
        if (wantsAnswer(m)) pending.set(id, m);
        else if (m.length >= 2) silent.add(id);
        if (!wantsAnswer(m)) tl.unanswered++;
        tl.sent++;
        bump(tl.byKind, kind);
        sock.send(m, port, "127.0.0.1");
      }
      sentinels.add(sentinelId);
      sentinelId = nextId++ & 0xffff;
      const sentinel = withId(SENTINEL, sentinelId);
      await new Promise<void>((resolve) => {
        let tries = 0;
        const retry = setInterval(() => {
          if (++tries > 5) {
            clearInterval(retry);
            resolve();
          } else sock.send(sentinel, port, "127.0.0.1");
        }, 500);
        onSentinel = () => {
          clearInterval(retry);
          onSentinel = null;
          resolve();
        };
        sock.send(sentinel, port, "127.0.0.1");
      });
      for (const req of pending.values()) {
        tl.problems.push(`udp: no answer to ${req.toString("hex")}`);
      }
    }
  } finally {
    sock.close();
  }
}

/** Reads length-prefixed messages from a TCP socket. */
function frames(sock: net.Socket, onFrame: (m: Buffer) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  sock.on("data", (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const len = buf.readUInt16BE(0);
      onFrame(buf.subarray(2, 2 + len));
      buf = buf.subarray(2 + len);
    }
  });
}

function frame(m: Buffer): Buffer {
  return Buffer.concat([u16(m.length), m]);
}

/**
 * TCP: one connection, pipelined batches each closed by a sentinel. Answers come back in
 * order; a transfer may be several messages with the same ID.
 */
async function tcpWorker(
  port: number,
  items: { kind: string; msg: Buffer }[],
  tl: Tally,
  batchSize: number,
): Promise<void> {
  const sock = net.connect({ port, host: "127.0.0.1" });
  await new Promise<void>((resolve, reject) => {
    sock.once("connect", resolve);
    sock.once("error", reject);
  });
  let nextId = 1;
  let pending = new Map<number, { req: Buffer; got: number }>();
  let silent = new Set<number>();
  let sentinelId = -1;
  let onSentinel: (() => void) | null = null;
  let closed = false;
  sock.on("close", () => {
    closed = true;
    onSentinel?.();
  });
  sock.on("error", () => {});
  frames(sock, (res) => {
    const id = res.length >= 2 ? res.readUInt16BE(0) : -1;
    if (id === sentinelId) {
      onSentinel?.();
      return;
    }
    const p = pending.get(id);
    if (p) {
      if (p.got === 0) tl.answered++;
      p.got++;
      tl.messages++;
      if (p.got === 1 || (res[3] & 0xf) !== 0) check(p.req, res, tl, "tcp");
    } else if (silent.has(id)) {
      tl.problems.push(`tcp: an answer to a message that needs none (${id})`);
    } else {
      tl.problems.push(`tcp: an unexpected answer (ID ${id})`);
    }
  });
  try {
    for (let i = 0; i < items.length && !closed; i += batchSize) {
      pending = new Map();
      silent = new Set();
      const out: Buffer[] = [];
      for (const { kind, msg } of items.slice(i, i + batchSize)) {
        const id = nextId++ & 0xffff;
        const m = withId(msg, id);
        if (wantsAnswer(m)) pending.set(id, { req: m, got: 0 });
        else {
          silent.add(id);
          tl.unanswered++;
        }
        tl.sent++;
        bump(tl.byKind, kind);
        out.push(frame(m));
      }
      sentinelId = nextId++ & 0xffff;
      out.push(frame(withId(SENTINEL, sentinelId)));
      const done = new Promise<void>((resolve) => {
        onSentinel = resolve;
      });
      sock.write(Buffer.concat(out));
      await done;
      onSentinel = null;
      for (const p of pending.values()) {
        if (p.got === 0) tl.problems.push(`tcp: no answer to ${p.req.toString("hex")}`);
      }
    }
    if (closed) tl.problems.push("tcp: the server closed a connection of well-framed messages");
  } finally {
    sock.destroy();
  }
}

/**
 * A TCP connection with broken framing: the bytes go out as they are, the connection is half
 * closed, and whatever comes back must be whole answers; the server must close its side.
 */
async function brokenStream(port: number, data: Buffer, tl: Tally): Promise<boolean> {
  const sock = net.connect({ port, host: "127.0.0.1" });
  sock.on("error", () => {});
  const answers: Buffer[] = [];
  frames(sock, (m) => answers.push(m));
  const closed = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    sock.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  sock.once("connect", () => sock.end(data));
  const ok = await closed;
  sock.destroy();
  for (const a of answers) {
    tl.messages++;
    if (a.length < 12 || (a[2] & 0x80) === 0) tl.problems.push("tcp broken framing: not an answer");
    else {
      try {
        dnsPacket.decode(a);
      } catch {
        tl.problems.push("tcp broken framing: an answer that does not decode");
      }
    }
  }
  return ok;
}

// ---------------------------------------------------------------------------------------

function gcFunction(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  v8.setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

async function settle(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

function primaryLogger() {
  const errors: string[] = [];
  const counts = new Map<string, number>();
  const logger = pino(
    { level: process.env.FUZZ_DEBUG ? "debug" : "warn" },
    {
      write(line: string) {
        if (process.env.FUZZ_DEBUG && /tcp|stream/.test(line)) console.error(line);
        const o = JSON.parse(line) as { level: number; msg: string };
        bump(counts, o.msg);
        if (o.level >= 50 && errors.length < 20) errors.push(line);
      },
    },
  );
  return { logger, errors, counts };
}

async function start(logger: pino.Logger): Promise<PrimaryServer> {
  const settings = new TransferSettings();
  const tsig = settings.createTsig({ name: "xfr-key.", algo: "hmac-sha256", secret: SECRET });
  settings.createTsig({ name: "other-key.", algo: "hmac-sha1", secret: "b3RoZXJvdGhlcm90aGVy" });
  const peer = settings.createPeer({ name: "lab", ip: "127.0.0.1", port: 53, tsig_id: tsig.id });
  settings.createOutgoing("example.", { peers: [peer.id], status: "Enabled" });
  settings.createAcl({ name: "loopback", ip_range: "127.0.0.1/32" });
  settings.createOutgoing("open.", { peers: [], status: "Enabled" });
  const primary = await startServer({
    zones: [{ text: ZONE }, { text: OPEN_ZONE }, { text: CLOSED_ZONE }],
    dns: { host: "127.0.0.1", port: 0 },
    transfers: settings,
    notify: false,
    logger,
  });
  // History for IXFR: serials 10 → 13.
  for (let i = 1; i <= 3; i++) {
    primary.commit("example.", {
      add: [{ name: `h${i}.example.`, type: 1, ttl: 300, rdata: Buffer.from([192, 0, 2, i]) }],
    });
  }
  return primary;
}

async function askNormal(
  primary: PrimaryServer,
): Promise<{ udp: dnsPacket.Packet; tcp: dnsPacket.Packet }> {
  const port = primary.dns.udp.port;
  const q = withId(SENTINEL, 4242);
  const sock = dgram.createSocket("udp4");
  const udp = await new Promise<Buffer>((resolve) => {
    sock.once("message", (m: Buffer) => resolve(m));
    sock.send(q, port, "127.0.0.1");
  });
  sock.close();
  const c = net.connect({ port: primary.dns.tcp.port, host: "127.0.0.1" });
  const tcp = await new Promise<Buffer>((resolve) => {
    frames(c, resolve);
    c.write(frame(q));
  });
  c.destroy();
  return { udp: dnsPacket.decode(udp), tcp: dnsPacket.decode(tcp) };
}

const TOTAL = Number(process.env.FUZZ_MESSAGES ?? 120_000);

t.test("the UDP workers' handler: the same corpus, in-process", async (t) => {
  // A UDP worker (--udp-workers) answers with its own handler: no keyring, and transfers
  // answered by udpWorkerTransfer. No sockets needed to show it never throws.
  const { logger } = primaryLogger();
  const primary = await start(logger);
  t.teardown(() => primary.close());
  const h = createQueryHandler(primary.zoneSet, { transfer: udpWorkerTransfer(primary.zoneSet) });
  const tl = tally();
  const threw: string[] = [];
  const ctx = {
    transport: "udp" as const,
    remoteAddress: "127.0.0.1",
    remotePort: 5353,
    localAddress: "127.0.0.1",
    localPort: 53,
  };
  for (const { msg } of corpus(Math.min(TOTAL, 40_000), 0xbee, Math.floor(Date.now() / 1000))) {
    tl.sent++;
    let res: ReturnType<typeof h.handle>;
    try {
      res = h.handle(msg, ctx);
    } catch (e) {
      if (threw.length < 10) threw.push(`${(e as Error).message}: ${msg.toString("hex")}`);
      continue;
    }
    if (res === null) {
      tl.unanswered++;
      if (wantsAnswer(msg)) tl.problems.push(`no answer to ${msg.toString("hex")}`);
    } else if (Buffer.isBuffer(res)) {
      tl.answered++;
      check(msg, res, tl, "worker");
    } else tl.problems.push("a stream over UDP");
  }
  t.comment(
    `UDP worker handler: ${tl.sent} messages, ${tl.answered} answered, ${tl.unanswered} dropped; rcodes: ${[...tl.byRcode].map(([k, v]) => `${k} ${v}`).join(", ")}`,
  );
  t.same(threw, [], "the handler never threw");
  t.same(tl.problems, [], "every answer well formed");
});
const UDP_SHARE = 0.6;

t.test(`fuzz: ${TOTAL} messages over UDP and TCP`, async (t) => {
  const started = performance.now();
  const { logger, errors, counts } = primaryLogger();
  const primary = await start(logger);
  t.teardown(() => primary.close());
  const port = primary.dns.udp.port;
  const gc = gcFunction();

  const now = Math.floor(Date.now() / 1000);
  const all = corpus(TOTAL, 0x5eed, now);
  t.comment(`generated ${all.length} messages in ${Math.round(performance.now() - started)} ms`);
  const udpItems = all.slice(0, Math.round(all.length * UDP_SHARE));
  // Over TCP, a frame shorter than a header, or a message the server does not answer (QR
  // set), closes the connection: there is no resynchronising a stream (tested below with the
  // broken framing). The pipelined connections carry the messages that are owed an answer.
  const tcpItems = all.slice(udpItems.length).filter((x) => wantsAnswer(x.msg));
  const udp = tally();
  const tcp = tally();

  const split = <T>(xs: T[], n: number): T[][] =>
    Array.from({ length: n }, (_, i) => xs.filter((_, j) => j % n === i));

  // Warm up with a tenth of the traffic, then take the heap as the baseline.
  const warmU = Math.floor(udpItems.length / 10);
  const warmT = Math.floor(tcpItems.length / 10);
  await Promise.all([
    ...split(udpItems.slice(0, warmU), 4).map((xs) => udpWorker(port, xs, udp, 48)),
    ...split(tcpItems.slice(0, warmT), 4).map((xs) => tcpWorker(port, xs, tcp, 200)),
  ]);
  const heapBefore = await settle(gc);
  const rssBefore = process.memoryUsage().rss;

  await Promise.all([
    ...split(udpItems.slice(warmU), 4).map((xs) => udpWorker(port, xs, udp, 48)),
    ...split(tcpItems.slice(warmT), 4).map((xs) => tcpWorker(port, xs, tcp, 200)),
  ]);

  // Broken framing: zero and short lengths, frames cut short, a huge length, random streams,
  // and a valid query followed by garbage.
  const broken = tally();
  const streams: Buffer[] = [
    u16(0),
    Buffer.concat([u16(5), Buffer.alloc(5)]),
    Buffer.concat([u16(500), SENTINEL]),
    Buffer.concat([u16(0xffff), Buffer.alloc(100)]),
    Buffer.from([0x00]),
    Buffer.concat([frame(SENTINEL), u16(3), Buffer.from([1, 2, 3])]),
    Buffer.concat([frame(SENTINEL), frame(SENTINEL).subarray(0, 10)]),
    // A response (QR set) in the middle of queries: the ones before it are answered.
    Buffer.concat([frame(SENTINEL), frame(withId(SENTINEL, 9).fill(0x84, 2, 3)), frame(SENTINEL)]),
    ...fc.sample(bytes(3000), { numRuns: 300, seed: 7 }),
    ...fc
      .sample(
        fc.array(
          fc.oneof(
            fc.constant(frame(SENTINEL)),
            bytes(40).map((b) => frame(b)),
            bytes(40).map((b) => Buffer.concat([u16(b.length + 7), b])),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        { numRuns: 300, seed: 8 },
      )
      .map((parts) => Buffer.concat(parts)),
  ];
  let notClosed = 0;
  for (let i = 0; i < streams.length; i += 16) {
    const results = await Promise.all(
      streams.slice(i, i + 16).map((s) => brokenStream(port, s, broken)),
    );
    notClosed += results.filter((ok) => !ok).length;
  }
  broken.sent = streams.length;

  const heapAfter = await settle(gc);
  const rssAfter = process.memoryUsage().rss;

  const { udp: lastUdp, tcp: lastTcp } = await askNormal(primary);
  const seconds = (performance.now() - started) / 1000;

  // The report for the closing note.
  const fmt = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
  t.comment(
    `UDP: ${udp.sent} sent, ${udp.answered} answered, ${udp.unanswered} owed no answer (dropped by the server); rcodes: ${fmt(udp.byRcode)}`,
  );
  t.comment(
    `TCP: ${tcp.sent} sent on 4 pipelined connections, ${tcp.answered} answered in ${tcp.messages} messages, ${tcp.unanswered} owed no answer; rcodes: ${fmt(tcp.byRcode)}`,
  );
  t.comment(
    `TCP broken framing: ${broken.sent} connections, ${broken.messages} answers received, ${notClosed} not closed by the server`,
  );
  const kinds = new Map(udp.byKind);
  for (const [k, v] of tcp.byKind) bump(kinds, k, v);
  t.comment(`by generator: ${fmt(kinds)}`);
  t.comment(`server log lines (warn and above): ${fmt(counts) || "none"}`);
  t.comment(
    `heap after warm-up ${(heapBefore / 2 ** 20).toFixed(1)} MiB, at the end ${(heapAfter / 2 ** 20).toFixed(1)} MiB; rss ${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssAfter / 2 ** 20).toFixed(0)} MiB`,
  );
  t.comment(`${udp.sent + tcp.sent + broken.sent} messages and streams in ${seconds.toFixed(1)} s`);

  t.ok(udp.sent + tcp.sent >= 100_000 || TOTAL < 100_000, "at least 100 000 messages");
  t.same(udp.problems, [], "UDP: every answer well formed, every request answered");
  t.same(tcp.problems, [], "TCP: every answer well formed, every request answered");
  t.same(broken.problems, [], "TCP broken framing: only whole answers");
  t.equal(notClosed, 0, "every broken stream is closed by the server");
  t.same(errors, [], "the handler never threw");
  t.equal((lastUdp as { rcode?: string }).rcode, "NOERROR", "still answering over UDP");
  t.match(lastUdp.answers, [{ name: "www.example", type: "A", data: "192.0.2.80" }]);
  t.equal((lastTcp as { rcode?: string }).rcode, "NOERROR", "still answering over TCP");
  t.ok(
    heapAfter - heapBefore < 16 * 2 ** 20,
    `heap grew by ${((heapAfter - heapBefore) / 2 ** 20).toFixed(1)} MiB (bound 16 MiB)`,
  );
});
