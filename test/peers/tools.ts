/**
 * Locating the real DNS tools, spawning peer servers that are always cleaned up, and picking
 * free loopback ports.
 */
import { type ChildProcess, spawn } from "node:child_process";
import dgram from "node:dgram";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { query, type Server } from "./client.js";

/** Debian package that provides each tool, for the skip message. */
const PACKAGE: Record<string, string> = {
  named: "bind9",
  "named-checkzone": "bind9-utils",
  dig: "bind9-dnsutils",
  knotd: "knot",
  knotc: "knot",
  kdig: "knot-dnsutils",
  nsd: "nsd",
  pdns_server: "pdns-server pdns-backend-bind",
  pdnsutil: "pdns-server",
  dnsperf: "dnsperf",
};

const found = new Map<string, string | null>();

/** Absolute path of a binary found in PATH, /usr/sbin or /usr/bin, or null. */
export function findTool(name: string): string | null {
  const cached = found.get(name);
  if (cached !== undefined) return cached;
  const dirs = [
    ...(process.env.PATH ?? "").split(path.delimiter),
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
  ];
  let hit: string | null = null;
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      hit = candidate;
      break;
    } catch {
      // keep looking
    }
  }
  found.set(name, hit);
  return hit;
}

/** The minimal part of a tap Test that requireTool needs. */
interface SkippableTest {
  pass(message: string, extra: { skip: string }): unknown;
  fail(message: string): unknown;
}

/**
 * Path of a tool, or undefined after marking the test: outside CI a missing tool skips with a
 * visible reason; in CI (CI=true, where the workflow installs the packages) it fails.
 */
export function requireTool(t: SkippableTest, name: string): string | undefined {
  const p = findTool(name);
  if (p) return p;
  const message = `${name} not installed: apt-get install ${PACKAGE[name] ?? name}`;
  if (process.env.CI === "true") t.fail(message);
  else t.pass(message, { skip: message });
  return undefined;
}

function bindUdp(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
    s.once("error", reject);
    s.bind(port, host, () => resolve(s));
  });
}

function bindTcp(host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(port, host, () => resolve(s));
  });
}

/**
 * A port that is free on `host` for both UDP and TCP right now. Another process may take it
 * before the server binds it, so callers retry the whole start on failure.
 */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const udp = await bindUdp(host, 0);
    const port = udp.address().port;
    try {
      const tcp = await bindTcp(host, port);
      await new Promise<void>((r) => tcp.close(() => r()));
      return port;
    } catch {
      // TCP side taken: try another
    } finally {
      udp.close();
    }
  }
  throw new Error(`no free UDP+TCP port on ${host} after 50 tries`);
}

// ---- process tracking: nothing we spawn may outlive the test process ----

const live = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const p of live) {
    try {
      p.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  live.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", killAll);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      killAll();
      // Keep the default behaviour (exit) when nobody else handles the signal.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

export interface Spawned {
  proc: ChildProcess;
  pid: number;
  /** Combined stdout+stderr so far (the last 64 KiB). */
  log(): string;
  /** Characters logged since the start: a mark for `logSince` that survives the 64 KiB cut. */
  logMark(): number;
  /** What was logged after `mark` (of the last 64 KiB: all of it when more came since). */
  logSince(mark: number): string;
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnTracked(cmd: string, args: string[], opts: { cwd?: string } = {}): Spawned {
  hookExit();
  const proc = spawn(cmd, args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
  live.add(proc);
  let log = "";
  let total = 0;
  const append = (d: Buffer) => {
    const text = d.toString();
    log += text;
    total += text.length;
    if (log.length > 65536) log = log.slice(-65536);
  };
  proc.stdout?.on("data", append);
  proc.stderr?.on("data", append);
  const exited = new Promise<string>((resolve) => {
    proc.on("exit", (code, signal) => {
      live.delete(proc);
      resolve(signal ? `signal ${signal}` : `exit code ${code}`);
    });
    proc.on("error", (err) => {
      live.delete(proc);
      append(Buffer.from(`spawn error: ${err.message}\n`));
      resolve(`spawn error: ${err.message}`);
    });
  });
  const stop = async (graceMs = 5000) => {
    if (proc.exitCode !== null || proc.signalCode !== null || !live.has(proc)) return;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };
  const logSince = (mark: number) => log.slice(Math.max(0, log.length - (total - mark)));
  return {
    proc,
    pid: proc.pid ?? -1,
    log: () => log,
    logMark: () => total,
    logSince,
    exited,
    stop,
  };
}

/**
 * Poll until every zone answers its SOA query with NOERROR and AA, or fail with the
 * server's log when it exits or the deadline passes.
 */
export async function waitForZones(
  server: Server,
  origins: string[],
  spawned: Spawned | null,
  timeoutMs = 20000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitedWith: string | null = null;
  spawned?.exited.then((s) => {
    exitedWith = s;
  });
  const pending = new Set(origins);
  let lastError = "";
  while (pending.size > 0) {
    if (exitedWith)
      throw new Error(`server exited (${exitedWith}) before loading:\n${spawned?.log()}`);
    if (Date.now() > deadline) {
      throw new Error(
        `zones ${[...pending].join(", ")} not served after ${timeoutMs} ms (${lastError})\n${spawned?.log() ?? ""}`,
      );
    }
    for (const origin of [...pending]) {
      try {
        const r = await query(server, origin, "SOA", { timeoutMs: 250, retries: 0 });
        if (r.parsed.rcode === 0 && r.parsed.aa && r.parsed.answer.length === 1)
          pending.delete(origin);
        else lastError = `${origin}: rcode ${r.parsed.rcode}`;
      } catch (err) {
        lastError = (err as Error).message;
      }
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 50));
  }
}

// ---- zone files handed to a peer ----

export interface ZoneSpec {
  /** Zone origin, absolute ("example."). */
  origin: string;
  /** Path of a master file; or give `text`. */
  file?: string;
  /** Master file contents, written to the peer's temp folder. */
  text?: string;
}

/** Absolute master file paths for each zone, writing inline texts into `dir`. */
export function materializeZones(
  zones: ZoneSpec[],
  dir: string,
): { origin: string; path: string }[] {
  return zones.map((z, i) => {
    if (z.file) return { origin: z.origin, path: path.resolve(z.file) };
    if (z.text === undefined) throw new Error(`zone ${z.origin}: give file or text`);
    const p = path.join(dir, `zone${i}.${z.origin === "." ? "root" : z.origin}zone`);
    writeFileSync(p, z.text);
    return { origin: z.origin, path: p };
  });
}

export function makeTempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function removeTempDir(dir: string): void {
  if (process.env.KEEP_PEER_DIRS === "1") return;
  rmSync(dir, { recursive: true, force: true });
}

/** A running peer server. */
export interface PeerServer extends Server {
  name: string;
  pid: number;
  dir: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Start a server on a free port with `start(port)`, retrying with another port when it
 * cannot bind or does not come up (another process may have taken the port meanwhile).
 */
export async function startOnFreePort(
  host: string,
  fixedPort: number | undefined,
  attempt: (port: number) => Promise<PeerServer>,
): Promise<PeerServer> {
  const tries = fixedPort ? 1 : 3;
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    const port = fixedPort || (await freePort(host));
    try {
      return await attempt(port);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

/**
 * Spawn a peer that reads its config from `dir`, wait until it serves every zone, and return
 * it; on failure stop it and remove `dir`. `stop()` removes `dir` too.
 */
export async function launchPeer(
  name: string,
  server: Server,
  dir: string,
  cmd: string,
  args: string[],
  origins: string[],
  startTimeoutMs: number | undefined,
): Promise<PeerServer> {
  try {
    const proc = spawnTracked(cmd, args, { cwd: dir });
    try {
      await waitForZones(server, origins, proc, startTimeoutMs);
    } catch (err) {
      await proc.stop(1000);
      throw err;
    }
    return {
      name,
      ...server,
      pid: proc.pid,
      dir,
      log: proc.log,
      stop: async () => {
        await proc.stop();
        removeTempDir(dir);
      },
    };
  } catch (err) {
    removeTempDir(dir);
    throw err;
  }
}

export interface PeerLaunch {
  /** Shown in logs and reports ("BIND", "Knot"). */
  name: string;
  /** The server binary. */
  tool: string;
  tempPrefix: string;
  host?: string;
  /** Fixed port, or a free one. */
  port?: number;
  zones: ZoneSpec[];
  startTimeoutMs?: number;
  /** Write the server's config into `dir` for `port` and the zone files; return its arguments. */
  configure(dir: string, port: number, files: { origin: string; path: string }[]): string[];
}

/** Start a peer on a free port in a temp folder of its own, waiting until it serves every zone. */
export function startPeer(l: PeerLaunch): Promise<PeerServer> {
  const host = l.host ?? "127.0.0.1";
  return startOnFreePort(host, l.port, async (port) => {
    const dir = makeTempDir(l.tempPrefix);
    let args: string[];
    try {
      args = l.configure(dir, port, materializeZones(l.zones, dir));
    } catch (err) {
      removeTempDir(dir);
      throw err;
    }
    const origins = l.zones.map((z) => z.origin);
    return launchPeer(l.name, { host, port }, dir, l.tool, args, origins, l.startTimeoutMs);
  });
}
