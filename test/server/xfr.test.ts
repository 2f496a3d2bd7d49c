import packet from "dns-packet";
import t from "tap";
import {
  axfrMessages,
  collect,
  ixfrMessages,
  singleSoaMessage,
  type XfrStats,
} from "../../src/server/xfr.js";
import { T } from "../../src/wire/types.js";
import { zoneFromText } from "../../src/zone/load.js";

const N = 3000;
const ZONE = `$ORIGIN example.
$TTL 300
@ SOA ns hostmaster 10 3600 600 86400 60
@ NS ns
ns A 192.0.2.53
$GENERATE 1-${N} host$ AAAA 2001:db8::\${0,0,x}
`;

const req = (qtype: number) => ({
  id: 77,
  flags: 0,
  qname: "Example.",
  qtype,
  qclass: 1,
  edns: false,
});
interface Decoded {
  id: number;
  flag_aa: boolean;
  questions?: Array<{ name: string }>;
  answers: Array<{ name: string; type: string; data: unknown }>;
}
const decode = (m: Buffer) => packet.decode(m) as unknown as Decoded;

t.test(
  "AXFR: SOA first and last, every record once, compressed messages under 16 KiB",
  async (t) => {
    const { zone } = zoneFromText(ZONE, { file: "inline" });
    const stats: XfrStats = { records: 0, messages: 0, bytes: 0 };
    const msgs = await collect(axfrMessages(req(T.AXFR), zone.apex, zone.snapshot(), stats));
    const all = msgs.flatMap((m) => decode(m).answers);
    t.equal(all[0].type, "SOA");
    t.equal(all[all.length - 1].type, "SOA");
    t.equal(all.length, N + 2 + 2, "SOA twice, NS, ns A, the generated records");
    t.equal(stats.records, all.length);
    t.equal(stats.messages, msgs.length);
    t.ok(msgs.length > 1, `${msgs.length} messages`);
    t.ok(
      msgs.every((m) => m.length <= 16 * 1024),
      "each message within 16 KiB",
    );
    // Uncompressed, "hostNNNN.example." + header + AAAA is 44 octets; compressed about 37.
    t.ok(
      stats.bytes / all.length < 40,
      `compression: ${(stats.bytes / all.length).toFixed(1)} bytes per record`,
    );
    t.equal(decode(msgs[0]).questions?.length, 1, "question in the first message");
    t.equal(decode(msgs[1]).questions?.length, 0, "not in the others");
    t.ok(msgs.every((m) => decode(m).id === 77 && decode(m).flag_aa));
  },
);

t.test("AXFR sends the version it started with, even if the zone changes meanwhile", async (t) => {
  const { zone } = zoneFromText(ZONE, { file: "inline" });
  const it = axfrMessages(req(T.AXFR), zone.apex, zone.snapshot(), {
    records: 0,
    messages: 0,
    bytes: 0,
  });
  const first = await it.next();
  zone.commit({
    add: [{ name: "late.example.", type: T.A, ttl: 300, rdata: Buffer.from([1, 1, 1, 1]) }],
  });
  const rest = await collect({ [Symbol.asyncIterator]: () => it });
  const all = [first.value as Buffer, ...rest].flatMap((m) => decode(m).answers);
  t.notOk(
    all.some((r) => r.name === "late.example"),
    "the later record is not in this transfer",
  );
  const soas = all
    .filter((r) => r.type === "SOA")
    .map((r) => (r.data as { serial: number }).serial);
  t.same(soas, [10, 10], "one serial throughout");
});

t.test("IXFR: incremental answer in RFC 1995 shape; single SOA", async (t) => {
  const { zone } = zoneFromText(ZONE, { file: "inline" });
  zone.commit({
    add: [{ name: "new.example.", type: T.A, ttl: 300, rdata: Buffer.from([1, 2, 3, 4]) }],
  });
  const host1 = Buffer.alloc(16);
  host1.writeUInt16BE(0x2001, 0);
  host1.writeUInt16BE(0x0db8, 2);
  host1[15] = 1;
  zone.commit({ remove: [{ name: "host1.example.", type: T.AAAA, rdata: host1 }] });
  const soa = zone.apex.get(T.SOA)!;
  const current = { name: zone.apex.name, type: T.SOA, ttl: soa.ttl, rdata: soa.at(0) };
  const stats: XfrStats = { records: 0, messages: 0, bytes: 0 };
  const msgs = await collect(ixfrMessages(req(T.IXFR), current, zone.journal.since(10)!, stats));
  const seq = msgs
    .flatMap((m) => decode(m).answers)
    .map((r) =>
      r.type === "SOA"
        ? `SOA ${(r.data as { serial: number }).serial}`
        : `${r.type} ${r.name.toLowerCase()} ${r.data}`,
    );
  t.same(seq, [
    "SOA 12",
    "SOA 10",
    "SOA 11",
    "A new.example 1.2.3.4",
    "SOA 11",
    "AAAA host1.example 2001:db8::1",
    "SOA 12",
    "SOA 12",
  ]);
  const one = decode(singleSoaMessage(req(T.IXFR), current));
  t.same(
    one.answers.map((r) => r.type),
    ["SOA"],
  );
});
