/**
 * Interop: the account's DNS settings as real BIND secondaries see them.
 *
 * - `enforce_dns_only` turned on: the zone gets a new serial, BIND follows by IXFR (from
 *   dns-primary's log) and then answers the proxied name with its origin address, its own
 *   copy (read back by AXFR) holding no anycast address; turned off: the anycast pair again,
 *   by IXFR again.
 * - `zone_defaults.multi_provider` on: a zone created afterwards transfers the user's apex
 *   NS records to a second BIND without any call to its own DNS settings.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import t, { type Test } from "tap";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { startServer } from "../../src/primary.js";
import { rdataFromText } from "../../src/wire/rdata.js";
import { T } from "../../src/wire/types.js";
import { query } from "../peers/client.js";
import {
  captureLog,
  type LogCapture,
  type Secondary,
  type SecondaryKey,
  startBindSecondary,
} from "../peers/secondary.js";
import { makeTempDir, removeTempDir } from "../peers/tools.js";
import { rrText } from "../peers/wire.js";

const ORIGIN = "acct.example.";
const SERIAL0 = 100;

const ZONE = `$ORIGIN ${ORIGIN}
$TTL 300
@ SOA ns1 hostmaster ${SERIAL0} 3600 600 86400 60
@ NS ns1
ns1 A 192.0.2.53
shop A 192.0.2.10
`;

/** The A records a server answers for `name`, as sorted text. */
async function addresses(s: { host: string; port: number }, name: string): Promise<string[]> {
  const r = await query(s, name, "A");
  return r.parsed.answer
    .filter((a) => a.type === T.A)
    .map((a) => rrText(a).split(" ").at(-1)!)
    .sort();
}

/** What the secondary's copy holds at `name` for `type`, read back by AXFR. */
async function copyAt(s: Secondary, name: string, type: string): Promise<string[]> {
  return (await s.axfr())
    .map(rrText)
    .filter((l) => l.startsWith(`${name} `) && l.split(" ")[3] === type)
    .map((l) => l.split(" ").slice(4).join(" "))
    .sort();
}

function xfrsSince(log: LogCapture, mark: number) {
  return log.lines.slice(mark).filter((l) => l.component === "xfr" && typeof l.type === "string");
}

async function follow(
  t: Test,
  s: Secondary,
  log: LogCapture,
  from: number,
  to: number,
  what: string,
): Promise<void> {
  const mark = log.lines.length;
  await s.refresh();
  await s.waitForSerial(to, 15000);
  t.match(
    xfrsSince(log, mark),
    [{ type: "IXFR", outcome: "finished", from, serial: to }],
    `${what}: BIND followed by IXFR from ${from} to ${to}`,
  );
}

t.test("account DNS settings with real BIND secondaries", async (t) => {
  const dir = makeTempDir("dns-primary-acct-");
  t.teardown(() => removeTempDir(dir));
  writeFileSync(path.join(dir, "acct.example.zone"), ZONE);
  const key: SecondaryKey = {
    name: "acct-key.",
    algorithm: "hmac-sha256",
    secret: randomBytes(32).toString("base64"),
  };
  const settings = new TransferSettings();
  const tsig = settings.createTsig({ name: key.name, algo: key.algorithm, secret: key.secret });
  const peer = settings.createPeer({ name: "bind", ip: "127.0.0.1", port: 53, tsig_id: tsig.id });
  settings.createOutgoing(ORIGIN, { peers: [peer.id], status: "Enabled" });
  const log = captureLog();
  const primary = await startServer({
    zonesDir: dir,
    dns: { host: "127.0.0.1", port: 0 },
    transfers: settings,
    logger: log.logger,
    notify: false,
  });
  t.teardown(() => primary.close());
  const server = { host: "127.0.0.1", port: primary.dns.tcp.port };

  // shop made proxied, as the records API does (one change: serial 101).
  const zone = primary.zoneSet.get(ORIGIN)!;
  const origin = rdataFromText(T.A, [{ text: "192.0.2.10", quoted: false }], ORIGIN);
  primary.cloudflare.commit(zone, {
    remove: [{ name: `shop.${ORIGIN}`, type: T.A, rdata: origin }],
    add: [{ name: `shop.${ORIGIN}`, type: T.A, ttl: 300, rdata: origin, meta: { proxied: true } }],
  });
  const anycast = await addresses(server, `shop.${ORIGIN}`);
  t.equal(anycast.length, 2, "proxied: dns-primary answers the anycast pair");

  const bind = await startBindSecondary({ origin: ORIGIN, primary: server, key });
  t.teardown(() => bind.stop());
  await bind.waitForSerial(SERIAL0 + 1, 15000);
  t.same(await addresses(bind, `shop.${ORIGIN}`), anycast, "BIND serves the anycast pair");

  primary.cloudflare.editAccountSettings({ enforce_dns_only: true });
  t.equal(zone.serial, SERIAL0 + 2, "enforce_dns_only: a new serial");
  await follow(t, bind, log, SERIAL0 + 1, SERIAL0 + 2, "enforce_dns_only on");
  t.same(await addresses(bind, `shop.${ORIGIN}`), ["192.0.2.10"], "BIND serves the origin");
  t.same(await copyAt(bind, `shop.${ORIGIN}`, "A"), ["192.0.2.10"], "BIND's copy: no anycast");

  primary.cloudflare.editAccountSettings({ enforce_dns_only: false });
  await follow(t, bind, log, SERIAL0 + 2, SERIAL0 + 3, "enforce_dns_only off");
  t.same(await addresses(bind, `shop.${ORIGIN}`), anycast, "BIND serves the anycast pair again");

  // Zone defaults: multi-provider on for zones created from now on.
  primary.cloudflare.editAccountSettings({ zone_defaults: { multi_provider: true } });
  const made = primary.cloudflare.create("made.example.");
  const other = rdataFromText(T.NS, [{ text: "ns1.other-provider.example.", quoted: false }], ".");
  primary.cloudflare.commit(made, {
    add: [{ name: "made.example.", type: T.NS, ttl: 300, rdata: other }],
  });
  settings.createOutgoing("made.example.", { peers: [peer.id], status: "Enabled" });
  const second = await startBindSecondary({ origin: "made.example.", primary: server, key });
  t.teardown(() => second.stop());
  await second.waitForSerial(made.serial, 15000);
  const ns = await copyAt(second, "made.example.", "NS");
  t.ok(ns.includes("ns1.other-provider.example."), "the user's apex NS is transferred", { ns });
  t.same(
    ns.filter((n) => n !== "ns1.other-provider.example."),
    primary.cloudflare.profile(made).nameservers.sort(),
    "beside the assigned nameservers",
  );
});
