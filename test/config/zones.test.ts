/**
 * The config's zones against the zones served at start (issue 12): a zone nothing serves
 * stops the start with the file, the line of its key and the closest served name;
 * `create: true` creates it as POST /zones does, with the config's DNS settings, and its
 * outgoing configuration works: a real BIND secondary transfers it with the config's TSIG.
 */

import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import type { CliIO } from "../../src/cli/io.js";
import { run } from "../../src/cli/run.js";
import { ConfigError, configFromObject, loadConfig, parseConfig } from "../../src/config/load.js";
import { startPrimary } from "../../src/library.js";
import { query } from "../peers/client.js";
import { axfrMessages, startBindSecondary } from "../peers/secondary.js";
import { requireTool } from "../peers/tools.js";
import { TYPE } from "../peers/wire.js";

const SECRET = randomBytes(32).toString("base64");

const ZONE = `$ORIGIN example.com.
$TTL 300
@    IN SOA ns1 hostmaster 2024060101 7200 3600 1209600 300
@    IN NS  ns1
ns1  IN A   192.0.2.1
`;

/** A zones folder serving example.com. */
function zonesDir(t: Test): string {
  const dir = t.testdir({ "example.com.zone": ZONE });
  return dir;
}

/** The ConfigError a start rejects with. */
async function startError(t: Test, start: () => Promise<unknown>): Promise<ConfigError> {
  try {
    const p = (await start()) as { close(): Promise<void> };
    await p.close();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  t.fail("expected the start to reject with a ConfigError");
  return new ConfigError("none", [{ path: "", reason: "none" }]);
}

t.test(
  "a zone nothing serves stops the start: file, line of its key, the closest name",
  async (t) => {
    const dir = zonesDir(t);
    const config = parseConfig(
      `peers:
  - { name: p, ip: 127.0.0.1 }
zones:
  exmaple.com:
    outgoing: { peers: [p], status: Enabled }
  example.com:
  elsewhere.example:
    dns_settings: { multi_provider: true }
`,
      "dns-primary.yaml",
    );
    const err = await startError(t, () => startPrimary({ zonesDir: dir, config, notify: false }));
    t.same(err.lines(), [
      'dns-primary.yaml:4: zones["exmaple.com"]: zone exmaple.com is not served (did you mean "example.com"?)',
      'dns-primary.yaml:7: zones["elsewhere.example"]: zone elsewhere.example is not served: add its zone file, or "create: true" to create it at start (as POST /zones does)',
    ]);
    t.equal(err.file, "dns-primary.yaml");
    t.equal(err.message, err.lines().join("\n"), "each zone on its own line");

    // With the typo fixed the same start succeeds (nothing was left behind by the failed one).
    const fixed = parseConfig(
      "peers:\n  - { name: p, ip: 127.0.0.1 }\nzones:\n  example.com:\n    outgoing: { peers: [p], status: Enabled }\n",
      "dns-primary.yaml",
    );
    const primary = await startPrimary({ zonesDir: dir, config: fixed, notify: false });
    t.teardown(() => primary.close());
    t.match(primary.transfers.outgoing("example.com"), { status: "Enabled" });
  },
);

t.test(
  "served means served by anything: zone files, the library's zones, case and dot aside",
  async (t) => {
    const config = configFromObject(
      {
        zones: {
          "EXAMPLE.COM.": { dns_settings: { ns_ttl: 600 } },
          "inline.example": { outgoing: { status: "Enabled" } },
          "sub.example.com": { outgoing: { status: "Enabled" } },
        },
      },
      "startPrimary({ config })",
    );
    // A zone under a served one is still not served: it needs a zone of its own.
    const err = await startError(t, () =>
      startPrimary({
        zonesDir: zonesDir(t),
        zones: [{ origin: "inline.example", records: [] }],
        config,
        notify: false,
      }),
    );
    t.same(err.lines(), [
      'startPrimary({ config }): zones["sub.example.com"]: zone sub.example.com is not served: add its zone file, or "create: true" to create it at start (as POST /zones does)',
    ]);

    const ok = configFromObject(
      {
        zones: {
          "EXAMPLE.COM.": { dns_settings: { ns_ttl: 600 } },
          "inline.example": { outgoing: { status: "Enabled" } },
        },
      },
      "startPrimary({ config })",
    );
    const primary = await startPrimary({
      zonesDir: zonesDir(t),
      zones: [{ origin: "inline.example", records: [] }],
      config: ok,
      notify: false,
    });
    t.teardown(() => primary.close());
    t.equal(primary.settings("example.com").get().ns_ttl, 600, "the config's dns_settings apply");
    t.match(primary.transfers.outgoing("inline.example"), { status: "Enabled" });
  },
);

t.test("config and transfers are two stores: giving both is refused", async (t) => {
  const config = configFromObject({}, "opts");
  await t.rejects(
    startPrimary({ config, transfers: config.settings }),
    new TypeError("startPrimary: give config or transfers, not both (each is a store)"),
  );
});

t.test("create: true is checked as POST /zones checks a name", async (t) => {
  let err: ConfigError | undefined;
  try {
    parseConfig("zones:\n  example.com:\n  localhost:\n    create: true\n", "dns-primary.yaml");
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err = e;
  }
  t.same(err?.lines(), [
    "dns-primary.yaml:4: zones.localhost.create: cannot create localhost: localhost is not a valid zone name (a domain such as example.com)",
  ]);
});

t.test(
  "create: true on a zone a file serves changes nothing: the file's zone is served",
  async (t) => {
    const config = parseConfig("zones:\n  example.com:\n    create: true\n", "c.yaml");
    const primary = await startPrimary({ zonesDir: zonesDir(t), config, notify: false });
    t.teardown(() => primary.close());
    t.equal(primary.serial("example.com"), 2024060101);
    t.same(
      primary.zones.map((z) => z.origin),
      ["example.com."],
    );
  },
);

t.test(
  "create: true, end to end: the zone is created with the config's settings and BIND transfers it with the config's TSIG",
  async (t) => {
    if (!requireTool(t, "named")) return;
    const config = parseConfig(
      `tsigs:
  - { name: lab-key., algo: hmac-sha256, secret: "${SECRET}" }
peers:
  - { name: bind, ip: 127.0.0.1, tsig: lab-key. }
zones:
  example.com:
  new.example:
    create: true
    outgoing: { peers: [bind], status: Enabled }
    dns_settings: { ns_ttl: 600 }
`,
      "dns-primary.yaml",
    );
    const primary = await startPrimary({ zonesDir: zonesDir(t), config, notify: false });
    t.teardown(() => primary.close());
    const server = { host: "127.0.0.1", port: primary.dns.udp.port };

    // The zone exists as POST /zones makes one: the SOA and Cloudflare's nameservers.
    const info = primary.zone("new.example");
    t.ok(info, "new.example is served");
    t.same(
      primary.zones.map((z) => z.origin),
      ["example.com.", "new.example."],
      "and counted in the start summary",
    );
    t.equal(info?.name_servers.length, 2);
    t.match(info?.name_servers[0], /\.ns\.cloudflare\.com$/);
    const ns = await query(server, "new.example.", "NS");
    t.equal(ns.parsed.rcode, 0);
    t.same(
      ns.parsed.answer.map((rr) => rr.ttl),
      [600, 600],
      "created with the config's dns_settings (ns_ttl), not changed afterwards",
    );
    t.equal(primary.settings("new.example").get().ns_ttl, 600);
    t.match(primary.transfers.outgoing("new.example"), { status: "Enabled" });

    // The outgoing configuration is in force: unsigned, the transfer is refused...
    await t.rejects(axfrMessages(server, "new.example."), /REFUSED/);
    // ... and BIND, holding the config's TSIG, copies the zone.
    const bind = await startBindSecondary({
      origin: "new.example.",
      primary: server,
      key: { name: "lab-key.", algorithm: "hmac-sha256", secret: SECRET },
    });
    t.teardown(() => bind.stop());
    const first = primary.serial("new.example");
    await bind.waitForSerial(first);
    t.equal(await bind.serial(), first, "BIND serves the created zone's serial");

    const transferred = primary.waitFor(
      "transfer",
      (e) =>
        e.zone === "new.example." &&
        e.peerName === "bind" &&
        e.key === "lab-key." &&
        e.serial === first + 1,
    );
    primary.records("new.example").create({ name: "www", type: "A", content: "192.0.2.80" });
    await bind.refresh();
    await transferred;
    await bind.waitForSerial(first + 1);
    t.equal(await bind.serial(), first + 1, "BIND serves the next serial");
    const www = await query({ host: bind.host, port: bind.port }, "www.new.example.", "A");
    t.same(
      www.parsed.answer.filter((rr) => rr.type === TYPE.A).map((rr) => rr.rdataText),
      ["192.0.2.80"],
      "BIND serves the record added through the library",
    );
  },
);

t.test("with a data dir, a created zone is kept as an API-created zone", async (t) => {
  const dataDir = t.testdir({});
  const dir = zonesDir(t);
  const file = join(t.testdir({}), "c.yaml");
  writeFileSync(
    file,
    "zones:\n  new.example:\n    create: true\n    outgoing: { status: Enabled }\n",
  );
  // Every start: the zones folder, the file as it is now, the same data dir.
  const start = () =>
    startPrimary({ zonesDir: dir, config: loadConfig(file), dataDir, notify: false });
  const one = await start();
  one.records("new.example").create({ name: "www", type: "A", content: "192.0.2.80" });
  const serial = one.serial("new.example");
  await one.close();

  // Started again with the same file: the stored zone, its record and serial; not a new one.
  const two = await start();
  t.teardown(() => two.close());
  t.equal(two.serial("new.example"), serial);
  t.same(
    two
      .records("new.example")
      .list({ type: "A" })
      .map((r) => r.content),
    ["192.0.2.80"],
  );
  await two.close();

  // A failed start releases the data dir: the next one can open it.
  writeFileSync(file, "zones:\n  nothere.example:\n");
  await startError(t, start);
  writeFileSync(file, "zones:\n  new.example:\n");
  const three = await start();
  t.teardown(() => three.close());
  t.equal(three.serial("new.example"), serial, "served from the data dir, create: true or not");
});

t.test(
  "secondary-config --config serves nothing: zones no file serves are not its concern",
  async (t) => {
    const file = join(t.testdir({}), "c.yaml");
    writeFileSync(
      file,
      `tsigs:
  - { name: lab-key., algo: hmac-sha256, secret: "${SECRET}" }
peers:
  - { name: bind, ip: 127.0.0.1, tsig: lab-key. }
zones:
  exmaple.com:
    outgoing: { peers: [bind], status: Enabled }
  new.example:
    create: true
    outgoing: { peers: [bind], status: Enabled }
`,
    );
    for (const zone of ["exmaple.com", "new.example"]) {
      const out: string[] = [];
      const err: string[] = [];
      const io: CliIO = {
        stdout: (s) => void out.push(s),
        stderr: (s) => void err.push(s),
        waitForStop: () => new Promise(() => {}),
      };
      const args = ["secondary-config", "--for", "bind", "--zone", zone, "--config", file];
      t.equal(await run([...args, "--dns", "127.0.0.1:5300"], io), 0, err.join(""));
      t.match(out.join(""), new RegExp(`zone "${zone.replace(".", "\\.")}"`));
      t.match(out.join(""), /key "lab-key\."/);
    }
  },
);
