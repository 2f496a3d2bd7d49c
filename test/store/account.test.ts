// The account's DNS settings with a data dir: kept across a restart and winning over the
// config's, applied to zone files loaded at the next start, a zone that disagrees with the
// stored enforce_dns_only following it, and a damaged account file refused with its path.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { defaultAccountSettings } from "../../src/cloudflare/rules/account-settings.js";
import { type ServerOptions, startServer } from "../../src/primary.js";
import { writeAccountFile } from "../../src/store/files.js";
import { StoreError } from "../../src/store/store.js";
import { rdataToText } from "../../src/wire/rdata.js";
import { T } from "../../src/wire/types.js";
import { lookup } from "../../src/zone/lookup.js";

const zone = (origin: string) => `$ORIGIN ${origin}
$TTL 300
@ SOA ns hostmaster 100 3600 600 86400 60
@ NS ns
@ NS ns.other-provider.example.
ns A 192.0.2.53
www A 192.0.2.80
`;

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-account-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function setup(t: { teardown(fn: () => unknown): void }) {
  const zonesDir = tempDir(t);
  const dataDir = tempDir(t);
  writeFileSync(join(zonesDir, "a.test.zone"), zone("a.test."));
  const options: ServerOptions = {
    zonesDir,
    dataDir,
    dns: { host: "127.0.0.1", port: 0 },
    notify: false,
  };
  return { zonesDir, dataDir, options };
}

type Server = Awaited<ReturnType<typeof startServer>>;

function served(srv: Server, name: string, type: number): string[] {
  const a = lookup(srv.zoneSet, name, type);
  return (a?.answer ?? [])
    .filter((x) => x.set.type === type)
    .flatMap((x) => x.set.rdata.map((r) => rdataToText(type, Buffer.from(r, "latin1"))))
    .sort();
}

/** www.a.test made proxied, as the records API would (one commit). */
function proxyWww(srv: Server): void {
  const z = srv.zoneSet.get("a.test.")!;
  const www = z.storedSets("www.a.test.").find((s) => s.type === T.A)!;
  srv.cloudflare.commit(z, {
    remove: [{ name: "www.a.test.", type: T.A, rdata: www.at(0) }],
    add: [{ name: "www.a.test.", type: T.A, ttl: 300, rdata: www.at(0), meta: { proxied: true } }],
  });
}

t.test("stored account settings come back, and win over the config's", async (t) => {
  const { zonesDir, options } = setup(t);
  let srv = await startServer(options);
  proxyWww(srv);
  srv.cloudflare.editAccountSettings({
    enforce_dns_only: true,
    zone_defaults: { multi_provider: true },
  });
  t.same(served(srv, "www.a.test.", T.A), ["192.0.2.80"]);
  const serial = srv.zoneSet.get("a.test.")!.serial;
  await srv.close();

  // A new file while stopped: it loads with the stored zone defaults.
  writeFileSync(join(zonesDir, "b.test.zone"), zone("b.test."));
  srv = await startServer({
    ...options,
    accountDnsSettings: { enforce_dns_only: false, zone_defaults: { multi_provider: false } },
  });
  t.teardown(() => srv.close());
  const s = srv.cloudflare.accountSettings();
  t.equal(s.enforce_dns_only, true, "stored wins over the library's option");
  t.equal(s.zone_defaults.multi_provider, true);
  t.equal(srv.zoneSet.get("a.test.")!.serial, serial, "no new version at a restart");
  t.same(served(srv, "www.a.test.", T.A), ["192.0.2.80"], "still DNS-only");
  const b = srv.zoneSet.get("b.test.")!;
  t.equal(srv.cloudflare.dnsSettings(b).multi_provider, true, "the stored defaults");
  t.equal(srv.cloudflare.dnsSettings(b).soa.refresh, 3600, "the file's own SOA");
});

t.test("a zone stored before the account's enforce_dns_only changed follows it", async (t) => {
  const { dataDir, options } = setup(t);
  let srv = await startServer(options);
  proxyWww(srv);
  const anycast = served(srv, "www.a.test.", T.A);
  t.equal(anycast.length, 2);
  const serial = srv.zoneSet.get("a.test.")!.serial;
  await srv.close();
  // As after a crash between writing the account and the zones' commits.
  writeAccountFile(dataDir, { ...defaultAccountSettings(), enforce_dns_only: true });
  srv = await startServer(options);
  t.same(served(srv, "www.a.test.", T.A), ["192.0.2.80"]);
  t.equal(srv.zoneSet.get("a.test.")!.serial, serial + 1, "one change, for IXFR");
  await srv.close();
  // And that change was stored: no further one at the next start.
  srv = await startServer(options);
  t.teardown(() => srv.close());
  t.equal(srv.zoneSet.get("a.test.")!.serial, serial + 1);
  t.same(served(srv, "www.a.test.", T.A), ["192.0.2.80"]);
});

t.test("a damaged or invalid account file stops the start with its path", async (t) => {
  const { dataDir, options } = setup(t);
  writeFileSync(join(dataDir, "account"), "garbage\n");
  await t.rejects(startServer(options), StoreError);
  writeAccountFile(dataDir, { zone_defaults: { ns_ttl: 1 }, enforce_dns_only: false });
  await t.rejects(startServer(options), {
    name: "StoreError",
    message: /account: stored account settings are not valid: zone_defaults: ns_ttl/,
  });
});

t.test("a crash after an in-place enforcement and a later commit replays as it was", async (t) => {
  const { dataDir, options } = setup(t);
  const srv = await startServer(options);
  t.teardown(() => srv.close());
  // No proxied record yet: enforcement changes the zone in place, without a new serial.
  srv.cloudflare.editAccountSettings({ enforce_dns_only: true });
  const z = srv.zoneSet.get("a.test.")!;
  const serial = z.serial;
  proxyWww(srv);
  t.same(served(srv, "www.a.test.", T.A), ["192.0.2.80"], "proxied, served DNS-only");
  const journal = z.journal.changesets().map((c) => JSON.stringify(c));
  // A crash now: the data dir as it is on disk, no final snapshot.
  const copy = tempDir(t);
  cpSync(dataDir, copy, { recursive: true });
  rmSync(join(copy, "lock"), { force: true });
  const again = await startServer({ ...options, dataDir: copy });
  t.teardown(() => again.close());
  const z2 = again.zoneSet.get("a.test.")!;
  t.equal(z2.serial, serial + 1, "the one commit, no extra change");
  t.same(served(again, "www.a.test.", T.A), ["192.0.2.80"]);
  t.same(
    z2.journal.changesets().map((c) => JSON.stringify(c)),
    journal,
    "the journal is what secondaries were given",
  );
});
