#!/usr/bin/env node
/**
 * Soak: dns-primary under steady mixed load for a bounded time (see bench/README.md, "Soak").
 *
 *   node bench/soak.mjs [--seconds 180] [--qps 2000] [--writes 5] [--secondaries 4]
 *                       [--records 20000] [--build yes|no] [--dist DIR]
 *
 * One dns-primary (the built CLI, a child process) serves a zone of `--records` TXT and A
 * records on loopback, with its API. For `--seconds`, this process at once:
 *   - sends UDP queries at a fixed rate (`--qps`; 90 % existing names, 10 % NXDOMAIN) and
 *     times every answer (a query unanswered after 2 s counts as dropped);
 *   - writes through the API at a fixed rate (`--writes` per second): a POST of a new A
 *     record, and once 50 exist, a DELETE of the oldest with each POST, so the zone size
 *     stays steady while the serial moves on every write;
 *   - runs `--secondaries` secondaries: each polls the SOA over UDP every second and, when
 *     the serial moved, transfers over TCP (half of them by IXFR from their serial, applying
 *     the changes to their copy, the other half by AXFR), as BIND or Knot would on NOTIFY;
 *   - samples the server's memory (VmRSS) every 5 s.
 * The query sender and the secondaries run on their own worker threads, so that decoding
 * transfers does not delay the sending or the timing of queries. Then the writes and queries stop, every secondary is given 30 s to reach the last serial,
 * and each copy is compared with a fresh AXFR. Last, the server gets SIGTERM and the time it
 * takes to exit is measured (graceful shutdown).
 *
 * Bounded: everything stops after `--seconds` + 60 s at most; every count is rate × time;
 * the server is killed if the run is interrupted. Loopback only. Results are printed and
 * written to bench/out/soak-<date>.json.
 */
import { execFileSync } from "node:child_process";
import dgram from "node:dgram";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import packet from "dns-packet";
import { parseArgs } from "./gen-zone.mjs";
import { freePort, memoryOf, spawnTracked, waitForSoa } from "./peers.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const OUT = path.join(HERE, "out");
const ORIGIN = "soak.test";

const opts = parseArgs(process.argv.slice(2), {
  seconds: 180,
  qps: 2000,
  writes: 5,
  secondaries: 4,
  records: 20000,
  build: "yes",
  dist: path.join(ROOT, "dist"),
});
for (const [k, max] of [
  ["seconds", 3600],
  ["qps", 50000],
  ["writes", 200],
  ["secondaries", 32],
  ["records", 2000000],
]) {
  if (!Number.isInteger(opts[k]) || opts[k] < 1 || opts[k] > max)
    throw new Error(`--${k} is a whole number from 1 to ${max}`);
}
const QUERY_TIMEOUT_MS = 2000;
const CONVERGE_MS = 30000;
const HARD_CAP_MS = (opts.seconds + 60 + CONVERGE_MS / 1000) * 1000;

// ---------- the zone and the server ----------

function zoneText(records) {
  const lines = [
    `$ORIGIN ${ORIGIN}.`,
    "$TTL 300",
    `@ IN SOA ns1.${ORIGIN}. hostmaster.${ORIGIN}. 1 7200 3600 1209600 300`,
    `@ IN NS ns1.${ORIGIN}.`,
    "ns1 IN A 192.0.2.1",
  ];
  for (let i = 0; i < records; i++) {
    if (i % 2 === 0) lines.push(`r${i} IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    else lines.push(`r${i} IN TXT "soak record ${i} ${"z".repeat(40)}"`);
  }
  return `${lines.join("\n")}\n`;
}

const CONFIG = `acls:
  - { name: soak-loopback, ip_range: 127.0.0.0/24 }
zones:
  "${ORIGIN}.":
    outgoing: { status: Enabled }
`;

// ---------- small DNS helpers (dns-packet) ----------

function udpQuery(port, name, type, timeoutMs = 1000) {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    const id = (Math.random() * 65536) | 0;
    const timer = setTimeout(() => {
      s.close();
      reject(new Error("timeout"));
    }, timeoutMs);
    s.on("message", (m) => {
      clearTimeout(timer);
      s.close();
      try {
        resolve(packet.decode(m));
      } catch (e) {
        reject(e);
      }
    });
    s.send(packet.encode({ type: "query", id, questions: [{ type, name }] }), port, "127.0.0.1");
  });
}

async function soaSerialOf(port) {
  const m = await udpQuery(port, ORIGIN, "SOA");
  const soa = m.answers.find((a) => a.type === "SOA");
  return soa ? soa.data.serial : undefined;
}

const rrKey = (a) =>
  `${a.name.toLowerCase()} ${a.type} ${a.ttl} ${JSON.stringify(a.data, (_, v) =>
    v && v.type === "Buffer" ? Buffer.from(v.data).toString("hex") : v,
  )}`;

/** One AXFR or IXFR over TCP: every answer record, in order, and the rcode. */
function transfer(port, qtype, fromSerial, timeoutMs = 60000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const records = [];
    let buf = Buffer.alloc(0);
    let soaSerial;
    let state = "first"; // IXFR: first, second, removed, added; AXFR-style: axfr
    const done = (err, rcode = 0) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve({ rcode, records });
    };
    const timer = setTimeout(() => done(new Error(`${qtype} timed out`)), timeoutMs);
    socket.on("error", (e) => done(e));
    socket.on("close", () => done(new Error(`${qtype}: connection closed mid-transfer`)));
    socket.on("connect", () => {
      const q = {
        type: "query",
        id: (Math.random() * 65536) | 0,
        questions: [{ type: qtype, name: ORIGIN }],
      };
      if (qtype === "IXFR") {
        q.authorities = [
          {
            name: ORIGIN,
            type: "SOA",
            ttl: 0,
            data: {
              mname: ".",
              rname: ".",
              serial: fromSerial,
              refresh: 0,
              retry: 0,
              expire: 0,
              minimum: 0,
            },
          },
        ];
      }
      socket.write(packet.streamEncode(q));
    });
    socket.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const m = packet.decode(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (m.rcode !== "NOERROR") return done(null, m.rcode);
        for (const a of m.answers) {
          records.push(a);
          const isSoa = a.type === "SOA";
          if (state === "first") {
            soaSerial = a.data.serial;
            state = qtype === "AXFR" ? "axfr" : "second";
          } else if (state === "second") {
            state = isSoa ? "removed" : "axfr";
            if (isSoa && a.data.serial === soaSerial) return done(null); // [SOA, SOA]: current
          } else if (state === "axfr") {
            if (isSoa) return done(null);
          } else if (state === "removed") {
            if (isSoa) state = "added";
          } else if (state === "added") {
            if (isSoa) {
              if (a.data.serial === soaSerial) return done(null);
              state = "removed";
            }
          }
        }
        // IXFR answered by a single SOA (the client is current).
        if (state === "second" && m.answers.length === 1 && records.length === 1) return done(null);
      }
    });
  });
}

/** A secondary: its copy of the zone (records without the SOA) and its serial. */
class Secondary {
  constructor(index, port, mode) {
    this.index = index;
    this.port = port;
    this.mode = mode; // "IXFR" or "AXFR"
    this.serial = undefined;
    this.records = new Set();
    this.stats = { checks: 0, transfers: 0, ixfr: 0, axfrStyle: 0, failures: 0, refused: 0 };
    this.errors = [];
  }
  async refresh() {
    this.stats.checks++;
    const serial = await soaSerialOf(this.port);
    if (serial === undefined || serial === this.serial) return;
    const useIxfr = this.mode === "IXFR" && this.serial !== undefined;
    const r = await transfer(this.port, useIxfr ? "IXFR" : "AXFR", this.serial);
    if (r.rcode !== 0) {
      this.stats.refused++;
      return;
    }
    this.apply(r.records);
    this.stats.transfers++;
  }
  apply(rrs) {
    const newSerial = rrs[0].data.serial;
    if (rrs.length === 1) return; // current
    const incremental = rrs[1].type === "SOA";
    if (!incremental) {
      this.records = new Set(rrs.slice(1, -1).map(rrKey));
      this.stats.axfrStyle++;
    } else {
      // RFC 1995 §4: for each change, the old SOA, the removed records, the new SOA, the
      // added records. Applied to a copy: a bad answer leaves the copy as it was.
      const next = new Set(this.records);
      let adding = true;
      for (const a of rrs.slice(1, -1)) {
        if (a.type === "SOA") {
          adding = !adding;
          continue;
        }
        const k = rrKey(a);
        if (adding) next.add(k);
        else if (!next.delete(k)) throw new Error(`IXFR removes a record not held: ${k}`);
      }
      this.records = next;
      this.stats.ixfr++;
    }
    this.serial = newSerial;
  }
  async run(until) {
    while (Date.now() < until()) {
      try {
        await this.refresh();
      } catch (e) {
        this.stats.failures++;
        if (this.errors.length < 5) this.errors.push(String(e.message ?? e));
      }
      await sleep(800 + Math.random() * 400);
    }
  }
}

// ---------- the load ----------

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** UDP queries at a fixed rate; every answer timed. */
function queryLoad(port, qps, records) {
  const s = dgram.createSocket("udp4");
  const sentAt = new Float64Array(65536);
  const pending = new Uint8Array(65536);
  const latencies = [];
  const stats = { sent: 0, answered: 0, late: 0, dropped: 0, rcodes: {} };
  let id = 0;
  s.bind(0, "127.0.0.1", () => s.setRecvBufferSize(4 * 1024 * 1024));
  s.on("message", (m) => {
    const i = m.readUInt16BE(0);
    if (!pending[i]) {
      stats.late++;
      return;
    }
    pending[i] = 0;
    const ms = performance.now() - sentAt[i];
    latencies.push(ms);
    stats.answered++;
    const rcode = m[3] & 15;
    stats.rcodes[rcode] = (stats.rcodes[rcode] ?? 0) + 1;
  });
  const names = (i) =>
    Math.random() < 0.9 ? `r${(Math.random() * records) | 0}.${ORIGIN}` : `nx${i}.${ORIGIN}`;
  const t0 = performance.now();
  let due = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    const target = Math.floor(((now - t0) / 1000) * qps);
    for (; due < target; due++) {
      const i = id;
      id = (id + 1) & 0xffff;
      if (pending[i] && now - sentAt[i] > QUERY_TIMEOUT_MS) stats.dropped++;
      const type = Math.random() < 0.5 ? "A" : "TXT";
      const q = packet.encode({ type: "query", id: i, questions: [{ type, name: names(due) }] });
      sentAt[i] = performance.now();
      pending[i] = 1;
      stats.sent++;
      s.send(q, port, "127.0.0.1");
    }
  }, 5);
  return {
    async stop() {
      clearInterval(tick);
      await sleep(QUERY_TIMEOUT_MS);
      const now = performance.now();
      for (let i = 0; i < 65536; i++) if (pending[i] && now - sentAt[i] > 0) stats.dropped++;
      s.close();
      latencies.sort((a, b) => a - b);
      return {
        ...stats,
        p50Ms: +percentile(latencies, 50).toFixed(3),
        p99Ms: +percentile(latencies, 99).toFixed(3),
        p999Ms: +percentile(latencies, 99.9).toFixed(3),
        maxMs: +(latencies.at(-1) ?? Number.NaN).toFixed(3),
      };
    },
  };
}

/** API writes at a fixed rate: POST a record, and DELETE the oldest once 50 exist. */
async function writeLoad(apiPort, perSecond, until) {
  const base = `http://127.0.0.1:${apiPort}/client/v4`;
  const zones = await (await fetch(`${base}/zones?name=${ORIGIN}`)).json();
  const zoneId = zones.result[0].id;
  const live = [];
  const times = [];
  const stats = { posts: 0, deletes: 0, failures: 0 };
  let n = 0;
  const t0 = Date.now();
  while (Date.now() < until()) {
    const t = performance.now();
    try {
      const res = await fetch(`${base}/zones/${zoneId}/dns_records`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          type: "A",
          name: `w${n}.${ORIGIN}`,
          content: `198.51.${(n >> 8) & 255}.${n & 255}`,
          ttl: 300,
        }),
      });
      const body = await res.json();
      if (!body.success) throw new Error(JSON.stringify(body.errors));
      live.push(body.result.id);
      stats.posts++;
      if (live.length > 50) {
        const old = live.shift();
        const del = await fetch(`${base}/zones/${zoneId}/dns_records/${old}`, { method: "DELETE" });
        if (!del.ok) throw new Error(`DELETE: ${del.status}`);
        stats.deletes++;
      }
    } catch (e) {
      stats.failures++;
      if (stats.failures < 3) console.error(`write failed: ${e.message}`);
    }
    times.push(performance.now() - t);
    n++;
    const next = t0 + (n * 1000) / perSecond;
    await sleep(Math.max(0, next - Date.now()));
  }
  times.sort((a, b) => a - b);
  return {
    ...stats,
    p50Ms: +percentile(times, 50).toFixed(2),
    p99Ms: +percentile(times, 99).toFixed(2),
  };
}

// ---------- the run ----------

async function main() {
  const hardCap = setTimeout(() => {
    console.error("soak: hard time cap reached; stopping");
    process.exit(2);
  }, HARD_CAP_MS);
  hardCap.unref();
  if (opts.build === "yes") execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
  const dir = mkdtempSync(path.join(os.tmpdir(), "dns-primary-soak-"));
  const zonesDir = path.join(dir, "zones");
  mkdirSync(zonesDir);
  writeFileSync(path.join(zonesDir, `${ORIGIN}.zone`), zoneText(opts.records));
  writeFileSync(path.join(dir, "dns-primary.yaml"), CONFIG);
  const dnsPort = await freePort();
  const apiPort = await freePort();
  const server = spawnTracked(process.execPath, [
    path.join(opts.dist, "cli/main.js"),
    "serve",
    "--zones",
    zonesDir,
    "--config",
    path.join(dir, "dns-primary.yaml"),
    "--dns",
    `127.0.0.1:${dnsPort}`,
    "--api",
    `127.0.0.1:${apiPort}`,
    "--no-notify",
    "--log-level",
    "warn",
  ]);
  await waitForSoa(
    { ...server, name: "dns-primary", host: "127.0.0.1", port: dnsPort },
    `${ORIGIN}.`,
    performance.now(),
    120000,
  );
  console.log(
    `soak: dns-primary pid ${server.pid}, ${opts.records} records, ${opts.seconds} s, ` +
      `${opts.qps} queries/s, ${opts.writes} writes/s, ${opts.secondaries} secondaries ` +
      `(${os.cpus().length} CPUs)`,
  );

  const memory = [];
  const sample = () => {
    const m = memoryOf(server.pid);
    memory.push({ s: Math.round((Date.now() - t0) / 1000), rssMiB: +m.rssMiB.toFixed(1) });
  };
  const t0 = Date.now();
  sample();
  const sampler = setInterval(sample, 5000);
  const loadEnd = t0 + opts.seconds * 1000;
  const queryWorker = startWorker("queries", { port: dnsPort });
  const secondaryWorker = startWorker("secondaries", { port: dnsPort });
  const progress = setInterval(() => {
    const m = memory.at(-1);
    console.log(`  ${Math.round((Date.now() - t0) / 1000)} s: rss ${m?.rssMiB} MiB`);
  }, 30000);

  const writeStats = await writeLoad(apiPort, opts.writes, () => loadEnd);
  console.log(`  writes done (${writeStats.posts} POST)`);
  const queryStats = await queryWorker.result;
  console.log(`  queries done (${queryStats.sent} sent)`);
  // Convergence: every secondary on the server's last serial, then compared with an AXFR.
  const last = await soaSerialOf(dnsPort);
  secondaryWorker.worker.postMessage({ last });
  const { convergeMs, secondaries: secondaryResults } = await secondaryWorker.result;
  clearInterval(progress);
  clearInterval(sampler);
  sample();

  // Graceful shutdown: SIGTERM, time to exit.
  const stopT = Date.now();
  server.proc.kill("SIGTERM");
  const exit = await Promise.race([server.exited, sleep(15000, "still running after 15 s")]);
  const stopMs = Date.now() - stopT;
  if (exit === "still running after 15 s") await server.stop();
  rmSync(dir, { recursive: true, force: true });

  const rss = memory.map((m) => m.rssMiB);
  const result = {
    date: new Date().toISOString(),
    options: opts,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    queries: {
      ...queryStats,
      droppedPct: +((100 * queryStats.dropped) / queryStats.sent).toFixed(4),
    },
    writes: writeStats,
    lastSerial: last,
    convergeMs,
    secondaries: secondaryResults,
    allConverged: secondaryResults.every((s) => s.onLastSerial && s.identical),
    memory: {
      startMiB: rss[0],
      maxMiB: Math.max(...rss),
      endMiB: rss.at(-1),
      samples: memory,
    },
    shutdown: { signal: "SIGTERM", exit, ms: stopMs },
  };
  mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `soak-${result.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const q = result.queries;
  console.log(`
queries:     ${q.sent} sent, ${q.answered} answered, ${q.dropped} dropped (${q.droppedPct} %), ${q.late} late
latency:     p50 ${q.p50Ms} ms, p99 ${q.p99Ms} ms, p99.9 ${q.p999Ms} ms, max ${q.maxMs} ms
api writes:  ${writeStats.posts} POST + ${writeStats.deletes} DELETE, ${writeStats.failures} failed, p50 ${writeStats.p50Ms} ms, p99 ${writeStats.p99Ms} ms
secondaries: last serial ${last}; ${secondaryResults.filter((s) => s.onLastSerial && s.identical).length}/${secondaryResults.length} on it with identical content (converged ${convergeMs} ms after the load)
${secondaryResults.map((s, i) => `  #${i} ${s.mode}: serial ${s.serial}, ${s.records} records, ${s.transfers} transfers (${s.ixfr} incremental, ${s.axfrStyle} whole), ${s.failures} failures${s.errors.length ? `: ${s.errors.join("; ")}` : ""}`).join("\n")}
memory:      rss ${result.memory.startMiB} MiB at start, max ${result.memory.maxMiB}, end ${result.memory.endMiB}
shutdown:    SIGTERM → ${exit} in ${stopMs} ms
written to ${path.relative(ROOT, file)}`);
  process.exitCode = result.allConverged ? 0 : 1;
}

function startWorker(role, data) {
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { role, ...data },
    argv: process.argv.slice(2),
  });
  const result = new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return { worker, result };
}

/** A worker thread: the query sender, or the secondaries. */
async function workerMain() {
  const { role, port } = workerData;
  if (role === "queries") {
    const load = queryLoad(port, opts.qps, opts.records);
    await sleep(opts.seconds * 1000);
    parentPort.postMessage(await load.stop());
    return;
  }
  let end = Number.POSITIVE_INFINITY;
  const secondaries = Array.from(
    { length: opts.secondaries },
    (_, i) => new Secondary(i, port, i % 2 === 0 ? "IXFR" : "AXFR"),
  );
  const running = secondaries.map((s) => s.run(() => end));
  const { last } = await new Promise((r) => parentPort.once("message", r));
  const convergeStart = Date.now();
  while (Date.now() - convergeStart < CONVERGE_MS && secondaries.some((s) => s.serial !== last))
    await sleep(200);
  const convergeMs = Date.now() - convergeStart;
  end = 0;
  await Promise.all(running);
  const reference = await transfer(port, "AXFR");
  const refSet = new Set(reference.records.slice(1, -1).map(rrKey));
  const same = (s) => s.records.size === refSet.size && [...s.records].every((k) => refSet.has(k));
  parentPort.postMessage({
    convergeMs,
    secondaries: secondaries.map((s) => ({
      mode: s.mode,
      serial: s.serial,
      onLastSerial: s.serial === last,
      identical: same(s),
      records: s.records.size,
      ...s.stats,
      errors: s.errors,
    })),
  });
}

if (isMainThread) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  workerMain().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
