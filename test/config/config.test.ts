import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import t, { type Test } from "tap";
import { derivedId, zoneId } from "../../src/cloudflare/transfer/settings.js";
import { editDistance, suggest } from "../../src/config/errors.js";
import { ConfigError, configFromObject, loadConfig, parseConfig } from "../../src/config/load.js";

const EXAMPLE = fileURLToPath(new URL("../../dns-primary.yaml", import.meta.url));
const SECRET = "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk=";
const T0 = new Date("2024-05-01T12:00:00.000Z");

/** The ConfigError `fn` throws; its message, and every problem's line. */
function configError(t: Test, fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  t.fail("expected a ConfigError");
  return new ConfigError("none", [{ path: "", reason: "none" }]);
}

const yamlError = (t: Test, text: string): ConfigError =>
  configError(t, () => parseConfig(text, "dns-primary.yaml"));

t.test("the example file loads: a TSIG-signed loopback peer linked to example.com", async (t) => {
  const { settings, account } = loadConfig(EXAMPLE, { now: () => T0 });
  t.equal(account, undefined);
  const tsig = settings.tsigByName("dns-primary-example");
  t.match(tsig, {
    id: derivedId("tsig", "dns-primary-example."),
    name: "dns-primary-example.",
    algo: "hmac-sha256.",
  });
  t.equal(Buffer.from(tsig!.secret, "base64").length, 32);
  const cfg = settings.outgoing("example.com");
  t.same(cfg, {
    id: zoneId("example.com"),
    name: "example.com.",
    peers: [derivedId("peer", "local-secondary")],
    status: "Enabled",
    created_time: T0.toISOString(),
    checked_time: null,
    last_transferred_time: null,
  });
  t.equal(settings.zoneTsig("example.com."), tsig);
  t.match(settings.isAllowedSource("example.com", "127.0.0.1"), {
    allowed: true,
    via: "peer",
    peer: { name: "local-secondary", port: 5301, ixfr_enable: true, tsig_id: tsig!.id },
  });
  t.same(settings.listAcls(), []);
});

t.test("a full YAML file: every object, names resolved to derived ids", async (t) => {
  const { settings, account } = parseConfig(
    `
account: { id: 01a7362d577a6c3019a474fd6f485823, name: "Lab account" }
tsigs:
  - { name: Sec1, algo: HMAC-SHA512, secret: "${SECRET}" }
  - { name: sec2., algo: hmac-md5, secret: "${SECRET}" }
peers:
  - { name: bind, ip: 127.0.0.1, port: 5301, ixfr_enable: true, tsig: sec1. }
  - { name: knot, ip: "::1", tsig: SEC1 }
  - { name: nsd, ip: 192.0.2.7 }
  - { name: bare }
acls:
  - { name: lab-net, ip_range: 127.0.0.53/24 }
zones:
  example.com:
    outgoing: { peers: [bind, knot], status: Enabled }
  Example.NET.:
    outgoing:
      peers: [nsd, bare]
      status: Disabled
  no-transfers.example:
  acl-only.example:
    outgoing: { status: Enabled }
`,
    "lab.yml",
  );
  t.same(account, { id: "01a7362d577a6c3019a474fd6f485823", name: "Lab account" });
  const sec1 = derivedId("tsig", "sec1.");
  t.same(
    settings.listTsigs().map((k) => [k.id, k.name, k.algo]),
    [
      [sec1, "Sec1.", "hmac-sha512."],
      [derivedId("tsig", "sec2."), "sec2.", "hmac-md5.sig-alg.reg.int."],
    ],
  );
  t.same(settings.getPeer(derivedId("peer", "bind")), {
    id: derivedId("peer", "bind"),
    name: "bind",
    ip: "127.0.0.1",
    port: 5301,
    ixfr_enable: true,
    tsig_id: sec1,
  });
  t.equal(settings.getPeer(derivedId("peer", "knot")).tsig_id, sec1);
  t.same(settings.getPeer(derivedId("peer", "bare")), {
    id: derivedId("peer", "bare"),
    name: "bare",
    port: 53,
    ixfr_enable: false,
  });
  t.same(settings.listAcls(), [
    { id: derivedId("acl", "lab-net"), name: "lab-net", ip_range: "127.0.0.0/24" },
  ]);
  t.same(
    settings.linkedPeers("example.com").map((p) => p.name),
    ["bind", "knot"],
  );
  t.equal(settings.zoneTsig("example.com")?.id, sec1);
  t.match(settings.outgoing("example.net"), { name: "Example.NET.", status: "Disabled" });
  t.equal(settings.zoneTsig("example.net"), undefined);
  t.equal(settings.outgoing("no-transfers.example"), undefined);
  t.match(settings.outgoing("acl-only.example"), { peers: [], status: "Enabled" });
  t.match(settings.isAllowedSource("acl-only.example", "127.0.0.9"), { allowed: true, via: "acl" });
});

t.test("ids are the same on every load, and a missing account id is derived", async (t) => {
  const text = `
account: { name: lab }
tsigs: [{ name: k., algo: hmac-sha256, secret: "${SECRET}" }]
peers: [{ name: p, tsig: k }]
acls: [{ name: a, ip_range: 10.0.0.0/24 }]
zones: { example.com: { outgoing: { peers: [p], status: Enabled } } }
`;
  const a = parseConfig(text, "a.yaml");
  const b = parseConfig(text, "b.yaml");
  t.same(a.account, { id: derivedId("account", "lab"), name: "lab" });
  t.same(a.settings.listTsigs(), b.settings.listTsigs());
  t.same(a.settings.listPeers(), b.settings.listPeers());
  t.same(a.settings.listAcls(), b.settings.listAcls());
  t.equal(a.settings.getOutgoing("example.com").id, b.settings.getOutgoing("example.com").id);
  // Fixed values: scripts may hard-code them.
  t.equal(a.settings.listTsigs()[0].id, "2ed9910e3d872c856cd01dc822da6dc0", 'sha256("tsig:k.")');
});

t.test("empty files and empty sections are an empty configuration", async (t) => {
  for (const text of ["", "# nothing\n", "tsigs:\npeers:\nacls:\nzones:\n", "{}"]) {
    const { settings, account } = parseConfig(text, "x.yaml");
    t.equal(account, undefined);
    t.same(settings.listTsigs(), []);
    t.same(settings.listOutgoing(), []);
  }
});

t.test("unknown keys are errors, with the key's line and a suggestion", async (t) => {
  const err = yamlError(
    t,
    `peers:
  - name: p
    prot: 5301
tsig:
  - name: k
zones:
  example.com:
    outgoing: { peers: [], status: Enabled, enable: true }
`,
  );
  t.same(err.lines(), [
    'dns-primary.yaml:3: peers[0].prot: unknown field (did you mean "port"?)',
    'dns-primary.yaml:4: tsig: unknown field (did you mean "tsigs"?)',
    'dns-primary.yaml:8: zones["example.com"].outgoing.enable: unknown field (expected peers, status)',
  ]);
  t.equal(err.message, err.lines().join("\n"), "the message shows every problem, a line each");
  t.equal(err.file, "dns-primary.yaml");
  t.same(yamlError(t, "peers:\n  - { name: p, tsig_id: abc }\n").lines(), [
    'dns-primary.yaml:2: peers[0].tsig_id: unknown field (a peer names its TSIG in a file: write "tsig: <TSIG name>")',
  ]);
  t.same(yamlError(t, "acls:\n  - name: a\n    ip_range: 10.0.0.0/24\n    id: x\n").lines(), [
    "dns-primary.yaml:4: acls[0].id: unknown field (ids of objects in a file are derived from their names)",
  ]);
  t.same(yamlError(t, "account: { name: a, zzz: 1 }\n").lines(), [
    "dns-primary.yaml:1: account.zzz: unknown field (expected id, name, dns_settings)",
  ]);
});

t.test("a misspelt field: the unknown field first, then the field it left missing", async (t) => {
  // Issue 12: `algorithm:` for `algo:` used to read "tsigs[0].algo: required (and 1 more)".
  const block = yamlError(
    t,
    `tsigs:
  - name: k.
    algorithm: hmac-sha256
    secret: "${SECRET}"
`,
  );
  t.same(block.lines(), [
    'dns-primary.yaml:3: tsigs[0].algorithm: unknown field (did you mean "algo"?)',
    "dns-primary.yaml:2: tsigs[0].algo: required",
  ]);
  t.equal(block.message, block.lines().join("\n"), "the message shows both, a line each");
  // On one line (a flow mapping) the unknown field comes first too.
  t.same(
    yamlError(t, `tsigs:\n  - { name: k., algorithm: hmac-sha256, secret: "${SECRET}" }\n`).lines(),
    [
      'dns-primary.yaml:2: tsigs[0].algorithm: unknown field (did you mean "algo"?)',
      "dns-primary.yaml:2: tsigs[0].algo: required",
    ],
  );
  // Only the misspelt object's missing fields move: the file order holds around them.
  t.same(
    yamlError(
      t,
      `peers:
  - { name: p, ip: 300.1.1.1 }
tsigs:
  - name: k.
    secret: "${SECRET}"
    algorithm: hmac-sha256
  - name: j.
zones:
  example.com:
    outgoing: { peers: [p] }
`,
    ).lines(),
    [
      'dns-primary.yaml:2: peers[0].ip: ip "300.1.1.1" is not an IPv4 or IPv6 address',
      'dns-primary.yaml:6: tsigs[0].algorithm: unknown field (did you mean "algo"?)',
      "dns-primary.yaml:4: tsigs[0].algo: required",
      "dns-primary.yaml:7: tsigs[1].algo: required",
      "dns-primary.yaml:7: tsigs[1].secret: required",
      'dns-primary.yaml:10: zones["example.com"].outgoing.status: required: "Enabled" or "Disabled"',
    ],
  );
  // Without lines (an embedder's object) the unknown field still comes first.
  t.same(
    configError(t, () =>
      configFromObject({ tsigs: [{ name: "k.", secret: SECRET, algorithm: "x" }] }, "opts"),
    ).lines(),
    [
      'opts: tsigs[0].algorithm: unknown field (did you mean "algo"?)',
      "opts: tsigs[0].algo: required",
    ],
  );
});

t.test(
  "every object: unknown fields with suggestions, and none hides another's mistakes",
  async (t) => {
    const err = yamlError(
      t,
      `account: { nme: lab }
tsig:
  - { name: k., algo: hmac-sha256, secret: "${SECRET}" }
tsigs:
  - { name: k., algo: hmac-sha256, secret: "${SECRET}" }
peers:
  - { name: p, ip: 127.0.0.1, tsig: k., ixfr: true }
  - { name: q, ip: 999.0.0.1 }
acls:
  - { name: a, iprange: 10.0.0.0/24 }
zones:
  example.com:
    outgoing: { peers: [p], status: Enabled, staus: Disabled }
    dns_settings: { multi_provider: "yes", nsttl: 300, ns_ttl: 5 }
  example.net:
    outgoin: { status: Enabled }
    dns_settings: [1]
    create: "yes"
`,
    );
    t.same(err.lines(), [
      'dns-primary.yaml:1: account.nme: unknown field (did you mean "name"?)',
      'dns-primary.yaml:2: tsig: unknown field (did you mean "tsigs"?)',
      'dns-primary.yaml:7: peers[0].ixfr: unknown field (did you mean "ixfr_enable"?)',
      'dns-primary.yaml:8: peers[1].ip: ip "999.0.0.1" is not an IPv4 or IPv6 address',
      'dns-primary.yaml:10: acls[0].iprange: unknown field (did you mean "ip_range"?)',
      "dns-primary.yaml:10: acls[0].ip_range: required",
      'dns-primary.yaml:13: zones["example.com"].outgoing.staus: unknown field (did you mean "status"?)',
      'dns-primary.yaml:14: zones["example.com"].dns_settings.nsttl: unknown field (did you mean "ns_ttl"?)',
      'dns-primary.yaml:14: zones["example.com"].dns_settings.multi_provider: multi_provider must be true or false',
      'dns-primary.yaml:14: zones["example.com"].dns_settings.ns_ttl: ns_ttl must be a whole number from 30 to 86400',
      'dns-primary.yaml:16: zones["example.net"].outgoin: unknown field (did you mean "outgoing"?)',
      'dns-primary.yaml:17: zones["example.net"].dns_settings: expected a mapping (key: value), not a list',
      'dns-primary.yaml:18: zones["example.net"].create: expected true or false, not "yes"',
    ]);
    t.same(
      err.problems.map((p) => p.code),
      [
        undefined,
        undefined,
        undefined,
        89005,
        undefined,
        undefined,
        undefined,
        undefined,
        89001,
        89001,
        undefined,
        undefined,
        undefined,
      ],
      "the transfer settings' codes stay with their problems",
    );
  },
);

t.test("suggest: case, edits (a swap is one), then a shared beginning", async (t) => {
  t.equal(editDistance("exmaple.com", "example.com"), 1, "two letters swapped: one edit");
  t.equal(editDistance("example.co", "example.com"), 1);
  t.equal(editDistance("kitten", "sitting"), 3);
  t.equal(editDistance("", "abc"), 3);
  t.equal(editDistance("ca", "abc"), 3, "optimal string alignment: no edit of a swapped pair");
  t.equal(suggest("exmaple.com", ["example.org", "example.com"]), "example.com");
  t.equal(suggest("EXAMPLE.COM", ["example.com"]), "example.com", "letter case only");
  t.equal(suggest("algorithm", ["name", "algo", "secret"]), "algo", "a longer name of the field");
  t.equal(suggest("ixfr", ["name", "ip", "port", "ixfr_enable", "tsig"]), "ixfr_enable");
  t.equal(suggest("ip", ["ip_range", "name"]), undefined, "a beginning of two letters says little");
  t.equal(suggest("prot", ["name", "ip", "port"]), "port");
  t.equal(suggest("example.net", ["example.com"]), undefined, "three edits: another name");
  t.equal(suggest("ab", ["xy"]), undefined, "as many edits as letters: no suggestion");
  t.equal(suggest("anything", []), undefined);
});

t.test("wrong types and missing fields", async (t) => {
  const err = yamlError(
    t,
    `account:
  id: 12345678901234567890123456789012
  name: lab
tsigs:
  - name: k.
    algo: hmac-sha256
peers:
  - name: p
    port: "5301"
    ixfr_enable: yes
zones:
  example.com:
    outgoing:
      peers: local-bind
      status: enabled
  example.net: [1]
acls: { name: x }
`,
  );
  t.same(err.lines(), [
    "dns-primary.yaml:2: account.id: expected a string, not 1.2345678901234567e+31 (put it in quotes)",
    "dns-primary.yaml:5: tsigs[0].secret: required",
    'dns-primary.yaml:9: peers[0].port: expected a number, not "5301"',
    'dns-primary.yaml:10: peers[0].ixfr_enable: expected true or false, not "yes"',
    'dns-primary.yaml:14: zones["example.com"].outgoing.peers: expected a list, not "local-bind"',
    'dns-primary.yaml:15: zones["example.com"].outgoing.status: must be "Enabled" or "Disabled", not "enabled"',
    'dns-primary.yaml:16: zones["example.net"]: expected a mapping (key: value), not a list',
    "dns-primary.yaml:17: acls: expected a list, not a mapping",
  ]);
  t.same(yamlError(t, "zones:\n  example.com:\n    outgoing: { peers: [] }\n").lines(), [
    'dns-primary.yaml:3: zones["example.com"].outgoing.status: required: "Enabled" or "Disabled"',
  ]);
  t.same(yamlError(t, "- a\n- b\n").lines(), [
    "dns-primary.yaml:1: expected a mapping (key: value), not a list",
  ]);
});

t.test("values are judged by the transfer settings, with their codes", async (t) => {
  const err = yamlError(
    t,
    `tsigs:
  - { name: "a..b", algo: hmac-sha256, secret: "${SECRET}" }
  - { name: k1, algo: hmac-sha3, secret: "${SECRET}" }
  - { name: k2, algo: hmac-sha256, secret: "not base64" }
  - { name: k3, algo: hmac-sha256, secret: "${SECRET}" }
  - { name: K3., algo: hmac-sha1, secret: "${SECRET}" }
peers:
  - { name: p1, ip: 300.1.1.1 }
  - { name: p2, port: 70000 }
  - { name: p1 }
  - { name: "" }
acls:
  - { name: wide, ip_range: 10.0.0.0/16 }
  - { name: bad, ip_range: nonsense }
  - { name: wide, ip_range: 10.0.0.0/24 }
`,
  );
  t.same(
    err.problems.map((p) => [p.line, p.path, p.code]),
    [
      [2, "tsigs[0].name", 9000],
      [3, "tsigs[1].algo", 89003],
      [4, "tsigs[2].secret", 89004],
      [6, "tsigs[4].name", undefined],
      [8, "peers[0].ip", 89005],
      [9, "peers[1].port", 89001],
      [10, "peers[2].name", undefined],
      [11, "peers[3].name", 89001],
      [13, "acls[0].ip_range", 89007],
      [14, "acls[1].ip_range", 89006],
      [15, "acls[2].name", undefined],
    ],
  );
  t.same(err.lines(), [
    'dns-primary.yaml:2: tsigs[0].name: TSIG name "a..b": empty label in name "a..b."',
    'dns-primary.yaml:3: tsigs[1].algo: algo "hmac-sha3" is not a TSIG algorithm; use one of hmac-md5.sig-alg.reg.int., hmac-sha1., hmac-sha224., hmac-sha256., hmac-sha384., hmac-sha512.',
    "dns-primary.yaml:4: tsigs[2].secret: secret must be base64 (as made by `openssl rand -base64 32`)",
    'dns-primary.yaml:6: tsigs[4].name: a TSIG named "K3." is already defined at tsigs[3]',
    'dns-primary.yaml:8: peers[0].ip: ip "300.1.1.1" is not an IPv4 or IPv6 address',
    "dns-primary.yaml:9: peers[1].port: port must be an integer from 1 to 65535, not 70000",
    'dns-primary.yaml:10: peers[2].name: a peer named "p1" is already defined at peers[0]',
    "dns-primary.yaml:11: peers[3].name: peer name is required",
    'dns-primary.yaml:13: acls[0].ip_range: ip_range "10.0.0.0/16" is wider than /24, the widest IPv4 range an ACL may have',
    'dns-primary.yaml:14: acls[1].ip_range: ip_range "nonsense" is not an address range such as 192.0.2.0/24 or 2001:db8::/64',
    'dns-primary.yaml:15: acls[2].name: an ACL named "wide" is already defined at acls[0]',
  ]);
  t.same(yamlError(t, "account: { id: ABC, name: lab }\n").lines(), [
    'dns-primary.yaml:1: account.id: "ABC" is not 32 lowercase hexadecimal digits',
  ]);
  t.same(yamlError(t, "account: { name: '' }\n").lines(), [
    "dns-primary.yaml:1: account.name: an account name is required",
  ]);
});

t.test("references by name: unknown names, suggestions, no cascades", async (t) => {
  const err = yamlError(
    t,
    `tsigs:
  - { name: sec1., algo: hmac-sha256, secret: "${SECRET}" }
  - { name: broken., algo: nope, secret: "${SECRET}" }
peers:
  - { name: local-bind, ip: 127.0.0.1, tsig: sec1 }
  - { name: other, ip: 127.0.0.2, tsig: sec2 }
  - { name: uses-broken, tsig: broken }
  - { name: bad-ip, ip: x }
zones:
  example.com:
    outgoing: { peers: [local-bind, Local-Bind, nobody], status: Enabled }
  example.net:
    outgoing: { peers: [other], status: Enabled }
  example.org:
    outgoing: { peers: [uses-broken, bad-ip], status: Enabled }
  "a..b":
    outgoing: { status: Enabled }
  EXAMPLE.com.:
    outgoing: { status: Enabled }
`,
  );
  t.same(err.lines(), [
    'dns-primary.yaml:3: tsigs[1].algo: algo "nope" is not a TSIG algorithm; use one of hmac-md5.sig-alg.reg.int., hmac-sha1., hmac-sha224., hmac-sha256., hmac-sha384., hmac-sha512.',
    'dns-primary.yaml:6: peers[1].tsig: no TSIG named "sec2" (did you mean "sec1."?)',
    'dns-primary.yaml:8: peers[3].ip: ip "x" is not an IPv4 or IPv6 address',
    'dns-primary.yaml:11: zones["example.com"].outgoing.peers[1]: no peer named "Local-Bind" (did you mean "local-bind"?)',
    'dns-primary.yaml:11: zones["example.com"].outgoing.peers[2]: no peer named "nobody"',
    'dns-primary.yaml:16: zones["a..b"]: not a zone name: empty label in name "a..b."',
    'dns-primary.yaml:18: zones["EXAMPLE.com."]: zone EXAMPLE.com. is already configured as "example.com"',
  ]);
  t.equal(err.problems[5].code, 9000);
});

t.test("the 30-peer limit and the shared-TSIG rule, from a file", async (t) => {
  const peers = Array.from({ length: 31 }, (_, i) => `  - { name: p${i}, ip: 192.0.2.${i + 1} }`);
  const names = Array.from({ length: 31 }, (_, i) => `p${i}`);
  const text = (n: number) =>
    `peers:\n${peers.join("\n")}\nzones:\n  example.com:\n    outgoing:\n      status: Enabled\n      peers: [${names.slice(0, n).join(", ")}]\n`;
  t.equal(parseConfig(text(30), "x.yaml").settings.linkedPeers("example.com").length, 30);
  const err = configError(t, () => parseConfig(text(31), "dns-primary.yaml"));
  t.same(err.lines(), [
    'dns-primary.yaml:37: zones["example.com"].outgoing.peers: 31 peers linked, at most 30',
  ]);
  t.equal(err.problems[0].code, 89012);

  const mixed = yamlError(
    t,
    `tsigs:
  - { name: k1, algo: hmac-sha256, secret: "${SECRET}" }
  - { name: k2, algo: hmac-sha256, secret: "${SECRET}" }
peers:
  - { name: a, tsig: k1 }
  - { name: b, tsig: k2 }
  - { name: c }
zones:
  one.example: { outgoing: { peers: [a, b], status: Enabled } }
  two.example: { outgoing: { peers: [c, a], status: Enabled } }
  three.example: { outgoing: { peers: [a, a], status: Enabled } }
`,
  );
  t.same(mixed.lines(), [
    'dns-primary.yaml:9: zones["one.example"].outgoing.peers: the peers linked to a zone must all use the same TSIG, but peer "a" uses TSIG "k1.", peer "b" uses TSIG "k2."',
    'dns-primary.yaml:10: zones["two.example"].outgoing.peers: the peers linked to a zone must all use the same TSIG, but peer "c" has no TSIG, peer "a" uses TSIG "k1."',
    'dns-primary.yaml:11: zones["three.example"].outgoing.peers[1]: peer "a" is linked twice (also peers[0])',
  ]);
  t.same(
    mixed.problems.map((p) => p.code),
    [89013, 89013, 89016],
  );
});

t.test("YAML syntax errors keep yaml's line, without the excerpt", async (t) => {
  t.same(yamlError(t, "peers:\n  - name: a\n  - name: b\n    name: c\n").lines(), [
    "dns-primary.yaml:4: Map keys must be unique",
  ]);
  const err = yamlError(t, "zones: [a,\n");
  t.match(err.message, /^dns-primary.yaml:\d+: /);
  t.notMatch(err.message, /\n/);
  t.match(
    yamlError(t, "a: 1\n---\nb: 2\n").message,
    /^dns-primary.yaml:\d+: .*multiple documents/i,
  );
});

t.test("JSON files: by extension, strict JSON, duplicate keys refused, lines", async (t) => {
  const dir = t.testdir({
    "good.json": JSON.stringify(
      {
        tsigs: [{ name: "k.", algo: "hmac-sha256", secret: SECRET }],
        peers: [{ name: "p", ip: "127.0.0.1", tsig: "k." }],
        zones: { "example.com": { outgoing: { peers: ["p"], status: "Enabled" } } },
      },
      null,
      "\t",
    ),
    "bad-ref.json": '{\n  "peers": [\n    { "name": "p", "tsig": "nope" }\n  ]\n}\n',
    "syntax.json": '{\n  "peers": [\n    { "name": "p", }\n  ]\n}\n',
    "token.json": '{\n  "peers": x\n}\n',
    "dupe.json": '{\n  "peers": [],\n  "peers": []\n}\n',
    "yaml-not-json.json": "peers: []\n",
    "CAPS.JSON": '{ "acls": [] }',
  });
  const good = loadConfig(join(dir, "good.json"));
  t.equal(good.settings.zoneTsig("example.com")?.name, "k.");
  t.same(good.settings.listAcls(), []);
  t.same(configError(t, () => loadConfig(join(dir, "bad-ref.json"))).lines(), [
    `${join(dir, "bad-ref.json")}:3: peers[0].tsig: no TSIG named "nope"`,
  ]);
  t.match(configError(t, () => loadConfig(join(dir, "syntax.json"))).lines(), [
    /syntax\.json:3: not valid JSON: Expected double-quoted property name$/,
  ]);
  t.match(configError(t, () => loadConfig(join(dir, "token.json"))).lines(), [
    /token\.json: not valid JSON: Unexpected token 'x'$/,
  ]);
  t.same(configError(t, () => loadConfig(join(dir, "dupe.json"))).lines(), [
    `${join(dir, "dupe.json")}:3: Map keys must be unique`,
  ]);
  t.match(
    configError(t, () => loadConfig(join(dir, "yaml-not-json.json"))).message,
    /not valid JSON/,
  );
  t.same(loadConfig(join(dir, "CAPS.JSON")).settings.listAcls(), []);
});

t.test("unreadable files", async (t) => {
  const dir = t.testdir({ sub: {} });
  t.equal(
    configError(t, () => loadConfig(join(dir, "missing.yaml"))).message,
    `${join(dir, "missing.yaml")}: cannot read (ENOENT)`,
  );
  t.equal(
    configError(t, () => loadConfig(join(dir, "sub"))).message,
    `${join(dir, "sub")}: cannot read (EISDIR)`,
  );
});

t.test("configFromObject: the same rules for embedders, paths without lines", async (t) => {
  const { settings } = configFromObject(
    {
      tsigs: [{ name: "k.", algo: "hmac-sha256", secret: SECRET }],
      peers: [{ name: "p", ip: "127.0.0.1", tsig: "k." }],
      zones: { "example.com": { outgoing: { peers: ["p"], status: "Enabled" } } },
    },
    "test options",
    { now: () => T0 },
  );
  t.equal(settings.outgoing("example.com")?.created_time, T0.toISOString());
  const err = configError(t, () =>
    configFromObject(
      { peers: [{ name: "p", tsig: "sec2" }], extra: 1 },
      "startPrimary({ config })",
    ),
  );
  t.same(err.lines(), [
    "startPrimary({ config }): extra: unknown field (expected account, api, tsigs, peers, acls, zones, registrar)",
    'startPrimary({ config }): peers[0].tsig: no TSIG named "sec2"',
  ]);
  t.same(
    configError(t, () =>
      configFromObject({ peers: [{ name: "p", tsig: "sec2" }] }, "opts"),
    ).lines(),
    ['opts: peers[0].tsig: no TSIG named "sec2"'],
  );
  t.equal(configFromObject(undefined, "none").settings.listPeers().length, 0);
  t.equal(configFromObject(null, "none").settings.listPeers().length, 0);
});

t.test("a YAML file written to disk loads the same as its text", async (t) => {
  const dir = t.testdir({});
  const file = join(dir, "dns-primary.yml");
  writeFileSync(file, `peers: [{ name: p, ip: "::ffff:127.0.0.1" }]\n`);
  t.equal(loadConfig(file).settings.listPeers()[0].ip, "::ffff:127.0.0.1");
});

t.test(
  "zones' DNS settings: checked as the API checks them, the SOA left to the zone file",
  async (t) => {
    const ok = parseConfig(
      `zones:
  example.com:
    dns_settings: { multi_provider: true, ns_ttl: 3600 }
  example.org.:
    dns_settings: { flatten_all_cnames: true }
`,
      "a.yaml",
    );
    t.same(ok.dnsSettings, {
      "example.com.": { multi_provider: true, ns_ttl: 3600 },
      "example.org.": { flatten_all_cnames: true },
    });
    t.same(parseConfig("tsigs: []\n", "b.yaml").dnsSettings, {});
    const err = yamlError(
      t,
      `zones:
  a.example:
    dns_settings:
      ns_ttl: 5
  b.example:
    dns_settings: { multi_provider: "yes" }
  c.example:
    dns_settings:
      soa: { refresh: 7200 }
  d.example:
    dns_settings: { zone_nonsense: 1 }
`,
    );
    t.same(
      err.problems.map((p) => [p.line, p.path, p.code]),
      [
        [4, 'zones["a.example"].dns_settings.ns_ttl', 89001],
        [6, 'zones["b.example"].dns_settings.multi_provider', 89001],
        [9, 'zones["c.example"].dns_settings.soa', undefined],
        [11, 'zones["d.example"].dns_settings.zone_nonsense', undefined],
      ],
    );
    t.equal(
      err.problems[3].reason,
      "unknown field (expected flatten_all_cnames, foundation_dns, internal_dns, multi_provider, nameservers, ns_ttl, secondary_overrides, zone_mode)",
    );
    t.match(err.message, /ns_ttl must be a whole number from 30 to 86400/);
    t.match(err.problems[2].reason, /the SOA comes from the zone file/);
  },
);

t.test("account.dns_settings: checked as the API checks them, the account optional", async (t) => {
  const ok = parseConfig(
    "account:\n  dns_settings:\n    zone_defaults: { multi_provider: true, ns_ttl: 3600 }\n    enforce_dns_only: true\n",
    "a.yaml",
  );
  t.equal(ok.account, undefined, "no id and no name: the default account");
  t.same(ok.accountDnsSettings, {
    zone_defaults: { multi_provider: true, ns_ttl: 3600 },
    enforce_dns_only: true,
  });
  const named = parseConfig("account: { name: Lab }\n", "a.yaml");
  t.same(named.account, { id: derivedId("account", "Lab"), name: "Lab" });
  t.equal(named.accountDnsSettings, undefined);
  const err = yamlError(
    t,
    "account:\n  name: Lab\n  dns_settings:\n    zone_defaults:\n      ns_ttl: 5\n",
  );
  t.same(err.lines(), [
    "dns-primary.yaml:5: account.dns_settings.zone_defaults.ns_ttl: zone_defaults: ns_ttl must be a whole number from 30 to 86400",
  ]);
  t.equal(err.problems[0].code, 89001);
  t.same(yamlError(t, "account:\n  dns_settings: { enforce: true }\n").lines(), [
    "dns-primary.yaml:2: account.dns_settings.enforce: enforce is not an account DNS setting",
  ]);
});

t.test("api.rate_limit: N/SECONDS, checked with its line", async (t) => {
  t.same(parseConfig("api:\n  rate_limit: 1200/300\n", "a.yaml").apiRateLimit, {
    requests: 1200,
    seconds: 300,
  });
  t.equal(parseConfig("tsigs: []\n", "a.yaml").apiRateLimit, undefined);
  const err = yamlError(t, "api:\n  rate_limit: 0/300\n");
  t.match(err.lines(), [/^dns-primary\.yaml:2: api\.rate_limit: an API rate limit is N\/SECONDS/]);
  t.same(yamlError(t, "api:\n  rate: 1/1\n").lines(), [
    'dns-primary.yaml:2: api.rate: unknown field (did you mean "rate_limit"?)',
  ]);
});

t.test("zones[].outgoing_entitled: false revokes the zone's entitlement", async (t) => {
  const { settings } = parseConfig(
    "zones:\n  example.com:\n    outgoing_entitled: false\n  example.net:\n    outgoing_entitled: true\n",
    "a.yaml",
  );
  t.equal(settings.entitled("example.com."), false);
  t.equal(settings.entitled("example.net."), true);
  t.equal(settings.entitled("other.example."), true, "granted unless revoked");
  t.same(yamlError(t, "zones:\n  example.com:\n    outgoing_entitled: no-thanks\n").lines(), [
    'dns-primary.yaml:3: zones["example.com"].outgoing_entitled: expected true or false, not "no-thanks"',
  ]);
});
