/**
 * The README's and the reference's commands, run as a reader runs them: a README that lies is
 * a bug.
 *
 * Every ```sh and ```js block of README.md and of each docs/*.md page is either run here or
 * carries, on the line before it, `<!-- README test: not run (why) -->`; a new block can only
 * escape on purpose. Every relative link of those pages leads to a file (and a heading) that
 * exists, and the README stays a front page (at most 12 KiB).
 *
 * - The quick start's `npm install && npm start` is the server each block runs against: the
 *   command `npm start` runs, as the README quotes it. `npm install && npm test` is the
 *   command running this test, and is not run again.
 * - The sh blocks of one `##` section of one page run in order in one bash session (their
 *   variables carry over, as in the reader's terminal) against one fresh server; each js block
 *   runs as an ES module against a fresh server, with "dns-primary" resolving to the package.
 *   A section is named `page#heading` (`README.md#Quick start`, `docs/api.md#...`); blocks
 *   above a page's first `##` belong to its `#` title.
 * - The only changes to what is written: the ports written (DNS 5300, API 8787, the
 *   secondary's 5301) become free ports, and `secondary-config` gets `--api` spelled out (its
 *   default is 8787). A line the README marks `(foreground)` is started in the background.
 * - What each command printed is checked: no API answer with `"success":false`, every dig
 *   answering as its comment says (NOERROR, or REFUSED where the README says so), and the state
 *   each walk leaves behind (read back from the server and from the BIND secondary it starts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import t, { type Test } from "tap";
import { buildPackage, ROOT } from "./cli/package.js";
import { freePort, requireTool } from "./peers/tools.js";

/** The front page and the reference pages, as paths from the repository's root. */
const PAGES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];
const TEXT = new Map(PAGES.map((p) => [p, readFileSync(join(ROOT, p), "utf8")]));
const SKIP_MARK = /^<!-- README test: not run \((.+)\) -->$/;

interface Block {
  page: string;
  lang: string;
  code: string;
  line: number;
  /** `page#heading`: the `##` heading above the block, or the page's `#` title. */
  section: string;
  skip?: string;
}

function blocks(page: string, text: string): Block[] {
  const lines = text.split("\n");
  const out: Block[] = [];
  let section = `${page}#`;
  for (let i = 0; i < lines.length; i++) {
    const h = /^##? (.+)$/.exec(lines[i]);
    if (h) section = `${page}#${h[1]}`;
    const open = /^```(\w*)$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== "```"; i++) body.push(lines[i]);
    const skip = SKIP_MARK.exec(lines[start - 1] ?? "")?.[1];
    out.push({ page, lang: open[1], code: `${body.join("\n")}\n`, line: start + 1, section, skip });
  }
  return out;
}

const ALL = PAGES.flatMap((p) => blocks(p, TEXT.get(p)!));
const RUNNABLE = ALL.filter((b) => b.lang === "sh" || b.lang === "js");
const where = (b: Block) => `${b.page}:${b.line}`;
const START = "npm install && npm start";
const TEST = "npm install && npm test";

interface Ports {
  dns: number;
  api: number;
  secondary: number;
}

/** The README's ports moved to free ones; `secondary-config` told where the API is. */
function rewrite(code: string, p: Ports): string {
  return code
    .replace(/\b5300\b/g, String(p.dns))
    .replace(/\b8787\b/g, String(p.api))
    .replace(/\b5301\b/g, String(p.secondary))
    .replace(/secondary-config (?![^\n]*--api)/g, `secondary-config --api 127.0.0.1:${p.api} `);
}

/** The README's lines as commands: continuation lines joined, comments and blanks dropped. */
function commands(code: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (const line of code.split("\n")) {
    cur += line;
    if (line.endsWith("\\")) {
      cur += "\n";
      continue;
    }
    if (cur.trim() !== "" && !cur.trimStart().startsWith("#")) out.push(cur);
    cur = "";
  }
  return out;
}

/** What a dig line must print, from its own words; `line` is one line of it, for grep. */
function digExpectation(cmd: string): { all: RegExp; line: string } | undefined {
  if (!/^dig\b/.test(cmd)) return undefined;
  if (/REFUSED/.test(cmd)) return { all: /status: REFUSED/, line: "status: REFUSED" };
  // A transfer: the SOA first and last.
  if (/\bAXFR\b/.test(cmd)) return { all: /\sSOA\s[\s\S]*\sSOA\s/, line: "SOA" };
  return { all: /status: NOERROR/, line: "status: NOERROR" };
}

// ---- the workspace: the package as built, the bundled zones and config, a server ----

const PKG = buildPackage((fn) => t.teardown(fn));
cpSync(join(ROOT, "zones"), join(PKG, "zones"), { recursive: true });
cpSync(join(ROOT, "dns-primary.yaml"), join(PKG, "dns-primary.yaml"));
// `npm run build` (npm start's prestart) copies the dashboard's files beside the compiled code.
cpSync(join(ROOT, "src", "dashboard", "assets"), join(PKG, "dist", "dashboard", "assets"), {
  recursive: true,
});
const MAIN = join(PKG, "dist", "cli", "main.js");
// `npx dns-primary` links the package into npx's cache, which runs its `prepare` (the build);
// this package is built already and has no sources to build from.
const manifest = JSON.parse(readFileSync(join(PKG, "package.json"), "utf8"));
delete manifest.scripts.prepare;
writeFileSync(join(PKG, "package.json"), JSON.stringify(manifest, null, 2));
// As a reader's shell: no tap loaders, and no API token unless the README sets one.
const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: "" };
delete env.DNS_PRIMARY_API_TOKEN;

const children = new Set<ChildProcess>();
t.teardown(() => {
  for (const c of children) c.kill("SIGKILL");
});

/** The quick start's server: `npm start`'s command, on free ports. */
async function startServer(t: Test): Promise<Ports> {
  const ports = { dns: await freePort(), api: await freePort(), secondary: await freePort() };
  const script = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.start;
  const m = /^node dist\/cli\/main\.js (serve .*)$/.exec(script);
  if (!m) throw new Error(`npm start is no longer "node dist/cli/main.js serve ...": ${script}`);
  const args = [
    ...m[1].split(" "),
    "--dns",
    `127.0.0.1:${ports.dns}`,
    "--api",
    `127.0.0.1:${ports.api}`,
  ];
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: PKG, env });
  children.add(child);
  t.teardown(() => {
    child.kill("SIGTERM");
    children.delete(child);
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  const deadline = Date.now() + 20_000;
  while (!/dashboard: http/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return ports;
}

interface Ran {
  cmd: string;
  rc: number;
  out: string;
  err: string;
}

/** Run a section's sh blocks as one bash session; each command's status and output apart. */
async function runSession(t: Test, code: string, dir: string): Promise<Ran[]> {
  const cmds = commands(code);
  const parts = ['cd "$1"'];
  cmds.forEach((cmd, i) => {
    const o = `"$2/out.${i}"`;
    const e = `"$2/err.${i}"`;
    const r = `"$2/rc.${i}"`;
    if (/\(foreground\)\s*$/.test(cmd)) {
      parts.push(
        `${cmd.replace(/#.*$/, "")} > ${o} 2>&1 &`,
        `echo $! > "$2/pid.${i}"; echo 0 > ${r}`,
      );
      return;
    }
    const want = digExpectation(cmd);
    if (want) {
      // A secondary started just before needs a moment: dig again until it answers as said.
      parts.push(
        `for n in $(seq 1 60); do`,
        `{\n${cmd}\n} > ${o} 2> ${e}; rc=$?`,
        `grep -q '${want.line}' ${o} && break; sleep 0.25`,
        `done; echo $rc > ${r}`,
      );
      return;
    }
    parts.push(`{\n${cmd}\n} > ${o} 2> ${e}; echo $? > ${r}`);
  });
  const script = join(dir, "session.sh");
  writeFileSync(script, `${parts.join("\n")}\n`);
  // A process group of its own: a `(foreground)` command started with npx leaves npx's child
  // (the server) behind when npx alone is signalled, so the whole group is stopped at the end.
  const child = spawn("bash", [script, PKG, dir], {
    cwd: PKG,
    env,
    stdio: "ignore",
    detached: true,
  });
  children.add(child);
  await new Promise((r) => child.on("exit", r));
  children.delete(child);
  t.teardown(() => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
    } catch {
      // nothing of the session is left
    }
    cmds.forEach((_, i) => {
      const pid = join(dir, `pid.${i}`);
      if (existsSync(pid)) {
        try {
          process.kill(Number(readFileSync(pid, "utf8")), "SIGTERM");
        } catch {
          // already gone
        }
      }
    });
  });
  const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8") : "");
  return cmds.map((cmd, i) => ({
    cmd,
    rc: Number(read(`rc.${i}`).trim() || "-1"),
    out: read(`out.${i}`),
    err: read(`err.${i}`),
  }));
}

function checkCommands(t: Test, ran: Ran[]): void {
  for (const r of ran) {
    const what = r.cmd.split("\n")[0].slice(0, 90);
    t.equal(r.rc, 0, `exit 0: ${what}`, { stderr: r.err });
    t.notMatch(r.out, /"success":\s*false/, `no API error: ${what}`);
    const want = digExpectation(r.cmd);
    if (want) t.match(r.out, want.all, `${want.line}: ${what}`);
  }
}

async function api<T>(p: Ports, path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${p.api}/client/v4${path}`);
  const body = (await res.json()) as { result: T };
  return body.result;
}

async function ext<T>(p: Ports, path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${p.api}/dns-primary/v1${path}`);
  return ((await res.json()) as { result: T }).result;
}

// ---- the tests ----

/** The sections whose sh blocks run as one session, and what to check after each. */
const SECTIONS = new Map<string, (t: Test, p: Ports, ran: Ran[]) => Promise<void>>([
  [
    "README.md#Quick start",
    async (t, _p, ran) => {
      const www = ran.find((r) => /www\.example\.com A/.test(r.cmd))!;
      t.notMatch(www.out, /192\.0\.2\.10/, "proxied www: never the origin address");
      t.match(www.out, /IN\s+A\s+(104|172)\./, "proxied www: the anycast pair");
      const shop = ran.find((r) => /shop\.example\.com/.test(r.cmd))!;
      t.match(shop.out, /IN\s+CNAME/, "shop: a CNAME chain");
      const dev = ran.find((r) => /host\.dev\.example\.com/.test(r.cmd))!;
      t.match(dev.out, /AUTHORITY SECTION:[\s\S]*IN\s+NS/, "host.dev: a referral");
    },
  ],
  [
    "README.md#Five minutes: Cloudflare's setup guide against dns-primary",
    async (t, p, ran) => {
      // The guide's steps took: the peer linked, multi-provider on, transfers enabled.
      const [zone] = await api<Array<{ id: string }>>(p, "/zones?name=example.com");
      const out = await api<{ status?: string; peers: string[] }>(
        p,
        `/zones/${zone.id}/secondary_dns/outgoing`,
      );
      t.equal(out.peers.length, 1, "one peer linked (the PUT replaced the config's)");
      const settings = await api<{ multi_provider: boolean }>(p, `/zones/${zone.id}/dns_settings`);
      t.equal(settings.multi_provider, true);
      const status = await api<string>(p, `/zones/${zone.id}/secondary_dns/outgoing/status`);
      t.equal(status, "Enabled");
      // The BIND secondary the walk started follows by NOTIFY and IXFR.
      const last = ran.find((r) => /new\.example\.com A/.test(r.cmd))!;
      t.match(
        last.out,
        /new\.example\.com\.\s+\d+\s+IN\s+A\s+192\.0\.2\.9/,
        "BIND serves the change",
      );
      const view = await ext<{
        secondaries: Array<{ peer_name?: string; last_transfer?: unknown }>;
      }>(p, `/zones/${zone.id}/secondaries`);
      const bind = view.secondaries.find((s) => s.peer_name === "my-bind");
      t.ok(bind?.last_transfer, "the secondaries view shows my-bind's transfer");
    },
  ],
  [
    "docs/api.md#The setup guide with curl",
    async (t, p, ran) => {
      const [zone] = await api<Array<{ id: string }>>(p, "/zones?name=example.com");
      const app = await api<Array<{ proxied: boolean }>>(
        p,
        `/zones/${zone.id}/dns_records?name=app.example.com`,
      );
      t.same(
        app.map((r) => r.proxied),
        [true],
        "app created proxied",
      );
      const settings = await api<{ multi_provider: boolean }>(p, `/zones/${zone.id}/dns_settings`);
      t.equal(settings.multi_provider, true, "multi-provider on");
      const exported = ran.find((r) => /\/export/.test(r.cmd))!;
      t.match(
        exported.out,
        /^app\.example\.com\.\s+1\s+IN\s+A\s+198\.51\.100\.7 ; cf_tags=cf-proxied:true$/m,
        "the export carries app with its cf_tags",
      );
      t.match(exported.out, /^example\.com\.\s+\d+\s+IN\s+NS\s+ns1\.secondary\.example\.net\.$/m);
    },
  ],
  [
    "docs/api.md#Account DNS settings with curl",
    async (t, p, ran) => {
      t.same(
        ran.filter((r) => /jq -c/.test(r.cmd)).map((r) => r.out.trim()),
        ["true", "true", "true"],
        "defaults on, the new zone has multi_provider, enforce_dns_only on",
      );
      const [zone] = await api<Array<{ id: string }>>(p, "/zones?name=defaults.example");
      const settings = await api<{ multi_provider: boolean }>(p, `/zones/${zone.id}/dns_settings`);
      t.equal(settings.multi_provider, true, "the zone created after the change has it");
      const [old] = await api<Array<{ id: string }>>(p, "/zones?name=example.com");
      const before = await api<{ multi_provider: boolean }>(p, `/zones/${old.id}/dns_settings`);
      t.equal(before.multi_provider, false, "the bundled zone, older, does not");
    },
  ],
  [
    "docs/cli.md#check, rendering, secondary-config",
    async (t, p, ran) => {
      const [check, rendering, config] = ran;
      t.match(
        check.out,
        /^zones\/example\.com\.zone: example\.com\. serial \d+, 27 records \(A 8, /m,
        "check counts the bundled zone's records",
      );
      t.match(rendering.out, /www\.example\.com\s+A\s+192\.0\.2\.10\s.*\sproxied -> (104|172)\./);
      t.match(rendering.out, /transferred by AXFR/);
      t.notMatch(
        rendering.out.split("transferred by AXFR")[1] ?? "",
        /192\.0\.2\.10/,
        "the origin address is never transferred",
      );
      t.match(config.out, /^key:\n {2}- id: dns-primary-example\./m, "Knot's key, from the config");
      t.match(
        config.out,
        new RegExp(`address: 127\\.0\\.0\\.1@${p.dns}\\b`),
        "this server's DNS port",
      );
      t.match(config.out, /^ {2}- domain: example\.com$/m);
    },
  ],
  [
    "docs/cloudflare-rules.md#Configured versus transferred",
    async (t, _p, ran) => {
      const [, , records, transferred] = ran;
      t.match(records.out, /^\["A","192\.0\.2\.10","proxied"\]$/m, "www's A is proxied");
      t.match(records.out, /^\["AAAA","2001:db8::10","proxied"\]$/m, "www's AAAA is proxied");
      const sets = JSON.parse(transferred.out) as Array<{ type: string; rdata: string[] }>;
      t.same(
        sets.map((s) => s.type),
        ["A", "AAAA"],
      );
      t.ok(
        sets[0].rdata.every((a) => /^(104|172)\./.test(a)),
        "the anycast pair is transferred, not the origin",
      );
    },
  ],
  [
    "docs/notify.md#The secondaries view",
    async (t, _p, ran) => {
      const view = ran.at(-1)!;
      t.match(view.out, /"peer_name": "local-secondary"/, "the configured peer is listed");
      t.match(view.out, /"via": "peer"/);
      t.match(view.out, /"port": 5301/, "at the port dns-primary.yaml gives it");
    },
  ],
  [
    "docs/faults.md#With the REST API",
    async (t, p, ran) => {
      const [zone] = await api<Array<{ id: string }>>(p, "/zones?name=example.com");
      const kinds = ran.find((r) => /fault-kinds/.test(r.cmd))!;
      t.match(kinds.out, /^xfr-truncate: the TCP connection is closed after some messages/m);
      const shown = ran.find((r) => /jq -c/.test(r.cmd))!;
      t.same(
        JSON.parse(shown.out),
        { kind: "soa-rcode", applied: 1, times: 0, active: false },
        "applied once, used up",
      );
      t.match(ran.at(-1)!.out, /"removed":1/, "the latency fault cleared");
      t.same(await ext(p, `/zones/${zone.id}/faults`), [], "no fault left");
    },
  ],
  [
    "docs/faults.md#From the command line",
    async (t, _p, ran) => {
      // The second server's start summary names its fault, defaults filled in.
      t.match(ran[0]!.out, /^ {2}fault: example\.com:soa-rcode:rcode=REFUSED,drop=false$/m);
    },
  ],
  [
    "docs/dashboard.md#The secondary's configuration",
    async (t, p, ran) => {
      const [page, , config] = ran;
      t.match(page.out, /<title>dns-primary<\/title>/, "the API port serves the dashboard");
      t.match(config.out, /^zone "example\.com" \{$/m, "BIND's zone statement");
      t.match(
        config.out,
        new RegExp(
          `primaries \\{ 127\\.0\\.0\\.1 port ${p.dns} key "dns-primary-example\\."; \\};`,
        ),
        "primaries: this server, with the config's key",
      );
    },
  ],
]);

for (const [section, after] of SECTIONS) {
  t.test(`${section}: the sh blocks as written`, async (t) => {
    const own = RUNNABLE.filter((b) => b.section === section && b.lang === "sh" && !b.skip);
    t.ok(own.length > 0, "the section has commands");
    const needs = new Set(["dig", "curl"]);
    const text = own.map((b) => b.code).join("");
    if (/\bjq\b/.test(text)) needs.add("jq");
    if (/\bopenssl\b/.test(text)) needs.add("openssl");
    if (/\bnamed\b/.test(text)) needs.add("named");
    for (const tool of needs) if (!requireTool(t, tool)) return;
    const ports = await startServer(t);
    const code = own
      .filter((b) => b.code.trim() !== START && b.code.trim() !== TEST)
      .map((b) => rewrite(b.code, ports))
      .join("");
    const dir = join(PKG, `session-${[...SECTIONS.keys()].indexOf(section)}`);
    mkdirSync(dir);
    const ran = await runSession(t, code, dir);
    t.ok(ran.length > 0);
    checkCommands(t, ran);
    await after(t, ports, ran);
  });
}

/** js blocks run by page and line, each with what it must print or leave behind. */
const JS_RUN = new Map<string, (t: Test, p: Ports, stdout: string) => Promise<void>>();
for (const b of RUNNABLE.filter((b) => b.lang === "js" && !b.skip)) {
  if (/from "cloudflare"/.test(b.code)) {
    JS_RUN.set(where(b), async (t, p) => {
      const [zone] = await api<Array<{ id: string }>>(p, "/zones?name=example.com");
      t.equal(await api<string>(p, `/zones/${zone.id}/secondary_dns/outgoing/status`), "Enabled");
      const s = await api<{ multi_provider: boolean }>(p, `/zones/${zone.id}/dns_settings`);
      t.equal(s.multi_provider, true, "the SDK turned multi-provider on");
      const ns = await api<Array<{ content: string }>>(
        p,
        `/zones/${zone.id}/dns_records?type=NS&name=example.com`,
      );
      t.ok(
        ns.some((r) => r.content === "ns1.secondary.example.net"),
        "the SDK added the NS",
      );
    });
  } else if (/primary\.faults\.add/.test(b.code)) {
    JS_RUN.set(where(b), async (t, _p, stdout) => {
      t.equal(
        stdout,
        [
          "status: REFUSED",
          "query answered the SOA query with REFUSED",
          "1 false",
          "status: NOERROR",
          "true",
          "",
        ].join("\n"),
        "the fault refused one SOA query, then was used up and removed",
      );
    });
  } else if (/primary\.registrar\.put/.test(b.code)) {
    JS_RUN.set(where(b), async (t, _p, stdout) => {
      t.match(
        stdout,
        /^3 \. 300 IN DS \d+ 13 2 [0-9A-F]{64}\n$/,
        "the registrar delegates to three nameservers and gives its trust anchor",
      );
    });
  } else if (/from "dns-primary"/.test(b.code)) {
    JS_RUN.set(where(b), async (t, _p, stdout) => {
      t.match(stdout, /\[ '192\.0\.2\.7' \]/, "the library example resolves its change");
    });
  }
}

for (const b of RUNNABLE.filter((b) => b.lang === "js" && !b.skip)) {
  t.test(`${where(b)}: the js example as written`, async (t) => {
    const check = JS_RUN.get(where(b));
    if (!check) {
      t.fail(`${where(b)}: a js block with no check in test/readme.test.ts`);
      return;
    }
    const ports = await startServer(t);
    const file = join(PKG, `${b.page.replace(/\W/g, "-")}-${b.line}.mjs`);
    writeFileSync(file, rewrite(b.code, ports));
    const child = spawn(process.execPath, [file], { cwd: PKG, env });
    children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    children.delete(child);
    t.equal(code, 0, "exits 0 by itself", { stderr });
    await check(t, ports, stdout);
  });
}

t.test("every sh and js block is run here or marked as not run, with the reason", async (t) => {
  const unaccounted = RUNNABLE.filter(
    (b) => !b.skip && !(b.lang === "sh" && SECTIONS.has(b.section)) && !JS_RUN.has(where(b)),
  ).map((b) => `${where(b)} (${b.section})`);
  t.same(unaccounted, [], "blocks nobody runs");
  const run = RUNNABLE.filter((b) => !b.skip);
  t.ok(run.filter((b) => b.page === "README.md").length >= 6, "the README still has its examples");
  t.ok(run.filter((b) => b.page !== "README.md").length >= 6, "the docs still have theirs");
  const missing = [...SECTIONS.keys()].filter((k) => !RUNNABLE.some((b) => b.section === k));
  t.same(missing, [], "every section checked here still exists");
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

function anchors(text: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const h = !fenced && /^#{1,6} (.+)$/.exec(line);
    if (h) out.add(slug(h[1].replace(/`/g, "")));
  }
  return out;
}

t.test("the README stays a front page; every relative link leads somewhere", async (t) => {
  const size = Buffer.byteLength(TEXT.get("README.md")!);
  t.ok(size <= 12 * 1024, `README.md is ${size} bytes, at most 12 KiB: the reference is in docs/`);
  t.ok(PAGES.includes("docs/README.md"), "docs/ has an index");
  const broken: string[] = [];
  for (const page of PAGES) {
    const text = TEXT.get(page)!.replace(/```[\s\S]*?```/g, "");
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const href = m[1];
      if (/^[a-z]+:/.test(href)) continue;
      const [file, anchor] = href.split("#");
      const target = file === "" ? page : normalize(join(dirname(page), file));
      if (!existsSync(join(ROOT, target))) {
        broken.push(`${page}: ${href} (no ${target})`);
        continue;
      }
      if (anchor !== undefined && target.endsWith(".md")) {
        const text = TEXT.get(target) ?? readFileSync(join(ROOT, target), "utf8");
        if (!anchors(text).has(anchor)) broken.push(`${page}: ${href} (no heading #${anchor})`);
      }
    }
  }
  t.same(broken, [], "broken links");
  const linked = new Set(
    [...(TEXT.get("docs/README.md") ?? "").matchAll(/\]\(([\w-]+\.md)\)/g)].map((m) => m[1]),
  );
  const unindexed = PAGES.filter(
    (p) => p.startsWith("docs/") && p !== "docs/README.md" && !linked.has(p.slice(5)),
  );
  t.same(unindexed, [], "every docs page is in docs/README.md");
});
