/**
 * DNSSEC served live, checked by BIND's validating `delv` with the zone's KSK as its only trust
 * anchor (the KSK the API gives): a positive answer, NODATA, a name that does not exist (a
 * compact denial: NOERROR and an NSEC with NXNAME), a wildcard, a CNAME, the DNSKEY RRset, a
 * proxied name, a flattened apex and an unsigned delegation (no DS). Then the CO flag
 * (RFC 9824 §4) keeps NXDOMAIN; a query without DO gets no signature; and the keys survive
 * a restart from the data dir, so one trust anchor keeps validating.
 */

import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import t, { type Test } from "tap";
import { startServer } from "../../src/primary.js";
import { rdataFromText } from "../../src/wire/rdata.js";
import { T } from "../../src/wire/types.js";
import { query } from "../peers/client.js";
import { makeTempDir, removeTempDir, requireTool } from "../peers/tools.js";
import { rcodeText, rrText } from "../peers/wire.js";

const run = promisify(execFile);
const ORIGIN = "signed.example.";
const ZONE = `$ORIGIN ${ORIGIN}
$TTL 300
@       SOA ns1 hostmaster 1 3600 600 86400 60
@       NS  ns1
@       CNAME www
ns1     A   192.0.2.53
www     A   192.0.2.80
*.wild  TXT "wildcard"
alias   CNAME www
sub     NS  ns.sub
ns.sub  A   192.0.2.99
shop    A   192.0.2.10
tosub   CNAME host.sub
child   NS  ns1
tochild CNAME x.child
tochildnx CNAME nope.child
`;

/** A child zone served here too, unsigned: its data must never carry the parent's signature. */
const CHILD = `$ORIGIN child.${ORIGIN}
$TTL 300
@       SOA ns1.${ORIGIN} hostmaster 1 3600 600 86400 60
@       NS  ns1.${ORIGIN}
x       A   192.0.2.7
`;

async function validated(
  t: Test,
  delv: string,
  anchors: string,
  port: number,
  name: string,
  type: string,
): Promise<string> {
  const args = ["@127.0.0.1", "-p", String(port), "-a", anchors, `+root=${ORIGIN}`, name, type];
  const { stdout, stderr } = await run(delv, args, { timeout: 10000 }).catch(
    (e: { stdout: string; stderr: string }) => e,
  );
  return `${stdout}${stderr}`;
}

/** The RDATA of a record the test codec printed in RFC 3597 form (`\\# N hex`), as hex. */
function rdataHex(line: string): string {
  return /\\# \d+ ([0-9a-f]*)$/.exec(line)?.[1] ?? "";
}

/** Whether an NSEC (in RFC 3597 form) lists `type` in its bitmap (RFC 4034 §4.1.2). */
function nsecHasType(line: string, type: number): boolean {
  const b = Buffer.from(rdataHex(line), "hex");
  let p = 0;
  while (b[p] !== 0) p += b[p] + 1; // the next name, uncompressed
  for (p++; p + 2 <= b.length; ) {
    const window = b[p];
    const len = b[p + 1];
    if (window === type >> 8) {
      const i = (type & 0xff) >> 3;
      return i < len && (b[p + 2 + i] & (0x80 >> (type & 7))) !== 0;
    }
    p += 2 + len;
  }
  return false;
}

t.test("delv validates what dns-primary signs live", async (t) => {
  const delv = requireTool(t, "delv");
  if (delv === undefined) return;
  const dir = makeTempDir("dns-primary-dnssec-");
  t.teardown(() => removeTempDir(dir));
  const zones = path.join(dir, "zones");
  const data = path.join(dir, "data");
  const { mkdirSync } = await import("node:fs");
  mkdirSync(zones);
  writeFileSync(path.join(zones, "signed.example.zone"), ZONE);
  writeFileSync(path.join(zones, "child.signed.example.zone"), CHILD);
  const options = {
    zonesDir: zones,
    dataDir: data,
    dns: { host: "127.0.0.1", port: 0 },
    notify: false as const,
  };
  let primary = await startServer(options);
  const zone = primary.zoneSet.get(ORIGIN)!;
  // shop made proxied, as the records API does.
  const shop = rdataFromText(T.A, [{ text: "192.0.2.10", quoted: false }], ORIGIN);
  primary.cloudflare.commit(zone, {
    remove: [{ name: `shop.${ORIGIN}`, type: T.A, rdata: shop }],
    add: [{ name: `shop.${ORIGIN}`, type: T.A, ttl: 300, rdata: shop, meta: { proxied: true } }],
  });
  const serial = zone.serial;
  const on = primary.cloudflare.editDnssec(zone, { status: "active" }, () => new Date());
  t.equal(on.status, "active");
  t.equal(zone.serial, serial + 1, "turning DNSSEC on is one change (the DNSKEY at the apex)");
  const anchors = path.join(dir, "anchors.conf");
  writeFileSync(anchors, `trust-anchors { ${ORIGIN} static-key 257 3 13 "${on.public_key}"; };\n`);

  const cases: Array<[string, string, RegExp]> = [
    [`www.${ORIGIN}`, "A", /; fully validated\n.*192\.0\.2\.80/],
    [`www.${ORIGIN}`, "AAAA", /; negative response, fully validated/],
    [`nope.${ORIGIN}`, "A", /; negative response, fully validated/],
    [`host.wild.${ORIGIN}`, "TXT", /; fully validated\n.*"wildcard"/],
    [`alias.${ORIGIN}`, "A", /; fully validated\n.*CNAME/],
    [ORIGIN, "DNSKEY", /; fully validated\n.*DNSKEY\s+25[67] 3 13/],
    [`shop.${ORIGIN}`, "A", /; fully validated\n.*IN\s+A\s+(104|172)\./],
    [ORIGIN, "A", /; fully validated\n.*192\.0\.2\.80/],
    [`sub.${ORIGIN}`, "DS", /; negative response, fully validated/],
    [`host.wild.${ORIGIN}`, "A", /; negative response, fully validated/],
  ];
  const check = async (what: string) => {
    for (const [name, type, want] of cases) {
      const out = await validated(t, delv, anchors, primary.dns.udp.port, name, type);
      t.match(out, want, `${what}: ${name} ${type}`, { out });
    }
  };
  await check("signed live");

  const port = () => ({ host: "127.0.0.1", port: primary.dns.udp.port });
  const compact = await query(port(), `nope.${ORIGIN}`, "A", { dnssecOk: true });
  t.equal(rcodeText(compact.parsed.rcode), "NOERROR", "a compact denial says NOERROR");
  const nsec = compact.parsed.authority.find((r) => r.type === T.NSEC);
  t.ok(nsec, "with an NSEC at the name");
  const co = await query(port(), `nope.${ORIGIN}`, "A", { dnssecOk: true, compactOk: true });
  t.equal(rcodeText(co.parsed.rcode), "NXDOMAIN", "with CO, NXDOMAIN stays");
  // The wildcard's NODATA lists the wildcard's types, so no cache concludes TXT is absent.
  const wildNodata = await query(port(), `host.wild.${ORIGIN}`, "A", { dnssecOk: true });
  const bitmap = wildNodata.parsed.authority.find((r) => r.type === T.NSEC);
  t.ok(bitmap && nsecHasType(rrText(bitmap), T.TXT), "a wildcard's NODATA names its types");
  // Another zone's data, here a child zone served beside it, is not signed with this zone's key.
  const child = await query(port(), `tochild.${ORIGIN}`, "A", { dnssecOk: true });
  const sigs = child.parsed.answer.filter((r) => r.type === T.RRSIG).map(rrText);
  t.equal(sigs.length, 1, "only the CNAME, which is this zone's, is signed");
  t.equal(rdataHex(sigs[0]).slice(0, 4), "0005", "the RRSIG covers the CNAME");
  const childNx = await query(port(), `tochildnx.${ORIGIN}`, "A", { dnssecOk: true });
  t.equal(rcodeText(childNx.parsed.rcode), "NXDOMAIN", "the child's NXDOMAIN is its own");
  t.notOk(
    childNx.parsed.authority.some((r) => r.type === T.NSEC),
    "no denial made for it",
  );
  // A CNAME into a delegation: the delegation's NS are not signed.
  const tosub = await query(port(), `tosub.${ORIGIN}`, "A", { dnssecOk: true });
  t.notOk(
    tosub.parsed.authority.some((r) => r.type === T.RRSIG && /RRSIG NS /.test(rrText(r))),
    "no RRSIG over a delegation's NS",
  );
  // A name near the longest: the next name of its denial still fits in a name.
  // 254 octets in wire form: `\000.` before it would make 256.
  const long = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(45)}.${ORIGIN}`;
  const longNx = await query(port(), long, "A", { dnssecOk: true });
  t.ok(
    longNx.parsed.authority.some((r) => r.type === T.NSEC),
    "a denial for a long name parses",
  );
  // RFC 9824 §3.5: NXNAME asked for is a format error.
  const nxname = await query(port(), `www.${ORIGIN}`, 128, { dnssecOk: true });
  t.equal(rcodeText(nxname.parsed.rcode), "FORMERR");
  const plain = await query(port(), `www.${ORIGIN}`, "A");
  t.notOk(
    plain.parsed.answer.some((r) => r.type === T.RRSIG),
    "without DO, no signature",
  );

  // The keys are kept: the same trust anchor validates after a restart.
  await primary.close();
  primary = await startServer(options);
  t.teardown(() => primary.close());
  t.equal(primary.cloudflare.dnssec(primary.zoneSet.get(ORIGIN)!).key_tag, on.key_tag);
  await check("after a restart");

  // Off and on again: new keys, and no signature made with the old ones is ever served.
  const z2 = primary.zoneSet.get(ORIGIN)!;
  await validated(t, delv, anchors, primary.dns.udp.port, `www.${ORIGIN}`, "A");
  primary.cloudflare.editDnssec(z2, undefined, () => new Date(), true);
  const again = primary.cloudflare.editDnssec(z2, { status: "active" }, () => new Date());
  t.not(again.key_tag, on.key_tag, "new keys");
  writeFileSync(
    anchors,
    `trust-anchors { ${ORIGIN} static-key 257 3 13 "${again.public_key}"; };\n`,
  );
  await check("with new keys");
});
