// The real command in a child process (the package built by package.ts): exit codes,
// stdout/stderr, signals, logs.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dnsPacket from "dns-packet";
import t from "tap";
import { buildPackage, ROOT } from "./package.js";

const VERSION = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;

const PKG = buildPackage((fn) => t.teardown(fn));
const MAIN = join(PKG, "dist", "cli", "main.js");
// Run as a user would: no tap loaders, no coverage hooks.
const env = { ...process.env, NODE_OPTIONS: "" };

function cli(args: string[], cwd: string) {
  return spawnSync(process.execPath, [MAIN, ...args], {
    cwd,
    env,
    encoding: "utf8",
    timeout: 30_000,
  });
}

function spawnCli(args: string[], cwd: string): ChildProcess & { out: () => string } {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd, env });
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  return Object.assign(child, { out: () => out });
}

const GOOD = `$ORIGIN example.com.
$TTL 3600
@    IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300
@    IN NS  ns1.example.com.
@    IN NS  ns2.example.com.
ns1  IN A   192.0.2.1
ns2  IN A   192.0.2.2
www  IN A   192.0.2.10
www  IN AAAA 2001:db8::10
@    IN MX  10 mail.example.com.
`;

const BROKEN = `$ORIGIN broken.test.
$TTL 3600
@    IN SOA ns1.broken.test. hostmaster.broken.test. 1 7200 3600 1209600 300
www  IN A   999.1.2.3
`;

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-cli-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The summary's first line; load warnings (JSON log lines) may come before it. */
async function summaryLine(child: ChildProcess & { out: () => string }): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const line = child
      .out()
      .split("\n")
      .find((l) => l.startsWith("dns-primary listening"));
    if (line !== undefined && child.out().includes(`${line}\n`)) return line;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error("no summary line");
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test("--help, --version", async (t) => {
  const dir = tempDir(t);
  const help = cli(["--help"], dir);
  t.equal(help.status, 0);
  t.match(help.stdout, /Usage:\n\s+dns-primary serve/);
  const v = cli(["--version"], dir);
  t.equal(v.status, 0);
  t.equal(v.stdout, `${VERSION}\n`);
});

t.test("usage errors: one line, exit code 2", async (t) => {
  const dir = tempDir(t);
  for (const args of [[], ["serve", "--dns", "nowhere"], ["serve", "--nope"], ["check"]]) {
    const r = cli(args, dir);
    t.equal(r.status, 2, args.join(" "));
    t.equal(r.stdout, "");
    t.match(r.stderr, /^dns-primary: [^\n]+\(see dns-primary --help\)\n$/, args.join(" "));
  }
});

t.test("check: summary per file, error with file:line, exit 1 if any failed", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "example.com.zone"), GOOD);
  writeFileSync(join(dir, "broken.test.zone"), BROKEN);

  const ok = cli(["check", "example.com.zone"], dir);
  t.equal(ok.status, 0, ok.stderr);
  t.equal(
    ok.stdout,
    "example.com.zone: example.com. serial 2024010101, 8 records (A 3, AAAA 1, MX 1, NS 2, SOA 1)\n",
  );

  const both = cli(["check", "example.com.zone", "broken.test.zone", "missing.zone"], dir);
  t.equal(both.status, 1);
  t.match(both.stdout, /^example\.com\.zone: example\.com\. serial 2024010101/);
  const errLines = both.stderr.trimEnd().split("\n");
  t.equal(errLines.length, 2, both.stderr);
  t.match(errLines[0], /^broken\.test\.zone:4: /, "broken file: file:line: reason");
  t.match(errLines[1], /^missing\.zone/);
});

t.test("serve: summary on stdout, answers queries, SIGTERM exits 0", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "zones"));
  writeFileSync(join(dir, "zones", "example.com.zone"), GOOD);
  const child = spawnCli(
    ["serve", "--zones", "zones", "--dns", "127.0.0.1:0", "--api", "127.0.0.1:0"],
    dir,
  );
  t.teardown(() => child.kill("SIGKILL"));
  const line = await summaryLine(child);
  const m =
    /^dns-primary listening on 127\.0\.0\.1:(\d+) \(udp, tcp\); api http:\/\/127\.0\.0\.1:(\d+)\/client\/v4/.exec(
      line,
    );
  t.ok(m, line);
  const port = Number(m?.[1]);
  await new Promise((r) => setTimeout(r, 50));
  t.match(
    child.out(),
    /\n {2}example\.com\. {2}serial 2024010101 {2}8 records {2}\(zones\/example\.com\.zone\)\n/,
  );

  // A real query over UDP reaches the real handler.
  const sock = dgram.createSocket("udp4");
  t.teardown(() => sock.close());
  const q = dnsPacket.encode({
    type: "query",
    id: 4242,
    flags: 0,
    questions: [{ type: "A", name: "www.example.com", class: "IN" }],
  });
  sock.send(q, port, "127.0.0.1");
  const [msg] = (await once(sock, "message")) as [Buffer];
  const res = dnsPacket.decode(msg);
  t.equal(res.id, 4242);
  t.same(
    res.answers?.map((a) => (a as { data: unknown }).data),
    ["192.0.2.10"],
  );

  child.kill("SIGTERM");
  const [code, signal] = await once(child, "exit");
  t.equal(code, 0, `exit code (signal ${signal})`);
});

t.test("serve: port in use → one line, exit 1", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "zones"));
  writeFileSync(join(dir, "zones", "example.com.zone"), GOOD);
  const taken = net.createServer();
  taken.listen(0, "127.0.0.1");
  await once(taken, "listening");
  t.teardown(() => taken.close());
  const port = (taken.address() as net.AddressInfo).port;
  // take the UDP side too, whatever order the server binds in
  const udp = dgram.createSocket("udp4");
  udp.bind(port, "127.0.0.1");
  await once(udp, "listening");
  t.teardown(() => udp.close());
  const r = cli(
    ["serve", "--zones", "zones", "--dns", `127.0.0.1:${port}`, "--api", "127.0.0.1:0"],
    dir,
  );
  t.equal(r.status, 1);
  t.equal(r.stderr, `dns-primary: DNS port 127.0.0.1:${port} is already in use (UDP)\n`);
  t.notMatch(r.stdout, /listening/);
});

t.test("serve: missing zones folder, broken zone file, unreadable config → exit 1", async (t) => {
  const dir = tempDir(t);
  const missing = cli(
    ["serve", "--zones", "nope", "--dns", "127.0.0.1:0", "--api", "127.0.0.1:0"],
    dir,
  );
  t.equal(missing.status, 1);
  t.match(missing.stderr, /^dns-primary: [^\n]*nope[^\n]*\n$/);

  mkdirSync(join(dir, "zones"));
  writeFileSync(join(dir, "zones", "broken.test.zone"), BROKEN);
  const broken = cli(
    ["serve", "--zones", "zones", "--dns", "127.0.0.1:0", "--api", "127.0.0.1:0"],
    dir,
  );
  t.equal(broken.status, 1);
  t.match(broken.stderr, /^dns-primary: zones\/broken\.test\.zone:4: [^\n]+\n$/);
  t.notMatch(broken.stderr, /\n\s+at /, "no stack trace");

  const config = cli(
    ["serve", "--config", "nope.yaml", "--dns", "127.0.0.1:0", "--api", "127.0.0.1:0"],
    dir,
  );
  t.equal(config.status, 1);
  t.equal(config.stderr, "dns-primary: nope.yaml: cannot read (ENOENT)\n");
  // serve with only a config file, written first.
  const serveConfig = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return cli(["serve", "--config", name, "--dns", "127.0.0.1:0", "--api", "127.0.0.1:0"], dir);
  };
  const bad = serveConfig(
    "bad.yaml",
    "tsigs:\n  - { name: k., algo: hmac-sha999, secret: abc= }\n",
  );
  t.equal(bad.status, 1);
  t.match(
    bad.stderr,
    /^dns-primary: bad\.yaml:2: tsigs\[0\]\.algo: [^\n]+\n$/,
    "file, line and field",
  );
  // Every problem, a line each: the misspelt field first, then the field it left missing.
  const misspelt = serveConfig(
    "misspelt.yaml",
    "tsigs:\n  - name: k.\n    algorithm: hmac-sha256\n    secret: abc=\n",
  );
  t.equal(misspelt.status, 1);
  t.equal(
    misspelt.stderr,
    'dns-primary: misspelt.yaml:3: tsigs[0].algorithm: unknown field (did you mean "algo"?)\n' +
      "dns-primary: misspelt.yaml:2: tsigs[0].algo: required\n",
  );
});

t.test("serve: a config zone that no zone file serves stops the start (issue 12)", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "zones"));
  writeFileSync(join(dir, "zones", "example.com.zone"), GOOD);
  writeFileSync(
    join(dir, "primary.yaml"),
    "peers:\n  - { name: p, ip: 127.0.0.1 }\nzones:\n  exmaple.com:\n    outgoing: { peers: [p], status: Enabled }\n",
  );
  const r = cli(
    [
      "serve",
      "--zones",
      "zones",
      "--config",
      "primary.yaml",
      "--dns",
      "127.0.0.1:0",
      "--api",
      "127.0.0.1:0",
    ],
    dir,
  );
  t.equal(r.status, 1);
  t.equal(
    r.stderr,
    'dns-primary: primary.yaml:4: zones["exmaple.com"]: zone exmaple.com is not served (did you mean "example.com"?)\n',
    "one line: file, line of the key, the zone, the served name it is closest to",
  );
  t.notMatch(r.stderr, /\n\s+at /, "no stack trace");
  t.equal(r.stdout, "", "no summary: nothing started");
});

t.test("serve: --config is applied and summarised", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "zones"));
  writeFileSync(join(dir, "zones", "example.com.zone"), GOOD);
  // example.com from its file; new.example created at start (create: true).
  writeFileSync(
    join(dir, "primary.yaml"),
    "peers:\n  - { name: p, ip: 127.0.0.1 }\nzones:\n  example.com:\n    outgoing: { peers: [p], status: Enabled }\n  new.example:\n    create: true\n    outgoing: { peers: [p], status: Disabled }\n",
  );
  const child = spawnCli(
    [
      "serve",
      "--zones",
      "zones",
      "--dns",
      "127.0.0.1:0",
      "--api",
      "127.0.0.1:0",
      "--config",
      "primary.yaml",
      "--no-notify",
    ],
    dir,
  );
  t.teardown(() => child.kill("SIGKILL"));
  const summary = await summaryLine(child);
  await new Promise((r) => setTimeout(r, 100));
  t.match(child.out(), /\n {2}example\.com\. +serial 2024010101 /);
  t.match(child.out(), /\n {2}new\.example\. +serial \d+ /, "the created zone is listed");
  t.match(child.out(), /transfers: primary\.yaml: 2 zones configured, 1 enabled/);
  t.notMatch(child.out(), /not served/);
  // The created zone answers: its SOA over UDP.
  const port = Number(/:(\d+) \(udp/.exec(summary)?.[1]);
  const sock = dgram.createSocket("udp4");
  t.teardown(() => sock.close());
  const answer = once(sock, "message");
  sock.send(
    dnsPacket.encode({ type: "query", id: 7, questions: [{ type: "SOA", name: "new.example" }] }),
    port,
    "127.0.0.1",
  );
  const [msg] = (await answer) as [Buffer];
  const decoded = dnsPacket.decode(msg);
  t.equal((decoded.flags ?? 0) & 0xf, 0, "NOERROR");
  t.match(decoded.answers?.[0], { type: "SOA", name: "new.example" });
  child.kill("SIGINT");
  const [code] = await once(child, "exit");
  t.equal(code, 0);
});

t.test("the built entry point is an executable script", async (t) => {
  t.match(readFileSync(MAIN, "utf8"), /^#!\/usr\/bin\/env node\n/);
});

t.test("logs: JSON lines on stdout when it is not a terminal", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "zones"));
  writeFileSync(join(dir, "zones", "example.com.zone"), GOOD);
  const child = spawnCli(
    ["serve", "--zones", "zones", "--dns", "127.0.0.1:0", "--api", "127.0.0.1:0"],
    dir,
  );
  t.teardown(() => child.kill("SIGKILL"));
  await summaryLine(child);
  child.kill("SIGTERM");
  await once(child, "exit");
  const json = child
    .out()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
  t.match(json, [
    { level: 30, msg: "dns-primary started", zones: 1 },
    { level: 30, msg: "stopping", signal: "SIGTERM" },
    { level: 30, msg: "dns-primary stopped" },
  ]);
});

t.test("logs: pretty on stderr when asked (createLogger({ pretty: true }))", async (t) => {
  const dir = tempDir(t);
  const script = `import { createLogger } from ${JSON.stringify(join(PKG, "dist", "log.js"))};
createLogger({ pretty: true }).warn({ zone: "example.com." }, "hello");`;
  const r = spawnSync(process.execPath, ["--input-type=module", "--eval", script], {
    cwd: dir,
    env,
    encoding: "utf8",
  });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, "");
  t.match(r.stderr, /WARN.*hello/);
  t.match(r.stderr, /zone: "example\.com\."/);
});
