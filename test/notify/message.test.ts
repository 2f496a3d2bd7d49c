import * as packet from "dns-packet";
import t from "tap";
import { notifyRequest, rcodeName, readNotifyResponse } from "../../src/notify/message.js";
import { FLAG, OPCODE, parseQuery } from "../../src/wire/message.js";
import { readTsig, signRequest, verifyRequest } from "../../src/wire/tsig.js";
import { T } from "../../src/wire/types.js";
import { answer, KEY, soa } from "./helpers.js";

t.test("a NOTIFY request: opcode 4, AA, question zone SOA IN, the SOA in the answer", async (t) => {
  const msg = notifyRequest("Example.COM.", soa(2026010101, 3600), 0xbeef);
  const flags = msg.readUInt16BE(2);
  t.equal((flags >> 11) & 0xf, OPCODE.NOTIFY);
  t.equal(flags & FLAG.AA, FLAG.AA, "AA set (RFC 1996 §3.7)");
  t.equal(
    flags & (FLAG.QR | FLAG.RD | FLAG.TC | FLAG.RA | 0xf),
    0,
    "QR, RD, TC, RA and RCODE clear",
  );
  t.equal(msg.readUInt16BE(0), 0xbeef);

  const d = packet.decode(msg);
  t.same(d.questions, [{ name: "Example.COM", type: "SOA", class: "IN" }]);
  t.equal(d.answers?.length, 1);
  const a = d.answers![0] as packet.StringAnswer & { data: packet.SoaData; ttl: number };
  t.equal(a.type, "SOA");
  t.equal(a.name, "Example.COM");
  t.equal(a.ttl, 3600);
  // Compression matches names case-insensitively (as BIND does): the case may follow the owner.
  t.equal(a.data.mname.toLowerCase(), "ns1.example.com");
  t.equal(a.data.rname.toLowerCase(), "dns.example.com");
  t.match(a.data, {
    serial: 2026010101,
    refresh: 10000,
    retry: 2400,
    expire: 604800,
    minimum: 1800,
  });
  t.equal(d.authorities?.length, 0);
  t.equal(d.additionals?.length, 0);

  // The project's own parser takes it as a well-formed message.
  const q = parseQuery(msg);
  t.match(q, { qname: "Example.COM.", qtype: T.SOA, qclass: 1, ancount: 1, opcode: 4 });
  // The answer's owner is a pointer to the question (names compressed).
  t.ok(msg.length < 12 + 13 + 4 + 13 + 10 + 22 + 17 + 20, "compressed");
});

t.test("without an SOA the answer section is empty", async (t) => {
  const msg = notifyRequest("example.com.", null, 1);
  t.equal(msg.readUInt16BE(6), 0);
  t.same(packet.decode(msg).answers, []);
});

t.test("a signed NOTIFY verifies with the receiver's verifyRequest", async (t) => {
  const now = 1_767_225_600;
  const { message, mac } = signRequest(notifyRequest("example.com.", soa(7), 42), KEY, now);
  const tsig = readTsig(message);
  t.ok(tsig);
  t.equal(message.readUInt16BE(10), 1, "ARCOUNT 1");
  const v = verifyRequest(
    message,
    tsig!,
    (name, alg) => (name === KEY.name && alg === KEY.algorithm ? KEY : undefined),
    now,
  );
  t.equal(v.ok, true);
  t.same(tsig!.mac, mac);
  // Tampered with: BADSIG.
  const bad = Buffer.from(message);
  bad[bad.length - 10] ^= 1; // inside the MAC
  const w = verifyRequest(bad, readTsig(bad)!, () => KEY, now);
  t.match(w, { ok: false, error: "BADSIG" });
});

t.test("readNotifyResponse reads the header and the question", async (t) => {
  const req = notifyRequest("example.com.", soa(7), 0x1234);
  const r = readNotifyResponse(answer(req, { rcode: 5 }));
  t.same(r, {
    id: 0x1234,
    qr: true,
    opcode: 4,
    rcode: 5,
    question: { name: "example.com.", type: T.SOA, class: 1 },
  });
  const noq = answer(req);
  noq.writeUInt16BE(0, 4);
  t.same(readNotifyResponse(noq.subarray(0, 12)), { id: 0x1234, qr: true, opcode: 4, rcode: 0 });
});

t.test("readNotifyResponse never throws on garbage", async (t) => {
  t.equal(readNotifyResponse(Buffer.alloc(0)), undefined);
  t.equal(readNotifyResponse(Buffer.alloc(11)), undefined);
  const req = notifyRequest("example.com.", null, 9);
  t.equal(readNotifyResponse(req.subarray(0, 20)), undefined, "name cut short");
  t.equal(readNotifyResponse(req.subarray(0, req.length - 2)), undefined, "no room for class");
  const loop = Buffer.from([0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 6, 0, 1]);
  t.equal(readNotifyResponse(loop), undefined, "pointer loop");
  for (let i = 0; i < 200; i++) {
    const junk = Buffer.from(
      Array.from({ length: (i % 40) + 12 }, (_, j) => (i * 31 + j * 7) & 0xff),
    );
    t.doesNotThrow(() => readNotifyResponse(junk));
  }
});

t.test("rcode names", async (t) => {
  t.equal(rcodeName(0), "NOERROR");
  t.equal(rcodeName(4), "NOTIMP");
  t.equal(rcodeName(5), "REFUSED");
  t.equal(rcodeName(9), "NOTAUTH");
  t.equal(rcodeName(13), "RCODE13");
});
