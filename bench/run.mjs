#!/usr/bin/env node
/**
 * Benchmarks dns-primary side by side with BIND and Knot (see bench/README.md).
 *
 *   npm run bench [-- --only qps|load|xfr|zones] [--records 100000] [--load-records 1000000]
 *                 [--duration 10] [--clients 4] [--outstanding 500]
 *                 [--servers dns-primary,bind,knot] [--build yes|no] [--repeat 1]
 *                 [--baseline GIT-REV] [--udp-workers 0[,1,2...]] [--beside-records 1000000]
 *                 [--zones 10000] [--zone-records 100]
 *
 * qps:  dnsperf -s 127.0.0.1 -p PORT -d QUERIES -c 4 -q 500 -l 10 against each server
 *       serving the same generated zone (100 000 records, 90 % hits), and against node-udp,
 *       Node's own UDP ceiling (udp-responder.mjs); again with a 1M-record zone beside; and
 *       dns-primary with the zone's DNSSEC on and DO set (dnsperf -D), twice: signing as it
 *       goes, then with the signatures made.
 * load: time from process start to the first answered SOA query, and VmRSS/VmHWM right
 *       after, for a generated zone of 1 000 000 records.
 * xfr:  with the load phase's zone, the wall time and server CPU of `kdig AXFR` (unsigned and
 *       TSIG-signed), then one record changed in the zone file, picked up by each server as a
 *       difference (SIGHUP, rndc reload, knotc zone-reload), and the time of `kdig IXFR`;
 *       for dns-primary then 1000 API edits: the journal's memory and an IXFR across them.
 * zones: 10 000 zone files of 100 records: time until every zone answers, memory per zone,
 *       GET /zones paged through, and a NOTIFY storm to two peers (notify-storm.mjs).
 * --baseline adds dns-primary as it was at a revision, as one more server ("baseline"), and
 * a primary/baseline ratio: a change measured against its base in the same run.
 * Results are printed as a table with ratios and written to bench/out/results-*.json.
 * Every phase is capped in time; every server is stopped at the end, also on error.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generate, generateMany, parseArgs } from "./gen-zone.mjs";
import { notifyStorm } from "./notify-storm.mjs";
import {
  controlToolFor,
  findTool,
  memoryOf,
  SERVERS,
  soaAnsweredMany,
  soaSerial,
  startServer,
  toolFor,
  waitForSoa,
} from "./peers.mjs";

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
  udpWorkers: "0",
  baseline: "",
  zones: 10000,
  zoneRecords: 100,
  besideRecords: 1000000,
});
if (!["all", "qps", "load", "xfr", "zones"].includes(opts.only)) {
  throw new Error("--only is qps, load, xfr or zones");
}
const START_CAP_MS = 120000;
/** Cap on one kdig AXFR, and on a reload until the new serial is served. */
const XFR_CAP_MS = 120000;
/** IXFR runs per server and round; the median is reported. */
const IXFR_RUNS = 5;

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
  if (opts.baseline) {
    try {
      baselineRoot = buildBaseline(opts.baseline);
      ok.push("baseline");
    } catch (err) {
      skipped.baseline = `baseline ${opts.baseline}: ${err.message.split("\n")[0]}`;
    }
  }
  return { ok, skipped };
}

/** The checkout the "baseline" server runs from (--baseline REV), once built. */
let baselineRoot = null;

/**
 * dns-primary as it was at a git revision, built into bench/out/baseline-<commit>/ (the
 * tree from `git archive`, this checkout's node_modules linked), so that a change is measured
 * against its base in the same run, interleaved round by round, as the other servers are.
 */
function buildBaseline(rev) {
  const git = (args) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
  const commit = git(["rev-parse", "--verify", `${rev}^{commit}`]);
  const dir = path.join(OUT, `baseline-${commit.slice(0, 12)}`);
  if (!existsSync(path.join(dir, "dist/cli/main.js"))) {
    log(`building the baseline ${rev} (${commit.slice(0, 12)}) ...`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync("sh", ["-c", `git archive ${commit} | tar -x -C "${dir}"`], { cwd: ROOT });
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    execFileSync("npm", ["run", "build", "--silent"], {
      cwd: dir,
      stdio: "inherit",
      timeout: 300000,
    });
  }
  return dir;
}

async function zoneFor(records, origin = opts.origin) {
  const dir = path.join(
    OUT,
    origin === opts.origin ? `zone-${records}` : `zone-${records}-${origin}`,
  );
  log(`generating a ${records}-record zone in ${path.relative(ROOT, dir)} ...`);
  const g = await generate({
    records,
    origin,
    out: dir,
    queries: 100000,
    hitRatio: 0.9,
    seed: 1,
  });
  return { ...g, zonesDir: dir };
}

function runDnsperf(port, queryFile, extraArgs = []) {
  const args = [
    ...extraArgs,
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
          avgResponseBytes: num(/Average packet size:\s+request \d+, response (\d+)/),
        });
      },
    );
  });
}

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
  const baseline = kind === "baseline";
  const s = await startServer(baseline ? "dns-primary" : kind, {
    origin: zone.origin,
    zoneFile: zone.zoneFile,
    zonesDir: zone.zonesDir,
    root: baseline ? baselineRoot : ROOT,
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

/** `--udp-workers` as a list: "0", "2" or "0,1,2" (a sweep). */
function udpWorkerCounts() {
  const counts = String(opts.udpWorkers)
    .split(",")
    .map((v) => Number(v));
  if (counts.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new Error("--udp-workers is a count or a comma-separated list of counts");
  }
  return counts;
}

/**
 * dnsperf against every server, and against node-udp (udp-responder.mjs), the ceiling of
 * Node's own UDP path here. With several `--udp-workers` counts, dns-primary and the ceiling
 * are measured at each count (the first one is the main table's).
 */
async function phaseQps(servers) {
  if (!findTool("dnsperf")) return { skipped: "dnsperf not installed (apt-get install dnsperf)" };
  const zone = await zoneFor(opts.records);
  const measure = async (s) => {
    await waitForSoa(s, zone.origin, s.t0, START_CAP_MS);
    const cpu0 = cpuSeconds(s.pid);
    const r = await runDnsperf(s.port, zone.queryFile);
    return { ...r, serverCpuSeconds: cpuSeconds(s.pid) - cpu0 };
  };
  const better = (a, b) => a.qps > b.qps;
  const [first, ...more] = udpWorkerCounts();
  const withCeiling = servers.includes("dns-primary") ? [...servers, "node-udp"] : servers;
  const results = await rounds("qps", withCeiling, zone, measure, better, { udpWorkers: first });
  const sweep = { [first]: { primary: results["dns-primary"], ceiling: results["node-udp"] } };
  for (const n of more) {
    const r = await rounds(
      `qps, ${n} UDP workers`,
      ["dns-primary", "node-udp"],
      zone,
      measure,
      better,
      {
        udpWorkers: n,
      },
    );
    sweep[n] = { primary: r["dns-primary"], ceiling: r["node-udp"] };
  }
  const signed = servers.includes("dns-primary")
    ? (
        await rounds("qps with DO, DNSSEC on", ["dns-primary"], zone, measureSigned(zone), better, {
          udpWorkers: first,
        })
      )["dns-primary"]
    : undefined;
  const beside =
    opts.besideRecords > 0 ? await qpsBeside(zone, servers, measure, better, first) : undefined;
  return {
    records: zone.records,
    queryFile: path.relative(ROOT, zone.queryFile),
    udpWorkers: first,
    results,
    sweep,
    signed,
    besideRecords: beside ? opts.besideRecords + 5 : undefined,
    beside,
  };
}

/**
 * dns-primary with the zone's DNSSEC turned on through the API (signed live, as Cloudflare
 * signs: docs/dnssec.md) and every query sent with the DO bit (dnsperf -D), so each answer
 * carries RRSIGs made at query time or taken from the signature cache.
 */
const measureSigned = (zone) => async (s) => {
  await waitForSoa(s, zone.origin, s.t0, START_CAP_MS);
  const api = `http://127.0.0.1:${s.apiPort}/client/v4`;
  const zones = await apiBody(await fetch(`${api}/zones?name=${zone.origin}`), "GET /zones");
  const id = zones.result[0]?.id;
  const before = await soaSerial(s.host, s.port, zone.origin);
  const res = await fetch(`${api}/zones/${id}/dnssec`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ status: "active" }),
  });
  await apiBody(res, "PATCH /dnssec");
  // Turning DNSSEC on is one change: wait until the new serial is served (UDP workers too).
  for (let i = 0; (await soaSerial(s.host, s.port, zone.origin)) === before; i++) {
    if (i > 200) throw new Error("the serial did not change after DNSSEC was turned on");
    await new Promise((r) => setTimeout(r, 25));
  }
  // The first run signs as it goes; the second finds the signatures and answers made in the
  // first (kept for the hour), as a zone asked the same questions all day would.
  const cpu0 = cpuSeconds(s.pid);
  const first = await runDnsperf(s.port, zone.queryFile, ["-D"]);
  const cpu1 = cpuSeconds(s.pid);
  const r = await runDnsperf(s.port, zone.queryFile, ["-D"]);
  return {
    ...r,
    serverCpuSeconds: cpuSeconds(s.pid) - cpu1,
    first: { ...first, serverCpuSeconds: cpu1 - cpu0 },
  };
};

/**
 * The same queries while a `--beside-records` zone (origin big.test.) is loaded as well: what
 * a large heap costs the query path. Both zone files are linked into one folder.
 */
async function qpsBeside(zone, servers, measure, better, udpWorkers) {
  const big = await zoneFor(opts.besideRecords, "big.test.");
  const dir = path.join(OUT, `qps-${zone.records}-beside-${big.records}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of [zone.zoneFile, big.zoneFile]) symlinkSync(f, path.join(dir, path.basename(f)));
  const both = {
    ...zone,
    zonesDir: dir,
    zones: [
      { origin: zone.origin, file: zone.zoneFile },
      { origin: big.origin, file: big.zoneFile },
    ],
  };
  const dnsServers = servers.filter((k) => k !== "node-udp");
  // The big zone loaded too before dnsperf starts (BIND and Knot load zones in parallel).
  const whenBoth = async (s) => {
    await waitForSoa(s, big.origin, s.t0, START_CAP_MS);
    return measure(s);
  };
  return rounds(`qps beside ${big.records} records`, dnsServers, both, whenBoth, better, {
    udpWorkers,
    zones: both.zones,
  });
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
  const dataDir = servers.includes("dns-primary") ? await dataDirStarts(zone) : undefined;
  return { records: zone.records, results, dataDir };
}

/**
 * dns-primary with --data-dir: the first start (which writes the first snapshot) and a
 * restart from that data dir with the same zone file, each until the SOA is answered.
 */
async function dataDirStarts(zone) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "dns-bench-data-"));
  const once = async () => {
    const s = await startServer("dns-primary", { ...zone, root: ROOT, dataDir: dir });
    try {
      const ms = await waitForSoa(s, zone.origin, s.t0, START_CAP_MS);
      return { seconds: ms / 1000, ...memoryOf(s.pid) };
    } finally {
      await s.stop();
    }
  };
  try {
    log("load: dns-primary with --data-dir, first start and restart ...");
    const first = await once();
    const again = await once();
    return {
      firstStartSeconds: first.seconds,
      restartSeconds: again.seconds,
      restartRssMiB: again.rssMiB,
    };
  } catch (err) {
    log(err.message);
    return { error: err.message.split("\n")[0] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Versions the journal phase of the xfr phase adds (dns-primary's default journal holds 1000). */
const JOURNAL_VERSIONS = 1000;

/**
 * dns-primary only: one edit through the API (the first lookup by id builds the zone's
 * record-id index, measured apart), then JOURNAL_VERSIONS one-record changes (h0's A
 * record, alternating between two addresses), the growth of VmRSS over them, and an IXFR
 * across all of them, which must be an increment of 4 records per version plus the SOAs.
 */
async function journalGrowth(s, origin, kdigOpts) {
  const api = `http://127.0.0.1:${s.apiPort}/client/v4`;
  const call = async (method, url, body) => {
    const res = await fetch(`${api}${url}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    return (await apiBody(res, `${method} ${url}`)).result;
  };
  const name = origin.replace(/\.$/, "");
  const [zone] = await call("GET", `/zones?name=${name}`);
  const [record] = await call("GET", `/zones/${zone.id}/dns_records?type=A&name=h0.${name}`);
  // The first edit by id builds the zone's record-id index: measured on its own.
  const rssStart = memoryOf(s.pid).rssMiB;
  const tIndex = performance.now();
  await call("PATCH", `/zones/${zone.id}/dns_records/${record.id}`, { content: "192.0.2.9" });
  const firstEditSeconds = (performance.now() - tIndex) / 1000;
  const serial0 = await soaSerial(s.host, s.port, origin, 1000);
  const rssBefore = memoryOf(s.pid).rssMiB;
  const t0 = performance.now();
  for (let i = 0; i < JOURNAL_VERSIONS; i++) {
    const content = i % 2 === 0 ? "192.0.2.10" : "192.0.2.11";
    await call("PATCH", `/zones/${zone.id}/dns_records/${record.id}`, { content });
  }
  const editSeconds = (performance.now() - t0) / 1000;
  const rssAfter = memoryOf(s.pid).rssMiB;
  const ixfr = await runKdig(s.port, [origin, `IXFR=${serial0}`, "+tcp"], {
    ...kdigOpts,
    timeoutMs: 30000,
  });
  const expected = 4 * JOURNAL_VERSIONS + 2;
  if (ixfr.records !== expected) {
    throw new Error(
      `${s.name}: IXFR=${serial0} across ${JOURNAL_VERSIONS} versions gave ${ixfr.records} records, expected ${expected}${ixfr.tail ? `\n${ixfr.tail}` : ""}`,
    );
  }
  return {
    versions: JOURNAL_VERSIONS,
    firstEditSeconds,
    indexGrowthMiB: rssBefore - rssStart,
    editSeconds,
    rssBeforeMiB: rssBefore,
    rssAfterMiB: rssAfter,
    growthMiB: rssAfter - rssBefore,
    ixfrMs: ixfr.wallMs,
    ixfrRecords: ixfr.records,
  };
}

/**
 * `--zones` zones of `--zone-records` records each, in one folder: the time until every zone's
 * SOA is answered, memory per zone, and for dns-primary the time to page through GET /zones.
 */
async function phaseZones(servers) {
  const dir = path.join(OUT, `zones-${opts.zones}x${opts.zoneRecords}`);
  log(
    `generating ${opts.zones} zones of ${opts.zoneRecords} records in ${path.relative(ROOT, dir)} ...`,
  );
  const many = generateMany({ zones: opts.zones, records: opts.zoneRecords, out: dir });
  const zones = many.origins.map((origin, i) => ({ origin, file: many.files[i] }));
  const last = many.origins[many.origins.length - 1];
  const zone = { origin: last, zoneFile: many.files[many.files.length - 1], zonesDir: dir };
  const results = await rounds(
    "zones",
    servers,
    zone,
    async (s) => {
      // The last zone first (cheap to poll); if every zone answers right after, the start
      // ended when the last one did, else when a later check finds every zone answering.
      let startSeconds = (await waitForSoa(s, last, s.t0, START_CAP_MS)) / 1000;
      let answered = await soaAnsweredMany(s.host, s.port, many.origins);
      while (answered < many.origins.length) {
        if (performance.now() - s.t0 > START_CAP_MS) {
          throw new Error(`${s.name}: ${answered} of ${many.origins.length} zones answered`);
        }
        answered = await soaAnsweredMany(s.host, s.port, many.origins);
        startSeconds = (performance.now() - s.t0) / 1000;
      }
      const mem = memoryOf(s.pid);
      const cpu = cpuSeconds(s.pid);
      const listing = s.apiPort ? await pageZones(s.apiPort, many.origins.length) : {};
      return {
        startSeconds,
        cpuSeconds: cpu,
        ...mem,
        kibPerZone: (mem.rssMiB * 1024) / many.origins.length,
        ...listing,
      };
    },
    (a, b) => a.startSeconds < b.startSeconds,
    { zones },
  );
  let storm;
  let api;
  if (servers.includes("dns-primary")) {
    log(`zones: the same ${opts.zones} zones created through the API ...`);
    try {
      api = await zonesThroughApi(many);
    } catch (err) {
      api = { error: err.message.split("\n")[0] };
      log(err.message);
    }
    log(`zones: NOTIFY storm, ${opts.zones} zones to 2 peers ...`);
    try {
      storm = await notifyStorm({ many, root: ROOT, soaStream, quantile, capMs: START_CAP_MS });
    } catch (err) {
      storm = { error: err.message.split("\n")[0] };
      log(err.message);
    }
  }
  return { zones: opts.zones, recordsPerZone: opts.zoneRecords + 5, results, api, storm };
}

/** Requests in flight at once while zones are created through the API. */
const API_CONCURRENCY = 8;

/**
 * dns-primary started with no zones, then every zone of `many` created through the API as a
 * client would: POST /zones, then its zone file through POST /dns_records/import. Measures
 * the time until the last import returned, memory per zone, that every zone's SOA is then
 * answered, and GET /zones paged through.
 */
async function zonesThroughApi(many) {
  const empty = mkdtempSync(path.join(os.tmpdir(), "dns-bench-nozones-"));
  const s = await startServer("dns-primary", {
    origin: many.origins[0],
    zonesDir: empty,
    root: ROOT,
  });
  const api = `http://127.0.0.1:${s.apiPort}/client/v4`;
  try {
    for (;;) {
      if (performance.now() - s.t0 > START_CAP_MS) throw new Error("the API did not come up");
      try {
        if ((await fetch(`${api}/zones`)).ok) break;
      } catch {}
      await new Promise((r) => setTimeout(r, 50));
    }
    const rssEmpty = memoryOf(s.pid).rssMiB;
    const check = async (res, what) => (await apiBody(res, what)).result;
    let next = 0;
    let records = 0;
    const t0 = performance.now();
    const worker = async () => {
      for (let i = next++; i < many.origins.length; i = next++) {
        const name = many.origins[i].replace(/\.$/, "");
        const zone = await check(
          await fetch(`${api}/zones`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ name, type: "full" }),
          }),
          `POST /zones ${name}`,
        );
        const form = new FormData();
        form.append("file", new Blob([readFileSync(many.files[i])]), `${name}.zone`);
        const imported = await check(
          await fetch(`${api}/zones/${zone.id}/dns_records/import`, { method: "POST", body: form }),
          `import into ${name}`,
        );
        records += imported.recs_added;
      }
    };
    await Promise.all(Array.from({ length: API_CONCURRENCY }, worker));
    const createSeconds = (performance.now() - t0) / 1000;
    const mem = memoryOf(s.pid);
    const answered = await soaAnsweredMany(s.host, s.port, many.origins);
    if (answered !== many.origins.length)
      throw new Error(`${answered} of ${many.origins.length} zones created answer their SOA`);
    const listing = await pageZones(s.apiPort, many.origins.length);
    return {
      createSeconds,
      recordsAdded: records,
      concurrency: API_CONCURRENCY,
      ...mem,
      kibPerZone: ((mem.rssMiB - rssEmpty) * 1024) / many.origins.length,
      ...listing,
    };
  } finally {
    await s.stop();
    rmSync(empty, { recursive: true, force: true });
  }
}

/** An API response's envelope; throws with `what` and the API's errors unless it succeeded. */
async function apiBody(res, what) {
  const body = await res.json();
  if (!body.success) throw new Error(`${what}: ${JSON.stringify(body.errors)}`);
  return body;
}

/** GET /zones page by page (50 a page, Cloudflare's maximum) until every zone was listed. */
async function pageZones(apiPort, expected) {
  const t0 = performance.now();
  let listed = 0;
  let pages = 0;
  for (let page = 1; ; page++) {
    const res = await fetch(`http://127.0.0.1:${apiPort}/client/v4/zones?per_page=50&page=${page}`);
    const body = await apiBody(res, `GET /zones page ${page}`);
    listed += body.result.length;
    pages++;
    if (page >= body.result_info.total_pages) break;
  }
  if (listed !== expected)
    throw new Error(`GET /zones listed ${listed} zones, expected ${expected}`);
  return { listSeconds: (performance.now() - t0) / 1000, listPages: pages };
}

/**
 * User + system CPU of this process's children that have ended and been waited for (kdig),
 * in seconds: /proc/self/stat cutime + cstime.
 */
function childrenCpuSeconds() {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** The last `bytes` bytes of a file. */
function tailOf(file, bytes = 4096) {
  const size = statSync(file).size;
  const buf = Buffer.alloc(Math.min(bytes, size));
  const fd = openSync(file, "r");
  try {
    readSync(fd, buf, 0, buf.length, size - buf.length);
  } finally {
    closeSync(fd);
  }
  return buf.toString("utf8");
}

/**
 * Run kdig once against 127.0.0.1:port with `args`, optionally signed with `key`. Its stdout
 * goes to a file (not through this process, whose CPU would compete with the server's); the
 * summary at its end gives messages, records and kdig's own transfer time. Resolves with the
 * wall time of the kdig process, kdig's CPU, and those figures; rejects on a non-zero exit.
 */
function runKdig(port, args, { key, outDir, timeoutMs }) {
  const full = ["@127.0.0.1", "-p", String(port), ...args];
  if (key) full.push("-y", `${key.algo}:${key.name}:${key.secret}`);
  const outFile = path.join(outDir, "kdig.out");
  const fd = openSync(outFile, "w");
  const cpu0 = childrenCpuSeconds();
  const t0 = performance.now();
  const child = spawn(findTool("kdig"), full, { stdio: ["ignore", fd, "pipe"] });
  closeSync(fd);
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr = (stderr + d).slice(-4096);
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve, reject) => {
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("exit", (code, signal) => {
      const wallMs = performance.now() - t0;
      clearTimeout(timer);
      const kdigCpuSeconds = childrenCpuSeconds() - cpu0;
      const tail = tailOf(outFile);
      rmSync(outFile, { force: true });
      const shown = ["kdig", ...full.slice(0, key ? -2 : undefined)].join(" ");
      const command = key ? `${shown} -y ${key.algo}:${key.name}:SECRET` : shown;
      if (code !== 0) {
        return reject(
          new Error(
            `${command}: ${signal ? `killed (${signal}) after ${timeoutMs} ms` : `exit code ${code}`}\n${stderr}${tail.slice(-1000)}`,
          ),
        );
      }
      const received = /;; Received (\d+) B \((\d+) messages?, (\d+) records?\)/.exec(tail);
      const from = /;; From \S+ in ([\d.]+) ms/.exec(tail);
      resolve({
        command,
        wallMs,
        kdigCpuSeconds,
        bytes: Number(received?.[1] ?? Number.NaN),
        messages: Number(received?.[2] ?? Number.NaN),
        records: Number(received?.[3] ?? Number.NaN),
        kdigMs: Number(from?.[1] ?? Number.NaN),
        stderr: stderr.trim() || undefined,
        tail: received ? undefined : tail.slice(-1000),
      });
    });
  });
}

function median(xs) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The zone file with one record changed: h0's A record gets another address. `bumpSerial`
 * also raises the SOA serial by one (BIND and Knot take the file's serial; dns-primary
 * assigns the serial itself, so its copy keeps the file's).
 */
function editZoneText(text, bumpSerial) {
  const record = /^h0\t+A\t+\S+$/m;
  if (!record.test(text)) throw new Error("xfr: h0's A record not found in the zone file");
  let out = text.replace(record, "h0\tA\t192.0.2.99");
  if (bumpSerial) {
    const soa = /^(@\s+(?:\d+\s+)?(?:IN\s+)?SOA\s+\S+\s+\S+\s+)(\d+)/m;
    if (!soa.test(out)) throw new Error("xfr: SOA not found in the zone file");
    out = out.replace(soa, (_, head, serial) => `${head}${(Number(serial) + 1) % 2 ** 32}`);
  }
  return out;
}

/**
 * Wait until the server answers the SOA with a serial other than `old` (ms since `t0`);
 * meanwhile note the longest time since `gapFrom` that the SOA went unanswered (a server that
 * stops answering while it reloads; polled every 20 ms, each query waiting 100 ms).
 */
async function waitForNewSerial(s, origin, old, t0, gapFrom, capMs) {
  let lastAnswer = gapFrom;
  let longestGapMs = 0;
  for (;;) {
    const serial = await soaSerial(s.host, s.port, origin, 100);
    const now = performance.now();
    if (serial !== null) {
      longestGapMs = Math.max(longestGapMs, now - lastAnswer);
      lastAnswer = now;
      if (serial !== old) return { serial, ms: now - t0, longestGapMs };
    }
    if (now - t0 > capMs) {
      throw new Error(`${s.name} did not serve a new serial within ${capMs} ms:\n${s.log()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A steady stream of SOA queries over UDP, one every `everyMs` whatever the answers, until
 * stop() gives each query's latency in ms (one left unanswered for `timeoutMs` counts as that
 * long), so a server that stops answering while it reloads shows in the high percentiles.
 */
function soaStream(s, origin, everyMs = 10, timeoutMs = 5000) {
  const latencies = [];
  const timer = setInterval(() => {
    const t = performance.now();
    latencies.push(
      soaSerial(s.host, s.port, origin, timeoutMs).then((v) =>
        v === null ? timeoutMs : performance.now() - t,
      ),
    );
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Promise.all(latencies);
    },
  };
}

/** The `q` quantile (0..1) of `xs`, nearest rank. */
function quantile(xs, q) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

async function phaseXfr(servers) {
  if (!findTool("kdig")) return { skipped: "kdig not installed (apt-get install knot-dnsutils)" };
  const missing = servers.filter((k) => controlToolFor(k) && !findTool(controlToolFor(k)));
  for (const k of missing) log(`xfr: skipping ${k}: ${controlToolFor(k)} not installed`);
  servers = servers.filter((k) => !missing.includes(k));
  const zone = await zoneFor(opts.loadRecords);
  const origin = zone.origin.endsWith(".") ? zone.origin : `${zone.origin}.`;
  const text = readFileSync(zone.zoneFile, "utf8");
  const edited = { keep: editZoneText(text, false), bump: editZoneText(text, true) };
  const key = {
    name: "bench-key.",
    algo: "hmac-sha256",
    secret: randomBytes(32).toString("base64"),
  };
  const scratch = mkdtempSync(path.join(os.tmpdir(), "dns-bench-kdig-"));
  const kdigOpts = { key, outDir: scratch, timeoutMs: XFR_CAP_MS };
  const axfrOf = async (s, signed) => {
    const cpu0 = cpuSeconds(s.pid);
    const r = await runKdig(s.port, [origin, "AXFR", "+tcp"], {
      ...kdigOpts,
      key: signed ? key : null,
    });
    const serverCpuSeconds = cpuSeconds(s.pid) - cpu0;
    if (r.records !== zone.records + 1) {
      throw new Error(
        `${s.name}: AXFR${signed ? " with TSIG" : ""} gave ${r.records} records, expected ${zone.records + 1} (the zone's ${zone.records} + the closing SOA)${r.tail ? `\n${r.tail}` : ""}`,
      );
    }
    return { ...r, seconds: r.wallMs / 1000, serverCpuSeconds };
  };
  const measure = async (s) => {
    await waitForSoa(s, origin, s.t0, START_CAP_MS);
    const loadSeconds = (performance.now() - s.t0) / 1000;
    const serial0 = await soaSerial(s.host, s.port, origin, 1000);
    if (serial0 === null) throw new Error(`${s.name}: no SOA serial`);
    // The cost of running kdig at all: one SOA query over TCP.
    const soaRuns = [];
    for (let i = 0; i < IXFR_RUNS; i++) {
      soaRuns.push(
        await runKdig(s.port, [origin, "SOA", "+tcp"], { ...kdigOpts, timeoutMs: 10000 }),
      );
    }
    const axfr = await axfrOf(s, false);
    const axfrTsig = await axfrOf(s, true);
    // The same version again, as more secondaries ask for it: dns-primary keeps the messages
    // at the second request and sends them from the third on (server/axfr-cache.ts); the
    // others build them every time.
    await axfrOf(s, true);
    const axfrAgain = await axfrOf(s, true);
    // One record changed in the file, picked up as a difference.
    writeFileSync(s.zoneFile, s.name === "dns-primary" ? edited.keep : edited.bump);
    const cpu0 = cpuSeconds(s.pid);
    const tReload = performance.now();
    const stream = soaStream(s, origin);
    const reloadOutput = await s.reload();
    // Unanswered time counts from when the reload command has returned (rndc and knotc
    // return once the server has queued the reload; a signal is delivered at once).
    const changed = await waitForNewSerial(
      s,
      origin,
      serial0,
      tReload,
      performance.now(),
      XFR_CAP_MS,
    );
    const reloadCpuSeconds = cpuSeconds(s.pid) - cpu0;
    const streamMs = await stream.stop();
    const memAfterReload = memoryOf(s.pid);
    const ixfrRuns = [];
    for (let i = 0; i < IXFR_RUNS; i++) {
      const r = await runKdig(s.port, [origin, `IXFR=${serial0}`, "+tcp"], {
        ...kdigOpts,
        timeoutMs: 10000,
      });
      if (!(r.records >= 4 && r.records <= 20)) {
        throw new Error(
          `${s.name}: IXFR=${serial0} after a one-record change gave ${r.records} records in ${r.messages} messages, not an increment${r.tail ? `\n${r.tail}` : ""}`,
        );
      }
      ixfrRuns.push(r);
    }
    const journal = s.apiPort ? await journalGrowth(s, origin, kdigOpts) : undefined;
    return {
      journal,
      loadSeconds,
      serialBefore: serial0,
      serialAfter: changed.serial,
      kdigSoaMs: median(soaRuns.map((r) => r.wallMs)),
      axfrSeconds: axfr.seconds,
      axfrServerCpuSeconds: axfr.serverCpuSeconds,
      axfrTsigSeconds: axfrTsig.seconds,
      axfrTsigServerCpuSeconds: axfrTsig.serverCpuSeconds,
      axfrAgainSeconds: axfrAgain.seconds,
      axfrAgainServerCpuSeconds: axfrAgain.serverCpuSeconds,
      axfr,
      axfrTsig,
      reload: {
        command: reloadOutput === "SIGHUP" ? "kill -HUP" : reloadOutput,
        seconds: changed.ms / 1000,
        serverCpuSeconds: reloadCpuSeconds,
        longestSoaGapSeconds: changed.longestGapMs / 1000,
        // SOA queries sent every 10 ms from the reload command until the new serial.
        soaStreamQueries: streamMs.length,
        soaStreamP99Ms: quantile(streamMs, 0.99),
        ...memAfterReload,
      },
      ixfrMs: median(ixfrRuns.map((r) => r.wallMs)),
      ixfrKdigMs: median(ixfrRuns.map((r) => r.kdigMs)),
      ixfrRecords: ixfrRuns[0].records,
      ixfrRuns: ixfrRuns.map(({ command, wallMs, kdigMs, records, messages, bytes }) => ({
        command,
        wallMs,
        kdigMs,
        records,
        messages,
        bytes,
      })),
    };
  };
  let results;
  try {
    results = await rounds("xfr", servers, zone, measure, (a, b) => a.axfrSeconds < b.axfrSeconds, {
      xfr: { key: { name: key.name, algo: key.algo, secret: key.secret } },
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  // Each figure from its own best round: AXFR and AXFR+TSIG by wall time, IXFR by its median,
  // the reload figures all from the round with the fastest reload.
  const best = {};
  for (const kind of servers) {
    const runs = (results[kind].runs ?? [results[kind]]).filter((r) => !r.error);
    if (!runs.length) {
      best[kind] = results[kind];
      continue;
    }
    const min = (f) => runs.reduce((a, b) => (f(b) < f(a) ? b : a));
    const a = min((r) => r.axfrSeconds);
    const t = min((r) => r.axfrTsigSeconds);
    const g = min((r) => r.axfrAgainSeconds);
    const i = min((r) => r.ixfrMs);
    const l = min((r) => r.reload.seconds);
    best[kind] = {
      axfrSeconds: a.axfrSeconds,
      axfrServerCpuSeconds: a.axfrServerCpuSeconds,
      axfrKdigCpuSeconds: a.axfr.kdigCpuSeconds,
      axfrMessages: a.axfr.messages,
      axfrBytes: a.axfr.bytes,
      axfrTsigSeconds: t.axfrTsigSeconds,
      axfrTsigServerCpuSeconds: t.axfrTsigServerCpuSeconds,
      axfrTsigMessages: t.axfrTsig.messages,
      axfrAgainSeconds: g.axfrAgainSeconds,
      axfrAgainServerCpuSeconds: g.axfrAgainServerCpuSeconds,
      ixfrMs: i.ixfrMs,
      ixfrKdigMs: i.ixfrKdigMs,
      ixfrRecords: i.ixfrRecords,
      kdigSoaMs: min((r) => r.kdigSoaMs).kdigSoaMs,
      reloadSeconds: l.reload.seconds,
      reloadCpuSeconds: l.reload.serverCpuSeconds,
      reloadLongestSoaGapSeconds: l.reload.longestSoaGapSeconds,
      reloadSoaP99Ms: l.reload.soaStreamP99Ms,
      hwmAfterReloadMiB: l.reload.hwmMiB,
      journalGrowthMiB: runs[0].journal?.growthMiB,
      journalFirstEditSeconds: runs[0].journal?.firstEditSeconds,
      journalIndexGrowthMiB: runs[0].journal?.indexGrowthMiB,
      journalEditSeconds: runs[0].journal?.editSeconds,
      journalIxfrMs: runs[0].journal?.ixfrMs,
    };
  }
  return {
    records: zone.records,
    zoneFile: path.relative(ROOT, zone.zoneFile),
    change: "h0 A 10.0.0.0 -> 192.0.2.99 (SOA serial +1 in the file for BIND and Knot)",
    tsig: `${key.algo}:${key.name} (random secret per run)`,
    ixfrRuns: IXFR_RUNS,
    best,
    results,
  };
}

function fmt(v, digits = 1) {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "—";
}

function ratio(a, b) {
  return typeof a === "number" && typeof b === "number" && b > 0 ? `${(a / b).toFixed(2)}×` : "—";
}

function table(title, rows, servers) {
  // dns-primary against each other column there is: BIND, Knot, the baseline, Node's ceiling.
  const against = [
    ["primary/BIND", "bind"],
    ["primary/Knot", "knot"],
    ["primary/baseline", "baseline"],
    ["primary/ceiling", "node-udp"],
  ].filter(([, k]) => k === "bind" || k === "knot" || servers.includes(k));
  const head = ["measure", ...servers, ...against.map(([h]) => h)];
  const lines = rows.map(([label, get, digits, noRatio]) => {
    const v = Object.fromEntries(servers.map((k) => [k, get(k)]));
    return [
      label,
      ...servers.map((k) => fmt(v[k], digits)),
      ...against.map(([, k]) => (noRatio ? "" : ratio(v["dns-primary"], v[k]))),
    ];
  });
  return layout(title, head, lines);
}

/** A titled table in aligned columns, a rule under its head. */
function layout(title, head, lines) {
  const all = [head, ...lines];
  const width = head.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  const row = (r) => r.map((c, i) => String(c).padEnd(width[i])).join("  ");
  return [`\n${title}`, row(head), row(width.map((w) => "-".repeat(w))), ...lines.map(row)].join(
    "\n",
  );
}

/** The `--udp-workers` sweep: dns-primary against Node's ceiling at each worker count. */
function workersTable(sweep) {
  const head = ["UDP workers", "dns-primary q/s", "node-udp q/s", "primary/ceiling"];
  const lines = sweep.map(([n, { primary, ceiling }]) => [
    n === "0" ? "0 (main process)" : n,
    fmt(primary?.qps, 0),
    fmt(ceiling?.qps, 0),
    ratio(primary?.qps, ceiling?.qps),
  ]);
  return layout(
    "Queries per second by --udp-workers (node-udp: the same worker count)",
    head,
    lines,
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
  const cols = [...SERVERS, "baseline"].filter((k) => ok.includes(k) || skipped[k]);
  if (opts.only === "all" || opts.only === "qps") {
    report.qps = await phaseQps(ok);
    const r = report.qps.results ?? {};
    console.log(
      table(
        `Queries per second, ${report.qps.records ?? "?"}-record zone, 90 % hits (${opts.clients} clients, ${opts.outstanding} outstanding, ${opts.duration} s; dns-primary with ${report.qps.udpWorkers} UDP workers)`,
        [
          ["queries/s", (k) => r[k]?.qps, 0],
          ...(report.qps.beside
            ? [
                [
                  `queries/s, ${report.qps.besideRecords}-record zone beside`,
                  // node-udp loads no zone: its ceiling is the one above.
                  (k) => (k === "node-udp" ? r[k]?.qps : report.qps.beside[k]?.qps),
                  0,
                ],
              ]
            : []),
          ["lost queries", (k) => r[k]?.lost, 0, true],
          ["avg latency (ms)", (k) => r[k]?.avgLatencyMs, 3],
          ["server CPU (s)", (k) => r[k]?.serverCpuSeconds, 2],
        ],
        r["node-udp"] ? [...cols, "node-udp"] : cols,
      ),
    );
    if (report.qps.skipped) console.log(`qps skipped: ${report.qps.skipped}`);
    const sg = report.qps.signed;
    const plain = r["dns-primary"];
    if (sg?.error) console.log(`dns-primary with DO, DNSSEC on: ${sg.error}`);
    else if (sg)
      console.log(
        `dns-primary with DO, DNSSEC on (signed live): first run ${fmt(sg.first?.qps, 0)} queries/s ` +
          `(${ratio(sg.first?.qps, plain?.qps)} of unsigned), second run ${fmt(sg.qps, 0)} queries/s ` +
          `(${ratio(sg.qps, plain?.qps)} of unsigned); response ${fmt(sg.avgResponseBytes, 0)} bytes ` +
          `on average (unsigned ${fmt(plain?.avgResponseBytes, 0)}); ${fmt(sg.first?.lost, 0)} and ${fmt(sg.lost, 0)} lost`,
      );
    const sweep = Object.entries(report.qps.sweep ?? {});
    if (sweep.length > 1) console.log(workersTable(sweep));
  }
  if (opts.only === "all" || opts.only === "load") {
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
    const d = report.load.dataDir;
    if (d?.error) console.log(`--data-dir starts: ${d.error}`);
    else if (d)
      console.log(
        `dns-primary with --data-dir: first start ${fmt(d.firstStartSeconds, 2)} s, restart from it ${fmt(d.restartSeconds, 2)} s (without: ${fmt(r["dns-primary"]?.loadSeconds, 2)} s)`,
      );
  }
  if (opts.only === "all" || opts.only === "xfr") {
    report.xfr = await phaseXfr(ok);
    const b = report.xfr.best ?? {};
    if (report.xfr.skipped) console.log(`xfr skipped: ${report.xfr.skipped}`);
    else
      console.log(
        table(
          `Zone transfers of a ${report.xfr.records}-record zone over TCP (kdig; AXFR: best of ${opts.repeat}, IXFR: median of ${IXFR_RUNS})`,
          [
            ["AXFR wall (s)", (k) => b[k]?.axfrSeconds, 2],
            ["AXFR server CPU (s)", (k) => b[k]?.axfrServerCpuSeconds, 2],
            ["AXFR kdig CPU (s)", (k) => b[k]?.axfrKdigCpuSeconds, 2, true],
            ["AXFR messages", (k) => b[k]?.axfrMessages, 0, true],
            ["AXFR+TSIG wall (s)", (k) => b[k]?.axfrTsigSeconds, 2],
            ["AXFR+TSIG server CPU (s)", (k) => b[k]?.axfrTsigServerCpuSeconds, 2],
            ["AXFR+TSIG, 3rd of a version: wall (s)", (k) => b[k]?.axfrAgainSeconds, 2],
            ["AXFR+TSIG, 3rd: server CPU (s)", (k) => b[k]?.axfrAgainServerCpuSeconds, 2],
            ["reload to new serial (s)", (k) => b[k]?.reloadSeconds, 2],
            ["reload CPU (s)", (k) => b[k]?.reloadCpuSeconds, 2],
            ["SOA unanswered in reload (s)", (k) => b[k]?.reloadLongestSoaGapSeconds, 2],
            ["SOA p99 in reload, 1 per 10 ms (ms)", (k) => b[k]?.reloadSoaP99Ms, 1],
            ["IXFR+TSIG 1 change (ms)", (k) => b[k]?.ixfrMs, 1],
            ["IXFR, kdig's own (ms)", (k) => b[k]?.ixfrKdigMs, 1],
            ["IXFR records", (k) => b[k]?.ixfrRecords, 0, true],
            ["VmHWM after reload (MiB)", (k) => b[k]?.hwmAfterReloadMiB, 0],
            ["kdig SOA over TCP (ms)", (k) => b[k]?.kdigSoaMs, 1, true],
            ["first API edit by id (s)", (k) => b[k]?.journalFirstEditSeconds, 2, true],
            ["VmRSS growth, first edit by id (MiB)", (k) => b[k]?.journalIndexGrowthMiB, 1, true],
            [
              `${JOURNAL_VERSIONS} API edits of one record (s)`,
              (k) => b[k]?.journalEditSeconds,
              2,
              true,
            ],
            [
              `VmRSS growth, ${JOURNAL_VERSIONS}-version journal (MiB)`,
              (k) => b[k]?.journalGrowthMiB,
              1,
              true,
            ],
            [`IXFR across ${JOURNAL_VERSIONS} versions (ms)`, (k) => b[k]?.journalIxfrMs, 1, true],
          ],
          cols,
        ),
      );
  }
  if (opts.only === "all" || opts.only === "zones") {
    report.zones = await phaseZones(ok);
    const r = report.zones.results;
    console.log(
      table(
        `${report.zones.zones} zones of ${report.zones.recordsPerZone} records each, one folder of zone files`,
        [
          ["start to every SOA (s)", (k) => r[k]?.startSeconds, 2],
          ["CPU used (s)", (k) => r[k]?.cpuSeconds, 2],
          ["VmRSS after load (MiB)", (k) => r[k]?.rssMiB, 0],
          ["RSS per zone (KiB)", (k) => r[k]?.kibPerZone, 1],
          ["GET /zones, every page (s)", (k) => r[k]?.listSeconds, 2, true],
        ],
        cols,
      ),
    );
    const a = report.zones.api;
    if (a?.error) console.log(`zones through the API: ${a.error}`);
    else if (a) {
      console.log(
        [
          `\nThe same zones created through the API (dns-primary started with none; ${a.concurrency} requests at once)`,
          `  POST /zones + POST /dns_records/import each: ${fmt(a.createSeconds, 2)} s for ${report.zones.zones} zones, ${a.recordsAdded} records imported`,
          `  VmRSS after: ${fmt(a.rssMiB, 0)} MiB, ${fmt(a.kibPerZone, 1)} KiB per zone over the empty server; GET /zones, every page: ${fmt(a.listSeconds, 2)} s`,
        ].join("\n"),
      );
    }
    const st = report.zones.storm;
    if (st?.error) console.log(`NOTIFY storm: ${st.error}`);
    else if (st) {
      console.log(
        [
          `\nNOTIFY storm (dns-primary): ${st.zones} zones, each linked to ${st.peers} peers (UDP sockets of the bench)`,
          `  at start:        ${st.startNotifiedPairs} of ${st.zones * st.peers} zone/peer pairs notified in ${fmt(st.startSeconds, 2)} s (${st.notifiesAtStart} NOTIFY messages)`,
          `  one change each: ${st.changeNotifiedPairs} of ${st.zones * st.peers} pairs got the new serial in ${fmt(st.changeSeconds, 2)} s after SIGHUP (${st.notifiesForChange} NOTIFY messages); never notified: ${st.lostPairs}`,
          `  meanwhile:       ${st.soaQueries} SOA queries, one every 10 ms: p99 ${fmt(st.soaP99Ms, 1)} ms, slowest ${fmt(st.soaMaxMs, 1)} ms (5000 = unanswered)`,
        ].join("\n"),
      );
    }
  }
  for (const phase of [
    report.qps?.results,
    report.load?.results,
    report.xfr?.results,
    report.zones?.results,
  ]) {
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
  opts.repeat * 3 * ((opts.duration + 60) * 1000 + 3 * START_CAP_MS + 4 * XFR_CAP_MS),
);
cap.unref();

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err.stack ?? err);
    process.exit(1);
  },
);
