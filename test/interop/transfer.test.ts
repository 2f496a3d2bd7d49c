/**
 * Interop: real BIND and Knot secondaries transfer a zone from dns-primary with TSIG.
 *
 * For each secondary: it pulls the zone by AXFR at start; the test then changes the zone
 * twice (a `commit` that adds and removes records, then a zone-file edit and `reload()`),
 * asks the secondary to refresh each time (NOTIFY is not implemented yet) and waits for the
 * new serial. Each step checks (a) from dns-primary's log lines that the transfer was the
 * expected kind (AXFR first, then IXFR from the previous serial) and (b) that the secondary
 * serves exactly the records of the test's own model of the zone, record for record, read
 * back by an unsigned AXFR from the secondary and decoded by the test's independent codec.
 *
 * Runs: Knot with TSIG; BIND with TSIG; BIND with a peer that has no TSIG (no signatures at
 * all on either side).
 *
 * Also: a 100 000-record zone by AXFR with kdig and dig using TSIG; dig verifies every
 * message's TSIG (kdig 3.2 only the first), so both run.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import t, { type Test } from "tap";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { type PrimaryServer, startServer } from "../../src/primary.js";
import { rdataFromText } from "../../src/wire/rdata.js";
import type { Token } from "../../src/wire/token.js";
import type { RecordInput, RecordRef } from "../../src/zone/zone.js";
import {
  captureLog,
  type LogCapture,
  runTool,
  type Secondary,
  type SecondaryKey,
  startBindSecondary,
  startKnotSecondary,
} from "../peers/secondary.js";
import { makeTempDir, removeTempDir, requireTool } from "../peers/tools.js";
import { rrText, typeNumber, typeText } from "../peers/wire.js";

const ORIGIN = "example.";
const SERIAL0 = 2024010101;
const KEY_NAME = "xfr-key.example.";

// ---- the test's model of the zone ----

/** One record: master-file text, and the canonical line the test codec prints for it. */
interface Rec {
  /** Absolute owner, as written in the file (letter case kept). */
  owner: string;
  ttl: number;
  type: string;
  /** RDATA as written in the master file. */
  text: string;
  /** RDATA as rrText (test/peers/wire.ts) prints it: names lowercased, RFC 3597 for others. */
  canon: string;
}

const hex = (b: Buffer) => b.toString("hex");
/** RFC 3597 form of RDATA, which the test codec prints for types it does not decode. */
const generic = (...parts: (Buffer | number[])[]) => {
  const b = Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
  return `\\# ${b.length} ${hex(b)}`;
};
/** Deterministic bytes for fingerprints and digests. */
const bytes = (seed: string, n: number) => {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (seed.charCodeAt(i % seed.length) * 31 + i * 7) & 0xff;
  return out;
};
const u16 = (n: number) => [n >> 8, n & 0xff];

function rec(owner: string, ttl: number, type: string, text: string, canon = text): Rec {
  return { owner, ttl, type, text, canon };
}

function soa(serial: number, refresh = 3600): Rec {
  const text = `ns1.example. hostmaster.example. ${serial} ${refresh} 600 86400 60`;
  return rec(ORIGIN, 300, "SOA", text);
}

/** About 350 records of varied types; every RRset has one TTL. */
function baseZone(): Rec[] {
  const z: Rec[] = [
    soa(SERIAL0),
    rec(ORIGIN, 3600, "NS", "ns1.example."),
    rec(ORIGIN, 3600, "NS", "ns2.example."),
    rec(ORIGIN, 300, "MX", "10 mail.example."),
    rec(ORIGIN, 300, "MX", "20 Mail2.Example.", "20 mail2.example."),
    rec(ORIGIN, 300, "TXT", '"v=spf1 mx -all"'),
    rec(
      ORIGIN,
      300,
      "CAA",
      '0 issue "ca.example.net"',
      generic([0, 5], Buffer.from("issueca.example.net")),
    ),
    rec(
      ORIGIN,
      300,
      "CAA",
      '128 iodef "mailto:sec@example.com"',
      generic([128, 5], Buffer.from("iodefmailto:sec@example.com")),
    ),
    rec("ns1.example.", 3600, "A", "192.0.2.1"),
    rec("ns1.example.", 3600, "AAAA", "2001:db8::53"),
    rec("ns2.example.", 3600, "A", "192.0.2.2"),
    rec("ns2.example.", 3600, "AAAA", "2001:db8:0:1::53", "2001:db8:0:1::53"),
    rec("mail.example.", 300, "A", "192.0.2.25"),
    rec("mail2.example.", 300, "A", "192.0.2.26"),
    // A delegation with glue and a DS (parent side).
    rec("sub.example.", 86400, "NS", "ns.sub.example."),
    rec("sub.example.", 86400, "NS", "ns.elsewhere.net."),
    rec("ns.sub.example.", 86400, "A", "192.0.2.99"),
    rec(
      "sub.example.",
      86400,
      "DS",
      `31589 13 2 ${hex(bytes("ds", 32))}`,
      generic(u16(31589), [13, 2], bytes("ds", 32)),
    ),
    rec("*.wild.example.", 60, "A", "192.0.2.77"),
    rec("*.wild.example.", 60, "TXT", '"wildcard"'),
    rec("dn.example.", 300, "DNAME", "target.example.net."),
    rec("sip.example.", 300, "NAPTR", '100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .'),
    rec("box.example.", 300, "HINFO", '"PC" "Linux"'),
    rec("box.example.", 300, "RP", "admin.example. box.example."),
    rec("afs.example.", 300, "AFSDB", "1 box.example."),
    rec("quote.example.", 300, "TXT", '"say \\"hi\\"" "caf\\195\\169"'),
    rec("MixedCase.Example.", 300, "A", "192.0.2.80"),
    rec("dot\\.label.example.", 300, "A", "192.0.2.81"),
    rec("opaque.example.", 300, "TYPE65280", "\\# 4 0a000001"),
  ];
  for (let i = 1; i <= 8; i++) z.push(rec("pool.example.", 120, "A", `198.51.100.${i}`));
  for (let i = 1; i <= 5; i++)
    z.push(rec(`${i}.2.0.192.example.`, 300, "PTR", `host${i}.example.`));
  for (let i = 0; i < 100; i++) {
    const h = `host${i}.example.`;
    z.push(rec(h, 300, "A", `192.0.2.${i + 100}`));
    z.push(rec(h, 300, "AAAA", `2001:db8::${(i + 1).toString(16)}`));
    if (i % 3 === 0) z.push(rec(h, 300, "TXT", `"host ${i}" "x"`));
    if (i % 5 === 0) z.push(rec(`c${i}.example.`, 300, "CNAME", h));
    if (i % 7 === 0) z.push(rec(`_sip._udp.s${i}.example.`, 300, "SRV", `0 5 5060 ${h}`));
    if (i % 9 === 0) z.push(rec(h, 300, "MX", `${i} mail.example.`));
    if (i % 6 === 0) {
      const fp = bytes(`ssh${i}`, 32);
      z.push(rec(h, 300, "SSHFP", `4 2 ${hex(fp)}`, generic([4, 2], fp)));
    }
    if (i % 8 === 0) {
      const d = bytes(`tlsa${i}`, 32);
      z.push(rec(`_443._tcp.${h}`, 300, "TLSA", `3 1 1 ${hex(d)}`, generic([3, 1, 1], d)));
    }
  }
  return z;
}

function zoneFile(z: Rec[]): string {
  return `${z.map((r) => `${r.owner} ${r.ttl} IN ${r.type} ${r.text}`).join("\n")}\n`;
}

/**
 * What a secondary should hold, as the sorted lines rrText prints: the model without CAA,
 * which Cloudflare never transfers (cloudflare.md §1). The model has no certificate-validation
 * TXT and nothing proxied, so nothing else is rendered differently.
 */
function expectedLines(z: Rec[]): string[] {
  return z
    .filter((r) => r.type !== "CAA")
    .map((r) => `${r.owner.toLowerCase()} ${r.ttl} IN ${typeText(typeNumber(r.type))} ${r.canon}`)
    .sort();
}

/** Master-file fields of a record's text, quotes removed (a tiny lexer for the model). */
function fields(text: string): Token[] {
  return [...text.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) =>
    m[1] !== undefined ? { text: m[1], quoted: true } : { text: m[2], quoted: false },
  );
}

const same = (a: Rec, b: Rec) =>
  a.owner.toLowerCase() === b.owner.toLowerCase() && a.type === b.type && a.text === b.text;

function toInput(r: Rec): RecordInput {
  const type = typeNumber(r.type);
  return { name: r.owner, type, ttl: r.ttl, rdata: rdataFromText(type, fields(r.text), ORIGIN) };
}

function toRef(r: Rec): RecordRef {
  const { name, type, rdata } = toInput(r);
  return { name, type, rdata };
}

// ---- comparing ----

/** Lines only in `want` (missing from the secondary) and only in `got` (extra). */
function difference(want: string[], got: string[]): { missing: string[]; extra: string[] } {
  const count = new Map<string, number>();
  for (const x of got) count.set(x, (count.get(x) ?? 0) + 1);
  const missing: string[] = [];
  for (const x of want) {
    const c = count.get(x) ?? 0;
    if (c > 0) count.set(x, c - 1);
    else missing.push(x);
  }
  const extra = [...count].flatMap(([x, c]) => Array<string>(c).fill(x));
  return { missing, extra };
}

async function checkContent(t: Test, s: Secondary, model: Rec[], what: string): Promise<void> {
  const got = (await s.axfr()).map(rrText).sort();
  const want = expectedLines(model);
  t.same(
    difference(want, got),
    { missing: [], extra: [] },
    `${what}: ${s.kind} serves exactly the model's records`,
  );
  t.equal(got.length, want.length, `${what}: ${want.length} records`);
}

/** The transfer lines dns-primary logged since `from`. */
function transfers(log: LogCapture, from: number) {
  return log.lines.slice(from).filter((l) => l.component === "xfr" && typeof l.type === "string");
}

function refusals(log: LogCapture, from: number) {
  return log.find({ msg: "zone transfer refused" }, from);
}

// ---- the scenario ----

interface Setup {
  primary: PrimaryServer;
  log: LogCapture;
  file: string;
}

async function startPrimaryWith(
  t: Test,
  text: string,
  key: SecondaryKey | undefined,
  peerPort = 53,
): Promise<Setup & { settings: TransferSettings; peerId: string }> {
  const dir = makeTempDir("dns-primary-xfr-");
  t.teardown(() => removeTempDir(dir));
  const file = path.join(dir, "example.zone");
  writeFileSync(file, text);
  const settings = new TransferSettings();
  const tsig = key
    ? settings.createTsig({ name: key.name, algo: key.algorithm, secret: key.secret })
    : undefined;
  const peer = settings.createPeer({
    name: "secondary",
    ip: "127.0.0.1",
    port: peerPort,
    tsig_id: tsig?.id,
  });
  settings.createOutgoing(ORIGIN, { peers: [peer.id], status: "Enabled" });
  const log = captureLog();
  const primary = await startServer({
    zonesDir: dir,
    dns: { host: "127.0.0.1", port: 0 },
    transfers: settings,
    logger: log.logger,
  });
  t.teardown(() => primary.close());
  return { primary, log, file, settings, peerId: peer.id };
}

/** The secondary's log lines about the zone and its transfers (the last 40). */
function zoneLines(log: string): string {
  return log
    .split("\n")
    .filter((l) => /zone |transfer of|\[[^\]]+\.\] |TSIG|failure|failed/.test(l))
    .filter((l) => !/built with|compiled|linked to/.test(l))
    .slice(-40)
    .join("\n");
}

function newKey(): SecondaryKey {
  return { name: KEY_NAME, algorithm: "hmac-sha256", secret: randomBytes(32).toString("base64") };
}

type Kind = "BIND" | "Knot";

function failed(t: Test, message: string): void {
  t.fail(message);
}

/** `signed`: the zone's peer has a TSIG and the secondary signs with it. */
async function scenario(t: Test, kind: Kind, signed: boolean): Promise<void> {
  const key = signed ? newKey() : undefined;
  const keyName = key ? KEY_NAME : null;
  let model = baseZone();
  const { primary, log, file, settings, peerId } = await startPrimaryWith(t, zoneFile(model), key);
  const port = primary.dns.tcp.port;
  t.equal(primary.dns.udp.port, port, "one port for UDP and TCP");

  const t0 = Date.now();
  const start = kind === "BIND" ? startBindSecondary : startKnotSecondary;
  const s = await start({ origin: ORIGIN, primary: { host: "127.0.0.1", port }, key });
  t.teardown(() => s.stop());
  // The secondary's port is known now: the peer's port is where NOTIFY will go.
  settings.updatePeer(peerId, {
    name: "secondary",
    ip: "127.0.0.1",
    port: s.port,
    tsig_id: settings.getPeer(peerId).tsig_id,
  });

  const report = (what: string) =>
    `${what}\n--- dns-primary's log:\n${log.text()}\n--- ${kind}'s log:\n${zoneLines(s.log())}`;

  // 1. Initial AXFR.
  try {
    await s.waitForSerial(SERIAL0, 10000);
  } catch (err) {
    failed(t, report((err as Error).message.split("; its log:")[0]));
    return;
  }
  t.comment(`${kind}: initial transfer done ${Date.now() - t0} ms after start`);
  const first = transfers(log, 0);
  t.match(
    first,
    [{ type: "AXFR", outcome: "finished", serial: SERIAL0, peer: "127.0.0.1", key: keyName }],
    "the first transfer is an AXFR",
  );
  t.equal(first.length, 1, "one transfer so far");
  t.same(refusals(log, 0), [], "nothing refused");
  await checkContent(t, s, model, "after the AXFR");

  // 2. A commit through the library.
  const adds = [
    rec("new1.example.", 300, "A", "192.0.2.201"),
    rec("new1.example.", 300, "AAAA", "2001:db8::c9"),
    rec("pool.example.", 120, "A", "198.51.100.99"),
    rec("host3.example.", 300, "MX", "5 mail.example."),
    rec("newtxt.example.", 300, "TXT", '"added by commit" "two"'),
    rec("_xmpp._tcp.new2.example.", 300, "SRV", "5 0 5222 host1.example."),
  ];
  const removes = [
    model.find((r) => r.owner === "host10.example." && r.type === "AAAA")!,
    model.find((r) => r.owner === "pool.example." && r.text === "198.51.100.1")!,
    model.find((r) => r.owner === "c5.example.")!,
    model.find((r) => r.owner === "host6.example." && r.type === "TXT")!,
    model.find((r) => r.owner === "host6.example." && r.type === "SSHFP")!,
    model.find((r) => r.owner === "sub.example." && r.type === "DS")!,
  ];
  t.equal(removes.filter(Boolean).length, 6, "the records to remove are in the model");
  const cs = primary.commit(ORIGIN, { add: adds.map(toInput), remove: removes.map(toRef) });
  t.equal(cs.added.length, adds.length, "commit: every record added");
  t.equal(cs.removed.length, removes.length, "commit: every record removed");
  model = [
    ...model.filter((r) => r.type !== "SOA" && !removes.some((x) => same(x, r))),
    ...adds,
    soa(SERIAL0 + 1),
  ];
  t.equal(primary.zoneSet.get(ORIGIN)?.serial, SERIAL0 + 1, "commit: next serial");
  await step(t, s, log, model, keyName, SERIAL0, SERIAL0 + 1, "after the commit", report);

  // 3. A zone-file edit and reload(): the file holds the committed records too, or the
  // reload would take them away again. Its serial is left behind: the primary assigns one.
  const gone = (r: Rec) => /^(host2[0-4]\.|c20\.|_443\._tcp\.host24\.)/.test(r.owner);
  const edited = model
    .filter((r) => r.type !== "SOA" && !gone(r))
    .map((r) => {
      if (r.owner === "host30.example." && r.type === "A") return { ...r, ttl: 900 };
      if (r.owner === "host31.example." && r.type === "A")
        return rec(r.owner, r.ttl, "A", "192.0.2.231");
      if (r.owner === "quote.example.") return rec(r.owner, r.ttl, "TXT", '"edited \\"text\\""');
      return r;
    });
  for (let i = 0; i < 5; i++) edited.push(rec(`edit${i}.example.`, 120, "A", `203.0.113.${i + 1}`));
  edited.push(rec("edit0.example.", 120, "TXT", '"from the file"'));
  writeFileSync(file, zoneFile([soa(SERIAL0, 7200), ...edited]));
  const [summary] = await primary.reload();
  t.match(summary, { origin: ORIGIN, changed: true, serial: SERIAL0 + 2 }, "reload: next serial");
  t.notOk(summary?.error, "reload: no error");
  model = [...edited, soa(SERIAL0 + 2, 7200)];
  await step(t, s, log, model, keyName, SERIAL0 + 1, SERIAL0 + 2, "after the reload", report);

  // 4. A refresh with nothing new: the secondary stays, nothing is transferred but the SOA.
  const mark = log.lines.length;
  await s.refresh();
  await new Promise((r) => setTimeout(r, 300));
  t.equal(await s.serial(), SERIAL0 + 2, "an idle refresh leaves the serial");
  t.same(
    transfers(log, mark).filter((l) => l.type === "AXFR" || l.type === "IXFR-AXFR"),
    [],
    "an idle refresh starts no full transfer",
  );
}

async function step(
  t: Test,
  s: Secondary,
  log: LogCapture,
  model: Rec[],
  keyName: string | null,
  from: number,
  to: number,
  what: string,
  report: (what: string) => string,
): Promise<void> {
  const mark = log.lines.length;
  // Knot says which kind of transfer it received; BIND (at info level) does not.
  const knotIxfrs = () => s.log().match(/\] IXFR, incoming, remote \S+, finished/g)?.length ?? 0;
  const knotBefore = knotIxfrs();
  const t0 = Date.now();
  await s.refresh();
  try {
    await s.waitForSerial(to, 10000);
  } catch (err) {
    failed(t, report(`${what}: ${(err as Error).message.split("; its log:")[0]}`));
    return;
  }
  t.comment(
    `${s.kind}: ${what}, serial ${to} served ${Date.now() - t0} ms after asking to refresh`,
  );
  const xfrs = transfers(log, mark);
  t.match(
    xfrs,
    [{ type: "IXFR", outcome: "finished", from, serial: to, peer: "127.0.0.1", key: keyName }],
    `${what}: the secondary followed by IXFR from ${from}`,
  );
  t.equal(xfrs.length, 1, `${what}: one transfer`, { lines: xfrs });
  if (s.kind === "Knot")
    t.equal(knotIxfrs(), knotBefore + 1, `${what}: Knot logs an incoming IXFR`);
  t.same(refusals(log, mark), [], `${what}: nothing refused`);
  await checkContent(t, s, model, what);
}

t.test("secondaries follow dns-primary by AXFR, then IXFR", async (t) => {
  t.test("Knot, TSIG", async (t) => {
    if (!requireTool(t, "knotd") || !requireTool(t, "knotc")) return;
    await scenario(t, "Knot", true);
  });
  t.test("BIND, TSIG", async (t) => {
    // rndc comes with named (bind9 depends on bind9-utils).
    if (!requireTool(t, "named")) return;
    await scenario(t, "BIND", true);
  });
  t.test("BIND, peer without a TSIG", async (t) => {
    if (!requireTool(t, "named")) return;
    await scenario(t, "BIND", false);
  });
});

t.test("AXFR of a 100 000-record zone with TSIG, read by kdig and dig", async (t) => {
  if (!requireTool(t, "kdig") || !requireTool(t, "dig")) return;
  const COUNT = 100_000;
  const lines = [
    `${ORIGIN} 300 IN SOA ns1.example. hostmaster.example. ${SERIAL0} 3600 600 86400 60`,
    `${ORIGIN} 300 IN NS ns1.example.`,
    "ns1.example. 300 IN A 192.0.2.1",
  ];
  for (let i = 0; lines.length < COUNT; i++) {
    lines.push(`h${i}.example. 300 IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  }
  const key = newKey();
  const { primary, log } = await startPrimaryWith(t, `${lines.join("\n")}\n`, key);
  t.equal(primary.zones[0]?.records, COUNT, `the primary serves ${COUNT} records`);
  const port = String(primary.dns.tcp.port);
  const y = `hmac-sha256:${key.name}:${key.secret}`;
  const big = { timeoutMs: 60000, maxBuffer: 256 * 1024 * 1024 };

  const t0 = Date.now();
  const k = await runTool("kdig", ["-y", y, "@127.0.0.1", "-p", port, ORIGIN, "AXFR", "+tcp"], big);
  const kms = Date.now() - t0;
  t.equal(k.code, 0, "kdig exits 0", { stderr: k.stderr.slice(0, 2000) });
  t.notMatch(k.stderr, /TSIG|ERROR|WARNING/i, "kdig reports no TSIG failure");
  const records = k.stdout.split("\n").filter((l) => l && !l.startsWith(";"));
  const data = records.filter((l) => !/\tANY\tTSIG\t/.test(l));
  const tsigs = records.filter((l) => /\tANY\tTSIG\t/.test(l));
  t.equal(data.length, COUNT + 1, "every record, and the SOA twice");
  t.match(data[0], /^example\.\s+300\s+IN\s+SOA\s/, "SOA first");
  t.match(data[data.length - 1], /^example\.\s+300\s+IN\s+SOA\s/, "SOA last");
  const received = /;; Received \d+ B \((\d+) messages, (\d+) records\)/.exec(k.stdout);
  t.ok(received, "kdig's summary line");
  const messages = Number(received?.[1]);
  t.equal(Number(received?.[2]), COUNT + 1, `kdig counts ${COUNT + 1} records`);
  t.equal(tsigs.length, messages, `a TSIG on each of the ${messages} messages`);
  t.ok(
    tsigs.every((l) => new RegExp(`^${key.name.replace(/\./g, "\\.")}\\s.*\\sNOERROR\\s`).test(l)),
    "every TSIG names our key, error NOERROR",
  );
  const unique = new Set(data.slice(1, -1).map((l) => l.split(/\s+/)[0]));
  t.equal(unique.size, COUNT - 1, "every name once (apex apart)");
  const kLine = log.find({ type: "AXFR", outcome: "finished" });
  t.match(kLine, [{ records: COUNT + 1, messages, key: KEY_NAME }], "our log agrees");
  t.comment(`kdig: ${COUNT + 1} records in ${messages} messages, ${kms} ms`);

  // dig checks the TSIG of every message of a transfer and says so when one fails.
  const t1 = Date.now();
  const d = await runTool("dig", ["-y", y, "@127.0.0.1", "-p", port, ORIGIN, "AXFR"], big);
  const dms = Date.now() - t1;
  t.equal(d.code, 0, "dig exits 0");
  t.notMatch(
    d.stdout + d.stderr,
    /tsig verify failure|Couldn't verify signature|expected a TSIG|Transfer failed/,
    "dig verifies every message's TSIG",
  );
  t.match(
    d.stdout,
    new RegExp(`;; XFR size: ${COUNT + 1} records \\(messages ${messages},`),
    "dig counts the same",
  );
  t.comment(`dig: ${dms} ms`);

  // The same request twice more: the second keeps its messages, the third is sent from
  // them, each with its new signature, which dig verifies again.
  const digAxfr = () => runTool("dig", ["-y", y, "@127.0.0.1", "-p", port, ORIGIN, "AXFR"], big);
  await digAxfr();
  const again = await digAxfr();
  t.equal(again.code, 0, "dig exits 0");
  t.notMatch(again.stdout + again.stderr, /tsig verify failure|Couldn't verify|Transfer failed/);
  t.match(again.stdout, new RegExp(`;; XFR size: ${COUNT + 1} records \\(messages ${messages},`));
  const finished = log.find({ type: "AXFR", outcome: "finished" });
  t.match(finished.at(-1), { kept: true, records: COUNT + 1, messages }, "from the kept messages");
});
