/**
 * `secondary-config`: the snippet for each secondary, from a config file or a running server.
 * That BIND, Knot, NSD and PowerDNS accept and work with these snippets is proven by the
 * interop tests (test/interop/notify.test.ts configures its secondaries with them,
 * test/interop/secondary-config.test.ts runs each server from `--standalone`); here: the
 * files `--standalone` writes, and the command's choices and errors (the text itself:
 * test/secondaries/config.test.ts).
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { parseCommandLine } from "../../src/cli/args.js";
import type { CliIO } from "../../src/cli/io.js";
import {
  defaultListen,
  secondaryConfigCommand,
  standaloneText,
  writeStandalone,
} from "../../src/cli/secondary-config.js";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { startPrimary } from "../../src/index.js";
import { SECONDARY_KINDS, secondaryConfig } from "../../src/secondaries/config.js";

const FACTS = {
  zone: "example.com.",
  primary: { host: "127.0.0.1", port: 5300 },
  notifyFrom: "127.0.0.2",
  key: { name: "tsig.customer.cf.", algorithm: "hmac-sha512.", secret: "c2VjcmV0" },
  peerName: "bind",
};

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

/** A config file in a temp folder removed after the test. */
function configFile(t: Test, yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-secondary-config-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "c.yaml");
  writeFileSync(file, yaml);
  return file;
}

t.test("from a config file", async (t) => {
  const file = configFile(
    t,
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
  const run = cli;
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
  const run = cli;
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
    new RegExp(
      `address: 127\\.0\\.0\\.1@${primary.dns.tcp.port}\\n {4}via: 127\\.0\\.0\\.1\\n {4}key: live\\.`,
    ),
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
  t.match(
    refused.stderr,
    /^dns-primary: http:\/\/127\.0\.0\.1:\d+: the server refused the API token \(HTTP 403, code 10000\); give the one it was started with as --api-token TOKEN or DNS_PRIMARY_API_TOKEN\n$/,
  );
  const tokenless = await run(["--for", "knot", "--zone", "live.test", "--api", api]);
  t.equal(tokenless.code, 1);
  t.match(tokenless.stderr, /the server wants an API token; give [^\n]*--api-token TOKEN/);
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

/** A config file with two peers on their own loopback addresses, both linked to the zone. */
const twoPeers = (t: Test) =>
  configFile(
    t,
    `tsigs:
  - { name: k1., algo: hmac-sha256, secret: "c2VjcmV0" }
peers:
  - { name: bind, ip: 127.0.0.2, port: 5302, tsig: k1. }
  - { name: knot, ip: 127.0.0.3, tsig: k1. }
  - { name: v6, ip: "::1", port: 5306, tsig: k1. }
  - { name: anywhere, tsig: k1. }
zones:
  example.com:
    outgoing: { peers: [bind, knot], status: Enabled }
  six.example:
    outgoing: { peers: [v6], status: Enabled }
  nowhere.example:
    outgoing: { peers: [anywhere], status: Enabled }
`,
  );

/** `dns-primary secondary-config ARGS`: its exit code and output. */
async function cli(args: string[]) {
  const { out, cli } = io();
  const cmd = parseCommandLine(["secondary-config", ...args]);
  if (cmd.kind !== "secondary-config") throw new Error("parsed as another command");
  return { code: await secondaryConfigCommand(cmd, cli), ...out };
}

t.test(
  "the source: each snippet sends its SOA queries and transfers from its peer's ip",
  async (t) => {
    const file = twoPeers(t);
    const source: Record<(typeof SECONDARY_KINDS)[number], (ip: string) => RegExp> = {
      bind: (ip) => new RegExp(`\\n {4}transfer-source ${ip.replaceAll(".", "\\.")};\\n`),
      knot: (ip) =>
        new RegExp(`address: 127\\.0\\.0\\.1@5300\\n {4}via: ${ip.replaceAll(".", "\\.")}\\n`),
      nsd: (ip) => new RegExp(`\\n {4}outgoing-interface: ${ip.replaceAll(".", "\\.")}\\n`),
      powerdns: (ip) => new RegExp(`\\n#   query-local-address=${ip.replaceAll(".", "\\.")}\\n`),
    };
    for (const kind of SECONDARY_KINDS) {
      for (const [peer, own, other] of [
        ["bind", "127.0.0.2", "127.0.0.3"],
        ["knot", "127.0.0.3", "127.0.0.2"],
      ]) {
        const r = await cli([
          "--for",
          kind,
          "--zone",
          "example.com",
          "--peer",
          peer,
          "--config",
          file,
        ]);
        t.equal(r.code, 0, r.stderr);
        t.match(r.stdout, source[kind](own), `${kind} for peer ${peer}: from ${own}`);
        t.notMatch(
          r.stdout,
          other.replaceAll(".", "\\."),
          `${kind} for peer ${peer}: not ${other}`,
        );
      }
    }
    // IPv6: the -v6 spelling where there is one, and PowerDNS's bracketed address.
    const six = (kind: (typeof SECONDARY_KINDS)[number]) =>
      cli(["--for", kind, "--zone", "six.example", "--config", file, "--dns", "[::1]:5300"]);
    t.match(
      (await six("bind")).stdout,
      /primaries \{ ::1 port 5300 key "k1\."; \};\n {4}transfer-source-v6 ::1;/,
    );
    t.match((await six("knot")).stdout, /address: ::1@5300\n {4}via: ::1\n/);
    t.match(
      (await six("nsd")).stdout,
      /request-xfr: ::1@5300 k1\.\n.*\n {4}outgoing-interface: ::1\n/,
    );
    const pdns6 = (await six("powerdns")).stdout;
    t.match(pdns6, /query-local-address=::1\n/);
    t.match(
      pdns6,
      /pdnsutil create-secondary-zone six\.example '\[::1\]:5300'\n/,
      "quoted for the shell",
    );
    // A peer of the other family cannot be the source: said, exit code 1.
    const mixed = await cli(["--for", "bind", "--zone", "six.example", "--config", file]);
    t.equal(mixed.code, 1);
    t.match(
      mixed.stderr,
      /peer "v6" has ip ::1 \(IPv6\) but dns-primary answers DNS at 127\.0\.0\.1 \(IPv4\)/,
    );
    // A peer without an ip: no source line.
    for (const kind of SECONDARY_KINDS) {
      const r = await cli(["--for", kind, "--zone", "nowhere.example", "--config", file]);
      t.equal(r.code, 0);
      t.notMatch(r.stdout, /transfer-source|via:|outgoing-interface|query-local-address/, kind);
    }
  },
);

t.test("--standalone: a complete configuration, every path inside DIR", async (t) => {
  const root = mkdtempSync(join(tmpdir(), "dns-primary-standalone-"));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const facts = { ...FACTS, source: "127.0.0.3", notifyFrom: "127.0.0.1" };
  const { key: _key, ...unsigned } = facts;
  const listen = { host: "127.0.0.3", port: 5303 };
  const main = { bind: "named.conf", knot: "knot.conf", nsd: "nsd.conf", powerdns: "pdns.conf" };
  for (const kind of SECONDARY_KINDS) {
    const dir = join(root, kind);
    // PowerDNS with a TSIG runs pdnsutil (the interop test does); here the files alone.
    const f = kind === "powerdns" ? unsigned : facts;
    const s = writeStandalone(kind, f, dir, listen);
    t.equal(s.dir, dir);
    const text = s.files.map((n) => readFileSync(join(dir, n), "utf8")).join("\n");
    t.ok(existsSync(join(dir, main[kind])), `${kind}: ${main[kind]}`);
    const paths = [...text.matchAll(/(?<![\w@.])\/[^\s";]+/g)].map((m) => m[0].replace(/\.$/, ""));
    t.ok(paths.length > 0, `${kind}: paths written`);
    t.same(
      paths.filter((p) => !p.startsWith(`${dir}/`) && p !== dir),
      [],
      `${kind}: every path inside DIR`,
    );
    t.notMatch(text, /\/run\/|\/var\/|\/etc\//, `${kind}: no system path`);
    // The snippet, verbatim (PowerDNS: its settings): one generator for both.
    if (kind === "powerdns") {
      for (const line of [
        "secondary=yes",
        "allow-notify-from=127.0.0.1",
        "query-local-address=127.0.0.3",
      ])
        t.match(text, `\n${line}\n`, `powerdns: ${line}`);
      t.match(text, "local-address=127.0.0.3:5303\n");
      t.match(text, `socket-dir=${dir}\n`);
      t.match(text, /\nsetuid=\nsetgid=\n/, "powerdns: keeps the invoking user");
      t.match(
        text,
        /type slave;\n {4}masters \{ 127\.0\.0\.1:5300; \};/,
        "the bind backend's zone",
      );
      t.same(s.start.slice(1), [`--config-dir=${dir}`]);
    } else {
      t.ok(text.includes(secondaryConfig(kind, f)), `${kind}: the snippet, verbatim`);
    }
    const run = s.start.map((w) => w.replace(/^.*\//, ""));
    t.same(
      run,
      {
        bind: ["named", "-g", "-c", "named.conf"],
        knot: ["knotd", "-c", "knot.conf"],
        nsd: ["nsd", "-d", "-c", "nsd.conf"],
        powerdns: ["pdns_server", `--config-dir=${dir}`.replace(/^.*\//, "")],
      }[kind],
      `${kind}: started by ${s.start.join(" ")}`,
    );
    t.same(s.check, ["dig", "@127.0.0.3", "-p", "5303", "example.com", "SOA", "+norec"]);
  }
  const bind = readFileSync(join(root, "bind", "named.conf"), "utf8");
  t.match(
    bind,
    /listen-on port 5303 \{ 127\.0\.0\.3; \};\n {4}listen-on-v6 \{ none; \};/,
    "no IPv6 port 53",
  );
  t.match(bind, /\ncontrols \{ \};\n/, "no rndc channel");
  t.match(bind, /\n {4}notify no;\n/);
  const knot = readFileSync(join(root, "knot", "knot.conf"), "utf8");
  t.match(knot, /listen: 127\.0\.0\.3@5303\n/);
  t.match(knot, /database:\n {4}storage: "[^"]+"\n/, "Knot's databases inside DIR");
  const nsd = readFileSync(join(root, "nsd", "nsd.conf"), "utf8");
  t.match(nsd, /ip-address: 127\.0\.0\.3@5303\n {4}port: 5303\n {4}username: ""\n {4}chroot: ""\n/);
  t.match(nsd, /database: ""\n/);
  t.match(nsd, /control-enable: no/);
  // IPv6 listening.
  const b6 = writeStandalone(
    "bind",
    { ...unsigned, primary: { host: "::1", port: 5300 }, source: "::1" },
    join(root, "b6"),
    { host: "::1", port: 5301 },
  );
  t.match(
    readFileSync(join(b6.dir, "named.conf"), "utf8"),
    /listen-on \{ none; \};\n {4}listen-on-v6 port 5301 \{ ::1; \};/,
  );
  // A folder name the configuration files cannot hold.
  t.throws(() => writeStandalone("knot", facts, join(root, 'a"b'), listen), /quote, backslash/);
});

t.test("--standalone: where it listens by default, and what it says", async (t) => {
  const v4 = { host: "127.0.0.1", port: 5300 };
  t.same(defaultListen("knot", v4, { name: "k", ip: "127.0.0.3", port: 5303 }), {
    host: "127.0.0.3",
    port: 5303,
  });
  t.same(
    defaultListen("nsd", v4, { name: "n", ip: "127.0.0.3", port: 53 }),
    { host: "127.0.0.3", port: 5301 },
    "port 53 needs root: 5301",
  );
  t.same(defaultListen("knot", v4), { host: "127.0.0.1", port: 5301 }, "no peer");
  t.same(
    defaultListen("knot", { host: "::1", port: 5300 }, { name: "k", port: 5310 }),
    { host: "::1", port: 5310 },
    "no ip: the primary's family",
  );
  const local = new Set(
    Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address)),
  );
  if (!local.has("127.0.0.2")) {
    // BIND listens on interface addresses only; Linux configures 127.0.0.1 alone on lo.
    const peer = { name: "bind", ip: "127.0.0.2", port: 5302 };
    const listen = defaultListen("bind", v4, peer);
    t.same(listen, { host: "127.0.0.1", port: 5302 }, "BIND: an address it can listen on");
    const text = standaloneText(
      {
        kind: "bind",
        dir: "/d",
        files: ["named.conf"],
        listen,
        start: ["named", "-g", "-c", "/d/named.conf"],
        check: ["dig"],
      },
      { ...FACTS, source: "127.0.0.2" },
      peer,
    );
    t.match(
      text,
      /NOTIFY to the peer's ip and port, 127\.0\.0\.2 port 5302, where this server does not listen/,
    );
    t.match(text, /ip addr add 127\.0\.0\.2\/8 dev lo/);
    t.match(text, /sends its SOA queries and transfers from 127\.0\.0\.2/);
  }

  const file = twoPeers(t);
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-standalone-cli-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const knotAt = (folder: string, ...more: string[]) =>
    cli([
      ...["--for", "knot", "--zone", "example.com", "--peer", "knot", "--config", file],
      ...["--standalone", join(dir, folder), ...more],
    ]);
  const r = await knotAt("k");
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  const commands = lines.filter((l) => !l.startsWith("#"));
  t.equal(commands.length, 2, "two commands: start, check");
  t.match(commands[0], new RegExp(`knotd -c ${join(dir, "k", "knot.conf")}$`));
  t.equal(commands[1], "dig @127.0.0.3 -p 5301 example.com SOA +norec");
  t.match(
    r.stdout,
    /NOTIFY to the peer's ip and port, 127\.0\.0\.3 port 53, where this server does not listen.* set the peer's port to 5301/,
  );
  const at = await knotAt("k2", "--listen", "127.0.0.3:53");
  t.match(
    readFileSync(join(dir, "k2", "knot.conf"), "utf8"),
    /listen: 127\.0\.0\.3@53\n/,
    "--listen as given",
  );
  t.notMatch(at.stdout, /NOTIFY/, "where NOTIFY goes: nothing to say");
  const none = await cli([
    "--for",
    "nsd",
    "--zone",
    "nowhere.example",
    "--config",
    file,
    "--standalone",
    join(dir, "n"),
  ]);
  t.equal(none.code, 0);
  t.match(none.stdout, /The peer has no ip/);
  t.match(none.stdout, /dig @127\.0\.0\.1 -p 5301 nowhere\.example SOA \+norec/);

  const bindX =
    (...more: string[]) =>
    () =>
      parseCommandLine(["secondary-config", "--for", "bind", "--zone", "x", ...more]);
  t.throws(bindX("--listen", "127.0.0.1:5301"), /--listen goes with --standalone/);
  t.throws(bindX("--standalone", "d", "--listen", "127.0.0.1:0"), /--listen: give a port/);
  t.throws(bindX("--standalone", "d", "--listen", "localhost:5301"), /not an IP address/);
  t.throws(bindX("--standalone", ""), /empty folder/);
  t.throws(() => parseCommandLine(["serve", "--standalone", "d"]), /option of secondary-config/);
});
