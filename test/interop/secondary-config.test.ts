/**
 * Interop: real secondaries run from `dns-primary secondary-config --standalone` (issue 12).
 *
 * Each test starts dns-primary in-process (DNS and API on port 0, a TSIG, peers on their own
 * loopback addresses, outgoing transfers enabled), runs the command as a user would (its
 * facts read from the running server's API), starts the server with the exact command it
 * printed as a plain child process, and checks what the *secondary* did: the serial it serves
 * (with the printed dig too), its own log lines of the NOTIFY and the transfer, and the
 * secondaries view `GET /dns-primary/v1/zones/{id}/secondaries`, which files each transfer
 * under the peer whose ip it came from.
 *
 * The zone's SOA refresh and retry are a day and no test step asks a secondary to refresh
 * (a standalone configuration has no control channel): a new serial within seconds is the
 * NOTIFY's doing. The secondaries transfer by IXFR, except PowerDNS with the bind backend
 * (the one Debian packages), which takes AXFR (it commits an IXFR without serving it).
 *
 * BIND listens only on addresses configured on an interface; Linux routes all of 127/8 to lo
 * but configures 127.0.0.1 alone. So BIND's peer is 127.0.0.1 in the NOTIFY test, and in the
 * two-peer test (BIND's peer on 127.0.0.2) it listens on 127.0.0.1, sends from 127.0.0.2, and
 * the test asserts the attribution of its transfer rather than a NOTIFY it cannot receive.
 */

import { randomBytes } from "node:crypto";
import path from "node:path";
import t, { type Test } from "tap";
import { parseCommandLine } from "../../src/cli/args.js";
import type { CliIO } from "../../src/cli/io.js";
import { secondaryConfigCommand } from "../../src/cli/secondary-config.js";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { type PrimaryServer, startServer } from "../../src/primary.js";
import { parseDigOutput } from "../peers/dig.js";
import {
  captureLog,
  type LogCapture,
  runTool,
  type Secondary,
  type SecondaryKind,
  startStandaloneSecondary,
} from "../peers/secondary.js";
import { freePort, makeTempDir, removeTempDir, requireTool } from "../peers/tools.js";

const ORIGIN = "standalone.example.";
const NAME = "standalone.example";
const SERIAL0 = 2024070101;
const TOKEN = "standalone-interop-token";
const KEY = {
  name: "standalone-key.",
  algo: "hmac-sha256",
  secret: randomBytes(32).toString("base64"),
};

/** Refresh and retry of a day: the secondaries' timers cannot explain a prompt transfer. */
const ZONE = `$ORIGIN ${ORIGIN}
$TTL 300
@    IN SOA ns1 hostmaster ${SERIAL0} 86400 86400 1209600 60
@    IN NS  ns1
ns1  IN A   192.0.2.1
www  IN A   192.0.2.80
`;

type Kind = "bind" | "knot" | "nsd" | "powerdns";
const NAMES: Record<Kind, SecondaryKind> = {
  bind: "BIND",
  knot: "Knot",
  nsd: "NSD",
  powerdns: "PowerDNS",
};
/** The servers each kind needs (and pdnsutil, which writes PowerDNS's key database). */
const TOOLS: Record<Kind, string[]> = {
  bind: ["named"],
  knot: ["knotd"],
  nsd: ["nsd"],
  powerdns: ["pdns_server", "pdnsutil"],
};

// ---- dns-primary ----

interface Lab {
  primary: PrimaryServer;
  log: LogCapture;
  api: <R = unknown>(method: string, p: string, body?: unknown) => Promise<R>;
  zoneId: string;
}

/** dns-primary with the zone, the TSIG and these peers linked, transfers enabled. */
async function startLab(t: Test, peers: { name: string; ip: string; port: number }[]) {
  const transfers = new TransferSettings();
  const tsig = transfers.createTsig(KEY);
  const ids = peers.map((p) => transfers.createPeer({ ...p, tsig_id: tsig.id }).id);
  const log = captureLog();
  const primary = await startServer({
    zones: [{ text: ZONE }],
    dns: { host: "127.0.0.1", port: 0 },
    api: { host: "127.0.0.1", port: 0 },
    apiToken: TOKEN,
    transfers,
    logger: log.logger,
    notify: { retrySchedule: [1000, 2000] },
  });
  t.teardown(() => primary.close());
  transfers.createOutgoing(ORIGIN, { peers: ids, status: "Enabled" });
  const root = `http://127.0.0.1:${primary.api?.port}`;
  const api = async <R>(method: string, p: string, body?: unknown): Promise<R> => {
    const res = await fetch(`${root}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as { success: boolean; errors: unknown; result: R };
    if (!json.success) throw new Error(`${method} ${p}: ${JSON.stringify(json.errors)}`);
    return json.result;
  };
  const zones = await api<{ id: string }[]>("GET", `/client/v4/zones?name=${NAME}`);
  return { primary, log, api, zoneId: zones[0].id } satisfies Lab;
}

interface ViewEntry {
  peer_name: string | null;
  address: string | null;
  last_check: { address: string } | null;
  last_transfer: { address: string; type: string; serial: number } | null;
  counts: { checks: number; transfers: number };
}

const view = async (lab: Lab) =>
  (
    await lab.api<{ secondaries: ViewEntry[] }>(
      "GET",
      `/dns-primary/v1/zones/${lab.zoneId}/secondaries`,
    )
  ).secondaries;

/** dns-primary's transfer lines since `from` (one per transfer). */
const transfers = (log: LogCapture, from = 0) =>
  log.lines.slice(from).filter((l) => l.component === "xfr" && typeof l.type === "string") as {
    type: string;
    peer: string;
    peerName?: string;
    serial: number;
    outcome: string;
  }[];

// ---- the command, as a user runs it ----

interface Written {
  stdout: string;
  dir: string;
  /** The printed start command and dig, verbatim. */
  start: string;
  check: string;
}

/** `secondary-config --standalone DIR` against the running server, and what it printed. */
async function writeConfig(lab: Lab, kind: Kind, peer: string): Promise<Written> {
  const dir = path.join(makeTempDir(`dns-standalone-${kind}-`), "secondary");
  let stdout = "";
  let stderr = "";
  const io = {
    stdout: (s: string) => {
      stdout += s;
    },
    stderr: (s: string) => {
      stderr += s;
    },
  } as CliIO;
  const cmd = parseCommandLine([
    ...["secondary-config", "--for", kind, "--zone", NAME, "--peer", peer],
    ...["--api", `127.0.0.1:${lab.primary.api?.port}`, "--api-token", TOKEN],
    ...["--standalone", dir],
  ]);
  if (cmd.kind !== "secondary-config") throw new Error("parsed as another command");
  const code = await secondaryConfigCommand(cmd, io);
  if (code !== 0) throw new Error(`secondary-config --for ${kind}: exit ${code}: ${stderr}`);
  const [start, check, ...more] = stdout.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  if (start === undefined || check === undefined || more.length > 0)
    throw new Error(`expected a start command and a dig, got:\n${stdout}`);
  return { stdout, dir, start, check };
}

/** Start the secondary with the printed command, listening where the printed dig asks. */
async function start(t: Test, kind: Kind, w: Written): Promise<Secondary> {
  const at = /^dig @(\S+) -p (\d+) /.exec(w.check);
  if (!at) throw new Error(`not a dig: ${w.check}`);
  const s = await startStandaloneSecondary({
    kind: NAMES[kind],
    origin: ORIGIN,
    command: w.start,
    server: { host: at[1], port: Number(at[2]) },
    dir: w.dir,
  });
  t.teardown(async () => {
    await s.stop();
    removeTempDir(path.dirname(w.dir));
  });
  return s;
}

/** The printed dig, run as printed: NOERROR, authoritative, the serial. */
async function digSerial(w: Written): Promise<number | null> {
  const [bin, ...args] = w.check.split(" ");
  const r = await runTool(bin, args, { timeoutMs: 10000 });
  if (r.code !== 0) throw new Error(`${w.check}: exit ${r.code}: ${r.stdout}${r.stderr}`);
  const d = parseDigOutput(r.stdout);
  const soa = d.answer.find((rr) => rr.type === "SOA");
  return d.status === "NOERROR" && d.flags.includes("aa") && soa
    ? Number(soa.data.split(" ")[2])
    : null;
}

/** The secondary's own log lines: the NOTIFY it got, and the transfer it finished. */
const NOTIFIED: Record<Kind, (serial: number) => RegExp> = {
  bind: (n) => new RegExp(`notify from 127\\.0\\.0\\.1#\\d+: serial ${n}\\n`),
  knot: () => /\[standalone\.example\.\] notify, incoming, remote 127\.0\.0\.1@\d+/,
  nsd: (n) => new RegExp(`notify for standalone\\.example\\. from 127\\.0\\.0\\.1 serial ${n}`),
  powerdns: () => /Received NOTIFY for standalone\.example from 127\.0\.0\.1/,
};
const TRANSFERRED: Record<Kind, (serial: number) => RegExp> = {
  bind: (n) =>
    new RegExp(
      `transfer of 'standalone\\.example/IN' from 127\\.0\\.0\\.1#\\d+: Transfer completed: .*\\(serial ${n}\\)`,
    ),
  knot: (n) =>
    new RegExp(
      `\\[standalone\\.example\\.\\] refresh, remote 127\\.0\\.0\\.1@\\d+, zone updated, .*serial (?:none|\\d+) -> ${n}`,
    ),
  nsd: (n) =>
    new RegExp(
      `zone standalone\\.example committed "received update to serial ${n} at \\S+ from 127\\.0\\.0\\.1@\\d+ TSIG verified with key ${KEY.name.replace(".", "\\.")}"`,
    ),
  powerdns: (n) =>
    new RegExp(
      `(?:AXFR|IXFR)-in zone: 'standalone\\.example', primary: '127\\.0\\.0\\.1', zone committed with serial ${n}`,
    ),
};

const missing = (t: Test, kind: Kind) =>
  [...TOOLS[kind], "dig"].some((tool) => requireTool(t, tool) === undefined);

// ---- the tests ----

t.test("BIND and Knot from their snippets, peers on 127.0.0.2 and 127.0.0.3", async (t) => {
  if (missing(t, "bind") || missing(t, "knot")) return;
  // Ports free on 127.0.0.1 (BIND listens there) are free on 127.0.0.2 and .3 as well.
  const peers = [
    { name: "bind", ip: "127.0.0.2", port: await freePort("127.0.0.1") },
    { name: "knot", ip: "127.0.0.3", port: await freePort("127.0.0.1") },
  ];
  const lab = await startLab(t, peers);
  const [bindConf, knotConf] = await Promise.all([
    writeConfig(lab, "bind", "bind"),
    writeConfig(lab, "knot", "knot"),
  ]);
  t.match(bindConf.stdout, /sends its SOA queries and transfers from 127\.0\.0\.2\./);
  t.match(
    bindConf.stdout,
    /BIND cannot listen on 127\.0\.0\.2, which is not an interface's address here/,
    "BIND: the command says why it listens on 127.0.0.1",
  );
  t.match(bindConf.check, `dig @127.0.0.1 -p ${peers[0].port} `);
  t.match(knotConf.check, `dig @127.0.0.3 -p ${peers[1].port} `, "Knot listens on its peer's ip");
  const [bind, knot] = await Promise.all([start(t, "bind", bindConf), start(t, "knot", knotConf)]);
  try {
    await Promise.all([bind.waitForSerial(SERIAL0, 15000), knot.waitForSerial(SERIAL0, 15000)]);
  } catch (err) {
    t.fail(`${(err as Error).message}\n--- dns-primary:\n${lab.log.text()}`);
    return;
  }
  t.equal(await digSerial(bindConf), SERIAL0, "BIND serves the zone (the printed dig)");
  t.equal(await digSerial(knotConf), SERIAL0, "Knot serves the zone (the printed dig)");
  t.match(bind.log(), TRANSFERRED.bind(SERIAL0), "BIND's log: the transfer");
  t.match(knot.log(), TRANSFERRED.knot(SERIAL0), "Knot's log: the transfer");
  t.match(
    transfers(lab.log)
      .map((l) => [l.peer, l.peerName, l.serial, l.outcome])
      .sort(),
    [
      ["127.0.0.2", "bind", SERIAL0, "finished"],
      ["127.0.0.3", "knot", SERIAL0, "finished"],
    ],
    "dns-primary: one transfer from each peer's own address",
  );
  const entries = await view(lab);
  for (const [i, p] of peers.entries()) {
    const e = entries.find((x) => x.peer_name === p.name);
    t.match(
      e,
      {
        address: p.ip,
        last_transfer: { address: p.ip, serial: SERIAL0 },
        counts: { transfers: 1 },
      },
      `the secondaries view files ${["BIND", "Knot"][i]}'s transfer under peer "${p.name}"`,
    );
    if (e?.last_check) t.equal(e.last_check.address, p.ip, `${p.name}: its SOA check too`);
  }
  t.equal(entries.length, 2, "and no other source");
});

// BIND's peer on 127.0.0.1: the one address BIND can listen on (see the top of the file).
const AT: Record<Kind, string> = {
  bind: "127.0.0.1",
  knot: "127.0.0.3",
  nsd: "127.0.0.4",
  powerdns: "127.0.0.5",
};

for (const kind of ["bind", "knot", "nsd", "powerdns"] as const) {
  t.test(`${NAMES[kind]} from --standalone follows dns-primary by NOTIFY`, async (t) => {
    if (missing(t, kind)) return;
    const peer = { name: kind, ip: AT[kind], port: await freePort(AT[kind]) };
    const lab = await startLab(t, [peer]);
    const w = await writeConfig(lab, kind, kind);
    t.ok(path.isAbsolute(w.start.split(" ")[0]), `started by its path: ${w.start}`);
    t.equal(
      w.check,
      `dig @${peer.ip} -p ${peer.port} ${NAME} SOA +norec`,
      "it listens on the peer's ip and port, where NOTIFY goes",
    );
    const s = await start(t, kind, w);
    const fail = (what: string, err: unknown) =>
      t.fail(`${what}: ${(err as Error).message}\n--- dns-primary:\n${lab.log.text()}`);
    try {
      await s.waitForSerial(SERIAL0, 15000);
    } catch (err) {
      return fail("the first transfer", err);
    }
    t.equal(await digSerial(w), SERIAL0, "it serves the zone's serial (the printed dig)");

    // One change through the API: the NOTIFY, then the transfer.
    const mark = lab.log.lines.length;
    await lab.api("POST", `/client/v4/zones/${lab.zoneId}/dns_records`, {
      type: "A",
      name: `new.${NAME}`,
      content: "192.0.2.9",
      ttl: 300,
    });
    const serial1 = SERIAL0 + 1;
    try {
      const ms = await s.waitForSerial(serial1, 10000);
      t.comment(`a change → ${NAMES[kind]} serves it ${ms} ms after the API call returned`);
    } catch (err) {
      return fail("the change", err);
    }
    t.equal(await digSerial(w), serial1, "it serves the new serial (the printed dig)");
    t.match(s.log(), NOTIFIED[kind](serial1), `${NAMES[kind]}'s log: our NOTIFY`);
    t.match(s.log(), TRANSFERRED[kind](serial1), `${NAMES[kind]}'s log: the transfer`);
    const xfr = transfers(lab.log, mark);
    t.match(
      xfr,
      [
        {
          type: kind === "powerdns" ? "AXFR" : "IXFR",
          peer: peer.ip,
          peerName: kind,
          serial: serial1,
          outcome: "finished",
        },
      ],
      kind === "powerdns" ? "by AXFR (the bind backend)" : "by IXFR",
    );
    t.equal(xfr.length, 1, "one transfer");
    t.match(
      (await view(lab)).find((e) => e.peer_name === kind),
      { address: peer.ip, last_transfer: { address: peer.ip, serial: serial1 } },
      "the secondaries view files it under the peer",
    );
    t.match(
      lab.primary.notifier?.status(ORIGIN).peers.find((p) => p.peerName === kind)?.last,
      { outcome: "answered", serial: serial1 },
      "the secondary answered the NOTIFY",
    );
    await s.stop();
    t.throws(() => process.kill(s.pid, 0), { code: "ESRCH" }, "stopped");
  });
}
