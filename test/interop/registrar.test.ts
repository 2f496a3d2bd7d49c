/**
 * The registrar's parent zone followed by a real validating resolver: Debian's `unbound`, with
 * the registrar as its only root server and the registrar's key as its only trust anchor,
 * resolves a Cloudflare zone of dns-primary from the top, as a resolver on the internet would.
 *
 * Resolvers ask nameservers on port 53 only (glue carries addresses, not ports), so the lab
 * uses one loopback address per server, each on port 53 (docs/registrar.md): it needs root or
 * CAP_NET_BIND_SERVICE, and the test is skipped, saying so, where port 53 cannot be bound.
 *
 * Checked: a signed answer comes with AD; a record changed through the API is seen with AD
 * once the resolver's cache lets go of it; a zone without DNSSEC resolves without AD (an
 * insecure delegation, proved by the parent's NSEC); turning DNSSEC off takes the DS out of
 * the parent and AD out of the answers; the resolver's own log shows the chain it validated.
 */

import { type ChildProcess, execFile, spawn } from "node:child_process";
import dgram from "node:dgram";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import t from "tap";
import { startServer } from "../../src/primary.js";
import { makeTempDir, removeTempDir, requireTool } from "../peers/tools.js";

const run = promisify(execFile);
const CLOUDFLARE = "127.53.1.1";
const REGISTRAR = "127.53.1.2";
const RESOLVER = "127.53.1.9";

function canBind53(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket("udp4");
    s.once("error", () => resolve(false));
    s.bind(53, host, () => s.close(() => resolve(true)));
  });
}

async function freePort(host: string): Promise<number> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Resolved {
  status: string;
  ad: boolean;
  answer: string[];
}

async function resolve(dig: string, port: number, name: string, type: string): Promise<Resolved> {
  const { stdout } = await run(
    dig,
    [`@${RESOLVER}`, "-p", String(port), "+dnssec", "+tries=1", "+time=5", name, type],
    { timeout: 15000 },
  );
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? "none";
  const flags = /;; flags: ([^;]*);/.exec(stdout)?.[1] ?? "";
  const answer = stdout
    .slice(stdout.indexOf(";; ANSWER SECTION:"))
    .split("\n")
    .slice(1)
    .filter((l) => l.trim() !== "" && !l.startsWith(";"))
    .map((l) => l.split(/\s+/))
    .filter((f) => f[3] === type)
    .map((f) => f.slice(4).join(" "));
  return { status, ad: flags.split(" ").includes("ad"), answer };
}

/** Ask until `ok` holds (the resolver's cache keeps an answer up to its max TTL), or fail. */
async function until(
  get: () => Promise<Resolved>,
  ok: (r: Resolved) => boolean,
  ms = 15000,
): Promise<Resolved> {
  const end = Date.now() + ms;
  let last = await get();
  while (!ok(last) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500));
    last = await get();
  }
  return last;
}

t.test("unbound resolves through the registrar and validates with its key", async (t) => {
  const unbound = requireTool(t, "unbound");
  const dig = requireTool(t, "dig");
  if (!unbound || !dig) return;
  if (!(await canBind53(CLOUDFLARE)) || !(await canBind53(REGISTRAR))) {
    const why = "port 53 on 127.53.1.x cannot be bound (needs root or CAP_NET_BIND_SERVICE)";
    t.pass(why, { skip: why });
    return;
  }
  const server = await startServer({
    dns: { host: CLOUDFLARE, port: 53 },
    registrar: { host: REGISTRAR, port: 53 },
    api: { host: "127.0.0.1", port: 0 },
    notify: false,
    zones: [
      {
        origin: "example.test",
        records: [{ name: "www", type: "A", content: "192.0.2.80", ttl: 60 }],
      },
      {
        origin: "plain.test",
        records: [{ name: "www", type: "A", content: "192.0.2.90", ttl: 60 }],
      },
    ],
  });
  t.teardown(() => server.close());
  const api = `http://127.0.0.1:${server.api!.port}`;
  const call = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${api}${url}`, {
      method,
      headers: { authorization: "Bearer lab", "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as { success: boolean; result: any; errors: unknown[] };
    if (!json.success) throw new Error(`${method} ${url}: ${JSON.stringify(json.errors)}`);
    return json.result;
  };
  const zones = await call("GET", "/client/v4/zones?name=example.test");
  const zoneId = zones[0].id as string;
  await call("PATCH", `/client/v4/zones/${zoneId}/dnssec`, { status: "active" });
  const reg = await call("GET", "/dns-primary/v1/registrar");
  t.equal(reg.origin, ".", "the registrar serves the lab's root");
  t.match(
    reg.domains.find((d: any) => d.name === "example.test.").ds,
    [/^\d+ 13 2 [0-9A-F]{64}$/],
    "the zone's DS is at the parent",
  );

  const dir = makeTempDir("dns-primary-unbound-");
  t.teardown(() => (process.env.KEEP_LAB ? undefined : removeTempDir(dir)));
  const port = await freePort(RESOLVER);
  const hints = path.join(dir, "root.hints");
  writeFileSync(
    hints,
    `. 3600 IN NS ${reg.nameserver.name}\n${reg.nameserver.name} 3600 IN A ${REGISTRAR}\n`,
  );
  const log = path.join(dir, "unbound.log");
  const conf = path.join(dir, "unbound.conf");
  writeFileSync(
    conf,
    `server:
    interface: ${RESOLVER}@${port}
    access-control: 127.0.0.0/8 allow
    do-ip6: no
    do-not-query-localhost: no
    username: ""
    chroot: ""
    directory: "${dir}"
    pidfile: "${dir}/unbound.pid"
    use-syslog: no
    logfile: "${log}"
    verbosity: 2
    val-log-level: 2
    root-hints: "${hints}"
    trust-anchor: "${reg.trust_anchor.ds}"
    cache-max-ttl: 1
    cache-max-negative-ttl: 1
    qname-minimisation: no
    # unbound answers "test." itself (RFC 6761 §6.2) unless told not to.
    local-zone: "test." nodefault
    num-threads: 1
remote-control:
    control-enable: no
`,
  );
  await run(findCheckconf(unbound), [conf]);
  const proc: ChildProcess = spawn(unbound, ["-d", "-c", conf], { stdio: "ignore" });
  t.teardown(() => {
    proc.kill();
  });
  const ask =
    (name: string, type = "A") =>
    () =>
      resolve(dig, port, name, type);

  const first = await until(ask("www.example.test"), (r) => r.status === "NOERROR" && r.ad);
  t.same(first, { status: "NOERROR", ad: true, answer: ["192.0.2.80"] }, "a signed zone: AD");

  const plain = await until(ask("www.plain.test"), (r) => r.status === "NOERROR");
  t.same(
    plain,
    { status: "NOERROR", ad: false, answer: ["192.0.2.90"] },
    "an unsigned zone: an insecure delegation, no AD",
  );

  const nx = await until(ask("nope.example.test"), (r) => r.status !== "SERVFAIL");
  t.equal(nx.ad, true, "a name that does not exist: validated denial (compact, RFC 9824)");

  const records = await call("GET", `/client/v4/zones/${zoneId}/dns_records?name=www.example.test`);
  await call("PATCH", `/client/v4/zones/${zoneId}/dns_records/${records[0].id}`, {
    content: "192.0.2.81",
  });
  const changed = await until(ask("www.example.test"), (r) => r.answer[0] === "192.0.2.81");
  t.same(
    changed,
    { status: "NOERROR", ad: true, answer: ["192.0.2.81"] },
    "a change through the API: seen, with AD",
  );

  await call("DELETE", `/client/v4/zones/${zoneId}/dnssec`);
  const off = await until(ask("www.example.test"), (r) => r.status === "NOERROR" && !r.ad);
  t.same(
    off,
    { status: "NOERROR", ad: false, answer: ["192.0.2.81"] },
    "DNSSEC off: the DS leaves the parent, AD goes",
  );

  // The resolver's own account: it validated with the registrar's key.
  const text = readFileSync(log, "utf8");
  t.match(
    text,
    /validate keys with anchor\(DS\): sec_status_secure/,
    "unbound: the anchor is the registrar's key",
  );
  t.match(
    text,
    /validated DS example\.test\. DS IN/,
    "unbound: the DS came from the parent, validated",
  );
  t.match(text, /validation success www\.example\.test\. A IN/, "unbound: the answer validated");
});

function findCheckconf(unbound: string): string {
  return path.join(path.dirname(unbound), "unbound-checkconf");
}
