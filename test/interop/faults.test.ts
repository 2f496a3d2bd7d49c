/**
 * Interop: fault injection (issue 14, "How we will know it works") against real secondaries.
 *
 * One dns-primary (the library, DNS on port 0) serves one zone to BIND 9.18, Knot 3.2 and
 * NSD 4 secondaries, all on 127.0.0.1 with their own ports, each linked as a peer with one
 * TSIG (the tsig-* kinds need a signed stream; every other kind works the same signed), each
 * accepting NOTIFY from 127.0.0.1 (`dns-primary secondary-config`'s snippets: BIND
 * `allow-notify`, Knot an acl with the key, NSD `allow-notify` with the key).
 *
 * The zone's SOA has short timers (refresh 8 s, retry 2 s; BIND's `min-refresh-time` and
 * `min-retry-time` lowered to let them through): a secondary that failed retries within
 * seconds, and one that missed a NOTIFY catches up within one refresh. 100 TXT records of
 * 200 octets make its AXFR two messages, and every change (one batch editing all of them:
 * one serial, one NOTIFY) an IXFR of three, so that the stream faults cut a stream in the
 * middle.
 *
 * One test per kind, in turn, on the same secondaries: add the fault, change the zone, and
 * assert what each secondary did, from its own log lines and the serial it serves (it keeps
 * the old serial, or loads the new one and how); then remove the fault and assert that each
 * recovers by itself: it serves the primary's serial and an AXFR read back from it equals the
 * primary's, record for record. What each secondary logged is printed as comments; the
 * reactions are the table in docs/faults.md ("What BIND and Knot do").
 *
 * Waits are waits for a condition, with generous bounds; nothing passes or fails on a time.
 * FAULTS_VERBOSE=1 prints every line each secondary logged for each kind.
 */

import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import t, { type Test } from "tap";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import type { FaultSpec } from "../../src/faults/faults.js";
import { FAULT_KIND_NAMES } from "../../src/faults/kinds.js";
import {
  type FaultEvent,
  type NotifyEvent,
  type Primary,
  startPrimary,
} from "../../src/library.js";
import { shellLine, standaloneFiles } from "../../src/secondaries/config.js";
import { kdigAxfr } from "../peers/dig.js";
import {
  captureLog,
  type LogCapture,
  type Secondary,
  type SecondaryKey,
  type SecondaryKind,
  startBindSecondary,
  startKnotSecondary,
  startStandaloneSecondary,
} from "../peers/secondary.js";
import { findTool, freePort, makeTempDir, requireTool } from "../peers/tools.js";
import { rcodeText } from "../peers/wire.js";

// The kinds run one after another, each waiting for real servers' timers.
t.setTimeout(420_000);

const ORIGIN = "faults.example.";
const NAME = "faults.example";
const SERIAL0 = 2024080101;
/** SOA refresh and retry, seconds. */
const REFRESH = 8;
const RETRY = 2;
const KEY: SecondaryKey = {
  name: "faults-key.example.",
  algorithm: "hmac-sha256",
  secret: randomBytes(32).toString("base64"),
};
const BULK = 100;
/** Records of the zone: the SOA, two NS, three A and the bulk. */
const ZONE_RECORDS = BULK + 6;
const bulkText = (step: number, i: number) => `step ${step} record ${i} ${"x".repeat(180)}`;

const ZONE = `$ORIGIN ${ORIGIN}
$TTL 300
@    IN SOA ns1 hostmaster ${SERIAL0} ${REFRESH} ${RETRY} 1209600 60
@    IN NS  ns1
@    IN NS  ns2
ns1  IN A   192.0.2.1
ns2  IN A   192.0.2.2
www  IN A   192.0.2.80
${Array.from({ length: BULK }, (_, i) => `bulk${i} IN TXT "${bulkText(0, i)}"`).join("\n")}
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean | Promise<boolean>, ms: number) {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

// ---- the lab: dns-primary and its secondaries ----

interface Lab {
  primary: Primary;
  log: LogCapture;
  secs: Secondary[];
  /** Every fault application, in order (the library's "fault" event). */
  events: FaultEvent[];
  /** Every NOTIFY's outcome (the library's "notify" event). */
  notifies: NotifyEvent[];
  /** Changes made so far. */
  step: number;
}

const TOOLS = ["named", "rndc", "knotd", "knotc", "kdig"];

/** NSD from `secondary-config --standalone`'s files, plus a provide-xfr to read its copy. */
async function startNsd(primaryPort: number): Promise<Secondary> {
  const dir = makeTempDir("dns-faults-nsd-");
  const listen = { host: "127.0.0.1", port: await freePort("127.0.0.1") };
  const facts = {
    zone: ORIGIN,
    primary: { host: "127.0.0.1", port: primaryPort },
    notifyFrom: "127.0.0.1",
    key: KEY,
  };
  const files = standaloneFiles("nsd", facts, dir, listen);
  for (const f of files.files) {
    // The snippet's zone is the file's last section: the test reads the secondary's copy.
    // Verbosity 3: NSD says why a transfer failed (an RCODE received, a packet written).
    const text =
      f.name === "nsd.conf"
        ? `${f.text.replace("verbosity: 2", "verbosity: 3")}    provide-xfr: 127.0.0.1 NOKEY\n`
        : f.text;
    writeFileSync(path.join(dir, f.name), text);
  }
  const program = findTool(files.server.program) ?? files.server.program;
  return startStandaloneSecondary({
    kind: "NSD",
    origin: ORIGIN,
    command: shellLine([program, ...files.server.args]),
    server: listen,
    dir,
  });
}

async function startLab(t: Test, withNsd: boolean): Promise<Lab> {
  const transfers = new TransferSettings();
  const tsig = transfers.createTsig({
    name: KEY.name,
    algo: `${KEY.algorithm}.`,
    secret: KEY.secret,
  });
  const kinds: SecondaryKind[] = withNsd ? ["BIND", "Knot", "NSD"] : ["BIND", "Knot"];
  // Linked before the secondaries start, so that their first transfer (from 127.0.0.1) is
  // allowed; their ports are known once they listen (the NOTIFY to port 53 goes nowhere).
  const peers = kinds.map((k) =>
    transfers.createPeer({ name: k, ip: "127.0.0.1", port: 53, tsig_id: tsig.id }),
  );
  transfers.createOutgoing(ORIGIN, { peers: peers.map((p) => p.id), status: "Enabled" });
  const log = captureLog();
  const primary = await startPrimary({
    zones: [{ text: ZONE }],
    transfers,
    logger: log.logger,
    // Two tries a second apart: an unanswered NOTIFY is over in 2 s.
    notify: { retrySchedule: [1000, 1000] },
    // A connection silent for 7 s is closed (docs/limits.md): a stalled transfer ends there,
    // after Knot's own give-up (5 s) and before BIND's (max-transfer-idle-in, 60 minutes).
    limits: { tcpIdleMs: 7000 },
  });
  t.teardown(() => primary.close());
  const primaryAt = { host: "127.0.0.1", port: primary.dns.tcp.port };
  const opts = {
    origin: ORIGIN,
    primary: primaryAt,
    key: KEY,
    notifyFrom: ["127.0.0.1"],
    minRetrySeconds: 1,
    minRefreshSeconds: 2,
  };
  const secs = await Promise.all([
    startBindSecondary(opts),
    startKnotSecondary(opts),
    ...(withNsd ? [startNsd(primaryAt.port)] : []),
  ]);
  for (const s of secs) t.teardown(() => s.stop());
  for (const [i, s] of secs.entries())
    transfers.updatePeer(peers[i].id, {
      name: kinds[i],
      ip: "127.0.0.1",
      port: s.port,
      tsig_id: tsig.id,
    });
  const events: FaultEvent[] = [];
  primary.on("fault", (e) => events.push(e));
  const notifies: NotifyEvent[] = [];
  primary.on("notify", (e) => notifies.push(e));
  await Promise.all(secs.map((s) => serves(s, SERIAL0, 20_000)));
  return { primary, log, secs, events, notifies, step: 0 };
}

/** One commit (one serial, one NOTIFY): every bulk TXT record gets the step's text. */
function change(lab: Lab): number {
  lab.step++;
  const records = lab.primary.records(NAME);
  const bulk = records.list({ type: "TXT" }).filter((r) => r.name.startsWith("bulk"));
  records.batch({
    patches: bulk.map((r) => ({
      id: r.id,
      content: bulkText(lab.step, Number(/^bulk(\d+)\./.exec(r.name)?.[1])),
    })),
  });
  return lab.primary.serial(NAME);
}

// ---- what a secondary did ----

/** Poll until `s` serves `serial`, or throw with its recent log. */
async function serves(s: Secondary, serial: number, ms: number): Promise<number> {
  const t0 = Date.now();
  let got: number | null = null;
  while (Date.now() - t0 < ms) {
    got = await s.serial();
    if (got === serial) return Date.now() - t0;
    await sleep(50);
  }
  throw new Error(
    `${s.kind} serves serial ${got}, expected ${serial}, after ${ms} ms; its log:\n${zoneLines(s.log())}`,
  );
}

function zoneLines(log: string): string {
  return log
    .split("\n")
    .filter((l) => l.includes("faults.example") || /xfr|notify/i.test(l))
    .slice(-40)
    .join("\n");
}

/** The first line after `mark` in `s`'s log that matches `re`, waiting up to `ms`. */
async function logged(s: Secondary, mark: number, re: RegExp, ms: number): Promise<string> {
  let line: string | undefined;
  try {
    await until(
      `${s.kind} to log ${re}`,
      () => {
        line = s
          .logSince(mark)
          .split("\n")
          .find((l) => re.test(l));
        return line !== undefined;
      },
      ms,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; its log since:\n${zoneLines(s.logSince(mark))}`);
  }
  return line!;
}

/** A line in which the secondary says it loaded `serial`. */
const LOADED: Record<string, (serial: number) => RegExp> = {
  BIND: (n) => new RegExp(`zone faults\\.example/IN: transferred serial ${n}\\b`),
  Knot: (n) =>
    new RegExp(`\\[faults\\.example\\.\\] refresh, remote \\S+, zone updated, .* -> ${n}`),
  NSD: (n) => new RegExp(`zone faults\\.example committed "received update to serial ${n} `),
};

/** A line in which the secondary says it received our NOTIFY. */
const NOTIFIED: Record<string, RegExp> = {
  BIND: /zone faults\.example\/IN: notify from 127\.0\.0\.1#\d+: serial \d+/,
  Knot: /\[faults\.example\.\] notify, incoming, remote 127\.0\.0\.1@\d+, serial \d+/,
  NSD: /notify for faults\.example\. from 127\.0\.0\.1 serial \d+/,
};

interface Marks {
  /** Each secondary's log mark, in `lab.secs` order. */
  logs: number[];
  events: number;
  serial: number;
}

const markAll = (lab: Lab): Marks => ({
  logs: lab.secs.map((s) => s.logMark()),
  events: lab.events.length,
  serial: lab.primary.serial(NAME),
});

/** The fault's applications since the mark. */
const appliedSince = (lab: Lab, m: Marks, kind: string) =>
  lab.events.slice(m.events).filter((e) => e.fault.kind === kind);

/** What one secondary does with a fault (its own words: a line of its log). */
type Reaction =
  /** Its transfer (or SOA check) fails, as the line says: it keeps the old serial. */
  | { keeps: RegExp }
  /**
   * It loads the new serial, and the line says how. `seconds`: a lower bound of the time the
   * secondary reports the transfer took (the line's first group), for faults that slow it.
   */
  | { loads: RegExp; seconds?: number }
  /** It refuses the NOTIFY, as the line says, and loads only at its refresh. */
  | { refuses: RegExp }
  /**
   * It refuses the NOTIFY and logs nothing: its answer, as dns-primary recorded the NOTIFY's
   * outcome ("timeout NOTAUTH ...": outcome, RCODE, detail), matches; it loads only at its
   * refresh.
   */
  | { answers: RegExp }
  /** It hears no NOTIFY and loads only at its refresh. */
  | { unaware: true };

interface Case {
  kind: string;
  spec: FaultSpec;
  /** Faults added with it (ixfr-as-axfr, so that an AXFR-only fault meets an IXFR). */
  with?: FaultSpec[];
  /** By secondary kind. */
  expect: Record<string, Reaction>;
  /** Bound of the wait for each reaction (ms). */
  within?: number;
}

/** A refresh timer has fired once since: the SOA refresh (jittered below it) and a margin. */
const REFRESH_WAIT = (REFRESH + 12) * 1000;

/** One secondary's reaction to the change made under the fault, asserted. */
async function react(
  t: Test,
  lab: Lab,
  s: Secondary,
  mark: number,
  old: number,
  serial: number,
  r: Reaction,
  within: number,
): Promise<void> {
  const said = (line: string) => t.comment(`${s.kind}: ${line.trim()}`);
  if ("keeps" in r) {
    said(await logged(s, mark, r.keeps, within));
    t.equal(await s.serial(), old, `${s.kind} keeps serial ${old}`);
    t.notMatch(s.logSince(mark), LOADED[s.kind](serial), `${s.kind} did not load ${serial}`);
    return;
  }
  if ("loads" in r) {
    await serves(s, serial, within);
    const line = await logged(s, mark, r.loads, 2000);
    said(line);
    t.pass(`${s.kind} loads ${serial}, saying ${r.loads}`);
    if (r.seconds !== undefined) {
      const took = Number(r.loads.exec(line)?.[1]);
      t.ok(
        took >= r.seconds,
        `${s.kind} reports ${took} s for the transfer (at least ${r.seconds})`,
      );
    }
    return;
  }
  if ("refuses" in r || "answers" in r) {
    if ("refuses" in r) {
      const line = await logged(s, mark, r.refuses, within);
      said(line);
      const log = s.logSince(mark);
      t.notMatch(
        log.slice(0, log.indexOf(line)),
        LOADED[s.kind](serial),
        `${s.kind} refused the NOTIFY before it loaded ${serial}`,
      );
    } else {
      let e: NotifyEvent | undefined;
      await until(
        `the outcome of the NOTIFY of ${serial} to ${s.kind}`,
        () => {
          e = lab.notifies.find((n) => n.peerName === s.kind && n.serial === serial);
          return e !== undefined;
        },
        within,
      );
      const rcode = typeof e!.rcode === "number" ? rcodeText(e!.rcode) : (e!.rcode ?? "");
      const answer = `${e!.outcome} ${rcode} ${e!.detail ?? ""}`.trim();
      t.comment(`${s.kind} answered the NOTIFY: ${answer}`);
      t.match(answer, r.answers, `${s.kind} refused the NOTIFY (${r.answers})`);
      t.notMatch(s.logSince(mark), LOADED[s.kind](serial), `${s.kind} had not loaded ${serial}`);
    }
    const took = await serves(s, serial, REFRESH_WAIT);
    t.comment(`${s.kind} loads ${serial} at its refresh, ${took} ms later`);
    t.notMatch(s.logSince(mark), NOTIFIED[s.kind], `${s.kind} accepted no NOTIFY`);
    return;
  }
  const took = await serves(s, serial, REFRESH_WAIT);
  t.comment(`${s.kind} loads ${serial} at its refresh, ${took} ms after the change`);
  t.notMatch(s.logSince(mark), NOTIFIED[s.kind], `${s.kind} heard no NOTIFY`);
  t.match(s.logSince(mark), LOADED[s.kind](serial), `${s.kind} logs the transfer of ${serial}`);
}

/**
 * Add the fault, change the zone, and assert each secondary's reaction; then remove the
 * fault and assert that each recovers, and that what a secondary loaded while the fault was
 * there is the zone's content.
 */
async function runCase(t: Test, lab: Lab, c: Case) {
  const m = markAll(lab);
  const extra = (c.with ?? []).map((s) => lab.primary.faults.add(NAME, s));
  const fault = lab.primary.faults.add(NAME, c.spec);
  t.teardown(() => {
    lab.primary.faults.clear(NAME);
  });
  const serial = change(lab);
  t.equal(serial, m.serial + 1, "one change: one serial");
  const loaded = new Map<Secondary, string[]>();
  await Promise.all(
    lab.secs.map(async (s, i) => {
      const r = c.expect[s.kind];
      try {
        if (r === undefined) throw new Error(`no reaction stated for ${s.kind}`);
        await react(t, lab, s, m.logs[i], m.serial, serial, r, c.within ?? 20_000);
        if (!("keeps" in r)) loaded.set(s, await kdigAxfr(s, ORIGIN));
      } catch (err) {
        t.fail(`${s.kind}: ${(err as Error).message}`);
      }
    }),
  );
  if (process.env.FAULTS_VERBOSE)
    for (const [i, s] of lab.secs.entries()) t.comment(`--- ${s.kind}:\n${s.logSince(m.logs[i])}`);
  const applied = appliedSince(lab, m, c.kind);
  t.ok(applied.length > 0, `the fault acted (${applied.length} times)`);
  for (const a of new Set(applied.map((e) => `${e.point}: ${e.action}`)))
    t.comment(`dns-primary ${a}`);
  t.equal(fault.remove(), true, "fault removed");
  for (const e of extra) e.remove();
  const want = await recovers(t, lab);
  for (const [s, copy] of loaded)
    t.same(copy, want, `what ${s.kind} loaded under the fault is the zone, record for record`);
}

/**
 * The fault is gone: every secondary serves the primary's serial (by itself: its retry or
 * refresh timer) and holds the primary's records. Returns the primary's records.
 */
async function recovers(t: Test, lab: Lab, ms = 30_000): Promise<string[]> {
  const serial = lab.primary.serial(NAME);
  const primaryAt = { host: "127.0.0.1", port: lab.primary.dns.tcp.port };
  const want = await kdigAxfr(primaryAt, ORIGIN, KEY);
  await Promise.all(
    lab.secs.map(async (s) => {
      try {
        const took = await serves(s, serial, ms);
        t.comment(`${s.kind} serves ${serial} ${took} ms after the fault was removed`);
      } catch (err) {
        t.fail(`${s.kind} recovers: ${(err as Error).message}`);
        return;
      }
      t.same(
        await kdigAxfr(s, ORIGIN),
        want,
        `${s.kind} recovers: serial ${serial}, the same records`,
      );
    }),
  );
  return want;
}

// ---- the kinds, and what each secondary was seen to do ----

/** A failed refresh, in Knot's words: the reason in brackets. */
const knotFailed = (why: string) => new RegExp(`\\] refresh, .*failed \\(${why}\\)`);
const knotFallback = (why: string) => new RegExp(`fallback to AXFR \\(${why}\\)`);
/** BIND's account of a transfer that took the whole zone (the AXFR's records and closing SOA). */
const bindWholeZone = new RegExp(`Transfer completed: \\d+ messages, ${ZONE_RECORDS + 1} records`);
const AXFR_STYLE: FaultSpec = { kind: "ixfr-as-axfr" };

const CASES: Case[] = [
  {
    kind: "axfr-soa-mismatch",
    spec: { kind: "axfr-soa-mismatch" },
    with: [AXFR_STYLE],
    expect: {
      BIND: { keeps: /start and ending SOA records mismatch/ },
      // Knot 3.2 takes the transfer, closing SOA and all, and serves the opening SOA's serial.
      Knot: { loads: /\] AXFR, incoming, remote \S+, finished/ },
      // NSD waits for more after the closing SOA that does not match; the transfer fails when
      // dns-primary closes the idle connection.
      NSD: { keeps: /xfrd: failed reading tcp/ },
    },
  },
  {
    kind: "xfr-truncate",
    spec: { kind: "xfr-truncate" },
    expect: {
      BIND: { keeps: /failed while receiving responses: end of file/ },
      Knot: { keeps: knotFailed("connection reset") },
      NSD: { keeps: /xfrd: failed reading tcp/ },
    },
  },
  {
    kind: "xfr-reset",
    spec: { kind: "xfr-reset" },
    expect: {
      BIND: { keeps: /failed while receiving responses: connection reset/ },
      Knot: { keeps: knotFailed("connection reset") },
      NSD: { keeps: /failed reading tcp Connection reset by peer/ },
    },
  },
  {
    kind: "xfr-stall",
    spec: { kind: "xfr-stall" },
    expect: {
      // BIND and NSD wait until dns-primary closes the idle connection (limits.tcpIdleMs);
      // Knot gives up first (its tcp-remote-io-timeout, 5 s) and tries AXFR, stalled too.
      BIND: { keeps: /failed while receiving responses: end of file/ },
      Knot: { keeps: knotFallback("connection timeout") },
      NSD: { keeps: /xfrd: failed reading tcp/ },
    },
    within: 30_000,
  },
  {
    kind: "xfr-slow",
    spec: { kind: "xfr-slow", bytes_per_second: 16384 },
    // About 44 kB at 16 kB/s: each secondary's own account says so.
    expect: {
      BIND: { loads: /Transfer completed: .*, ([\d.]+) secs/, seconds: 1 },
      Knot: { loads: /\] refresh, remote \S+, zone updated, ([\d.]+) seconds/, seconds: 1 },
      NSD: { loads: /received update to serial \d+ .* in ([\d.]+) seconds/, seconds: 1 },
    },
  },
  {
    kind: "tsig-bad-mac",
    spec: { kind: "tsig-bad-mac" },
    expect: {
      BIND: { keeps: /failed while receiving responses: tsig verify failure/ },
      Knot: { keeps: knotFailed("failed to verify TSIG") },
      NSD: { keeps: /xfrd: zone faults\.example, from \S+: bad tsig signature/ },
    },
  },
  {
    kind: "tsig-unsigned",
    spec: { kind: "tsig-unsigned" },
    expect: {
      BIND: { keeps: /failed while receiving responses: expected a TSIG or SIG\(0\)/ },
      Knot: { keeps: knotFailed("malformed data") },
      NSD: { keeps: /xfrd: last packet of reply has no TSIG/ },
    },
  },
  {
    kind: "ixfr-as-axfr",
    spec: { kind: "ixfr-as-axfr" },
    expect: {
      BIND: { loads: bindWholeZone },
      Knot: { loads: /IXFR, incoming, remote \S+, receiving AXFR-style IXFR/ },
      NSD: { loads: /committed "received update/ },
    },
  },
  {
    kind: "ixfr-bad-history",
    spec: { kind: "ixfr-bad-history" },
    expect: {
      BIND: {
        loads: /ixfr-bad-history\.dns-primary-fault\.faults\.example\/TXT\/IN: del not exact/,
      },
      Knot: { loads: /failed to apply changes to zone \(no such record in zone found\)/ },
      NSD: { loads: /Failed to apply IXFR cleanly .* starting AXFR/ },
    },
  },
  {
    kind: "serial-regression",
    spec: { kind: "serial-regression" },
    expect: {
      // BIND takes the NOTIFY's lowered serial for "zone is up to date"; at its refresh the
      // SOA says the same. Knot counts a lower serial as a failed refresh and retries.
      BIND: { keeps: /serial number \(\d+\) received from primary \S+ < ours \(\d+\)/ },
      Knot: { keeps: /\] refresh, remote \S+, remote serial \d+, remote is outdated/ },
      NSD: { keeps: /xfrd: zone faults\.example ignoring old serial/ },
    },
  },
  {
    kind: "soa-rcode",
    spec: { kind: "soa-rcode" },
    expect: {
      BIND: { keeps: /refresh: unexpected rcode \(SERVFAIL\) from primary/ },
      Knot: { keeps: /refresh, incoming, remote \S+, server responded with error 'SERVFAIL'/ },
      // A NOTIFY with a newer serial sends NSD straight to IXFR: it asks no SOA.
      NSD: { loads: /committed "received update/ },
    },
  },
  {
    kind: "notify-drop",
    spec: { kind: "notify-drop" },
    expect: { BIND: { unaware: true }, Knot: { unaware: true }, NSD: { unaware: true } },
  },
  {
    kind: "notify-from",
    spec: { kind: "notify-from", source: "127.0.0.2" },
    expect: {
      BIND: { refuses: /refused notify from non-primary: 127\.0\.0\.2#\d+/ },
      // Knot answers NOTAUTH with an unsigned TSIG saying BADKEY (RFC 8945 §5.3.2), which
      // dns-primary cannot verify (§5.4): the NOTIFY ends as a timeout.
      Knot: { answers: /^timeout .*NOTAUTH.*BADKEY/ },
      NSD: { refuses: /notify for faults\.example\. from 127\.0\.0\.2 refused, no acl matches/ },
    },
  },
  {
    kind: "notify-unsigned",
    spec: { kind: "notify-unsigned" },
    expect: {
      // BIND allows NOTIFY by address (its primaries, allow-notify), signed or not.
      BIND: { loads: /127\.0\.0\.1#\d+: received notify for zone 'faults\.example'$/ },
      Knot: { answers: /^error NOTAUTH/ },
      NSD: { refuses: /notify for faults\.example\. from 127\.0\.0\.1 refused, no acl matches/ },
    },
  },
  {
    kind: "latency",
    spec: { kind: "latency", ms: 1500 },
    expect: {
      BIND: { loads: /Transfer completed: .*, ([\d.]+) secs/, seconds: 1 },
      Knot: { loads: /\] refresh, remote \S+, zone updated, ([\d.]+) seconds/, seconds: 1 },
      NSD: { loads: /committed "received update/ },
    },
  },
  {
    kind: "udp-drop",
    spec: { kind: "udp-drop", probability: 1 },
    expect: {
      // BIND asks the SOA over UDP, again and again, then transfers over TCP anyway.
      BIND: { loads: /refresh: retry limit for primary \S+ exceeded/ },
      // Knot asks the SOA over TCP; NSD asks none after a NOTIFY.
      Knot: { loads: /\] refresh, remote \S+, remote serial \d+, zone is outdated/ },
      NSD: { loads: /committed "received update/ },
    },
    within: 60_000,
  },
  {
    kind: "axfr-duplicate-records",
    spec: { kind: "axfr-duplicate-records" },
    with: [AXFR_STYLE],
    expect: {
      BIND: { loads: new RegExp(`Transfer completed: \\d+ messages, ${2 * ZONE_RECORDS} records`) },
      Knot: { loads: /\] AXFR, incoming, remote \S+, finished/ },
      NSD: { loads: /committed "received update/ },
    },
  },
  {
    kind: "xfr-wrong-question",
    spec: { kind: "xfr-wrong-question" },
    expect: {
      BIND: { keeps: /question name mismatch/ },
      Knot: { loads: /\] IXFR, incoming, remote \S+, finished/ },
      NSD: { loads: /committed "received update/ },
    },
  },
  {
    kind: "xfr-id-change",
    spec: { kind: "xfr-id-change" },
    expect: {
      BIND: { keeps: /failed while receiving responses: unexpected message id/ },
      Knot: { keeps: knotFailed("malformed data") },
      // NSD waits for a message with its ID until the connection is closed.
      NSD: { keeps: /xfrd: failed reading tcp/ },
    },
  },
  // Last: NSD, refused an IXFR, asks this primary for AXFR from then on (NSD's log shows
  // whole-zone updates afterwards), which would change what the IXFR kinds meet.
  {
    kind: "ixfr-refuse",
    spec: { kind: "ixfr-refuse" },
    expect: {
      BIND: { loads: bindWholeZone },
      Knot: { loads: /server responded with error 'NOTIMPL'/ },
      NSD: { loads: /xfrd: zone faults\.example received error code NOT IMPL from / },
    },
  },
];

t.test("faults against real secondaries", async (t) => {
  t.same(
    CASES.map((c) => c.kind).sort(),
    [...FAULT_KIND_NAMES].sort(),
    "one case per kind of faults/kinds.ts",
  );
  for (const tool of TOOLS) if (!requireTool(t, tool)) return;
  const withNsd = findTool("nsd") !== null;
  const lab = await startLab(t, withNsd);
  t.comment(`secondaries: ${lab.secs.map((s) => `${s.kind} on port ${s.port}`).join(", ")}`);
  for (const c of CASES) {
    await t.test(c.kind, (t) => runCase(t, lab, c));
  }
});
