import t from "tap";
import { HELP, parseCommandLine, parseHostPort, UsageError } from "../../src/cli/args.js";

t.test("serve defaults", async (t) => {
  t.same(parseCommandLine(["serve"]), {
    kind: "serve",
    zonesDir: "./zones",
    dns: { host: "127.0.0.1", port: 5300 },
    api: { host: "127.0.0.1", port: 8787 },
    logLevel: "info",
    udpWorkers: 0,
    watch: false,
    journal: {},
  });
});

t.test("serve with every option", async (t) => {
  t.same(
    parseCommandLine([
      "serve",
      "--zones",
      "z",
      "--dns",
      "[::1]:0",
      "--api=127.0.0.1:9000",
      "--config",
      "c.yaml",
      "--log-level",
      "debug",
      "--udp-workers",
      "2",
      "--watch",
      "--journal-versions",
      "50",
      "--journal-bytes",
      "1048576",
    ]),
    {
      kind: "serve",
      zonesDir: "z",
      dns: { host: "::1", port: 0 },
      api: { host: "127.0.0.1", port: 9000 },
      config: "c.yaml",
      logLevel: "debug",
      udpWorkers: 2,
      watch: true,
      journal: { maxVersions: 50, maxBytes: 1048576 },
    },
  );
});

t.test("check, help and version", async (t) => {
  t.same(parseCommandLine(["check", "a.zone", "b.zone"]), {
    kind: "check",
    files: ["a.zone", "b.zone"],
  });
  t.same(parseCommandLine(["--help"]), { kind: "help" });
  t.same(parseCommandLine(["serve", "-h"]), { kind: "help" });
  t.same(parseCommandLine(["--version"]), { kind: "version" });
  t.match(HELP, /dns-primary serve/);
  t.match(HELP, /dns-primary check FILE/);
});

t.test("usage errors", async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [[], /missing command/],
    [["launch"], /unknown command "launch"/],
    [["constructor"], /unknown command "constructor"/],
    [["__proto__"], /unknown command "__proto__"/],
    [["serve", "extra"], /unexpected argument "extra"/],
    [["serve", "--bogus"], /^unknown option --bogus$/],
    [["serve", "--dns"], /^--dns needs a value$/],
    [["serve", "--dns", "5300"], /--dns: expected HOST:PORT/],
    [["serve", "--udp-workers", "two"], /--udp-workers: "two" is not a whole number from 0 to 64/],
    [["serve", "--udp-workers", "65"], /--udp-workers: "65" is not a whole number/],
    [["check", "a.zone", "--udp-workers", "2"], /--udp-workers is an option of serve/],
    [["serve", "--dns", "localhost:5300"], /"localhost" is not an IP address/],
    [["serve", "--dns", "::1:5300"], /brackets, e\.g\. \[::1\]:5300/],
    [["serve", "--dns", "[127.0.0.1]:53"], /not an IPv6 address/],
    [["serve", "--dns", "127.0.0.1:65536"], /not a port from 0 to 65535/],
    [["serve", "--dns", "127.0.0.1:"], /not a port/],
    [["serve", "--api", "127.0.0.1:-1"], /--api: "-1" is not a port/],
    [["serve", "--log-level", "loud"], /--log-level: "loud" is not one of/],
    [["serve", "--zones", ""], /empty folder name/],
    [["serve", "--config", ""], /empty file name/],
    [["check"], /name at least one zone file/],
    [["check", "--zones", "z", "a.zone"], /--zones is an option of serve/],
  ];
  for (const [argv, message] of cases) {
    t.throws(() => parseCommandLine(argv), UsageError, argv.join(" "));
    t.throws(() => parseCommandLine(argv), { message }, argv.join(" "));
  }
});

t.test("HOST:PORT", async (t) => {
  t.same(parseHostPort("0.0.0.0:53", "--dns"), { host: "0.0.0.0", port: 53 });
  t.same(parseHostPort("[2001:db8::1]:65535", "--dns"), { host: "2001:db8::1", port: 65535 });
});

t.test("serve: --notify-source and --no-notify", async (t) => {
  const a = parseCommandLine(["serve", "--notify-source", "127.0.0.2:0"]);
  t.match(a, { kind: "serve", notifySource: { host: "127.0.0.2", port: 0 } });
  t.match(parseCommandLine(["serve", "--no-notify"]), { kind: "serve", noNotify: true });
  t.throws(() => parseCommandLine(["serve", "--notify-source", "127.0.0.2"]), UsageError);
  t.throws(
    () => parseCommandLine(["serve", "--no-notify", "--notify-source", "[::1]:0"]),
    /choose one/,
  );
  t.throws(() => parseCommandLine(["check", "--no-notify", "x.zone"]), UsageError);
});

t.test("serve: --api-rate-limit N/SECONDS", async (t) => {
  t.match(parseCommandLine(["serve", "--api-rate-limit", "1200/300"]), {
    apiRateLimit: { requests: 1200, seconds: 300 },
  });
  t.equal(
    (parseCommandLine(["serve"]) as { apiRateLimit?: unknown }).apiRateLimit,
    undefined,
    "off by default",
  );
  for (const bad of ["1200", "0/1", "10/0", "x"])
    t.throws(
      () => parseCommandLine(["serve", "--api-rate-limit", bad]),
      { name: "UsageError", message: /^--api-rate-limit: an API rate limit is N\/SECONDS/ },
      bad,
    );
  t.throws(() => parseCommandLine(["check", "--api-rate-limit", "1/1", "x.zone"]), UsageError);
  t.match(HELP, /--api-rate-limit N\/SECONDS/);
});
