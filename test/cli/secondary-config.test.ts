/**
 * `secondary-config`: the snippet for each secondary, from a config file or a running server.
 * That BIND and Knot accept and work with these snippets is proven by the interop tests
 * (test/interop/notify.test.ts configures its secondaries with them); here: the contents, and
 * the command's choices and errors.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { parseCommandLine } from "../../src/cli/args.js";
import type { CliIO } from "../../src/cli/io.js";
import {
  algorithmName,
  secondaryConfig,
  secondaryConfigCommand,
} from "../../src/cli/secondary-config.js";
import { startPrimary } from "../../src/index.js";
import { TransferSettings } from "../../src/transfer/settings.js";

const FACTS = {
  zone: "example.com.",
  primary: { host: "127.0.0.1", port: 5300 },
  notifyFrom: "127.0.0.2",
  key: { name: "tsig.customer.cf.", algorithm: "hmac-sha512.", secret: "c2VjcmV0" },
  peerName: "bind",
};

t.test("algorithm names as secondaries spell them", async (t) => {
  t.equal(algorithmName("hmac-sha512."), "hmac-sha512");
  t.equal(algorithmName("HMAC-SHA256"), "hmac-sha256");
  t.equal(algorithmName("hmac-md5.sig-alg.reg.int."), "hmac-md5");
});

t.test(
  "each kind: key, zone as a secondary of our address and port, NOTIFY from our source",
  async (t) => {
    const bind = secondaryConfig("bind", FACTS);
    t.match(
      bind,
      /key "tsig\.customer\.cf\." \{\n {4}algorithm hmac-sha512;\n {4}secret "c2VjcmV0";\n\};/,
    );
    t.match(bind, /zone "example\.com" \{\n {4}type secondary;/);
    t.match(bind, /primaries \{ 127\.0\.0\.1 port 5300 key "tsig\.customer\.cf\."; \};/);
    t.match(bind, /allow-notify \{ 127\.0\.0\.2; \};/);
    const knot = secondaryConfig("knot", FACTS);
    t.match(
      knot,
      /key:\n {2}- id: tsig\.customer\.cf\.\n {4}algorithm: hmac-sha512\n {4}secret: c2VjcmV0/,
    );
    t.match(knot, /address: 127\.0\.0\.1@5300\n {4}key: tsig\.customer\.cf\./);
    t.match(knot, /address: 127\.0\.0\.2\n {4}key: tsig\.customer\.cf\.\n {4}action: notify/);
    t.match(knot, /domain: example\.com\n {4}master: dns-primary\n {4}acl: dns-primary-notify/);
    const nsd = secondaryConfig("nsd", FACTS);
    t.match(nsd, /request-xfr: 127\.0\.0\.1@5300 tsig\.customer\.cf\./);
    t.match(nsd, /allow-notify: 127\.0\.0\.2 tsig\.customer\.cf\./);
    const pdns = secondaryConfig("powerdns", FACTS);
    t.match(pdns, /pdnsutil create-secondary-zone example\.com 127\.0\.0\.1:5300/);
    t.match(pdns, /pdnsutil import-tsig-key tsig\.customer\.cf\. hmac-sha512 'c2VjcmV0'/);
    t.match(pdns, /allow-notify-from=127\.0\.0\.2/);
    // Without a TSIG: no key anywhere.
    const { key: _key, ...plain } = FACTS;
    for (const kind of ["bind", "knot", "nsd", "powerdns"] as const) {
      t.notMatch(secondaryConfig(kind, plain), /c2VjcmV0|tsig\.customer/, kind);
    }
    t.match(secondaryConfig("nsd", plain), /request-xfr: 127\.0\.0\.1@5300 NOKEY/);
  },
);

function io() {
  const out = { stdout: "", stderr: "" };
  const cli: CliIO = {
    stdout: (s: string) => {
      out.stdout += s;
    },
    stderr: (s: string) => {
      out.stderr += s;
    },
  } as CliIO;
  return { out, cli };
}

t.test("from a config file", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-secondary-config-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "c.yaml");
  writeFileSync(
    file,
    `tsigs:
  - { name: k1., algo: hmac-sha256, secret: "c2VjcmV0" }
peers:
  - { name: bind, ip: 127.0.0.1, port: 5301, tsig: k1. }
  - { name: knot, ip: 127.0.0.1, port: 5302, tsig: k1. }
zones:
  example.com:
    outgoing: { peers: [bind, knot], status: Enabled }
  one.example:
    outgoing: { peers: [bind], status: Enabled }
`,
  );
  const run = async (args: string[]) => {
    const { out, cli } = io();
    const cmd = parseCommandLine(["secondary-config", ...args]);
    if (cmd.kind !== "secondary-config") throw new Error("parsed as another command");
    const code = await secondaryConfigCommand(cmd, cli);
    return { code, ...out };
  };
  const one = await run([
    "--for",
    "bind",
    "--zone",
    "one.example",
    "--config",
    file,
    "--dns",
    "127.0.0.1:5300",
  ]);
  t.equal(one.code, 0);
  t.match(one.stdout, /primaries \{ 127\.0\.0\.1 port 5300 key "k1\."; \};/);
  t.match(
    one.stdout,
    /allow-notify \{ 127\.0\.0\.1; \};/,
    "NOTIFY from the DNS address by default",
  );
  const src = await run([
    "--for",
    "knot",
    "--zone",
    "example.com.",
    "--peer",
    "knot",
    "--config",
    file,
    "--dns",
    "127.0.0.1:5300",
    "--notify-source",
    "127.0.0.9:0",
  ]);
  t.equal(src.code, 0);
  t.match(src.stdout, /address: 127\.0\.0\.9\n/);
  t.match(src.stdout, /peer "knot"/);
  const several = await run(["--for", "bind", "--zone", "example.com", "--config", file]);
  t.equal(several.code, 1);
  t.match(several.stderr, /2 linked peers; say which with --peer \(bind, knot\)/);
  const unknown = await run([
    "--for",
    "bind",
    "--zone",
    "example.com",
    "--peer",
    "nsd",
    "--config",
    file,
  ]);
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /no peer named "nsd" is linked to example\.com/);
  const none = await run(["--for", "bind", "--zone", "other.example", "--config", file]);
  t.equal(none.code, 1);
  t.match(none.stderr, /other\.example has no outgoing transfers configured/);
});

t.test("usage errors", async (t) => {
  t.throws(() => parseCommandLine(["secondary-config", "--zone", "x"]), /--for/);
  t.throws(
    () => parseCommandLine(["secondary-config", "--for", "unbound", "--zone", "x"]),
    /not one of/,
  );
  t.throws(() => parseCommandLine(["secondary-config", "--for", "bind"]), /--zone/);
  t.throws(
    () =>
      parseCommandLine([
        "secondary-config",
        "--for",
        "bind",
        "--zone",
        "x",
        "--dns",
        "127.0.0.1:53",
      ]),
    /go with --config/,
  );
  t.throws(
    () => parseCommandLine(["secondary-config", "--for", "bind", "--zone", "x", "--watch"]),
    /option of serve/,
  );
  t.throws(() => parseCommandLine(["serve", "--peer", "x"]), /option of secondary-config/);
});

t.test("from a running server: its objects, its DNS address, its NOTIFY source", async (t) => {
  const transfers = new TransferSettings();
  const tsig = transfers.createTsig({ name: "live.", algo: "hmac-sha384", secret: "c2VjcmV0" });
  const peer = transfers.createPeer({
    name: "knot",
    ip: "127.0.0.1",
    port: 5302,
    tsig_id: tsig.id,
  });
  const primary = await startPrimary({
    zones: [
      { text: "$ORIGIN live.test.\n@ 300 SOA ns h 1 2 3 4 5\n@ 300 NS ns\nns 300 A 192.0.2.1\n" },
    ],
    dns: { host: "127.0.0.1", port: 0 },
    api: { host: "127.0.0.1", port: 0 },
    apiToken: "tok",
    transfers,
    notify: { source: { host: "127.0.0.3" } },
  });
  t.teardown(() => primary.close());
  transfers.createOutgoing("live.test.", { peers: [peer.id] });
  const run = async (args: string[]) => {
    const { out, cli } = io();
    const cmd = parseCommandLine(["secondary-config", ...args]);
    if (cmd.kind !== "secondary-config") throw new Error("parsed as another command");
    return { code: await secondaryConfigCommand(cmd, cli), ...out };
  };
  const api = `127.0.0.1:${primary.api?.port}`;
  const got = await run([
    "--for",
    "knot",
    "--zone",
    "live.test",
    "--api",
    api,
    "--api-token",
    "tok",
  ]);
  t.equal(got.code, 0, got.stderr);
  t.match(
    got.stdout,
    new RegExp(`address: 127\\.0\\.0\\.1@${primary.dns.tcp.port}\\n {4}key: live\\.`),
  );
  t.match(got.stdout, /algorithm: hmac-sha384/);
  t.match(got.stdout, /address: 127\.0\.0\.3\n/, "NOTIFY accepted from the server's NOTIFY source");
  const refused = await run([
    "--for",
    "knot",
    "--zone",
    "live.test",
    "--api",
    api,
    "--api-token",
    "bad",
  ]);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /Authentication error/);
  const unknown = await run([
    "--for",
    "bind",
    "--zone",
    "nope.test",
    "--api",
    api,
    "--api-token",
    "tok",
  ]);
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /nope\.test is not served there/);
  const down = await run([
    "--for",
    "bind",
    "--zone",
    "live.test",
    "--api",
    "127.0.0.1:9",
    "--api-token",
    "tok",
  ]);
  t.equal(down.code, 1);
  t.match(down.stderr, /cannot reach dns-primary at http:\/\/127\.0\.0\.1:9/);
});
