/**
 * Signed answers in the answer cache (query-steps.ts cacheKey): an answer to a query with DO
 * is kept for the hour its signatures were made in, and the next hour gets new signatures;
 * an answer without DO is not the signed one; a change of keys empties the cache.
 */

import packet from "dns-packet";
import t from "tap";
import { zoneId } from "../../src/cloudflare/transfer/settings.js";
import type { RequestContext } from "../../src/server/handler.js";
import { createQueryHandler } from "../../src/server/query.js";
import { call, lab } from "../api/fixture.js";

const udp: RequestContext = {
  transport: "udp",
  remoteAddress: "127.0.0.1",
  remotePort: 5353,
  localAddress: "127.0.0.1",
  localPort: 53,
};

function query(name: string, type: string, dnssecOk: boolean, id = 1): Buffer {
  return packet.encode({
    id,
    type: "query",
    flags: 0,
    questions: [{ name, type: type as packet.RecordType, class: "IN" }],
    additionals: [
      {
        type: "OPT",
        name: ".",
        udpPayloadSize: 1232,
        flags: dnssecOk ? packet.DNSSEC_OK : 0,
      } as unknown as packet.Answer,
    ],
  });
}

/** The inception of each RRSIG of the answer and authority sections (RFC 4034 §3.1.5). */
function inceptions(raw: Buffer): number[] {
  const p = packet.decode(raw) as unknown as {
    answers: packet.Answer[];
    authorities: packet.Answer[];
  };
  return [...p.answers, ...p.authorities]
    .filter((r) => r.type === "RRSIG")
    .map((r) => (r as unknown as { data: { inception: number } }).data.inception);
}

t.test("a signed answer is cached for its hour only", async (t) => {
  const l = lab(t);
  await call(l.app, "PATCH", `/zones/${zoneId("example.com.")}/dnssec`, { status: "active" });
  const h = createQueryHandler(l.zones.set);
  const ask = (name: string, type: string, dnssecOk: boolean, id = 1) =>
    h.handle(query(name, type, dnssecOk, id), udp) as Buffer;
  const realNow = Date.now;
  t.teardown(() => {
    Date.now = realNow;
  });
  const hour = Math.floor(realNow() / 3_600_000) * 3600;
  Date.now = () => hour * 1000 + 60_000;

  for (const [name, type] of [
    ["www.example.com", "A"],
    ["nope.example.com", "A"],
    ["example.com", "DNSKEY"],
  ]) {
    const first = ask(name, type, true, 1);
    const again = ask(name, type, true, 2);
    t.same(again.subarray(2), first.subarray(2), `${name} ${type}: the same answer again`);
    t.equal(again.readUInt16BE(0), 2, "with the query's id");
    t.ok(inceptions(first).length > 0, "signed");
    t.ok(
      inceptions(first).every((i) => i === hour - 3600),
      "valid from the hour before this one",
    );
    t.same(inceptions(ask(name, type, false)), [], "without DO: no signature");
  }

  // Two hours on: the cached answer of the earlier hour is not served.
  Date.now = () => (hour + 7200) * 1000 + 60_000;
  const later = ask("www.example.com", "A", true, 3);
  t.ok(
    inceptions(later).every((i) => i === hour + 3600),
    "signed again in the new hour",
  );
});
