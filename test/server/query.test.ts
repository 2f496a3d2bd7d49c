import packet from "dns-packet";
import t from "tap";
import type { RequestContext } from "../../src/server/handler.js";
import { createQueryHandler } from "../../src/server/query.js";
import { zoneFromText } from "../../src/zone/load.js";
import { ZoneSet } from "../../src/zone/zoneset.js";

const ZONE = `
$ORIGIN example.
$TTL 300
@ SOA ns.example. host.example. 1 3600 600 86400 60
@ NS ns.example.
ns A 192.0.2.1
www A 192.0.2.2
big TXT "${"x".repeat(200)}" "${"y".repeat(200)}"
big TXT "${"z".repeat(200)}"
many A 10.0.0.1
${Array.from({ length: 60 }, (_, i) => `many A 10.0.1.${i}`).join("\n")}
`;

const udp: RequestContext = {
  transport: "udp",
  remoteAddress: "127.0.0.1",
  remotePort: 5353,
  localAddress: "127.0.0.1",
  localPort: 53,
};
const tcp: RequestContext = { ...udp, transport: "tcp" };

function setup() {
  const zones = new ZoneSet();
  const { zone } = zoneFromText(ZONE, { file: "inline" });
  zones.add(zone);
  return { zones, zone, h: createQueryHandler(zones) };
}

type Q = {
  name: string;
  type?: string;
  class?: string;
  id?: number;
  flags?: number;
  edns?: number | false;
  do?: boolean;
};
function query(q: Q): Buffer {
  const additionals: packet.Answer[] = [];
  if (q.edns !== false && q.edns !== undefined) {
    additionals.push({
      type: "OPT",
      name: ".",
      udpPayloadSize: q.edns,
      flags: q.do ? packet.DNSSEC_OK : 0,
    } as unknown as packet.Answer);
  }
  return packet.encode({
    id: q.id ?? 4242,
    type: "query",
    flags: q.flags ?? packet.RECURSION_DESIRED,
    questions: [
      {
        name: q.name,
        type: (q.type ?? "A") as packet.RecordType,
        class: (q.class ?? "IN") as packet.RecordClass,
      },
    ],
    additionals,
  });
}

/** The decoded fields these tests read (dns-packet's typings omit rcode and answer data). */
interface Decoded {
  id: number;
  rcode: string;
  flag_aa: boolean;
  flag_tc: boolean;
  flag_rd: boolean;
  flag_ra: boolean;
  questions?: Array<{ name: string }>;
  answers?: Array<{ name: string; type: string; data: unknown }>;
  additionals?: Array<{ name: string; type: string }>;
}

function ask(h: ReturnType<typeof setup>["h"], msg: Buffer, ctx = udp) {
  const out = h.handle(msg, ctx) as Buffer | null;
  return out ? { raw: out, p: packet.decode(out) as unknown as Decoded } : null;
}

t.test("an ordinary answer: AA, RD copied, question case kept", async (t) => {
  const { h } = setup();
  const r = ask(h, query({ name: "WwW.Example" }))!;
  t.equal(r.p.id, 4242);
  t.equal(r.p.rcode, "NOERROR");
  t.ok(r.p.flag_aa, "AA");
  t.ok(r.p.flag_rd, "RD copied");
  t.notOk(r.p.flag_ra, "no recursion available");
  t.equal(r.p.questions![0].name, "WwW.Example");
  t.equal(r.p.answers![0].name, "WwW.Example", "owner compressed onto the question");
  t.equal(r.p.answers![0].data, "192.0.2.2");
});

t.test("the answer cache patches id, flags and case, and sees zone changes", async (t) => {
  const { h, zone } = setup();
  ask(h, query({ name: "www.example" }));
  const r = ask(h, query({ name: "WWW.EXAMPLE", id: 7, flags: 0 }))!;
  t.equal(r.p.id, 7);
  t.notOk(r.p.flag_rd);
  t.equal(r.p.questions![0].name, "WWW.EXAMPLE");
  t.equal(r.p.answers![0].name, "WWW.EXAMPLE");
  zone.apply({
    add: [{ name: "www.example.", type: 1, ttl: 300, rdata: Buffer.from([192, 0, 2, 99]) }],
  });
  const after = ask(h, query({ name: "www.example" }))!;
  t.equal(after.p.answers!.length, 2, "a change is visible at once");
});

t.test("names outside every zone are REFUSED without AA", async (t) => {
  const { h } = setup();
  const r = ask(h, query({ name: "www.example.org" }))!;
  t.equal(r.p.rcode, "REFUSED");
  t.notOk(r.p.flag_aa);
});

t.test("EDNS: OPT echoed with our payload size and DO; BADVERS for version 1", async (t) => {
  const { h } = setup();
  const r = ask(h, query({ name: "www.example", edns: 4096, do: true }))!;
  const opt = r.p.additionals!.find((a) => a.type === "OPT") as unknown as {
    udpPayloadSize: number;
    flags: number;
  };
  t.equal(opt.udpPayloadSize, 1232);
  t.ok(opt.flags & packet.DNSSEC_OK, "DO echoed");
  const q = query({ name: "www.example", edns: 1232 });
  // OPT TTL: ext-rcode(8) version(8) — set version 1.
  q[q.length - 5] = 1;
  const b = h.handle(q, udp) as Buffer;
  t.equal(b[3] & 0xf, 0, "header rcode 0");
  t.equal(b[b.length - 6], 1, "extended rcode 1 → BADVERS (16)");
  t.equal(b.readUInt16BE(4), 1, "question echoed in BADVERS, as BIND does");
});

t.test(
  "truncation: TC over UDP at 512 bytes and at the EDNS size, whole answer over TCP",
  async (t) => {
    const { h } = setup();
    const small = ask(h, query({ name: "many.example" }))!;
    t.ok(small.p.flag_tc, "TC without EDNS");
    t.ok(small.raw.length <= 512);
    const e = ask(h, query({ name: "many.example", edns: 1232 }))!;
    t.notOk(e.p.flag_tc, "61 A records fit in 1232 bytes");
    t.equal(e.p.answers!.length, 61);
    const big = ask(h, query({ name: "big.example", type: "TXT" }))!;
    t.ok(big.p.flag_tc);
    t.equal(big.p.answers!.length, 0, "no partial RRset");
    const viaTcp = ask(h, query({ name: "big.example", type: "TXT" }), tcp)!;
    t.notOk(viaTcp.p.flag_tc);
    t.equal(viaTcp.p.answers!.length, 2);
    // A cached full answer must not be sent whole to a UDP client that cannot take it.
    const again = ask(h, query({ name: "big.example", type: "TXT" }))!;
    t.ok(again.p.flag_tc);
  },
);

t.test("malformed and unusual requests", async (t) => {
  const { h } = setup();
  t.equal(h.handle(Buffer.alloc(5), udp), null, "shorter than a header: dropped");
  const resp = query({ name: "www.example" });
  resp[2] |= 0x80;
  t.equal(h.handle(resp, udp), null, "responses are never answered");
  const garbage = Buffer.from(query({ name: "www.example" }));
  garbage[12] = 0xc0; // pointer into the header... then the rest is junk
  garbage[13] = 0x20;
  const fe = ask(h, garbage)!;
  t.equal(fe.p.rcode, "FORMERR");
  const two = query({ name: "www.example" });
  two[5] = 2;
  t.equal(ask(h, two)!.p.rcode, "FORMERR", "QDCOUNT 2");
  const trailing = Buffer.concat([query({ name: "www.example" }), Buffer.from([1, 2, 3])]);
  t.equal(ask(h, trailing)!.p.rcode, "FORMERR", "trailing bytes");
  const notify = query({ name: "example" });
  notify[2] = (notify[2] & 0x87) | (5 << 3); // UPDATE
  t.equal(ask(h, notify)!.p.rcode, "NOTIMP");
  t.equal(ask(h, query({ name: "www.example", class: "CH", type: "TXT" }))!.p.rcode, "REFUSED");
  t.equal(
    ask(h, query({ name: "www.example", class: "ANY" }))!.p.rcode,
    "NOERROR",
    "QCLASS ANY answered as IN",
  );
  t.equal(ask(h, query({ name: "example", type: "AXFR" }), tcp)!.p.rcode, "REFUSED");
  t.equal(ask(h, query({ name: "example", type: "OPT" }))!.p.rcode, "FORMERR");
  const maila = query({ name: "example" });
  maila.writeUInt16BE(254, maila.length - 4); // QTYPE MAILA, which dns-packet cannot name
  t.equal(ask(h, maila)!.p.rcode, "NOTIMP");
});

t.test("random bytes never throw out of the handler", async (t) => {
  const { h } = setup();
  let seed = 1;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const valid = query({ name: "www.example", edns: 1232 });
  let bad = 0;
  for (let i = 0; i < 20000; i++) {
    const m = Buffer.from(valid);
    const flips = 1 + (rnd() % 6);
    for (let f = 0; f < flips; f++) m[rnd() % m.length] = rnd() & 0xff;
    const cut = rnd() % 4 === 0 ? m.subarray(0, rnd() % m.length) : m;
    const out = h.handle(cut, udp) as Buffer | null;
    // Every answer is at least a header, fits UDP, and echoes the query id.
    if (
      out &&
      (out.length < 12 || out.length > 1232 || out.readUInt16BE(0) !== cut.readUInt16BE(0))
    )
      bad++;
  }
  t.equal(bad, 0, "20000 mutated messages: no throw, every response well formed");
});
