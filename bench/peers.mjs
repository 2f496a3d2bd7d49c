/**
 * Servers for the benchmarks: dns-primary (built CLI), BIND and Knot, each started on a free
 * loopback port with one zone, plus the bookkeeping that guarantees none outlives the run.
 * (The test helpers in test/peers/ are TypeScript, which plain `node bench/run.mjs` cannot
 * import on Node 20, so the little that is needed here is repeated.)
 */
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

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

/** One SOA query over UDP: true when answered NOERROR with AA and one answer record. */
export function soaAnswered(host, port, origin, timeoutMs = 200) {
  return new Promise((resolve) => {
    const sock = dgram.createSocket("udp4");
    const id = Math.floor(Math.random() * 65536);
    const done = (v) => {
      clearTimeout(timer);
      sock.close();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on("message", (m) => {
      if (m.length < 12 || m.readUInt16BE(0) !== id) return;
      const flags = m.readUInt16BE(2);
      done((flags & 0x0f) === 0 && (flags & 0x0400) !== 0 && m.readUInt16BE(6) === 1);
    });
    sock.on("error", () => done(false));
    sock.send(soaQuery(origin, id), port, host);
  });
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

function bindConf(dir, port, origin, zoneFile) {
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
controls { };
logging { category default { null; }; category lame-servers { null; }; };
zone "${origin}" { type primary; file "${zoneFile}"; };
`;
}

function knotConf(dir, port, origin, zoneFile) {
  return `server:
    rundir: "${dir}"
    listen: 127.0.0.1@${port}
database:
    storage: "${dir}"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "${dir}"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
zone:
  - domain: "${origin}"
    file: "${zoneFile}"
`;
}

export const SERVERS = ["dns-primary", "bind", "knot"];

/**
 * Start one server with one zone on a free port. Returns the spawned process with its name,
 * host, port and temp folder; `t0` is taken just before the spawn.
 * Threads: BIND and Knot use their defaults (one worker per CPU), like a real deployment;
 * dns-primary is one Node process, or that plus `--udp-workers` UDP worker processes.
 */
export async function startServer(kind, { origin, zoneFile, zonesDir, root, udpWorkers = 0 }) {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), `dns-bench-${kind}-`));
  let cmd;
  let args;
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
    ];
  } else if (kind === "bind") {
    cmd = findTool("named");
    writeFileSync(path.join(dir, "named.conf"), bindConf(dir, port, origin, zoneFile));
    args = ["-g", "-c", path.join(dir, "named.conf")];
  } else if (kind === "knot") {
    cmd = findTool("knotd");
    writeFileSync(path.join(dir, "knot.conf"), knotConf(dir, port, origin, zoneFile));
    args = ["-c", path.join(dir, "knot.conf")];
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
    dir,
    t0,
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export function toolFor(kind) {
  return kind === "bind" ? "named" : kind === "knot" ? "knotd" : null;
}
