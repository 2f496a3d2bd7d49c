// `serve --fault ZONE:KIND[:KEY=VALUE,...]`: parsed, checked by the fault store, usage errors
// naming the flag, and the faults the server starts with.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { HELP, parseCommandLine, parseFault, UsageError } from "../../src/cli/args.js";
import { run } from "../../src/cli/run.js";
import { fakeIO } from "./fake-io.js";

const ZONE = `$ORIGIN example.net.
$TTL 60
@   SOA ns.example.net. admin.example.net. 42 3600 600 86400 60
@   NS  ns.example.net.
ns  A   192.0.2.1
`;

function zonesDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-fault-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "zones"));
  writeFileSync(join(dir, "zones", "example.net.zone"), ZONE);
  return join(dir, "zones");
}

const serveArgs = (zones: string) => [
  "serve",
  "--zones",
  zones,
  "--dns",
  "127.0.0.1:0",
  "--api",
  "127.0.0.1:0",
  "--log-level",
  "silent",
  "--no-notify",
];

t.test("--fault: repeatable, zone, kind and KEY=VALUEs as text for the store", async (t) => {
  const cmd = parseCommandLine([
    "serve",
    "--fault",
    "example.com:xfr-truncate:after_messages=2,times=1",
    "--fault",
    "example.com.:notify-from:source=::1",
    "--fault",
    "example.org:ixfr-as-axfr",
    "--fault",
    `example.org:latency:ms=20,source=127.0.0.2,peer_id=${"ab".repeat(16)}`,
  ]);
  t.same(cmd.kind === "serve" && cmd.faults, [
    {
      zone: "example.com",
      spec: { kind: "xfr-truncate", after_messages: "2", times: "1" },
      text: "example.com:xfr-truncate:after_messages=2,times=1",
    },
    {
      zone: "example.com.",
      spec: { kind: "notify-from", source: "::1" },
      text: "example.com.:notify-from:source=::1",
    },
    { zone: "example.org", spec: { kind: "ixfr-as-axfr" }, text: "example.org:ixfr-as-axfr" },
    {
      zone: "example.org",
      spec: { kind: "latency", ms: "20", source: "127.0.0.2", peer_id: "ab".repeat(16) },
      text: `example.org:latency:ms=20,source=127.0.0.2,peer_id=${"ab".repeat(16)}`,
    },
  ]);
  t.notOk("faults" in parseCommandLine(["serve"]), "none given: none");
  t.match(HELP, /--fault ZONE:KIND\[:KEY=VALUE,\.\.\.\]/);
  t.match(HELP, /e\.g\. --fault example\.com:xfr-truncate:after_messages=2,times=1/);
});

t.test("a bad --fault is a usage error naming the flag, the value and the problem", async (t) => {
  const cases: Array<[string, RegExp]> = [
    ["example.com", /^--fault example\.com: expected ZONE:KIND\[:KEY=VALUE,\.\.\.\]/],
    [":latency", /^--fault :latency: no zone before the kind/],
    ["exa..mple:latency", /^--fault exa\.\.mple:latency: "exa\.\.mple" is not a zone name/],
    ["example.com:", /^--fault example\.com:: no kind after the zone/],
    ["example.com::ms=5", /no kind after the zone/],
    [
      "example.com:xfr-explode",
      /^--fault example\.com:xfr-explode: unknown fault kind "xfr-explode"/,
    ],
    ["example.com:latency", /^--fault example\.com:latency: latency: ms is required/],
    ["example.com:latency:ms=fast", /latency: ms must be a whole number from 1 to 600000/],
    ["example.com:latency:ms", /"ms" is not KEY=VALUE/],
    ["example.com:latency:=5", /"=5" is not KEY=VALUE/],
    ["example.com:latency:ms=5,ms=6", /ms is given twice/],
    ["example.com:latency:kind=udp-drop", /kind is given twice/],
    [
      "example.com:xfr-truncate:after=2",
      /xfr-truncate has no parameter after \(it has after_messages\)/,
    ],
    ["example.com:soa-rcode:drop=yes", /soa-rcode: drop must be true or false/],
    ["example.com:ixfr-refuse:rcode=NOERROR", /rcode must be an error RCODE/],
    ["example.com:tsig-unsigned:message=first", /message must be "last" or a message number/],
    ["example.com:notify-drop:times=0", /times must be a whole number from 1 to 1000000/],
    [
      "example.com:notify-drop:peer_id=bind",
      /peer_id must be a peer's id \(32 hexadecimal digits\)/,
    ],
    ["example.com:notify-drop:source=localhost", /source "localhost" is not an IP address/],
    ["example.com:notify-from:source=::1::2", /notify-from: source must be an IP address/],
  ];
  for (const [text, message] of cases) {
    t.throws(() => parseFault(text), { name: "UsageError", message }, text);
  }
  // Through run: exit code 2, one line, the flag named.
  const f = fakeIO();
  t.equal(await run(["serve", "--fault", "example.com:latency:ms=0"], f.io), 2);
  t.equal(
    f.err(),
    "dns-primary: --fault example.com:latency:ms=0: latency: ms must be a whole number from 1 to 600000 (the delay before each answer) (see dns-primary --help)\n",
  );
  t.throws(() => parseCommandLine(["check", "--fault", "a:b", "x.zone"]), UsageError);
  t.throws(() => parseCommandLine(["serve", "--fault"]), /--fault needs a value/);
});

t.test(
  "serve --fault: the server starts with the faults, shown in the summary and the API",
  async (t) => {
    const zones = zonesDir(t);
    const f = fakeIO();
    const done = run(
      [
        ...serveArgs(zones),
        "--fault",
        "example.net:xfr-truncate:after_messages=3,times=2",
        "--fault",
        "EXAMPLE.NET.:soa-rcode:drop=true,source=127.0.0.9",
      ],
      f.io,
    );
    while (!f.out().includes("\n") && f.err() === "") await new Promise((r) => setTimeout(r, 10));
    t.equal(f.err(), "");
    t.match(f.out(), /\n {2}fault: example\.net:xfr-truncate:after_messages=3,times=2\n/);
    t.match(
      f.out(),
      /\n {2}fault: example\.net:soa-rcode:rcode=SERVFAIL,drop=true,source=127\.0\.0\.9\n/,
    );
    const api = /api (http:\/\/127\.0\.0\.1:\d+)\/client\/v4/.exec(f.out())![1];
    const ext = `${api}/dns-primary/v1`;
    const zone = (
      (await (await fetch(`${ext}/zones?name=example.net`)).json()) as {
        result: Array<{ id: string }>;
      }
    ).result[0]!.id;
    const listed = (
      (await (await fetch(`${ext}/zones/${zone}/faults`)).json()) as {
        result: Array<Record<string, unknown>>;
      }
    ).result;
    t.match(listed, [
      { kind: "xfr-truncate", params: { after_messages: 3 }, times: 2, origin: "config" },
      {
        kind: "soa-rcode",
        params: { rcode: "SERVFAIL", drop: true },
        source: "127.0.0.9",
        origin: "config",
      },
    ]);
    f.stop();
    t.equal(await done, 0);
  },
);

t.test("serve --fault for a zone not served, or a peer that is not one: exit 2", async (t) => {
  const zones = zonesDir(t);
  const a = fakeIO();
  t.equal(await run([...serveArgs(zones), "--fault", "example.org:notify-drop"], a.io), 2);
  t.equal(
    a.err(),
    "dns-primary: --fault: fault for example.org: no such zone is served (see dns-primary --help)\n",
  );
  const b = fakeIO();
  const peer = "ab".repeat(16);
  t.equal(
    await run([...serveArgs(zones), "--fault", `example.net:notify-drop:peer_id=${peer}`], b.io),
    2,
  );
  t.equal(
    b.err(),
    `dns-primary: --fault: peer_id ${peer} is not a peer of this account (see dns-primary --help)\n`,
  );
  t.equal(a.out() + b.out(), "", "nothing started");
});
