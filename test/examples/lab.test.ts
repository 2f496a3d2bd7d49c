/**
 * The container and the lab (Dockerfile, examples/lab/), checked without a Docker engine.
 *
 * What a `docker compose up` would exercise is checked here piece by piece, natively:
 * - the Dockerfile: linted (dockerfile-utils), its shape (pinned base, non-root user,
 *   exec-form ENTRYPOINT/CMD/HEALTHCHECK, the ports), and the .dockerignore letting through
 *   what it copies;
 * - the image's ENTRYPOINT + CMD run as a process (with /app, /zones and /config pointing at
 *   the built package and the lab's folders): its HEALTHCHECK command passes against it and
 *   fails without it, and SIGTERM makes it exit 0;
 * - docker-compose.yml: services, images, the fixed addresses against dns-primary's peers and
 *   the secondaries' primary address, ports, mounts that exist;
 * - the lab's dns-primary config and zone, loaded by the project's own loaders;
 * - the lab's named.conf and knot.conf: `named-checkconf` and `knotc conf-check` as they are,
 *   then run by real named and knotd against dns-primary started in-process on loopback, with
 *   only addresses, ports and paths rewritten (the key and every other line byte-for-byte):
 *   both load example.com by TSIG-signed transfer, and both take a change on NOTIFY.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ValidationSeverity, type ValidatorSettings, validate } from "dockerfile-utils";
import t, { type Test } from "tap";
import { parse as parseYaml } from "yaml";
import { loadConfig, parseConfig } from "../../src/config/load.js";
import { startServer } from "../../src/primary.js";
import { loadZonesDir } from "../../src/zone/load.js";
import { buildPackage } from "../cli/package.js";
import { query, type Server } from "../peers/client.js";
import { captureLog, runTool } from "../peers/secondary.js";
import {
  freePort,
  makeTempDir,
  removeTempDir,
  requireTool,
  type Spawned,
  spawnTracked,
} from "../peers/tools.js";
import { TYPE } from "../peers/wire.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const LAB = path.join(ROOT, "examples", "lab");
const lab = (...p: string[]) => path.join(LAB, ...p);
const read = (p: string) => readFileSync(p, "utf8");

const ORIGIN = "example.com.";
const TOKEN = "lab-test-token";

// ---- small parsers ----

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*(#|$)/.test(lines[i])) continue;
    const start = i;
    let full = lines[i];
    while (full.endsWith("\\") && i + 1 < lines.length) full = `${full.slice(0, -1)} ${lines[++i]}`;
    const m = /^\s*(\S+)\s*(.*)$/.exec(full)!;
    out.push({ keyword: m[1].toUpperCase(), args: m[2].trim(), line: start + 1 });
  }
  return out;
}

/** The stages of a Dockerfile: each FROM and the instructions after it. */
function stages(ins: Instruction[]): { from: string; body: Instruction[] }[] {
  const out: { from: string; body: Instruction[] }[] = [];
  for (const i of ins) {
    if (i.keyword === "FROM") out.push({ from: i.args.split(/\s+/)[0], body: [] });
    else out.at(-1)?.body.push(i);
  }
  return out;
}

/** Exec form (a JSON array of strings), or throw. */
function execForm(args: string, what: string): string[] {
  const v: unknown = JSON.parse(args);
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string"))
    throw new Error(`${what}: not a JSON array of strings`);
  return v as string[];
}

/** `--flag value` out of an argument list. */
function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Is `file` (relative to the build context) sent to the builder under these patterns? */
function includedByDockerignore(patterns: string[], file: string): boolean {
  let included = true;
  for (const raw of patterns) {
    const negate = raw.startsWith("!");
    const p = (negate ? raw.slice(1) : raw).replace(/\/$/, "");
    const re = new RegExp(
      `^${p
        .split("*")
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*")}(/.*)?$`,
    );
    if (re.test(file)) included = negate;
  }
  return included;
}

/** Each COPY source of `ins` exists and passes the root .dockerignore; returns its patterns. */
function copiesPass(t: Test, ins: Instruction[]): string[] {
  const patterns = read(path.join(ROOT, ".dockerignore"))
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const sources = ins
    .filter((i) => i.keyword === "COPY" && !i.args.includes("--from="))
    .flatMap((i) =>
      i.args
        .split(/\s+/)
        .filter((a) => !a.startsWith("--"))
        .slice(0, -1),
    );
  t.ok(sources.length > 0);
  for (const src of sources) {
    t.ok(existsSync(path.join(ROOT, src)), `COPY ${src}: exists`);
    t.ok(includedByDockerignore(patterns, src), `COPY ${src}: passes .dockerignore`);
  }
  return patterns;
}

/** Text rewritten by literal replacements, each of which must occur. */
function rewrite(t: Test, text: string, what: string, pairs: [string, string][]): string {
  let out = text;
  for (const [from, to] of pairs) {
    t.ok(out.includes(from), `${what}: has ${JSON.stringify(from)} to rewrite`);
    out = out.split(from).join(to);
  }
  // Only lines that held a rewritten literal changed; every other line is byte-for-byte.
  const before = text.split("\n");
  const after = out.split("\n");
  t.equal(after.length, before.length, `${what}: same number of lines`);
  const changed = before.filter((l, i) => l !== after[i]);
  const fragments = pairs.flatMap(([from]) => from.split("\n").filter((f) => f.trim()));
  t.ok(
    changed.every((l) => fragments.some((f) => l.includes(f))),
    `${what}: only lines with addresses, ports or paths changed`,
  );
  return out;
}

// ---- what the lab declares ----

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  networks?: Record<string, { ipv4_address: string }>;
  depends_on?: Record<string, { condition: string }>;
}

const compose = parseYaml(read(lab("docker-compose.yml"))) as {
  services: Record<string, ComposeService>;
  networks: Record<string, { driver: string; ipam: { config: { subnet: string }[] } }>;
};
const labConfigFile = lab("config", "dns-primary.yaml");
const namedConf = read(lab("bind", "named.conf"));
const knotConf = read(lab("knot", "knot.conf"));

/** The lab's TSIG, from dns-primary's config. */
const labConfigYaml = parseYaml(read(labConfigFile)) as {
  tsigs: { name: string; algo: string; secret: string }[];
  peers: { name: string; ip: string; port: number; tsig: string }[];
  zones: Record<string, { outgoing: { peers: string[]; status: string } }>;
};
const KEY = labConfigYaml.tsigs[0];

const ipOf = (svc: string) => {
  const nets = Object.values(compose.services[svc].networks ?? {});
  return nets[0]?.ipv4_address;
};

/** Published ports as { host, hostPort, containerPort, proto }. */
function ports(svc: string) {
  return (compose.services[svc].ports ?? []).map((p) => {
    const m = /^(?:([\d.]+):)?(\d+):(\d+)(?:\/(udp|tcp))?$/.exec(p);
    if (!m) throw new Error(`${svc}: port ${p} not in HOST:PORT:PORT/PROTO form`);
    return {
      host: m[1],
      hostPort: Number(m[2]),
      containerPort: Number(m[3]),
      proto: m[4] ?? "tcp",
    };
  });
}

function ipv4InSubnet(ip: string, cidr: string): boolean {
  const n = (a: string) => a.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  const [base, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  return Math.floor(n(ip) / size) === Math.floor(n(base) / size);
}

// ---- the Dockerfile ----

const dockerfile = read(path.join(ROOT, "Dockerfile"));
const ins = instructions(dockerfile);
const finalStage = stages(ins).at(-1)!;
const finalOf = (k: string) => finalStage.body.filter((i) => i.keyword === k);
const ENTRYPOINT = execForm(finalOf("ENTRYPOINT")[0].args, "ENTRYPOINT");
const CMD = execForm(finalOf("CMD")[0].args, "CMD");
const HEALTH = (() => {
  const h = finalOf("HEALTHCHECK")[0].args;
  const i = h.indexOf("CMD ");
  return { options: h.slice(0, i), cmd: execForm(h.slice(i + 4), "HEALTHCHECK CMD") };
})();

t.test("Dockerfile: linted by dockerfile-utils, every optional check an error", async (t) => {
  const E = ValidationSeverity.ERROR;
  const all: ValidatorSettings = {
    deprecatedMaintainer: E,
    directiveCasing: E,
    emptyContinuationLine: E,
    instructionCasing: E,
    instructionCmdMultiple: E,
    instructionEntrypointMultiple: E,
    instructionHealthcheckMultiple: E,
    instructionJSONInSingleQuotes: E,
    instructionWorkdirRelative: E,
  };
  const problems = validate(dockerfile, all).map(
    (d) => `Dockerfile:${d.range.start.line + 1}: ${d.message}`,
  );
  t.same(problems, [], "no diagnostics");
});

t.test("Dockerfile: shape", async (t) => {
  const st = stages(ins);
  t.ok(st.length >= 2, "multi-stage");
  for (const s of st)
    t.equal(s.from, "node:20-bookworm-slim", "an official Node 20 slim image, pinned by tag");
  const build = st[0].body.map((i) => i.args).join("\n");
  t.match(build, /npm ci\b/, "build: npm ci");
  t.match(build, /npm run build/, "build: tsc (npm run build)");
  t.match(build, /npm prune --omit=dev/, "build: dev dependencies pruned");

  const users = finalOf("USER");
  t.equal(users.length, 1, "one USER in the final stage");
  t.not(users[0].args, "root", "runs as a non-root user");
  t.notMatch(users[0].args, /^0(:|$)/, "not uid 0");
  const at = (k: string) => finalStage.body.findIndex((i) => i.keyword === k);
  t.ok(at("USER") < at("ENTRYPOINT"), "USER before ENTRYPOINT");

  t.same(
    ENTRYPOINT.slice(0, 2),
    ["node", "/app/dist/cli/main.js"],
    "exec-form ENTRYPOINT: node is PID 1",
  );
  t.equal(CMD[0], "serve");
  t.equal(flag(CMD, "--zones"), "/zones", "zones from /zones");
  t.equal(flag(CMD, "--config"), "/config/dns-primary.yaml", "config from /config");
  const dnsPort = Number(flag(CMD, "--dns")?.split(":").at(-1));
  const apiPort = Number(flag(CMD, "--api")?.split(":").at(-1));
  t.ok(dnsPort > 1024, `DNS on an unprivileged port (${dnsPort}): no capability needed`);
  t.match(flag(CMD, "--dns"), /^0\.0\.0\.0:/, "DNS on every address of the container");
  const exposed = finalOf("EXPOSE").flatMap((i) => i.args.split(/\s+/));
  t.same(
    exposed.sort(),
    [`${apiPort}/tcp`, `${dnsPort}/tcp`, `${dnsPort}/udp`].sort(),
    "EXPOSE: DNS UDP and TCP, API",
  );
  t.match(
    finalOf("ENV")
      .map((i) => i.args)
      .join(" "),
    new RegExp(`HEALTHCHECK_DNS_PORT=${dnsPort}\\b`),
  );
  t.equal(HEALTH.cmd[0], "node", "HEALTHCHECK needs nothing but node");
  t.match(HEALTH.options, /--timeout=\d+s/);
  t.same(
    finalOf("STOPSIGNAL").map((i) => i.args),
    ["SIGTERM"],
  );

  // What the Dockerfile copies from the build context must pass .dockerignore.
  const patterns = copiesPass(t, ins);
  for (const kept of ["node_modules/tap/package.json", "dist/index.js", ".git/HEAD", "test/x.ts"])
    t.notOk(includedByDockerignore(patterns, kept), `${kept}: kept out of the build context`);
});

t.test("the image's ENTRYPOINT + CMD as a process: healthy, then SIGTERM exits 0", async (t) => {
  const pkg = buildPackage((fn) => t.teardown(fn));
  const port = await freePort();
  const map = (a: string) =>
    a
      .replace(/^\/app\//, `${pkg}/`)
      .replace(/^\/zones$/, lab("zones"))
      .replace(/^\/config\//, `${lab("config")}/`)
      .replace(/^0\.0\.0\.0:\d+$/, (s) =>
        s === flag(CMD, "--dns") ? `127.0.0.1:${port}` : "127.0.0.1:0",
      );
  const argv = [...ENTRYPOINT, ...CMD].map(map);
  t.equal(argv[0], "node");
  // --no-notify: the lab's peers (172.28.53.x) are not reachable from here.
  const child = spawn(process.execPath, [...argv.slice(1), "--no-notify"], {
    env: { ...process.env, NODE_OPTIONS: "", DNS_PRIMARY_API_TOKEN: TOKEN },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    out += d;
  });
  const exited = once(child, "exit");
  t.teardown(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });

  const health = (p: number) =>
    new Promise<number>((resolve) => {
      const h = spawn(process.execPath, HEALTH.cmd.slice(1), {
        env: { ...process.env, NODE_OPTIONS: "", HEALTHCHECK_DNS_PORT: String(p) },
        stdio: "ignore",
      });
      h.on("exit", (code) => resolve(code ?? -1));
    });
  const deadline = Date.now() + 20000;
  let code = await health(port);
  while (code !== 0 && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 200));
    code = await health(port);
  }
  t.equal(code, 0, `HEALTHCHECK passes once the server answers\n${out}`);
  t.match(out, /example\.com/, "the lab zone is served");
  const soa = await query({ host: "127.0.0.1", port }, ORIGIN, "SOA");
  t.equal(soa.parsed.rcode, 0);
  t.ok(soa.parsed.aa, "authoritative for example.com");

  child.kill("SIGTERM");
  const [exitCode, signal] = await exited;
  t.equal(signal, null, "not killed by the signal");
  t.equal(exitCode, 0, "SIGTERM: closes and exits 0");
  t.equal(await health(port), 1, "HEALTHCHECK fails when nothing answers");
});

t.test("docker-compose.yml: services, addresses, ports, mounts", async (t) => {
  const s = compose.services;
  t.same(Object.keys(s).sort(), ["bind", "dns-primary", "knot"]);
  t.equal(s.bind.image, "internetsystemsconsortium/bind9:9.18", "official BIND image, 9.18");
  t.match(s.knot.image, /^cznic\/knot:3\.\d+$/, "Knot image pinned to a 3.x tag");
  t.equal(path.resolve(LAB, s["dns-primary"].build!.context), ROOT.replace(/\/$/, ""));
  t.ok(
    existsSync(path.join(ROOT, "Dockerfile")),
    "dns-primary is built from the repo's Dockerfile",
  );

  const [netName, net] = Object.entries(compose.networks)[0];
  t.equal(net.driver, "bridge", "a user-defined bridge network");
  const subnet = net.ipam.config[0].subnet;
  const ips = ["dns-primary", "bind", "knot"].map(ipOf);
  for (const [i, svc] of ["dns-primary", "bind", "knot"].entries()) {
    t.ok(s[svc].networks?.[netName], `${svc} on ${netName}`);
    t.ok(ipv4InSubnet(ips[i], subnet), `${svc}: ${ips[i]} in ${subnet}`);
  }
  t.equal(new Set(ips).size, 3, "distinct addresses");

  // dns-primary's peers are the secondaries' addresses and DNS ports.
  const peer = (name: string) => labConfigYaml.peers.find((p) => p.name === name)!;
  const secondaryPort = (svc: string) => ports(svc).find((p) => p.proto === "udp")!.containerPort;
  t.equal(peer("bind-secondary").ip, ipOf("bind"), "peer bind-secondary: the bind service's ip");
  t.equal(peer("knot-secondary").ip, ipOf("knot"), "peer knot-secondary: the knot service's ip");
  t.equal(peer("bind-secondary").port, secondaryPort("bind"));
  t.equal(peer("knot-secondary").port, secondaryPort("knot"));
  t.same(labConfigYaml.zones["example.com"].outgoing, {
    peers: ["bind-secondary", "knot-secondary"],
    status: "Enabled",
  });

  // The secondaries' primary is dns-primary's address and DNS port.
  const cmd = s["dns-primary"].command!;
  const dnsPort = Number(flag(cmd, "--dns")!.split(":")[1]);
  const apiPort = Number(flag(cmd, "--api")!.split(":")[1]);
  const primaryIp = ipOf("dns-primary");
  t.match(namedConf, `primaries { ${primaryIp} port ${dnsPort} key "${KEY.name}"; };`);
  t.match(namedConf, `allow-notify { ${primaryIp}; };`);
  t.match(knotConf, `address: ${primaryIp}@${dnsPort}\n`);
  t.match(knotConf, `address: ${primaryIp}\n    key: ${KEY.name}\n    action: notify`);
  // The same TSIG everywhere.
  t.match(namedConf, `key "${KEY.name}" {\n  algorithm ${KEY.algo};\n  secret "${KEY.secret}";`);
  t.match(knotConf, `  - id: ${KEY.name}\n    algorithm: ${KEY.algo}\n    secret: ${KEY.secret}\n`);

  // Published ports: dns-primary's DNS (UDP and TCP) and API; each secondary's 53; on loopback.
  const p = ports("dns-primary");
  t.same(
    p.map((x) => `${x.containerPort}/${x.proto}`).sort(),
    [`${apiPort}/tcp`, `${dnsPort}/tcp`, `${dnsPort}/udp`].sort(),
  );
  for (const svc of ["bind", "knot"])
    t.same(
      ports(svc)
        .map((x) => `${x.containerPort}/${x.proto}`)
        .sort(),
      ["53/tcp", "53/udp"],
    );
  const all = Object.keys(s).flatMap((svc) => ports(svc));
  t.ok(
    all.every((x) => x.host === "127.0.0.1"),
    "published on the host's loopback only",
  );
  const hostPorts = new Set(all.map((x) => `${x.hostPort}/${x.proto}`));
  t.equal(hostPorts.size, all.length, "no host port published twice");

  // Mounts exist, and hold what the commands read.
  const mounts = (svc: string) =>
    (s[svc].volumes ?? []).map((v) => {
      const [src, dst, mode] = v.split(":");
      return { src: path.resolve(LAB, src), dst, mode };
    });
  for (const svc of Object.keys(s))
    for (const m of mounts(svc)) {
      t.ok(existsSync(m.src) && statSync(m.src).isDirectory(), `${svc}: ${m.src} exists`);
      t.equal(m.mode, "ro", `${svc}: ${m.dst} read-only`);
    }
  const inMount = (svc: string, file: string) => {
    const m = mounts(svc).find((x) => file.startsWith(`${x.dst}/`) || file === x.dst);
    return m ? path.join(m.src, path.relative(m.dst, file)) : undefined;
  };
  t.ok(existsSync(inMount("dns-primary", flag(cmd, "--config")!)!), "dns-primary config mounted");
  t.ok(existsSync(path.join(inMount("dns-primary", flag(cmd, "--zones")!)!, "example.com.zone")));
  t.ok(existsSync(inMount("bind", flag(s.bind.command!, "-c")!)!), "named.conf mounted");
  t.ok(existsSync(inMount("knot", flag(s.knot.command!, "-c")!)!), "knot.conf mounted");
  for (const svc of ["bind", "knot"])
    t.same(s[svc].depends_on, { "dns-primary": { condition: "service_healthy" } });
});

t.test("examples/multi-provider: its image and compose file", async (t) => {
  // The lab in one container: run.sh as the entrypoint, as root (port 53), from the root.
  const dir = path.join(ROOT, "examples/multi-provider");
  const text = read(path.join(dir, "Dockerfile"));
  t.same(
    validate(text, { instructionJSONInSingleQuotes: ValidationSeverity.ERROR }).map(
      (d) => `${d.range.start.line + 1}: ${d.message}`,
    ),
    [],
    "linted",
  );
  const ins = instructions(text);
  t.notOk(
    ins.some((i) => i.keyword === "USER"),
    "no USER: the lab binds port 53 as root inside the container",
  );
  t.same(execForm(ins.find((i) => i.keyword === "ENTRYPOINT")!.args, "ENTRYPOINT"), [
    "examples/multi-provider/run.sh",
  ]);
  copiesPass(t, ins);
  const compose = parseYaml(read(path.join(dir, "docker-compose.yml")));
  const lab = compose.services.lab;
  t.equal(
    path.resolve(dir, lab.build.context),
    path.resolve(ROOT),
    "built from the repository's root",
  );
  t.ok(existsSync(path.join(ROOT, lab.build.dockerfile)), "its Dockerfile");
  t.same(lab.ports, ["127.0.0.1:8787:8787/tcp"], "the API, on the host's loopback only");
  t.match(read(path.join(dir, "run.sh")), /API_HOST=\$\{API_HOST:-127\.0\.0\.1\}/);
  t.match(text, /API_HOST=0\.0\.0\.0/, "the image's API answers the published port");
});

t.test("the lab's config and zone load with the project's loaders", async (t) => {
  const config = loadConfig(labConfigFile);
  t.same(
    config.settings.listOutgoing().map((o) => o.name),
    [ORIGIN],
  );
  const { zones, warnings } = loadZonesDir(lab("zones"));
  t.same(
    zones.map((z) => z.origin),
    [ORIGIN],
  );
  t.same(warnings, [], "no warnings");
});

t.test("named-checkconf and knotc conf-check accept the lab's configs as they are", async (t) => {
  const checkconf = requireTool(t, "named-checkconf");
  if (checkconf) {
    const r = await runTool(checkconf, [lab("bind", "named.conf")]);
    t.equal(r.code, 0, `named-checkconf: ${r.stdout}${r.stderr}`);
  }
  const knotc = requireTool(t, "knotc");
  if (knotc) {
    const r = await runTool(knotc, ["-c", lab("knot", "knot.conf"), "conf-check"]);
    t.equal(r.code, 0, `knotc conf-check: ${r.stdout}${r.stderr}`);
  }
});

/** Poll until a server answers the zone's SOA with `serial`. */
async function waitForSerial(
  server: Server,
  want: number,
  proc: Spawned,
  timeoutMs = 15000,
): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  let got: number | null = null;
  while (Date.now() < deadline && proc.proc.exitCode === null) {
    try {
      const r = await query(server, ORIGIN, "SOA", { timeoutMs: 300, retries: 0 });
      const soa = r.parsed.answer.find((rr) => rr.type === TYPE.SOA);
      got = soa ? Number(soa.rdataText.split(" ")[2]) : null;
      if (got === want) return got;
    } catch {
      // not answering yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return got;
}

t.test(
  "the lab's named.conf and knot.conf, run natively, copy example.com from dns-primary",
  async (t) => {
    const named = requireTool(t, "named");
    const knotd = requireTool(t, "knotd");
    if (!named || !knotd) return;

    const bindPort = await freePort();
    const knotPort = await freePort();
    const primaryIp = ipOf("dns-primary");
    const dnsPort = Number(flag(compose.services["dns-primary"].command!, "--dns")!.split(":")[1]);

    // dns-primary, in-process, with the lab's config: only the peers' addresses and ports change.
    const configText = rewrite(t, read(labConfigFile), "dns-primary.yaml", [
      [`ip: ${ipOf("bind")}\n    port: 53`, `ip: 127.0.0.1\n    port: ${bindPort}`],
      [`ip: ${ipOf("knot")}\n    port: 53`, `ip: 127.0.0.1\n    port: ${knotPort}`],
    ]);
    const config = parseConfig(configText, "dns-primary.yaml");
    const log = captureLog();
    const primary = await startServer({
      zonesDir: lab("zones"),
      dns: { host: "127.0.0.1", port: 0 },
      api: { host: "127.0.0.1", port: 0 },
      apiToken: TOKEN,
      transfers: config.settings,
      logger: log.logger,
      notify: { retrySchedule: [1000, 2000] },
    });
    t.teardown(() => primary.close());
    const pPort = primary.dns.udp.port;
    const serial0 = primary.zones[0].serial;

    // BIND: the lab's named.conf, addresses, ports and paths rewritten.
    const bindDir = makeTempDir("dns-lab-bind-");
    t.teardown(() => removeTempDir(bindDir));
    const bindConf = rewrite(t, namedConf, "named.conf", [
      ['"/var/cache/bind"', `"${bindDir}"`],
      ['"/run/named/', `"${bindDir}/`],
      ['"/var/lib/bind/', `"${bindDir}/`],
      ["listen-on port 53 { any; };", `listen-on port ${bindPort} { 127.0.0.1; };`],
      [`${primaryIp} port ${dnsPort} key`, `127.0.0.1 port ${pPort} key`],
      [`allow-notify { ${primaryIp}; };`, "allow-notify { 127.0.0.1; };"],
    ]);
    const keyClause = /key "[^"]+" \{[^}]*\};/.exec(namedConf)![0];
    t.ok(bindConf.includes(keyClause), "named.conf: the key clause byte-for-byte");
    writeFileSync(path.join(bindDir, "named.conf"), bindConf);
    const bind = spawnTracked(named, ["-g", "-n", "1", "-c", path.join(bindDir, "named.conf")], {
      cwd: bindDir,
    });
    t.teardown(() => bind.stop());

    // Knot: the lab's knot.conf, the same kind of rewrite.
    const knotDir = makeTempDir("dns-lab-knot-");
    t.teardown(() => removeTempDir(knotDir));
    const knotConfText = rewrite(t, knotConf, "knot.conf", [
      ['"/rundir"', `"${knotDir}"`],
      ['"/storage"', `"${knotDir}"`],
      ["listen: 0.0.0.0@53", `listen: 127.0.0.1@${knotPort}`],
      [`address: ${primaryIp}@${dnsPort}`, `address: 127.0.0.1@${pPort}`],
      [`address: ${primaryIp}\n`, "address: 127.0.0.1\n"],
    ]);
    const keySection = /\nkey:\n(?: {2,}.*\n)+/.exec(knotConf)![0];
    t.ok(knotConfText.includes(keySection), "knot.conf: the key section byte-for-byte");
    writeFileSync(path.join(knotDir, "knot.conf"), knotConfText);
    const knot = spawnTracked(knotd, ["-c", path.join(knotDir, "knot.conf")], { cwd: knotDir });
    t.teardown(() => knot.stop());

    const bindServer = { host: "127.0.0.1", port: bindPort };
    const knotServer = { host: "127.0.0.1", port: knotPort };
    const loaded = {
      BIND: await waitForSerial(bindServer, serial0, bind),
      Knot: await waitForSerial(knotServer, serial0, knot),
    };
    t.same(loaded, { BIND: serial0, Knot: serial0 }, "both secondaries load the zone");
    if (loaded.BIND !== serial0) t.comment(bind.log());
    if (loaded.Knot !== serial0) t.comment(knot.log());
    const xfrs = log.lines.filter((l) => l.component === "xfr" && typeof l.type === "string");
    t.ok(xfrs.length >= 2, "dns-primary logged a transfer to each");
    t.ok(
      xfrs.every((l) => l.key === KEY.name && l.outcome === "finished"),
      "every transfer signed with the lab's TSIG, and finished",
    );
    if (xfrs.length < 2) t.comment(log.text());
    t.same(log.find({ msg: "zone transfer refused" }), [], "no refusals");

    // A change through the API: NOTIFY brings it to both (their refresh timer is an hour).
    const root = `http://127.0.0.1:${primary.api!.port}/client/v4`;
    const api = async <R>(method: string, p: string, body?: unknown): Promise<R> => {
      const res = await fetch(`${root}${p}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = (await res.json()) as { success: boolean; result: R; errors: unknown };
      if (!json.success) throw new Error(`${method} ${p}: ${JSON.stringify(json.errors)}`);
      return json.result;
    };
    const zone = (await api<{ id: string }[]>("GET", "/zones?name=example.com"))[0];
    await api("POST", `/zones/${zone.id}/dns_records`, {
      type: "TXT",
      name: "lab-check.example.com",
      content: '"changed in the lab test"',
      ttl: 300,
    });
    const soa = await query({ host: "127.0.0.1", port: pPort }, ORIGIN, "SOA");
    const serial1 = Number(soa.parsed.answer[0].rdataText.split(" ")[2]);
    t.ok(serial1 > serial0, "the change made a new serial");
    const notified = {
      BIND: await waitForSerial(bindServer, serial1, bind, 10000),
      Knot: await waitForSerial(knotServer, serial1, knot, 10000),
    };
    t.same(notified, { BIND: serial1, Knot: serial1 }, "both take the change on NOTIFY");
    if (notified.BIND !== serial1) t.comment(bind.log());
    if (notified.Knot !== serial1) t.comment(knot.log());
    t.match(bind.log(), /received notify for zone 'example\.com': TSIG 'dns-primary-lab'/);
    t.match(knot.log(), /\[example\.com\.\] notify, incoming/);
    const txt = await query(knotServer, "lab-check.example.com.", "TXT");
    t.equal(txt.parsed.answer.length, 1, "Knot serves the new record");
  },
);
