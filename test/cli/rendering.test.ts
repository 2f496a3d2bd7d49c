// `dns-primary rendering ZONE` in a child process against a primary running in this process.
//
// The child must not block this process's event loop (it asks the in-process API), so it is
// run with execFile and awaited. Starting a child with tap's TypeScript loader costs seconds,
// so src/ is transpiled once (as test/cli/cli.test.ts does) into a temporary package.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { type PrimaryServer, startServer } from "../../src/primary.js";
import { buildPackage } from "./package.js";

const PKG = buildPackage((fn) => t.teardown(fn));
const MAIN = join(PKG, "dist", "cli", "main.js");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI in a child process, awaited without blocking this process's event loop. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: "", ...env };
  if (env.DNS_PRIMARY_API_TOKEN === undefined) delete childEnv.DNS_PRIMARY_API_TOKEN;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { env: childEnv, encoding: "utf8", timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const ZONE = `$ORIGIN example.com.
$TTL 3600
@    IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300
@    IN NS  ns1.example.com.
ns1  IN A   192.0.2.53
www  IN A   192.0.2.80
_acme-challenge IN TXT "validation-token"
`;

async function primary(apiToken?: string): Promise<{ p: PrimaryServer; api: string; v4: string }> {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-zones-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "example.com.zone"), ZONE);
  const p = await startServer({
    zonesDir: dir,
    dns: { host: "127.0.0.1", port: 0 },
    api: { host: "127.0.0.1", port: 0 },
    ...(apiToken === undefined ? {} : { apiToken }),
  });
  t.teardown(() => p.close());
  const api = `127.0.0.1:${p.api!.port}`;
  return { p, api, v4: `http://${api}/client/v4` };
}

async function post(v4: string, path: string, body: unknown, token?: string): Promise<void> {
  const res = await fetch(`${v4}${path}`, {
    method: path.endsWith("dns_settings") ? "PATCH" : "POST",
    headers: {
      "content-type": "application/json",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { success: boolean; errors: unknown[] };
  if (!json.success) throw new Error(`${path}: ${JSON.stringify(json.errors)}`);
}

/** A port where nothing listens (bound, then released). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

t.test("prints each configured record's fate, then what AXFR carries", async (t) => {
  const { p, api, v4 } = await primary();
  const zone = p.cloudflare.set.get("example.com.")!;
  const list = (await (await fetch(`http://${api}/dns-primary/v1/zones`)).json()) as {
    result: Array<{ id: string }>;
  };
  const id = list.result[0].id;
  await post(v4, `/zones/${id}/dns_records`, {
    name: "shop",
    type: "A",
    content: "198.51.100.9",
    proxied: true,
  });
  await post(v4, `/zones/${id}/dns_records`, {
    name: "@",
    type: "CAA",
    data: { flags: 0, tag: "issue", value: "letsencrypt.org" },
  });
  await post(v4, `/zones/${id}/dns_records`, { name: "@", type: "NS", content: "ns.other.net" });

  const r = await cli(["rendering", "example.com", "--api", api]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, "");
  const out = r.stdout;
  t.match(out, new RegExp(`^zone example\\.com \\(id ${id}\\), serial ${zone.serial}\n`));
  t.match(out, /multi_provider off, flatten_all_cnames off, ns_ttl 3600/);
  t.match(out, /\n {2}NAME +TYPE +CONTENT +TTL +PROXIED +DISPOSITION\n/);
  t.match(
    out,
    /shop\.example\.com +A +198\.51\.100\.9 +auto +yes +proxied -> \S+ \S+ \S+ \S+ ttl 300: the name is proxied/,
  );
  t.match(out, /example\.com +CAA +0 issue "letsencrypt\.org" .*withheld \(caa\): CAA records/);
  t.match(out, /_acme-challenge\.example\.com +TXT .*withheld \(certificate-validation\)/);
  t.match(out, /example\.com +NS +ns\.other\.net .*apex-ns-ignored: multi_provider is off/);
  t.match(out, /example\.com +NS +ns1\.example\.com .*assigned-ns/);
  t.match(out, /www\.example\.com +A +192\.0\.2\.80 +3600 +no +transferred\n/);
  t.match(out, /\ntransferred by AXFR \(\d+ RRsets\):\n/);
  const axfr = out.slice(out.indexOf("transferred by AXFR"));
  t.match(
    axfr,
    new RegExp(`\nexample\\.com\\. +3600 +IN +SOA +ns1\\.example\\.com\\. .* ${zone.serial} `),
  );
  t.match(axfr, /\nexample\.com\. +3600 +IN +NS +ns1\.example\.com\.\n/);
  t.match(axfr, /\nshop\.example\.com\. +300 +IN +A +(104|172)\./);
  t.match(axfr, /\nshop\.example\.com\. +300 +IN +AAAA +2606:4700:/);
  t.notMatch(axfr, /198\.51\.100\.9|CAA|ns\.other\.net|validation-token/);

  // multi_provider on: the user's apex NS is now transferred; the table says so and why.
  await post(v4, `/zones/${id}/dns_settings`, { multi_provider: true });
  const on = await cli(["rendering", "example.com.", "--api", api]);
  t.equal(on.code, 0);
  t.match(on.stdout, /example\.com +NS +ns\.other\.net .*transferred: multi_provider is on/);
  t.match(on.stdout, /\nexample\.com\. +3600 +IN +NS +ns\.other\.net\.\n/);

  // --name, by zone id, --json.
  const www = await cli(["rendering", id, "--api", api, "--name", "www"]);
  t.equal(www.code, 0, www.stderr);
  t.match(www.stdout, /configured records \(1\):\n.*\n {2}www\.example\.com +A /);
  t.match(
    www.stdout,
    /transferred by AXFR \(1 RRsets\):\nwww\.example\.com\. +3600 +IN +A +192\.0\.2\.80\n$/,
  );
  const json = await cli(["rendering", "example.com", "--api", api, "--json", "--name", "@"]);
  t.equal(json.code, 0);
  const parsed = JSON.parse(json.stdout);
  t.match(parsed.zone, { id, name: "example.com", multi_provider: true });
  t.ok(parsed.records.every((x: { name: string }) => x.name === "example.com"));
  t.ok(parsed.records.some((x: { disposition: string }) => x.disposition === "withheld"));
  t.equal(parsed.transferred[0].type, "SOA");
});

t.test("failures: one line and exit code 1", async (t) => {
  const { api } = await primary();
  const unknown = await cli(["rendering", "example.org", "--api", api]);
  t.equal(unknown.code, 1);
  t.equal(unknown.stdout, "");
  t.match(
    unknown.stderr,
    /^dns-primary: zone example\.org is not served by dns-primary at http:\/\/127\.0\.0\.1:\d+\/dns-primary\/v1\n$/,
  );
  const unknownId = await cli(["rendering", "0123456789abcdef0123456789abcdef", "--api", api]);
  t.equal(unknownId.code, 1);
  t.match(
    unknownId.stderr,
    /^dns-primary: zone 0123456789abcdef0123456789abcdef is not served[^\n]*\n$/,
  );

  const port = await closedPort();
  const down = await cli(["rendering", "example.com", "--api", `127.0.0.1:${port}`]);
  t.equal(down.code, 1);
  t.equal(down.stdout, "");
  t.match(
    down.stderr,
    new RegExp(
      `^dns-primary: cannot reach dns-primary at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)[^\\n]*\\n$`,
    ),
  );

  const usage = await cli(["rendering", "--api", api]);
  t.equal(usage.code, 2);
  t.match(usage.stderr, /rendering: name the zone/);
  const wrongOption = await cli(["rendering", "example.com", "--zones", "z"]);
  t.equal(wrongOption.code, 2);
  t.match(wrongOption.stderr, /--zones is an option of serve/);
  const help = await cli(["--help"]);
  t.match(help.stdout, /dns-primary rendering ZONE \[--api HOST:PORT\]/);
  t.match(help.stdout, /Example: dns-primary rendering example\.com/);
});

t.test(
  "the API token: a refusal is one line naming --api-token; the flag and the environment pass",
  async (t) => {
    const token = "lab-token-42";
    const { api } = await primary(token);
    const refused = await cli(["rendering", "example.com", "--api", api]);
    t.equal(refused.code, 1);
    t.match(
      refused.stderr,
      /^dns-primary: [^\n]*the server wants an API token; give the one it was started with as --api-token TOKEN or DNS_PRIMARY_API_TOKEN\n$/,
    );
    const wrong = await cli(["rendering", "example.com", "--api", api, "--api-token", "nope"]);
    t.equal(wrong.code, 1);
    t.match(
      wrong.stderr,
      /^dns-primary: [^\n]*refused the API token \(HTTP 403, code 10000\); give [^\n]*--api-token TOKEN[^\n]*\n$/,
    );
    const flag = await cli(["rendering", "example.com", "--api", api, "--api-token", token]);
    t.equal(flag.code, 0, flag.stderr);
    t.match(flag.stdout, /^zone example\.com /);
    const env = await cli(["rendering", "example.com", "--api", api], {
      DNS_PRIMARY_API_TOKEN: token,
    });
    t.equal(env.code, 0, env.stderr);
  },
);
