#!/usr/bin/env node
/**
 * Benchmarks dns-primary side by side with BIND and Knot (see bench/README.md).
 *
 *   npm run bench [-- --only qps|load] [--records 100000] [--load-records 1000000]
 *                 [--duration 10] [--clients 4] [--outstanding 500]
 *                 [--servers dns-primary,bind,knot] [--build yes|no] [--repeat 1]
 *
 * qps:  dnsperf -s 127.0.0.1 -p PORT -d QUERIES -c 4 -q 500 -l 10 against each server
 *       serving the same generated zone (100 000 records, 90 % hits).
 * load: time from process start to the first answered SOA query, and VmRSS/VmHWM right
 *       after, for a generated zone of 1 000 000 records.
 * Results are printed as a table with ratios and written to bench/out/results-*.json.
 * Every phase is capped in time; every server is stopped at the end, also on error.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generate, parseArgs } from "./gen-zone.mjs";
import { findTool, memoryOf, SERVERS, startServer, toolFor, waitForSoa } from "./peers.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const OUT = path.join(HERE, "out");

const opts = parseArgs(process.argv.slice(2), {
  only: "all",
  records: 100000,
  loadRecords: 1000000,
  duration: 10,
  clients: 4,
  outstanding: 500,
  servers: SERVERS.join(","),
  build: "yes",
  origin: "bench.test.",
  repeat: 1,
  udpWorkers: 0,
});
if (!["all", "qps", "load"].includes(opts.only)) throw new Error("--only is qps or load");
const START_CAP_MS = 120000;

function log(msg) {
  process.stderr.write(`${msg}\n`);
}

/** The servers that can run here, with the reason for each one that cannot. */
function availableServers() {
  const ok = [];
  const skipped = {};
  for (const kind of opts.servers.split(",")) {
    if (!SERVERS.includes(kind)) throw new Error(`unknown server ${kind}`);
    const tool = toolFor(kind);
    if (tool && !findTool(tool)) skipped[kind] = `${tool} not installed`;
    else ok.push(kind);
  }
  if (ok.includes("dns-primary")) {
    if (opts.build === "yes") {
      log("building dns-primary (npm run build) ...");
      try {
        execFileSync("npm", ["run", "build", "--silent"], {
          cwd: ROOT,
          stdio: "inherit",
          timeout: 300000,
        });
      } catch (err) {
        skipped["dns-primary"] = `build failed: ${err.message}`;
      }
    }
    if (!skipped["dns-primary"] && !existsSync(path.join(ROOT, "dist/cli/main.js"))) {
      skipped["dns-primary"] = "dist/cli/main.js missing (npm run build)";
    }
    if (skipped["dns-primary"]) ok.splice(ok.indexOf("dns-primary"), 1);
  }
  return { ok, skipped };
}

async function zoneFor(records) {
  const dir = path.join(OUT, `zone-${records}`);
  log(`generating a ${records}-record zone in ${path.relative(ROOT, dir)} ...`);
  const g = await generate({
    records,
    origin: opts.origin,
    out: dir,
    queries: 100000,
    hitRatio: 0.9,
    seed: 1,
  });
  return { ...g, zonesDir: dir };
}

function runDnsperf(port, queryFile) {
  const args = [
    "-s",
    "127.0.0.1",
    "-p",
    String(port),
    "-d",
    queryFile,
    "-c",
    String(opts.clients),
    "-q",
    String(opts.outstanding),
    "-l",
    String(opts.duration),
  ];
  return new Promise((resolve, reject) => {
    execFile(
      findTool("dnsperf"),
      args,
      { timeout: (opts.duration + 30) * 1000, killSignal: "SIGKILL" },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`dnsperf: ${err.message}\n${stderr}`));
        const num = (re) => Number(re.exec(stdout)?.[1] ?? Number.NaN);
        resolve({
          command: `dnsperf ${args.join(" ")}`,
          qps: num(/Queries per second:\s+([\d.]+)/),
          sent: num(/Queries sent:\s+(\d+)/),
          completed: num(/Queries completed:\s+(\d+)/),
          lost: num(/Queries lost:\s+(\d+)/),
          avgLatencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
          responseCodes: /Response codes:\s+(.*)/.exec(stdout)?.[1] ?? "",
        });
      },
    );
  });
}

/** CPU seconds (user + system) a process has used, from /proc/PID/stat. */
/** User + system CPU of a process and its children (dns-primary's UDP workers), in seconds. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    let total = (Number(fields[11]) + Number(fields[12])) / 100;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      for (const kid of kids ? kids.split(" ") : []) total += cpuSeconds(Number(kid));
    }
    return total;
  } catch {
    return Number.NaN;
  }
}

async function withServer(kind, zone, fn, extra = {}) {
  const s = await startServer(kind, {
    origin: zone.origin,
    zoneFile: zone.zoneFile,
    zonesDir: zone.zonesDir,
    root: ROOT,
    ...extra,
  });
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

/**
 * Run `measure(server)` for each server, `--repeat` rounds interleaved (A B C A B C ...) so
 * that a burst of load on the machine hits every server alike; keep the best run by `better`.
 */
async function rounds(phase, servers, zone, measure, better, extra = {}) {
  const results = {};
  const runs = Object.fromEntries(servers.map((k) => [k, []]));
  for (let round = 1; round <= opts.repeat; round++) {
    for (const kind of servers) {
      log(`${phase}: ${kind}${opts.repeat > 1 ? ` (round ${round}/${opts.repeat})` : ""} ...`);
      try {
        runs[kind].push(await withServer(kind, zone, measure, extra));
      } catch (err) {
        runs[kind].push({ error: err.message.split("\n")[0] });
        log(err.message);
      }
    }
  }
  for (const kind of servers) {
    const ok = runs[kind].filter((r) => !r.error);
    results[kind] = ok.length ? ok.reduce((a, b) => (better(b, a) ? b : a)) : runs[kind][0];
    if (opts.repeat > 1) results[kind] = { ...results[kind], runs: runs[kind] };
  }
  return results;
}

async function phaseQps(servers) {
  if (!findTool("dnsperf")) return { skipped: "dnsperf not installed (apt-get install dnsperf)" };
  const zone = await zoneFor(opts.records);
  const results = await rounds(
    "qps",
    servers,
    zone,
    async (s) => {
      await waitForSoa(s, zone.origin, s.t0, START_CAP_MS);
      const cpu0 = cpuSeconds(s.pid);
      const r = await runDnsperf(s.port, zone.queryFile);
      return { ...r, serverCpuSeconds: cpuSeconds(s.pid) - cpu0 };
    },
    (a, b) => a.qps > b.qps,
    { udpWorkers: Number(opts.udpWorkers) },
  );
  return {
    records: zone.records,
    queryFile: path.relative(ROOT, zone.queryFile),
    udpWorkers: Number(opts.udpWorkers),
    results,
  };
}

async function phaseLoad(servers) {
  const zone = await zoneFor(opts.loadRecords);
  const results = await rounds(
    "load",
    servers,
    zone,
    async (s) => {
      const ms = await waitForSoa(s, zone.origin, s.t0, START_CAP_MS);
      const mem = memoryOf(s.pid);
      return { loadSeconds: ms / 1000, ...mem, cpuSeconds: cpuSeconds(s.pid) };
    },
    (a, b) => a.loadSeconds < b.loadSeconds,
  );
  return { records: zone.records, results };
}

function fmt(v, digits = 1) {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "—";
}

function ratio(a, b) {
  return typeof a === "number" && typeof b === "number" && b > 0 ? `${(a / b).toFixed(2)}×` : "—";
}

function table(title, rows, servers) {
  const head = ["measure", ...servers, "primary/BIND", "primary/Knot"];
  const lines = rows.map(([label, get, digits, noRatio]) => {
    const v = Object.fromEntries(servers.map((k) => [k, get(k)]));
    return [
      label,
      ...servers.map((k) => fmt(v[k], digits)),
      noRatio ? "" : ratio(v["dns-primary"], v.bind),
      noRatio ? "" : ratio(v["dns-primary"], v.knot),
    ];
  });
  const all = [head, ...lines];
  const width = head.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  const row = (r) => r.map((c, i) => String(c).padEnd(width[i])).join("  ");
  return [`\n${title}`, row(head), row(width.map((w) => "-".repeat(w))), ...lines.map(row)].join(
    "\n",
  );
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const { ok, skipped } = availableServers();
  const [load1] = os.loadavg();
  if (load1 > os.cpus().length * 0.5) {
    log(
      `note: load average ${load1.toFixed(1)} on ${os.cpus().length} CPUs; figures will be noisy`,
    );
  }
  for (const [k, why] of Object.entries(skipped)) log(`skipping ${k}: ${why}`);
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadAverageAtStart: os.loadavg(),
    options: opts,
    skipped,
  };
  const cols = SERVERS.filter((k) => ok.includes(k) || skipped[k]);
  if (opts.only !== "load") {
    report.qps = await phaseQps(ok);
    const r = report.qps.results ?? {};
    console.log(
      table(
        `Queries per second, ${report.qps.records ?? "?"}-record zone, 90 % hits (${opts.clients} clients, ${opts.outstanding} outstanding, ${opts.duration} s; dns-primary with ${report.qps.udpWorkers} UDP workers)`,
        [
          ["queries/s", (k) => r[k]?.qps, 0],
          ["lost queries", (k) => r[k]?.lost, 0, true],
          ["avg latency (ms)", (k) => r[k]?.avgLatencyMs, 3],
          ["server CPU (s)", (k) => r[k]?.serverCpuSeconds, 2],
        ],
        cols,
      ),
    );
    if (report.qps.skipped) console.log(`qps skipped: ${report.qps.skipped}`);
  }
  if (opts.only !== "qps") {
    report.load = await phaseLoad(ok);
    const r = report.load.results;
    console.log(
      table(
        `Loading a ${report.load.records}-record zone file`,
        [
          ["start to first SOA (s)", (k) => r[k]?.loadSeconds, 2],
          ["CPU used (s)", (k) => r[k]?.cpuSeconds, 2],
          ["VmRSS after load (MiB)", (k) => r[k]?.rssMiB, 0],
          ["VmHWM peak (MiB)", (k) => r[k]?.hwmMiB, 0],
        ],
        cols,
      ),
    );
  }
  for (const phase of [report.qps?.results, report.load?.results]) {
    for (const [k, v] of Object.entries(phase ?? {})) if (v.error) console.log(`${k}: ${v.error}`);
  }
  const file = path.join(OUT, `results-${report.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwritten ${path.relative(ROOT, file)}`);
}

// A hard cap on the whole run, whatever happens inside a phase.
const cap = setTimeout(
  () => {
    log("bench: overall time cap reached, stopping");
    process.exit(2);
  },
  opts.repeat * 3 * ((opts.duration + 60) * 1000 + 2 * START_CAP_MS),
);
cap.unref();

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err.stack ?? err);
    process.exit(1);
  },
);
