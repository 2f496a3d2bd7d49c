/**
 * Tests of the interop harness itself (test/peers/): its own DNS codec, the query-list
 * parser, the comparison, the dig/kdig output parser, and that a peer stops cleanly.
 */
import t from "tap";
import { startBind } from "../peers/bind.js";
import { query } from "../peers/client.js";
import { compareMessages, parseQueryFile } from "../peers/diff.js";
import { parseDigOutput } from "../peers/dig.js";
import { findTool, freePort, requireTool } from "../peers/tools.js";
import { encodeQuery, nameToWire, parseMessage, readName, rrText } from "../peers/wire.js";

t.test("names: escapes survive encoding and decoding, pointers are followed", async (t) => {
  const w = nameToWire("a\\.b.Sp\\032ace.example.");
  t.same([...w.subarray(0, 4)], [3, 0x61, 0x2e, 0x62]);
  t.equal(readName(w, 0).name, "a\\.b.Sp\\032ace.example.");
  t.same(nameToWire("."), Buffer.from([0]));
  const msg = Buffer.from([7, ...Buffer.from("example"), 0, 3, ...Buffer.from("www"), 0xc0, 0]);
  t.same(readName(msg, 9), { name: "www.example.", next: 15 });
  t.throws(() => readName(Buffer.from([0xc0, 0]), 0), /loop/);
});

t.test("encodeQuery: header bits, class, OPT", async (t) => {
  const q = parseMessage(
    encodeQuery("WWW.example.", 28, { id: 7, rd: true, qclass: 3, edns: 4096 }),
  );
  t.match(q, { id: 7, qr: false, rd: true, opcode: 0, rcode: 0 });
  t.same(q.question, [{ name: "WWW.example.", type: 28, class: 3 }]);
  t.match(q.opt, { udpSize: 4096, version: 0, dnssecOk: false });
  const plain = parseMessage(encodeQuery("x.", 1, { edns: null }));
  t.equal(plain.opt, null);
  t.equal(plain.rd, false, "RD off by default");
});

t.test("parseMessage: rdata names are decompressed and lowercased for comparison", async (t) => {
  // Response: question example. MX; answer example. MX 10 MAIL.<pointer to example.>
  const header = Buffer.from([0, 1, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0]);
  const qname = Buffer.from([7, ...Buffer.from("example"), 0]);
  const question = Buffer.concat([qname, Buffer.from([0, 15, 0, 1])]);
  const rdata = Buffer.from([0, 10, 4, ...Buffer.from("MAIL"), 0xc0, 12]);
  const rr = Buffer.concat([
    Buffer.from([0xc0, 12, 0, 15, 0, 1, 0, 0, 0x0e, 0x10, 0, rdata.length]),
    rdata,
  ]);
  const m = parseMessage(Buffer.concat([header, question, rr]));
  t.match(m, { qr: true, aa: true, tc: false });
  t.equal(rrText(m.answer[0]), "example. 3600 IN MX 10 mail.example.");
});

t.test("query list: defaults and comma expansion", async (t) => {
  const qs = parseQueryFile(
    "# comment\nwww.example. a\nbig.example. A edns=none,4096 proto=udp,tcp # four\n",
  );
  t.equal(qs.length, 5);
  t.match(qs[0], { qname: "www.example.", qtype: 1, qclass: 1, tcp: false, edns: 1232, rd: false });
  t.same(
    qs.slice(1).map((q) => [q.tcp, q.edns]),
    [
      [false, null],
      [false, 4096],
      [true, null],
      [true, 4096],
    ],
  );
  t.throws(() => parseQueryFile("x. A bogus=1"), /unknown option/);
});

t.test("compareMessages: sorted RRsets, owners case-folded, question bytes exact", async (t) => {
  const q = parseQueryFile("www.example. A")[0];
  const mk = (owner: string, qname = "www.example.") => {
    const msg = encodeQuery(qname, 1, { id: 1, edns: null });
    msg.writeUInt16BE(0x8400, 2);
    msg.writeUInt16BE(1, 6);
    const rr = Buffer.concat([
      nameToWire(owner),
      Buffer.from([0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]),
    ]);
    return parseMessage(Buffer.concat([msg, rr]));
  };
  t.same(compareMessages(q, "A", mk("www.example."), "B", mk("WWW.Example.")), []);
  const d = compareMessages(q, "A", mk("www.example."), "B", mk("www.example.", "WWW.example."));
  t.match(d, [/^question/]);
  const e = compareMessages(q, "A", mk("www.example."), "B", mk("ww.example."));
  t.same(e, [
    "answer: only A: www.example. 60 IN A 192.0.2.1",
    "answer: only B: ww.example. 60 IN A 192.0.2.1",
  ]);
});

t.test("parseDigOutput reads dig and kdig formats", async (t) => {
  const digOut = `
;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 49779
;; flags: qr aa tc; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;nothere.example.		IN	A

;; AUTHORITY SECTION:
example.		5	IN	SOA	ns1.example. host.example. 1 2 3 4 5

;; SERVER: 127.0.0.1#15353(127.0.0.1) (UDP)
`;
  t.match(parseDigOutput(digOut), {
    status: "NXDOMAIN",
    flags: ["qr", "aa", "tc"],
    ednsUdp: 1232,
    authority: [
      { name: "example.", ttl: 5, type: "SOA", data: "ns1.example. host.example. 1 2 3 4 5" },
    ],
    transport: "UDP",
  });
  const kdigOut = `;; ->>HEADER<<- opcode: QUERY; status: NOERROR; id: 26220
;; Flags: qr aa rd; QUERY: 1; ANSWER: 1; AUTHORITY: 0; ADDITIONAL: 1

;; EDNS PSEUDOSECTION:
;; Version: 0; flags: ; UDP size: 1232 B; ext-rcode: NOERROR

;; ANSWER SECTION:
example.            	300	IN	NS	ns1.example.

;; From 127.0.0.1@15353(TCP) in 0.2 ms
`;
  t.match(parseDigOutput(kdigOut), {
    status: "NOERROR",
    flags: ["qr", "aa", "rd"],
    ednsUdp: 1232,
    answer: [{ name: "example.", type: "NS", data: "ns1.example." }],
    transport: "TCP",
  });
});

t.test("freePort and findTool", async (t) => {
  const p = await freePort();
  t.ok(p > 1024 && p < 65536);
  t.equal(findTool("surely-not-a-dns-tool"), null);
});

t.test("startBind answers, then stop() leaves no process behind", async (t) => {
  if (!requireTool(t, "named")) return;
  const zone = "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n";
  const bind = await startBind({ zones: [{ origin: "harness.test.", text: zone }] });
  const r = await query(bind, "ns.harness.test.", "A");
  t.equal(r.parsed.answer[0]?.rdataText, "192.0.2.1");
  t.ok(r.decoded, "dns-packet decodes it too");
  await bind.stop();
  t.throws(() => process.kill(bind.pid, 0), { code: "ESRCH" }, "named is gone");
});
