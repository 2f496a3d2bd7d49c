#!/usr/bin/env node
/**
 * How long the REST API takes to accept a large write into a large zone, and how long until
 * the new serial is served (see bench/README.md, "API writes").
 *
 *   npm run bench:api [-- --repeat 3] [--records 100000] [--udp-workers 0] [--build yes|no]
 *   node bench/api-writes.mjs ...
 *
 * The zone is bench/gen-zone.mjs's (100 000 records + 5). dns-primary runs as the built CLI
 * (`node dist/cli/main.js serve --zones DIR --dns 127.0.0.1:P --api 127.0.0.1:Q`), a child
 * process, as in bench/run.mjs. Each round starts two fresh servers:
 *   - the first gets three `POST /client/v4/zones/{id}/dns_records/batch` of 3500 posts;
 *   - the second three `POST .../dns_records/import` of a 256 KiB BIND file (multipart
 *     field `file`).
 * The first write on each server is "cold" (nothing compiled or cached yet), the next two
 * "warm". For each write: the time from sending the request to having read the whole HTTP
 * response, and the time from sending it to the first UDP answer for the zone's SOA that
 * carries a new serial and after which every answer does (20 in a row: with UDP workers,
 * every worker serves it). A SOA query is sent every 2 ms from the start of the request, so
 * the figure does not wait for the HTTP response and is at most ~2 ms late.
 * Figures: median and max over the rounds, in ms. Loopback only; fixed counts; every server
 * is stopped at the end, and killed if the run is interrupted.
 */
import { execFileSync } from "node:child_process";
import dgram from "node:dgram";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generate, parseArgs } from "./gen-zone.mjs";
import { freePort, soaSerial, spawnTracked, waitForSoa } from "./peers.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const OUT = path.join(HERE, "out");

const opts = parseArgs(process.argv.slice(2), {
  records: 100000,
  repeat: 3,
  udpWorkers: 0,
  build: "yes",
  origin: "bench.test.",
});
if (!opts.origin.endsWith(".")) opts.origin += ".";
if (!Number.isInteger(opts.repeat) || opts.repeat < 1 || opts.repeat > 20)
  throw new Error("--repeat is 1 to 20");

/** Cloudflare's limits, which the API enforces (cloudflare.md §4). */
const BATCH_POSTS = 3500;
const IMPORT_BYTES = 256 * 1024;
/** Writes per server: the first is cold, the others warm. */
const WRITES_PER_SERVER = 3;
/** The target: each write accepted, and its serial served, in under this. */
const TARGET_MS = 1000;
const START_CAP_MS = 120000;
/** Cap on one write, until its new serial is served. */
const WRITE_CAP_MS = 30000;
const POLL_MS = 2;
/** New-serial answers in a row that count as "served" (see watchSerial). */
const STEADY = 20;

function log(msg) {
  process.stderr.write(`${msg}\n`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* ---- what is written ---------------------------------------------------------------------- */

const zoneName = opts.origin.slice(0, -1);

/** One record of a write, kind by index: A, AAAA, TXT, CNAME, MX (names unique per `tag`). */
function recordOf(tag, i) {
  const name = `${tag}-${i}`;
  switch (i % 5) {
    case 0:
      return { type: "A", name, content: `10.${200 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}` };
    case 1:
      return { type: "AAAA", name, content: `2001:db8:ffff::${i.toString(16)}` };
    case 2:
      return { type: "TXT", name, content: `"bench ${tag} ${i}"` };
    case 3:
      return { type: "CNAME", name, content: `h${(i * 20) % 1000}.${zoneName}` };
    default:
      return { type: "MX", name, content: `mail.${zoneName}`, priority: 10 };
  }
}

function batchBody(tag) {
  const posts = [];
  for (let i = 0; i < BATCH_POSTS; i++) {
    const r = recordOf(tag, i);
    posts.push({ ...r, name: `${r.name}.${zoneName}`, ttl: 300 });
  }
  return JSON.stringify({ posts });
}

/** A BIND file of at most IMPORT_BYTES bytes, as full as whole lines make it. */
function importFile(tag) {
  let text = `$ORIGIN ${opts.origin}\n$TTL 300\n`;
  let records = 0;
  for (let i = 0; ; i++) {
    const r = recordOf(tag, i);
    const rdata = r.type === "MX" ? `${r.priority} ${r.content}.` : r.content;
    const dot = r.type === "CNAME" ? "." : "";
    const line = `${r.name} 300 IN ${r.type} ${rdata}${dot}\n`;
    if (Buffer.byteLength(text) + Buffer.byteLength(line) > IMPORT_BYTES) break;
    text += line;
    records++;
  }
  return { text, records, bytes: Buffer.byteLength(text) };
}

/* ---- the server --------------------------------------------------------------------------- */

function build() {
  if (opts.build === "yes") {
    log("building dns-primary (npm run build) ...");
    execFileSync("npm", ["run", "build", "--silent"], {
      cwd: ROOT,
      stdio: "inherit",
      timeout: 300000,
    });
  }
  if (!existsSync(path.join(ROOT, "dist/cli/main.js")))
    throw new Error("dist/cli/main.js missing (npm run build)");
}

async function startPrimary(zonesDir) {
  const port = await freePort();
  const apiPort = await freePort();
  const args = [
    path.join(ROOT, "dist/cli/main.js"),
    "serve",
    "--zones",
    zonesDir,
    "--dns",
    `127.0.0.1:${port}`,
    "--api",
    `127.0.0.1:${apiPort}`,
    "--log-level",
    "warn",
    "--udp-workers",
    String(opts.udpWorkers),
  ];
  const t0 = performance.now();
  const s = {
    ...spawnTracked(process.execPath, args, { cwd: ROOT }),
    name: "dns-primary",
    host: "127.0.0.1",
    port,
  };
  try {
    const startMs = await waitForSoa(s, opts.origin, t0, START_CAP_MS);
    const base = `http://127.0.0.1:${apiPort}/client/v4`;
    // UDP workers may answer before the main process listens on the API: wait for it too.
    let zones;
    for (;;) {
      try {
        zones = await api(`${base}/zones?name=${encodeURIComponent(zoneName)}`);
        break;
      } catch (err) {
        if (performance.now() - t0 > START_CAP_MS) throw err;
        await sleep(20);
      }
    }
    if (zones.length !== 1) throw new Error(`GET /zones?name=${zoneName}: ${zones.length} zones`);
    return { ...s, base, zoneId: zones[0].id, startMs };
  } catch (err) {
    await s.stop();
    throw err;
  }
}

async function api(url, init) {
  const res = await fetch(url, init);
  const json = await res.json();
  if (!res.ok || !json.success)
    throw new Error(
      `${init?.method ?? "GET"} ${url}: ${res.status} ${JSON.stringify(json.errors)}`,
    );
  return json.result;
}

/* ---- the serial, as UDP serves it ---------------------------------------------------------- */

function soaQuery(id) {
  const labels = opts.origin.split(".").filter(Boolean);
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(1, 4);
  return Buffer.concat([
    h,
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0, 0, 6, 0, 1]),
  ]);
}

function skipName(m, off) {
  for (;;) {
    const len = m[off];
    if (len === undefined) throw new RangeError("truncated name");
    if (len >= 0xc0) return off + 2;
    if (len === 0) return off + 1;
    off += len + 1;
  }
}

/** The serial of a SOA answer (NOERROR, AA, one answer), or null. */
function serialIn(m) {
  if (m.length < 12) return null;
  const flags = m.readUInt16BE(2);
  if ((flags & 0x0f) !== 0 || (flags & 0x0400) === 0 || m.readUInt16BE(6) !== 1) return null;
  try {
    let off = skipName(m, 12) + 4;
    off = skipName(m, off);
    if (m.readUInt16BE(off) !== 6) return null;
    off = skipName(m, off + 10);
    off = skipName(m, off);
    return m.readUInt32BE(off);
  } catch {
    return null;
  }
}

/**
 * From now on, a SOA query every POLL_MS on one socket; resolves with the time (from `t0`) of
 * the first answer whose serial is not `before` and after which no answer has it (STEADY in a
 * row), and that serial. Answers to queries queued while the server was busy come when it is
 * free again, with what it serves then.
 */
function watchSerial(port, before, t0) {
  const sock = dgram.createSocket("udp4");
  let id = 0;
  let timer;
  let cap;
  const done = new Promise((resolve, reject) => {
    // With UDP workers, one may serve the new serial before another: count from the first
    // answer after which STEADY answers in a row (whichever process sent them) are all new.
    let first = null;
    let inRow = 0;
    sock.on("message", (m) => {
      const serial = serialIn(m);
      if (serial === null) return;
      if (serial === before) {
        first = null;
        inRow = 0;
        return;
      }
      first ??= performance.now() - t0;
      if (++inRow >= STEADY) resolve({ ms: first, serial });
    });
    sock.on("error", reject);
    cap = setTimeout(
      () => reject(new Error(`no new serial within ${WRITE_CAP_MS} ms`)),
      WRITE_CAP_MS,
    );
  });
  const send = () => {
    id = (id + 1) & 0xffff;
    sock.send(soaQuery(id), port, "127.0.0.1");
  };
  send();
  timer = setInterval(send, POLL_MS);
  return done.finally(() => {
    clearInterval(timer);
    clearTimeout(cap);
    sock.close();
  });
}

/* ---- one write ---------------------------------------------------------------------------- */

async function measure(s, kind, tag) {
  const before = await soaSerial(s.host, s.port, opts.origin, 1000);
  if (before === null) throw new Error("no SOA serial before the write");
  let init;
  let expect;
  if (kind === "batch") {
    init = {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: batchBody(tag),
    };
    expect = (r) => r.posts.length === BATCH_POSTS || `${r.posts.length} posts in the answer`;
  } else {
    const file = importFile(tag);
    const form = new FormData();
    form.append("file", new Blob([file.text], { type: "text/plain" }), "bench.zone");
    init = { method: "POST", body: form };
    expect = (r) =>
      r.recs_added === file.records || `recs_added ${r.recs_added}, not ${file.records}`;
  }
  const url = `${s.base}/zones/${s.zoneId}/dns_records/${kind}`;
  const t0 = performance.now();
  const served = watchSerial(s.port, before, t0);
  served.catch(() => {}); // awaited below; a failed write must not leave it unhandled
  const result = await api(url, init);
  const httpMs = performance.now() - t0;
  const ok = expect(result);
  if (ok !== true) throw new Error(`${kind}: ${ok}`);
  const { ms: serialMs, serial } = await served;
  return { httpMs, serialMs, serialBefore: before, serialAfter: serial };
}

/* ---- the run ------------------------------------------------------------------------------ */

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  build();
  mkdirSync(OUT, { recursive: true });
  const dir = path.join(OUT, `zone-${opts.records}`);
  log(`generating a ${opts.records}-record zone in ${path.relative(ROOT, dir)} ...`);
  const zone = await generate({
    records: opts.records,
    origin: opts.origin,
    out: dir,
    queries: 100000,
    hitRatio: 0.9,
    seed: 1,
  });
  const sample = importFile("i0-0");
  const samples = { batch: { cold: [], warm: [] }, import: { cold: [], warm: [] } };
  const starts = [];
  for (let round = 1; round <= opts.repeat; round++) {
    for (const kind of ["batch", "import"]) {
      const s = await startPrimary(dir);
      starts.push(s.startMs);
      try {
        for (let w = 0; w < WRITES_PER_SERVER; w++) {
          const r = await measure(s, kind, `${kind[0]}${round}-${w}`);
          const which = w === 0 ? "cold" : "warm";
          samples[kind][which].push(r);
          log(
            `round ${round} ${kind} ${which}: HTTP ${r.httpMs.toFixed(0)} ms, new serial ${r.serialMs.toFixed(0)} ms (${r.serialBefore} -> ${r.serialAfter})`,
          );
          await sleep(200);
        }
      } finally {
        await s.stop();
      }
    }
  }

  const rows = [];
  for (const [kind, label] of [
    ["batch", `batch, ${BATCH_POSTS} posts`],
    ["import", `import, ${(sample.bytes / 1024).toFixed(0)} KiB / ${sample.records} records`],
  ]) {
    for (const which of ["cold", "warm"]) {
      const xs = samples[kind][which];
      const http = xs.map((r) => r.httpMs);
      const serial = xs.map((r) => r.serialMs);
      rows.push({
        write: `${label}, ${which}`,
        n: xs.length,
        httpMedian: median(http),
        httpMax: Math.max(...http),
        serialMedian: median(serial),
        serialMax: Math.max(...serial),
      });
    }
  }
  const facts = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "?",
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
    records: zone.records,
    udpWorkers: opts.udpWorkers,
    repeat: opts.repeat,
    startToFirstSoaMsMedian: median(starts),
  };
  const head = ["write", "n", "HTTP med", "HTTP max", "serial med", "serial max"];
  const lines = rows.map((r) => [
    r.write,
    String(r.n),
    ...[r.httpMedian, r.httpMax, r.serialMedian, r.serialMax].map((v) => v.toFixed(0)),
  ]);
  const all = [head, ...lines];
  const width = head.map((_, i) => Math.max(...all.map((l) => l[i].length)));
  const row = (l) =>
    l.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join("  ");
  console.log(
    `\nAPI writes into a ${zone.records}-record zone (ms; cold = first write on a fresh server; ` +
      `serial = until UDP serves the new SOA serial; ${opts.udpWorkers} UDP workers)`,
  );
  console.log(row(head));
  console.log(row(width.map((w) => "-".repeat(w))));
  for (const l of lines) console.log(row(l));
  const worst = Math.max(...rows.map((r) => Math.max(r.httpMax, r.serialMax)));
  console.log(
    `\ntarget: each write accepted and its serial served in under ${TARGET_MS} ms: ` +
      `${worst < TARGET_MS ? "met" : "NOT met"} (worst ${worst.toFixed(0)} ms)`,
  );
  console.log(
    `machine: ${facts.cpus} × ${facts.cpuModel}, ${facts.memoryGiB} GiB, node ${facts.node}, ` +
      `load average ${facts.loadAverage.join(" ")}; server start to first SOA ` +
      `${(facts.startToFirstSoaMsMedian / 1000).toFixed(1)} s (median)`,
  );
  const file = path.join(OUT, `api-writes-${facts.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify({ ...facts, rows, samples }, null, 2)}\n`);
  console.log(`written ${path.relative(ROOT, file)}`);
}

// A hard cap on the whole run, whatever happens.
const cap = setTimeout(
  () => {
    log("bench: overall time cap reached, stopping");
    process.exit(2);
  },
  opts.repeat * 2 * (START_CAP_MS + WRITES_PER_SERVER * (WRITE_CAP_MS + 1000)),
);
cap.unref();

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err.stack ?? err);
    process.exit(1);
  },
);
