/**
 * Real secondaries for the transfer interop tests: BIND 9 (`named`, driven with `rndc`) and
 * Knot DNS (`knotd`, driven with `knotc`) configured as secondaries of one zone, pulling it
 * from dns-primary over TCP with TSIG. Everything lives in a temp folder removed on stop().
 *
 * Also here: an unsigned AXFR client (to read what a secondary serves, record for record)
 * and a capture of dns-primary's pino lines (to assert which transfers took place).
 *
 * Settings, and why:
 * - BIND: `type secondary` with `primaries { HOST port P key "NAME"; }`, so the SOA query and
 *   the transfer request are both signed; `request-ixfr yes` (BIND's default, stated);
 *   `allow-transfer { 127.0.0.1; }` so the test can AXFR the secondary's copy; `notify no`;
 *   a `controls` channel on a loopback port with its own key for `rndc refresh`.
 * - Knot: a `remote` with the key, the zone's `master:` (Knot 3.2 spelling), an `acl` that
 *   lets 127.0.0.1 transfer the secondary's copy; no zone file written (`zonefile-sync: -1`),
 *   the journal (`journal-content: changes`) in the temp folder, which is what lets Knot ask
 *   for IXFR from its current serial; a control socket for `knotc zone-refresh`.
 * - With `notifyFrom`, the key and zone clauses are `dns-primary secondary-config`'s snippet,
 *   verbatim (Knot: plus an acl for reading the copy), so the tests prove the command.
 * - NOTIFY (`notifyFrom`): BIND accepts NOTIFY from its primaries' addresses whatever the
 *   config says; `allow-notify { ADDRS; }` states the list (adding any that is not a primary).
 *   Knot accepts none unless an `acl` allows it: `action: notify` for those addresses, with
 *   the key when there is one. Without `notifyFrom`, Knot ignores NOTIFY (as before).
 * Neither secondary sends NOTIFY or serves anything but the one zone.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import { secondaryConfig } from "../../src/secondaries/config.js";
import { query, type Server } from "./client.js";
import {
  findTool,
  freePort,
  makeTempDir,
  type PeerServer,
  removeTempDir,
  type Spawned,
  spawnTracked,
  startOnFreePort,
} from "./tools.js";
import {
  encodeQuery,
  type ParsedMessage,
  type ParsedRR,
  parseMessage,
  rcodeText,
  TYPE,
} from "./wire.js";

export interface SecondaryKey {
  /** Key name, absolute ("xfr-key."). */
  name: string;
  /** As BIND and Knot spell it: "hmac-sha256". */
  algorithm: string;
  /** Base64. */
  secret: string;
}

export interface SecondaryOptions {
  /** The zone, absolute ("example."). */
  origin: string;
  /** dns-primary's address (one port for UDP and TCP). */
  primary: Server;
  /** The TSIG both the SOA check and the transfer are signed with. */
  key?: SecondaryKey;
  /** How long to wait for the process to answer queries at all (default 10 s). */
  startTimeoutMs?: number;
  /**
   * Addresses whose NOTIFY the secondary accepts (BIND `allow-notify`, Knot an `acl` with
   * `action: notify` and the key). Unset: BIND's default (its primaries), Knot none.
   */
  notifyFrom?: string[];
  /**
   * The shortest retry after a failed refresh, in seconds (BIND `min-retry-time`, default
   * 500; Knot `retry-min-interval`, which also bounds its start-up retries, otherwise a few
   * seconds). Unset: the servers' defaults.
   */
  minRetrySeconds?: number;
  /**
   * The shortest refresh interval, in seconds (BIND `min-refresh-time`, default 300, which
   * otherwise overrides a zone's shorter SOA refresh; Knot `refresh-min-interval`, default 2).
   * Unset: the servers' defaults.
   */
  minRefreshSeconds?: number;
}

/** The secondaries the interop tests run. */
export type SecondaryKind = "BIND" | "Knot" | "NSD" | "PowerDNS";

export interface Secondary extends PeerServer {
  kind: SecondaryKind;
  origin: string;
  /** Ask the secondary to check the primary's SOA now (and transfer if it is newer). */
  refresh(): Promise<void>;
  /** The zone's SOA serial as the secondary answers it, or null while it serves none. */
  serial(): Promise<number | null>;
  /** Poll until the secondary serves `serial`; on timeout, fail with the secondary's log. */
  waitForSerial(serial: number, timeoutMs?: number): Promise<number>;
  /** The secondary's copy of the zone, by an unsigned AXFR from 127.0.0.1. */
  axfr(timeoutMs?: number): Promise<ParsedRR[]>;
  /** A mark in the secondary's log (see `logSince`). */
  logMark(): number;
  /** The secondary's log lines after `mark`. */
  logSince(mark: number): string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run an installed tool (by name or path) with a timeout; never rejects. */
export function runTool(
  tool: string,
  args: string[],
  opts: { timeoutMs?: number; maxBuffer?: number } = {},
): Promise<ToolRun> {
  const bin = tool.includes("/") ? tool : findTool(tool);
  if (!bin) return Promise.resolve({ code: -1, stdout: "", stderr: `${tool} not installed` });
  return new Promise((resolve) => {
    execFile(
      bin,
      args,
      { timeout: opts.timeoutMs ?? 5000, maxBuffer: opts.maxBuffer ?? 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr: err && code === -1 ? `${stderr}${err.message}` : stderr });
      },
    );
  });
}

/** Wait until the server answers a query at all (a secondary without data says SERVFAIL). */
async function waitForAnswers(
  server: Server,
  origin: string,
  proc: Spawned,
  timeoutMs: number,
): Promise<void> {
  let exited: string | null = null;
  proc.exited.then((s) => {
    exited = s;
  });
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    if (exited) throw new Error(`secondary exited (${exited}) at start:\n${proc.log()}`);
    if (Date.now() > deadline)
      throw new Error(`secondary not answering after ${timeoutMs} ms (${last}):\n${proc.log()}`);
    try {
      await query(server, origin, "SOA", { timeoutMs: 250, retries: 0 });
      return;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(50);
  }
}

/** One unsigned AXFR over TCP: every message, until the closing SOA. */
export function axfrMessages(
  server: Server,
  origin: string,
  timeoutMs = 10000,
): Promise<ParsedMessage[]> {
  return new Promise((resolve, reject) => {
    const port = server.tcpPort ?? server.port;
    const sock = net.connect({ host: server.host, port });
    const messages: ParsedMessage[] = [];
    let soas = 0;
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(messages);
    };
    const timer = setTimeout(
      () => finish(new Error(`AXFR of ${origin} from ${server.host}:${port}: timed out`)),
      timeoutMs,
    );
    sock.on("connect", () => {
      const q = encodeQuery(origin, TYPE.AXFR, { edns: null });
      const len = Buffer.alloc(2);
      len.writeUInt16BE(q.length, 0);
      sock.write(Buffer.concat([len, q]));
    });
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const m = parseMessage(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + m.size);
        messages.push(m);
        if (m.rcode !== 0) {
          finish(new Error(`AXFR of ${origin} from ${server.host}:${port}: ${rcodeText(m.rcode)}`));
          return;
        }
        for (const rr of m.answer) if (rr.type === TYPE.SOA) soas++;
        if (soas >= 2 || (soas === 1 && m.answer.length === 1 && messages.length > 1)) {
          finish(null);
          return;
        }
      }
    });
    sock.on("error", (e) => finish(e));
    sock.on("close", () =>
      finish(new Error(`AXFR of ${origin} from ${server.host}:${port}: closed before the end`)),
    );
  });
}

/** The records of an AXFR, without the closing SOA. */
export async function axfrRecords(
  server: Server,
  origin: string,
  timeoutMs?: number,
): Promise<ParsedRR[]> {
  const rrs = (await axfrMessages(server, origin, timeoutMs)).flatMap((m) => m.answer);
  return rrs.slice(0, -1);
}

/** Log lines in which a secondary reports a failed refresh or transfer. */
const FAILURE: Record<SecondaryKind, RegExp> = {
  BIND: /.*(?:refresh: failure trying primary|Transfer status: (?!success)|failed while receiving).*/g,
  Knot: /.*\] (?:refresh|IXFR|AXFR)\b.*\bfailed\b.*/g,
  NSD: /.*xfrd: zone \S+:? (?:received error code|bad |.*\bfailed\b).*/g,
  PowerDNS: /.*Unable to (?:AXFR|IXFR|retrieve SOA)\b.*/g,
};

function secondaryApi(
  kind: SecondaryKind,
  origin: string,
  server: Server,
  dir: string,
  proc: Spawned,
  refresh: () => Promise<void>,
): Secondary {
  const failures = () => proc.log().match(FAILURE[kind]) ?? [];
  // Failures reported before the last refresh (or start) do not count against a wait.
  let baseline = 0;
  const serial = async (): Promise<number | null> => {
    try {
      const r = await query(server, origin, "SOA", { timeoutMs: 500, retries: 0 });
      const soa = r.parsed.answer.find((rr) => rr.type === TYPE.SOA);
      if (r.parsed.rcode !== 0 || !soa) return null;
      return Number(soa.rdataText.split(" ")[2]);
    } catch {
      return null;
    }
  };
  return {
    kind,
    name: kind,
    origin,
    ...server,
    pid: proc.pid,
    dir,
    log: proc.log,
    logMark: proc.logMark,
    logSince: proc.logSince,
    stop: async () => {
      await proc.stop();
      removeTempDir(dir);
    },
    async refresh() {
      baseline = failures().length;
      await refresh();
    },
    serial,
    async waitForSerial(want, timeoutMs = 10000) {
      const t0 = Date.now();
      let got: number | null = null;
      let why = `after ${timeoutMs} ms`;
      while (Date.now() - t0 < timeoutMs) {
        got = await serial();
        if (got === want) return Date.now() - t0;
        const failed = failures();
        if (failed.length > baseline) {
          why = `and reports: ${failed.slice(baseline).join(" | ")}`;
          break;
        }
        await sleep(50);
      }
      throw new Error(
        `${kind} secondary serves serial ${got} of ${origin}, expected ${want}, ${why}; its log:\n${proc.log()}`,
      );
    },
    async axfr(timeoutMs) {
      // Reading the secondary's copy is the test's own tool, not what is under test: BIND
      // 9.18 busy with an incoming transfer was once seen (on a loaded machine) closing an
      // outgoing AXFR before its end. Ask again a few times; then fail with its log.
      let last: Error | undefined;
      for (let i = 0; i < 3; i++) {
        try {
          return await axfrRecords(server, origin, timeoutMs);
        } catch (err) {
          last = err as Error;
          await sleep(250);
        }
      }
      throw new Error(`${last?.message}; ${kind}'s log:\n${proc.log()}`);
    },
  };
}

function keyAlgorithm(k: SecondaryKey): string {
  return k.algorithm.replace(/\.$/, "");
}

export function bindSecondaryConfig(
  o: SecondaryOptions,
  dir: string,
  port: number,
  rndc: { port: number; secret: string },
): string {
  const k = o.key;
  // With notifyFrom, the key and zone are `dns-primary secondary-config --for bind`'s snippet,
  // verbatim: the interop tests prove what the command prints. The rest is the harness's.
  const snippet = o.notifyFrom ? secondarySnippet("bind", o) : undefined;
  const keyStmt =
    snippet === undefined && k
      ? `key "${k.name}" { algorithm ${keyAlgorithm(k)}; secret "${k.secret}"; };\n`
      : "";
  const zone =
    snippet ??
    `zone "${o.origin}" {
  type secondary;
  primaries { ${o.primary.host} port ${o.primary.port}${k ? ` key "${k.name}"` : ""}; };
  file "${path.join(dir, "secondary.db")}";
};
`;
  return `${keyStmt}key "rndc-key" { algorithm hmac-sha256; secret "${rndc.secret}"; };
controls {
  inet 127.0.0.1 port ${rndc.port} allow { 127.0.0.1; } keys { "rndc-key"; };
};
options {
  directory "${dir}";
  pid-file "${path.join(dir, "named.pid")}";
  session-keyfile "${path.join(dir, "session.key")}";
  managed-keys-directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  notify no;
  dnssec-validation no;
  request-ixfr yes;
  allow-transfer { 127.0.0.1; };
  check-names secondary ignore;
  version none;
  hostname none;
  server-id none;${o.minRetrySeconds !== undefined ? `\n  min-retry-time ${o.minRetrySeconds};` : ""}${
    o.minRefreshSeconds !== undefined ? `\n  min-refresh-time ${o.minRefreshSeconds};` : ""
  }
};
${zone}`;
}

/** `secondary-config`'s snippet for this secondary (src/secondaries/config.ts). */
function secondarySnippet(kind: "bind" | "knot", o: SecondaryOptions): string {
  return secondaryConfig(kind, {
    zone: o.origin,
    primary: o.primary,
    notifyFrom: o.notifyFrom ?? [o.primary.host],
    ...(o.key ? { key: o.key } : {}),
  });
}

/** BIND as a secondary of `o.origin`; resolves once named answers queries (maybe SERVFAIL). */
export async function startBindSecondary(o: SecondaryOptions): Promise<Secondary> {
  const named = findTool("named");
  const rndcBin = findTool("rndc");
  if (!named || !rndcBin) throw new Error("named/rndc not installed: apt-get install bind9");
  const host = "127.0.0.1";
  const started = await startOnFreePort(host, undefined, async (port) => {
    const dir = makeTempDir("dns-secondary-bind-");
    try {
      const rndc = { port: await freePort(host), secret: randomBytes(32).toString("base64") };
      writeFileSync(path.join(dir, "named.conf"), bindSecondaryConfig(o, dir, port, rndc));
      const rndcConf = path.join(dir, "rndc.conf");
      writeFileSync(
        rndcConf,
        `key "rndc-key" { algorithm hmac-sha256; secret "${rndc.secret}"; };
options { default-key "rndc-key"; default-server 127.0.0.1; default-port ${rndc.port}; };
`,
      );
      const proc = spawnTracked(named, ["-g", "-n", "1", "-c", path.join(dir, "named.conf")], {
        cwd: dir,
      });
      const server = { host, port };
      try {
        await waitForAnswers(server, o.origin, proc, o.startTimeoutMs ?? 10000);
      } catch (err) {
        await proc.stop(1000);
        throw err;
      }
      const refresh = async () => {
        const r = await runTool(rndcBin, [
          "-c",
          rndcConf,
          "-s",
          "127.0.0.1",
          "-p",
          String(rndc.port),
          "refresh",
          o.origin,
        ]);
        if (r.code !== 0)
          throw new Error(`rndc refresh ${o.origin}: exit ${r.code}: ${r.stdout}${r.stderr}`);
      };
      return secondaryApi("BIND", o.origin, server, dir, proc, refresh);
    } catch (err) {
      removeTempDir(dir);
      throw err;
    }
  });
  return started as Secondary;
}

export function knotSecondaryConfig(o: SecondaryOptions, dir: string, port: number): string {
  const k = o.key;
  const base = `server:
    rundir: "${dir}"
    listen: 127.0.0.1@${port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
    identity: ""
    version: ""

database:
    storage: "${dir}"

control:
    listen: "${path.join(dir, "knot.sock")}"

log:
  - target: stderr
    any: info

template:
  - id: default
    storage: "${dir}"
    file: "${path.join(dir, "%s.zone")}"
    zonefile-sync: -1
    zonefile-load: none
    journal-content: changes
    semantic-checks: off${
      o.minRetrySeconds !== undefined ? `\n    retry-min-interval: ${o.minRetrySeconds}` : ""
    }${
      o.minRefreshSeconds !== undefined ? `\n    refresh-min-interval: ${o.minRefreshSeconds}` : ""
    }

`;
  if (o.notifyFrom) {
    // `dns-primary secondary-config --for knot`'s snippet, with two additions of the test's own
    // (an acl letting 127.0.0.1 read the secondary's copy, and the zone using it too); every
    // other line is the command's.
    return `${base}${secondarySnippet("knot", o)
      .replace(
        "acl:\n",
        "acl:\n  - id: local-transfer\n    address: 127.0.0.1\n    action: transfer\n",
      )
      .replace("    acl: dns-primary-notify", "    acl: [dns-primary-notify, local-transfer]")}`;
  }
  const keySection = k
    ? `key:
  - id: ${k.name}
    algorithm: ${keyAlgorithm(k)}
    secret: ${k.secret}

`
    : "";
  return `${base}${keySection}remote:
  - id: primary
    address: ${o.primary.host}@${o.primary.port}${k ? `\n    key: ${k.name}` : ""}

acl:
  - id: local-transfer
    address: 127.0.0.1
    action: transfer

zone:
  - domain: "${o.origin}"
    master: primary
    acl: local-transfer
`;
}

/** Knot as a secondary of `o.origin`; resolves once knotd answers queries. */
export async function startKnotSecondary(o: SecondaryOptions): Promise<Secondary> {
  const knotd = findTool("knotd");
  const knotc = findTool("knotc");
  if (!knotd || !knotc) throw new Error("knotd/knotc not installed: apt-get install knot");
  const host = "127.0.0.1";
  const started = await startOnFreePort(host, undefined, async (port) => {
    const dir = makeTempDir("dns-secondary-knot-");
    try {
      const conf = path.join(dir, "knot.conf");
      writeFileSync(conf, knotSecondaryConfig(o, dir, port));
      const proc = spawnTracked(knotd, ["-c", conf], { cwd: dir });
      const server = { host, port };
      try {
        await waitForAnswers(server, o.origin, proc, o.startTimeoutMs ?? 10000);
      } catch (err) {
        await proc.stop(1000);
        throw err;
      }
      const refresh = async () => {
        const sock = path.join(dir, "knot.sock");
        const r = await runTool(knotc, ["-s", sock, "zone-refresh", o.origin]);
        if (r.code !== 0)
          throw new Error(`knotc zone-refresh ${o.origin}: exit ${r.code}: ${r.stdout}${r.stderr}`);
      };
      return secondaryApi("Knot", o.origin, server, dir, proc, refresh);
    } catch (err) {
      removeTempDir(dir);
      throw err;
    }
  });
  return started as Secondary;
}

// ---- dns-primary's log lines ----

export interface LogCapture {
  logger: Logger;
  /** Every line so far, parsed. */
  lines: Record<string, unknown>[];
  /** The lines after index `from` that have every field of `match`. */
  find(match: Record<string, unknown>, from?: number): Record<string, unknown>[];
  /** The lines after `from` as text, for failure messages. */
  text(from?: number): string;
}

/** A pino logger at info level whose JSON lines are kept in memory. */
export function captureLog(): LogCapture {
  const lines: Record<string, unknown>[] = [];
  let partial = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      partial += chunk.toString();
      let nl = partial.indexOf("\n");
      while (nl >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
        nl = partial.indexOf("\n");
      }
      cb();
    },
  });
  return {
    logger: pino({ level: "info" }, stream),
    lines,
    find: (match, from = 0) =>
      lines.slice(from).filter((l) => Object.entries(match).every(([k, v]) => l[k] === v)),
    text: (from = 0) =>
      lines
        .slice(from)
        .map((l) => JSON.stringify(l))
        .join("\n"),
  };
}

// ---- a secondary started by the command `secondary-config --standalone` printed ----

export interface StandaloneOptions {
  kind: SecondaryKind;
  /** The zone, absolute. */
  origin: string;
  /** The start command, as printed: run by /bin/sh, which `exec`s it (same pid). */
  command: string;
  /** Where it listens. */
  server: Server;
  /** Its folder, removed on stop(). */
  dir: string;
  startTimeoutMs?: number;
}

/**
 * Run the printed command as a plain child process and wait until the server answers.
 * A standalone configuration has no control channel outside its folder: refresh() is not
 * available (the tests rely on NOTIFY, which is the point).
 */
export async function startStandaloneSecondary(o: StandaloneOptions): Promise<Secondary> {
  const proc = spawnTracked("/bin/sh", ["-c", `exec ${o.command}`], { cwd: o.dir });
  try {
    await waitForAnswers(o.server, o.origin, proc, o.startTimeoutMs ?? 15000);
  } catch (err) {
    await proc.stop(1000);
    removeTempDir(o.dir);
    throw err;
  }
  return secondaryApi(o.kind, o.origin, o.server, o.dir, proc, async () => {
    throw new Error(`${o.kind} from --standalone has no control channel to refresh with`);
  });
}
