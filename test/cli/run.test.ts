// The command line in-process, with a fake IO: fast, and covers the paths the child-process
// tests in cli.test.ts exercise for real.
import dgram from "node:dgram";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { displayPath, formatCounts, formatServeSummary } from "../../src/cli/format.js";
import { run, version } from "../../src/cli/run.js";
import { fakeIO } from "./fake-io.js";

const ZONE = `$ORIGIN example.net.
$TTL 60
@   SOA ns.example.net. admin.example.net. 42 3600 600 86400 60
@   NS  ns.example.net.
ns  A   192.0.2.1
`;

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-run-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test("help, version, usage error", async (t) => {
  const h = fakeIO();
  t.equal(await run(["-h"], h.io), 0);
  t.match(h.out(), /^Usage:/);
  const v = fakeIO();
  t.equal(await run(["--version"], v.io), 0);
  t.equal(v.out(), `${version()}\n`);
  const u = fakeIO();
  t.equal(await run(["serve", "--dns", "x"], u.io), 2);
  t.match(u.err(), /^dns-primary: --dns: expected HOST:PORT/);
});

t.test("check", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "example.net.zone");
  writeFileSync(file, ZONE);
  writeFileSync(join(dir, "bad.zone"), "$ORIGIN bad.\n@ SOA a. b. 1 2 3 4 5\n@ MX ten x.\n");
  const f = fakeIO();
  t.equal(await run(["check", file, join(dir, "bad.zone")], f.io), 1);
  t.equal(f.out(), `${file}: example.net. serial 42, 3 records (A 1, NS 1, SOA 1)\n`);
  t.match(f.err(), new RegExp(`^${join(dir, "bad.zone")}:3: `));
});

t.test("serve until stopped", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "zones"));
  writeFileSync(join(dir, "zones", "example.net.zone"), ZONE);
  const f = fakeIO();
  const done = run(
    [
      "serve",
      "--zones",
      join(dir, "zones"),
      "--dns",
      "127.0.0.1:0",
      "--api",
      "127.0.0.1:0",
      "--log-level",
      "silent",
    ],
    f.io,
  );
  while (!f.out().includes("\n")) await new Promise((r) => setTimeout(r, 10));
  const port = Number(/127\.0\.0\.1:(\d+) \(udp, tcp\)/.exec(f.out())?.[1]);
  t.ok(port > 0, f.out());
  t.match(f.out(), /\n {2}example\.net\. {2}serial 42 {2}3 records {2}\(/);
  f.stop();
  t.equal(await done, 0);
  // closed: the port can be bound again
  const s = dgram.createSocket("udp4");
  s.bind(port, "127.0.0.1");
  await once(s, "listening");
  s.close();
});

t.test("serve errors are one line, exit code 1", async (t) => {
  const dir = tempDir(t);
  const missing = fakeIO();
  const zones = join(dir, "none");
  t.equal(await run(["serve", "--zones", zones, "--log-level", "silent"], missing.io), 1);
  t.match(missing.err(), /^dns-primary: [^\n]*none[^\n]*\n$/);
  writeFileSync(join(dir, "dir.yaml"), "");
  mkdirSync(join(dir, "conf.d"));
  const notFile = fakeIO();
  t.equal(await run(["serve", "--config", join(dir, "conf.d")], notFile.io), 1);
  t.match(notFile.err(), /conf\.d: cannot read \(EISDIR\)\n$/);
});

t.test("an unexpected error is reported with its stack", async (t) => {
  const { run: mockedRun } = await t.mockImport<typeof import("../../src/cli/run.js")>(
    "../../src/cli/run.js",
    {
      "../../src/cli/check.js": {
        check: () => {
          throw new TypeError("a bug");
        },
      },
    },
  );
  const f = fakeIO();
  t.equal(await mockedRun(["check", "x.zone"], f.io), 1);
  t.match(f.err(), /^dns-primary: internal error: TypeError: a bug\n\s+at /);
});

t.test("formatting", async (t) => {
  t.equal(formatCounts({ SOA: 1, A: 5, AAAA: 2 }), "A 5, AAAA 2, SOA 1");
  t.equal(displayPath("/srv/dns/zones/a.zone", "/srv/dns"), "zones/a.zone");
  t.equal(displayPath("/etc/a.zone", "/srv/dns"), "/etc/a.zone");
  t.equal(displayPath("zones/a.zone", "/srv/dns"), "zones/a.zone");
  const udp = { address: "::1", family: "IPv6", port: 53 };
  const summary = formatServeSummary(
    {
      dns: { udp, tcp: { ...udp, port: 54 } },
      api: { address: "127.0.0.1", family: "IPv4", port: 8787 },
      zones: [
        { origin: "a.example.", serial: 1, records: 1, countsByType: { SOA: 1 } },
        { origin: "example.", serial: 2024010101, records: 12, countsByType: {} },
      ],
    },
    { api: { host: "127.0.0.1", port: 8787 }, zonesDir: "zones" },
  );
  t.equal(
    summary,
    [
      "dns-primary listening on [::1]:53 (udp), [::1]:54 (tcp); api http://127.0.0.1:8787/client/v4",
      "  dashboard: http://127.0.0.1:8787/",
      "  a.example.  serial 1           1 record",
      "  example.    serial 2024010101  12 records",
      "",
    ].join("\n"),
  );
});
