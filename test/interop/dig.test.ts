/**
 * Integration: dns-primary on 127.0.0.1 port 0 serving a temp zones folder, queried with the
 * real dig (BIND) and kdig (Knot) over UDP and TCP, with and without EDNS and RD. Assertions
 * are on the tools' parsed output, i.e. on what an operator would see.
 *
 * INTEROP_TARGET=bind runs the same assertions against BIND (a check of the test itself).
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import t, { type Test } from "tap";
import { startBind } from "../peers/bind.js";
import { type DigResult, dig, kdig, parseDigOutput } from "../peers/dig.js";
import { loadStartPrimary, startPrimaryPeer } from "../peers/primary.js";
import { makeTempDir, type PeerServer, removeTempDir, requireTool } from "../peers/tools.js";

const ORIGIN = "dig.test.";
const BIG = Array.from({ length: 40 }, (_, i) => `big A 198.51.100.${i + 1}`).join("\n");
const ZONE = `$ORIGIN ${ORIGIN}
$TTL 300
@     SOA   ns1 hostmaster 2024030301 3600 600 86400 60
@     NS    ns1
@     MX    10 mail
ns1   A     192.0.2.53
mail  A     192.0.2.25
www   A     192.0.2.10
www   A     192.0.2.11
www   AAAA  2001:db8::10
txt   TXT   "hello world" "second string"
; 40 A records: about 680 bytes, more than fits in 512
${BIG}
`;

const target = process.env.INTEROP_TARGET === "bind" ? "bind" : "dns-primary";

async function startTarget(t: Test): Promise<PeerServer | null> {
  const dir = makeTempDir("dns-primary-dig-");
  t.teardown(() => removeTempDir(dir));
  writeFileSync(path.join(dir, "dig.test.zone"), ZONE);
  if (target === "bind") {
    if (!requireTool(t, "named")) return null;
    return startBind({ zones: [{ origin: ORIGIN, file: path.join(dir, "dig.test.zone") }] });
  }
  const { start, reason } = await loadStartPrimary();
  if (!start) {
    t.pass(reason, { skip: reason });
    return null;
  }
  return startPrimaryPeer(start, dir);
}

/** `@host -p port` for UDP, or the TCP port when the server has a separate one. */
function at(s: PeerServer, tcp = false): string[] {
  return [`@${s.host}`, "-p", String(tcp ? (s.tcpPort ?? s.port) : s.port)];
}

function hasFlag(r: DigResult, f: string): boolean {
  return r.flags.includes(f);
}

t.test(`dig and kdig against ${target}`, async (t) => {
  if (!requireTool(t, "dig") || !requireTool(t, "kdig")) return;
  const s = await startTarget(t);
  if (!s) return;
  t.teardown(() => s.stop());
  const D = async (...args: string[]) => {
    const tcp = args.includes("+tcp") || args.includes("+vc");
    return parseDigOutput(await dig([...at(s, tcp), ...args]));
  };
  const K = async (...args: string[]) => {
    const tcp = args.includes("+tcp");
    return parseDigOutput(await kdig([...at(s, tcp), ...args]));
  };

  t.test("dig SOA over UDP, +norec: authoritative answer without RD", async (t) => {
    const r = await D(ORIGIN, "SOA", "+norec");
    t.equal(r.status, "NOERROR");
    t.ok(hasFlag(r, "qr") && hasFlag(r, "aa"), `flags ${r.flags}`);
    t.notOk(hasFlag(r, "rd"), "RD not set when not asked");
    t.notOk(hasFlag(r, "ra"), "no recursion available");
    t.equal(r.answer.length, 1);
    t.match(r.answer[0], { name: ORIGIN, type: "SOA", ttl: 300 });
    t.match(
      r.answer[0].data,
      /^ns1\.dig\.test\. hostmaster\.dig\.test\. 2024030301 3600 600 86400 60$/,
    );
    t.equal(r.transport, "UDP");
    t.ok(r.ednsUdp, "OPT echoed to dig's EDNS query");
  });

  t.test("dig with RD set (dig's default): RD copied, RA clear", async (t) => {
    const r = await D(`www.${ORIGIN}`, "A");
    t.equal(r.status, "NOERROR");
    t.ok(hasFlag(r, "rd") && hasFlag(r, "aa"), `flags ${r.flags}`);
    t.notOk(hasFlag(r, "ra"));
    t.same(r.answer.map((x) => x.data).sort(), ["192.0.2.10", "192.0.2.11"]);
  });

  t.test("dig +tcp: the same answer over TCP", async (t) => {
    const r = await D(`www.${ORIGIN}`, "AAAA", "+tcp", "+norec");
    t.equal(r.transport, "TCP");
    t.equal(r.status, "NOERROR");
    t.ok(hasFlag(r, "aa"));
    t.same(
      r.answer.map((x) => [x.name, x.type, x.data]),
      [[`www.${ORIGIN}`, "AAAA", "2001:db8::10"]],
    );
  });

  t.test("dig: NXDOMAIN and NODATA carry the SOA, REFUSED outside the zones", async (t) => {
    const nx = await D(`nothere.${ORIGIN}`, "A", "+norec");
    t.equal(nx.status, "NXDOMAIN");
    t.ok(hasFlag(nx, "aa"));
    t.equal(nx.answer.length, 0);
    t.match(nx.authority, [{ name: ORIGIN, type: "SOA", ttl: 60 }], "SOA TTL = min(TTL, MINIMUM)");
    const nodata = await D(`www.${ORIGIN}`, "MX", "+norec");
    t.equal(nodata.status, "NOERROR");
    t.equal(nodata.answer.length, 0);
    t.match(nodata.authority, [{ name: ORIGIN, type: "SOA" }]);
    const refused = await D("www.example.org.", "A", "+norec");
    t.equal(refused.status, "REFUSED");
    t.notOk(hasFlag(refused, "aa"));
  });

  t.test("dig: TXT with several strings, MX", async (t) => {
    const txt = await D(`txt.${ORIGIN}`, "TXT", "+norec");
    t.same(
      txt.answer.map((x) => x.data),
      ['"hello world" "second string"'],
    );
    const mx = await D(ORIGIN, "MX", "+norec");
    t.same(
      mx.answer.map((x) => x.data),
      [`10 mail.${ORIGIN}`],
    );
  });

  t.test("dig: question case is echoed, lookup is case-insensitive", async (t) => {
    const r = await D("WwW.DiG.TeSt.", "A", "+norec");
    t.equal(r.status, "NOERROR");
    t.equal(r.answer.length, 2);
    t.match(r.stdout, /^;WwW\.DiG\.TeSt\.\s+IN\s+A$/m, "question section keeps the case");
  });

  t.test("dig +bufsize: TC when the answer does not fit the advertised size", async (t) => {
    const small = await D(`big.${ORIGIN}`, "A", "+norec", "+bufsize=512", "+ignore");
    t.equal(small.status, "NOERROR");
    t.ok(hasFlag(small, "tc"), `TC at 512 (flags ${small.flags})`);
    t.ok(small.answer.length < 40, "not the whole RRset");
    const large = await D(`big.${ORIGIN}`, "A", "+norec", "+bufsize=4096");
    t.notOk(hasFlag(large, "tc"));
    t.equal(large.answer.length, 40);
    t.equal(large.transport, "UDP");
  });

  t.test("dig +noedns: no OPT in the answer, TC above 512, dig retries over TCP", async (t) => {
    const plain = await D(`www.${ORIGIN}`, "A", "+norec", "+noedns");
    t.equal(plain.ednsUdp, null, "no OPT to a query without one");
    t.equal(plain.answer.length, 2);
    const tc = await D(`big.${ORIGIN}`, "A", "+norec", "+noedns", "+ignore");
    t.ok(hasFlag(tc, "tc"));
    t.equal(tc.ednsUdp, null);
    const retried = await D(`big.${ORIGIN}`, "A", "+norec", "+noedns");
    t.match(retried.stdout, /Truncated, retrying in TCP mode/);
    t.equal(retried.transport, "TCP");
    t.equal(retried.answer.length, 40);
    t.notOk(hasFlag(retried, "tc"));
  });

  t.test("kdig over UDP and TCP", async (t) => {
    const udp = await K(ORIGIN, "SOA", "+norec");
    t.equal(udp.status, "NOERROR");
    t.ok(hasFlag(udp, "aa"));
    t.notOk(hasFlag(udp, "rd"));
    t.equal(udp.answer.length, 1);
    t.equal(udp.answer[0].type, "SOA");
    t.equal(udp.transport, "UDP");
    t.equal(udp.ednsUdp, null, "kdig sends no EDNS unless asked, so none comes back");
    const tcp = await K(`www.${ORIGIN}`, "A", "+tcp");
    t.equal(tcp.transport, "TCP");
    t.ok(hasFlag(tcp, "rd"), "RD copied from kdig's default query");
    t.same(tcp.answer.map((x) => x.data).sort(), ["192.0.2.10", "192.0.2.11"]);
  });

  t.test("kdig +bufsize and +noedns", async (t) => {
    const e = await K(`www.${ORIGIN}`, "A", "+bufsize=1232", "+norec");
    t.ok(e.ednsUdp, "OPT echoed");
    const tc = await K(`big.${ORIGIN}`, "A", "+bufsize=512", "+norec", "+ignore");
    t.ok(hasFlag(tc, "tc"), `flags ${tc.flags}`);
    const fits = await K(`big.${ORIGIN}`, "A", "+bufsize=4096", "+norec");
    t.notOk(hasFlag(fits, "tc"));
    t.equal(fits.answer.length, 40);
    const noedns = await K(`big.${ORIGIN}`, "A", "+noedns", "+norec", "+ignore");
    t.ok(hasFlag(noedns, "tc"));
    t.equal(noedns.ednsUdp, null);
    const nx = await K(`nothere.${ORIGIN}`, "TXT", "+tcp", "+norec");
    t.equal(nx.status, "NXDOMAIN");
    t.match(nx.authority, [{ type: "SOA" }]);
  });
});
