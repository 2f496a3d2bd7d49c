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
import { rcodeText } from "../peers/wire.js";

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
});
