// A zone's `faults:` in the config file: checked by the fault store at load, every mistake with
// the file and the entry's line; added at every start, before those of --fault.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { run } from "../../src/cli/run.js";
import { derivedId } from "../../src/cloudflare/transfer/settings.js";
import { ConfigError, configFromObject, parseConfig } from "../../src/config/load.js";
import { startServer } from "../../src/primary.js";
import { fakeIO } from "../cli/fake-io.js";

const SECRET = "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk=";

const GOOD = `tsigs:
  - { name: sec1., algo: hmac-sha256, secret: "${SECRET}" }
peers:
  - { name: local-bind, ip: 127.0.0.1, port: 5301, tsig: sec1. }
zones:
  example.com:
    outgoing: { peers: [local-bind], status: Enabled }
    faults:
      - { kind: xfr-truncate, after_messages: 2, peer: local-bind, times: 1 }
      - kind: notify-from
        source: 127.0.0.2
  new.example:
    create: true
    faults:
      - { kind: soa-rcode, rcode: REFUSED, source: "::1" }
`;

function configError(t: Test, text: string, file = "dns-primary.yaml"): ConfigError {
  try {
    parseConfig(text, file);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  t.fail("expected a ConfigError");
  return new ConfigError("none", []);
}

t.test("faults per zone: the peer by name, in file order, with their lines", async (t) => {
  const config = parseConfig(GOOD, "lab.yaml");
  const peer = derivedId("peer", "local-bind");
  t.same(config.faults, [
    {
      zone: "example.com.",
      spec: { kind: "xfr-truncate", after_messages: 2, times: 1, peer_id: peer },
      line: 9,
    },
    { zone: "example.com.", spec: { kind: "notify-from", source: "127.0.0.2" }, line: 10 },
    {
      zone: "new.example.",
      spec: { kind: "soa-rcode", rcode: "REFUSED", source: "::1" },
      line: 15,
    },
  ]);
  t.same(parseConfig("zones:\n  example.com: { faults: }\n", "x.yaml").faults, [], "empty: none");
  t.same(parseConfig("tsigs: []\n", "x.yaml").faults, []);
});

t.test("every mistake in a fault: the file, the entry's line, the store's message", async (t) => {
  const err = configError(
    t,
    `peers:
  - { name: local-bind, ip: 127.0.0.1 }
  - { name: broken, ip: 300.0.0.1 }
zones:
  example.com:
    faults:
      - { kind: xfr-explode }
      - { kind: latency }
      - kind: xfr-slow
        bytes_per_second: 0
      - { kind: xfr-truncate, after: 2 }
      - { kind: notify-drop, peer: local-bnd }
      - { kind: notify-drop, peer: broken }
      - { kind: notify-drop, peer_id: 0123456789abcdef0123456789abcdef }
      - { kind: notify-drop, times: 0 }
      - latency
      - { after_messages: 1 }
  example.org:
    faults: { kind: notify-drop }
`,
  );
  // faults[5] names a peer that failed to load: reported once, where the peer is defined.
  t.same(err.lines(), [
    'dns-primary.yaml:3: peers[1].ip: ip "300.0.0.1" is not an IPv4 or IPv6 address',
    `dns-primary.yaml:7: zones["example.com"].faults[0]: unknown fault kind "xfr-explode": one of axfr-soa-mismatch, xfr-truncate, xfr-reset, xfr-stall, xfr-slow, tsig-bad-mac, tsig-unsigned, ixfr-refuse, ixfr-as-axfr, ixfr-bad-history, serial-regression, soa-rcode, notify-drop, notify-from, notify-unsigned, latency, udp-drop, axfr-duplicate-records, xfr-wrong-question, xfr-id-change`,
    'dns-primary.yaml:8: zones["example.com"].faults[1]: latency: ms is required (the delay before each answer)',
    'dns-primary.yaml:9: zones["example.com"].faults[2]: xfr-slow: bytes_per_second must be a whole number from 1 to 1073741824 (the pace of the stream)',
    'dns-primary.yaml:11: zones["example.com"].faults[3]: xfr-truncate has no parameter after (it has after_messages); the scope is peer_id or source, the count is times',
    'dns-primary.yaml:12: zones["example.com"].faults[4].peer: no peer named "local-bnd" (did you mean "local-bind"?)',
    'dns-primary.yaml:14: zones["example.com"].faults[6].peer_id: unknown field (a fault names its peer in a file: write "peer: <peer name>")',
    'dns-primary.yaml:15: zones["example.com"].faults[7]: times must be a whole number from 1 to 1000000 (absent: until removed)',
    'dns-primary.yaml:16: zones["example.com"].faults[8]: expected a mapping (key: value), not "latency"',
    `dns-primary.yaml:17: zones["example.com"].faults[9]: kind is required: one of axfr-soa-mismatch, xfr-truncate, xfr-reset, xfr-stall, xfr-slow, tsig-bad-mac, tsig-unsigned, ixfr-refuse, ixfr-as-axfr, ixfr-bad-history, serial-regression, soa-rcode, notify-drop, notify-from, notify-unsigned, latency, udp-drop, axfr-duplicate-records, xfr-wrong-question, xfr-id-change`,
    'dns-primary.yaml:19: zones["example.org"].faults: expected a list, not a mapping',
  ]);
  t.same(
    err.problems.filter((p) => p.code !== undefined).map((p) => [p.line, p.code]),
    [
      [3, 89005],
      [7, 89201],
      [8, 89202],
      [9, 89202],
      [11, 89202],
      [15, 89202],
      [17, 89201],
    ],
    "the store's codes, as the API answers them",
  );
});

t.test("JSON files and embedders' objects: the same checks", async (t) => {
  const json = configError(
    t,
    '{\n  "zones": {\n    "example.com": {\n      "faults": [\n        { "kind": "udp-drop", "probability": 2 }\n      ]\n    }\n  }\n}\n',
    "lab.json",
  );
  t.same(json.lines(), [
    'lab.json:5: zones["example.com"].faults[0]: udp-drop: probability must be a number from 0 to 1 (the share of UDP answers dropped)',
  ]);
  t.throws(
    () => configFromObject({ zones: { "example.com": { faults: [{ kind: "latency" }] } } }, "lab"),
    {
      name: "ConfigError",
      message: 'lab: zones["example.com"].faults[0]: latency: ms is required',
    },
  );
  const ok = configFromObject(
    { zones: { "example.com": { faults: [{ kind: "latency", ms: 5 }] } } },
    "lab",
  );
  t.same(ok.faults, [{ zone: "example.com.", spec: { kind: "latency", ms: 5 } }], "no lines");
});

t.test("a server started with the config has its faults, before --fault's", async (t) => {
  const server = await startServer({
    zones: [{ origin: "example.com", records: [] }],
    dns: { host: "127.0.0.1", port: 0 },
    notify: false,
    config: parseConfig(GOOD, "lab.yaml"),
    faults: [{ zone: "new.example", spec: { kind: "notify-drop" } }],
  });
  t.teardown(() => server.close());
  const peer = derivedId("peer", "local-bind");
  t.match(server.faults.list("example.com."), [
    {
      kind: "xfr-truncate",
      params: { after_messages: 2 },
      peer_id: peer,
      times: 1,
      origin: "config",
    },
    { kind: "notify-from", params: { source: "127.0.0.2" }, source: null, origin: "config" },
  ]);
  t.match(
    server.faults.list("new.example."),
    [
      { kind: "soa-rcode", params: { rcode: "REFUSED" }, source: "::1", origin: "config" },
      { kind: "notify-drop", origin: "config" },
    ],
    "a zone the config creates has its faults",
  );
});

t.test("serve --config: a bad fault is a config error (exit 1, file:line)", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-config-faults-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "lab.yaml");
  writeFileSync(
    file,
    "zones:\n  lab.example:\n    create: true\n    faults:\n      - { kind: latency, ms: 0 }\n",
  );
  const f = fakeIO();
  t.equal(await run(["serve", "--zones", dir, "--config", file, "--log-level", "silent"], f.io), 1);
  t.equal(
    f.err(),
    `dns-primary: ${file}:5: zones["lab.example"].faults[0]: latency: ms must be a whole number from 1 to 600000 (the delay before each answer)\n`,
  );
  t.equal(f.out(), "", "nothing started");
});
