/**
 * Servers for the benchmarks: dns-primary (built CLI), BIND and Knot, each started on a free
 * loopback port with one zone, plus the bookkeeping that guarantees none outlives the run.
 * (The test helpers in test/peers/ are TypeScript, which plain `node bench/run.mjs` cannot
 * import on Node 20, so the little that is needed here is repeated.)
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import {
  accessSync,
  constants,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));

export function findTool(name) {
  for (const dir of [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/bin"]) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return path.join(dir, name);
    } catch {
      // next
    }
  }
  return null;
}

export async function freePort(host = "127.0.0.1") {
  for (let i = 0; i < 50; i++) {
    const udp = dgram.createSocket("udp4");
    await new Promise((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(0, host, resolve);
    });
    const port = udp.address().port;
    const ok = await new Promise((resolve) => {
      const tcp = net.createServer();
      tcp.once("error", () => resolve(false));
      tcp.listen(port, host, () => tcp.close(() => resolve(true)));
    });
    udp.close();
    if (ok) return port;
  }
  throw new Error("no free port");
}

// ---- every child is killed when this process ends, however it ends ----
const live = new Set();
function killAll() {
  for (const p of live) {
    try {
      p.kill("SIGKILL");
    } catch {
      // gone
    }
  }
  live.clear();
}
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(sig, () => {
    killAll();
    process.exit(130);
  });
}

export function spawnTracked(cmd, args, opts = {}) {
  const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
  live.add(proc);
  let log = "";
  const add = (d) => {
    log = (log + d.toString()).slice(-32768);
  };
  proc.stdout.on("data", add);
  proc.stderr.on("data", add);
  const exited = new Promise((resolve) => {
    proc.on("exit", (code, signal) => {
      live.delete(proc);
      resolve(signal ? `signal ${signal}` : `exit code ${code}`);
    });
    proc.on("error", (err) => {
      live.delete(proc);
      resolve(`spawn error ${err.message}`);
    });
  });
  return {
    proc,
    pid: proc.pid,
    log: () => log,
    exited,
    async stop() {
      if (!live.has(proc)) return;
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

function soaQuery(origin, id) {
  const labels = origin.split(".").filter(Boolean);
  const name = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0]),
  ]);
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(1, 4);
  return Buffer.concat([h, name, Buffer.from([0, 6, 0, 1])]);
}

/** One SOA query over UDP: true when answered NOERROR with AA and one SOA answer. */
export async function soaAnswered(host, port, origin, timeoutMs = 200) {
  return (await soaSerial(host, port, origin, timeoutMs)) !== null;
}

/** The offset just past the (possibly compressed) name at `off`. */
function skipName(m, off) {
  for (;;) {
    const len = m[off];
    if (len === undefined) throw new RangeError("truncated name");
    if (len >= 0xc0) return off + 2;
    if (len === 0) return off + 1;
    off += len + 1;
  }
}

/**
 * One SOA query over UDP: the serial of the SOA answered (NOERROR, AA, one answer), or null
 * when there is no such answer within `timeoutMs`.
 */
export function soaSerial(host, port, origin, timeoutMs = 200) {
  return new Promise((resolve) => {
    const sock = dgram.createSocket("udp4");
    const id = Math.floor(Math.random() * 65536);
    const done = (v) => {
      clearTimeout(timer);
      sock.close();
      resolve(v);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    sock.on("message", (m) => {
      if (m.length < 12 || m.readUInt16BE(0) !== id) return;
      const flags = m.readUInt16BE(2);
      if ((flags & 0x0f) !== 0 || (flags & 0x0400) === 0 || m.readUInt16BE(6) !== 1) {
        return done(null);
      }
      try {
        let off = skipName(m, 12) + 4; // the question
        off = skipName(m, off);
        if (m.readUInt16BE(off) !== 6) return done(null);
        off = skipName(m, off + 10); // type, class, TTL, RDLENGTH; then MNAME
        off = skipName(m, off); // RNAME
        done(m.readUInt32BE(off));
      } catch {
        done(null);
      }
    });
    sock.on("error", () => done(null));
    sock.send(soaQuery(origin, id), port, host);
  });
}

/**
 * One SOA query per origin over one UDP socket, at most `window` outstanding, the unanswered
 * ones asked again after a pause in the answers (a datagram lost on loopback under a burst):
 * the number of origins whose SOA was answered (NOERROR, AA, one answer) within `timeoutMs`.
 * The query id is the origin's index, so there are at most 65 536 origins.
 */
export async function soaAnsweredMany(host, port, origins, timeoutMs = 10000, window = 128) {
  if (origins.length > 0x10000) throw new RangeError("at most 65536 origins");
  const sock = dgram.createSocket("udp4");
  await new Promise((resolve) => sock.bind(0, "127.0.0.1", resolve));
  const answered = new Uint8Array(origins.length);
  let count = 0;
  let onAnswer = () => {};
  sock.on("message", (m) => {
    if (m.length < 12) return;
    const i = m.readUInt16BE(0);
    const flags = m.readUInt16BE(2);
    if (i < origins.length && !answered[i] && (flags & 0x0f) === 0 && flags & 0x0400) {
      if (m.readUInt16BE(6) === 1) {
        answered[i] = 1;
        count++;
      }
    }
    onAnswer();
  });
  sock.on("error", () => {});
  const deadline = performance.now() + timeoutMs;
  try {
    while (count < origins.length && performance.now() < deadline) {
      const pending = [];
      for (let i = 0; i < origins.length; i++) if (!answered[i]) pending.push(i);
      await new Promise((resolve) => {
        let next = 0;
        let inFlight = 0;
        let idle;
        const finish = () => {
          clearTimeout(idle);
          resolve();
        };
        const pump = () => {
          clearTimeout(idle);
          if (next >= pending.length && inFlight <= 0) return finish();
          while (inFlight < window && next < pending.length) {
            const i = pending[next++];
            sock.send(soaQuery(origins[i], i), port, host);
            inFlight++;
          }
          idle = setTimeout(finish, 300);
        };
        onAnswer = () => {
          inFlight--;
          pump();
        };
        pump();
      });
    }
  } finally {
    sock.close();
  }
  return count;
}

/** Poll until the SOA is answered; resolves with ms since `t0`, or throws on exit/timeout. */
export async function waitForSoa(server, origin, t0, capMs) {
  let exited = null;
  server.exited.then((s) => {
    exited = s;
  });
  for (;;) {
    if (exited)
      throw new Error(`${server.name} exited (${exited}) before answering:\n${server.log()}`);
    if (performance.now() - t0 > capMs)
      throw new Error(`${server.name} did not answer within ${capMs} ms`);
    if (await soaAnswered(server.host, server.port, origin, 100)) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** VmRSS and VmHWM of a process, in MiB. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: kb("VmRSS") / 1024, hwmMiB: kb("VmHWM") / 1024 };
}

function bindConf(dir, port, zoneList, xfr) {
  const zoneXfr = xfr
    ? " allow-transfer { 127.0.0.1; }; ixfr-from-differences yes; max-journal-size unlimited;"
    : "";
  const keys = xfr
    ? `key "${xfr.key.name}" { algorithm ${xfr.key.algo}; secret "${xfr.key.secret}"; };
key "bench-rndc" { algorithm hmac-sha256; secret "${xfr.controlSecret}"; };
controls { inet 127.0.0.1 port ${xfr.controlPort} allow { 127.0.0.1; } keys { "bench-rndc"; }; };
`
    : "controls { };\n";
  return `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  notify no;
  dnssec-validation no;
  minimal-responses no-auth;
  check-names primary ignore;
  querylog no;
};
${keys}logging { category default { null; }; category lame-servers { null; }; };
${zoneList.map((z) => `zone "${z.origin}" { type primary; file "${z.file}";${zoneXfr} };\n`).join("")}`;
}

function rndcConf(xfr) {
  return `key "bench-rndc" { algorithm hmac-sha256; secret "${xfr.controlSecret}"; };
options { default-key "bench-rndc"; default-server 127.0.0.1; default-port ${xfr.controlPort}; };
`;
}

function knotConf(dir, port, zoneList, xfr) {
  // For the transfer phase: transfers allowed from 127.0.0.1, unsigned or with the key; the
  // zone file re-read as a difference (journaled, so IXFR can serve it), a control socket.
  const xfrConf = xfr
    ? `control:
    listen: "${dir}/knot.sock"
key:
  - id: "${xfr.key.name}"
    algorithm: ${xfr.key.algo}
    secret: "${xfr.key.secret}"
acl:
  - id: xfr-plain
    address: 127.0.0.1
    action: transfer
  - id: xfr-key
    address: 127.0.0.1
    key: "${xfr.key.name}"
    action: transfer
`
    : "";
  return `server:
    rundir: "${dir}"
    listen: 127.0.0.1@${port}
database:
    storage: "${dir}"
log:
  - target: stderr
    any: warning
${xfrConf}template:
  - id: default
    storage: "${dir}"
    zonefile-sync: -1
${
  xfr
    ? `    zonefile-load: difference
    journal-content: changes
    journal-max-usage: 1G
    acl: [xfr-plain, xfr-key]`
    : `    zonefile-load: whole
    journal-content: none`
}
    semantic-checks: off
zone:
${zoneList.map((z) => `  - domain: "${z.origin}"\n    file: "${z.file}"\n`).join("")}`;
}

/** dns-primary's transfer configuration: the key, loopback as an ACL, the zone enabled. */
function primaryConf(origin, xfr) {
  return `tsigs:
  - { name: "${xfr.key.name}", algo: ${xfr.key.algo}, secret: "${xfr.key.secret}" }
acls:
  - { name: bench-loopback, ip_range: 127.0.0.0/24 }
zones:
  "${origin}":
    outgoing: { status: Enabled }
`;
}

function run(cmd, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(cmd)} ${args.join(" ")}: ${err.message}`));
      else resolve(`${stdout}${stderr}`.trim());
    });
  });
}

export const SERVERS = ["dns-primary", "bind", "knot"];

/**
 * Start one server with one zone on a free port. Returns the spawned process with its name,
 * host, port and temp folder; `t0` is taken just before the spawn.
 * Threads: BIND and Knot use their defaults (one worker per CPU), like a real deployment;
 * dns-primary is one Node process, or that plus `--udp-workers` UDP worker processes.
 *
 * With `xfr: { key: { name, algo, secret } }` (the transfer phase) the zone file is copied
 * into the temp folder (`zoneFile` of the result, which the caller may edit), transfers are
 * allowed from 127.0.0.1 unsigned or signed with the key, and the server is set up to turn a
 * changed zone file into an IXFR-able difference; `reload()` makes it re-read the file:
 * dns-primary SIGHUP, BIND `rndc reload ZONE` (ixfr-from-differences), Knot `knotc
 * zone-reload ZONE` (zonefile-load: difference).
 */
export async function startServer(
  kind,
  {
    origin,
    zoneFile,
    zonesDir,
    root,
    udpWorkers = 0,
    xfr = null,
    zones = null,
    config = null,
    dataDir = null,
  },
) {
  const port = await freePort();
  const apiPort = kind === "dns-primary" ? await freePort() : null;
  const dir = mkdtempSync(path.join(tmpdir(), `dns-bench-${kind}-`));
  if (xfr) {
    mkdirSync(path.join(dir, "zones"));
    const copy = path.join(dir, "zones", path.basename(zoneFile));
    copyFileSync(zoneFile, copy);
    zoneFile = copy;
    zonesDir = path.dirname(copy);
    xfr = {
      ...xfr,
      controlPort: await freePort(),
      controlSecret: randomBytes(32).toString("base64"),
    };
  }
  let cmd;
  let args;
  let reload;
  // Every zone of the folder (the zones phase), or the one zone.
  const zoneList = () => zones ?? [{ origin, file: zoneFile }];
  if (kind === "dns-primary") {
    cmd = process.execPath;
    args = [
      path.join(root, "dist/cli/main.js"),
      "serve",
      "--zones",
      zonesDir,
      "--dns",
      `127.0.0.1:${port}`,
      "--log-level",
      "warn",
      "--udp-workers",
      String(udpWorkers),
      "--api",
      `127.0.0.1:${apiPort}`,
    ];
    if (xfr) {
      writeFileSync(path.join(dir, "dns-primary.yaml"), primaryConf(origin, xfr));
      args.push("--config", path.join(dir, "dns-primary.yaml"));
    } else if (config) {
      args.push("--config", config);
    }
    if (dataDir) args.push("--data-dir", dataDir);
    reload = async () => {
      s.proc.kill("SIGHUP");
      return "SIGHUP";
    };
  } else if (kind === "bind") {
    cmd = findTool("named");
    writeFileSync(path.join(dir, "named.conf"), bindConf(dir, port, zoneList(), xfr));
    args = ["-g", "-c", path.join(dir, "named.conf")];
    if (xfr) writeFileSync(path.join(dir, "rndc.conf"), rndcConf(xfr));
    reload = () =>
      run(findTool("rndc"), ["-c", path.join(dir, "rndc.conf"), "reload", origin], 30000);
  } else if (kind === "knot") {
    cmd = findTool("knotd");
    writeFileSync(path.join(dir, "knot.conf"), knotConf(dir, port, zoneList(), xfr));
    args = ["-c", path.join(dir, "knot.conf")];
    reload = () =>
      run(findTool("knotc"), ["-s", path.join(dir, "knot.sock"), "zone-reload", origin], 30000);
  } else if (kind === "node-udp") {
    // Not a DNS server: the ceiling of Node's UDP path (udp-responder.mjs), for the qps phase.
    cmd = process.execPath;
    args = [path.join(HERE, "udp-responder.mjs"), String(port), origin, String(udpWorkers)];
  } else {
    throw new Error(`unknown server ${kind}`);
  }
  const t0 = performance.now();
  const s = spawnTracked(cmd, args, { cwd: dir });
  const stop = s.stop;
  return Object.assign(s, {
    name: kind,
    host: "127.0.0.1",
    port,
    apiPort,
    dir,
    t0,
    zoneFile,
    command: [cmd, ...args].join(" "),
    reload: xfr ? reload : undefined,
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export function toolFor(kind) {
  return kind === "bind" ? "named" : kind === "knot" ? "knotd" : null;
}

/** The control tool the transfer phase needs besides the server itself. */
export function controlToolFor(kind) {
  return kind === "bind" ? "rndc" : kind === "knot" ? "knotc" : null;
}
