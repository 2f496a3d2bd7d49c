/**
 * Transfers while the zone changes: a writer commits change after change (several records at
 * a time) while AXFRs run one after another and side by side. Every AXFR must be exactly one
 * version that existed: the version whose serial its SOA carries, rebuilt from the first
 * transfer and the changesets committed since.
 */
import { setTimeout as sleep, setImmediate as yieldNow } from "node:timers/promises";
import t from "tap";
import { TransferSettings } from "../src/cloudflare/transfer/settings.js";
import { type PrimaryServer, startServer } from "../src/primary.js";
import { T } from "../src/wire/types.js";
import type { RR } from "../src/zone/journal.js";
import { soaSerialOf } from "../src/zone/journal.js";
import { rdataToText } from "./peers/wire.js";
import { axfr } from "./server/axfr-client.js";

const ORIGIN = "consistency.test.";
const NAMES = 20_000;

function zoneText(): string {
  const lines = [
    `$ORIGIN ${ORIGIN}`,
    "$TTL 300",
    `@ IN SOA ns1.${ORIGIN} hostmaster.${ORIGIN} 1 7200 3600 1209600 300`,
    `@ IN NS ns1.${ORIGIN}`,
    "ns1 IN A 192.0.2.1",
  ];
  const pad = "y".repeat(90);
  for (let i = 0; i < NAMES; i++) lines.push(`n${i} IN TXT "${pad}${i}"`);
  return `${lines.join("\n")}\n`;
}

/** A record as the AXFR client writes it: "name type ttl rdata" (names in lowercase). */
function key(r: RR): string {
  const rdata = Buffer.from(r.rdata, "latin1");
  return `${r.name.toLowerCase()} ${r.type} ${r.ttl} ${rdataToText(rdata, r.type, 0, rdata.length)}`;
}
const lower = (line: string) => {
  const i = line.indexOf(" ");
  return line.slice(0, i).toLowerCase() + line.slice(i);
};

t.test("every AXFR during a stream of changes is exactly one version", async (t) => {
  const transfers = new TransferSettings();
  transfers.createAcl({ name: "loopback", ip_range: "127.0.0.0/24" });
  transfers.createOutgoing(ORIGIN, { status: "Enabled" });
  const primary: PrimaryServer = await startServer({
    zones: [{ text: zoneText() }],
    dns: { host: "127.0.0.1", port: 0 },
    transfers,
    notify: false,
    journal: { maxVersions: 100 },
  });
  t.teardown(() => primary.close());
  const { host, port } = { host: "127.0.0.1", port: primary.dns.tcp.port };

  // The base version, transferred before any change.
  const base = await axfr(host, port, ORIGIN, { timeoutMs: 30_000 });
  t.equal(base.rcode, 0);
  const baseSerial = base.serial!;
  const baseSet = base.records.map(lower);
  t.equal(baseSet.length, NAMES + 2, "the base version: NS, A, and the TXT records");

  // Every change, by the serial it produced.
  const changes = new Map<number, { removed: string[]; added: string[] }>();
  const order: number[] = [];
  let writing = true;
  let commits = 0;
  const writer = (async () => {
    const a = (label: string, last: number): RR => ({
      name: `${label}.${ORIGIN}`,
      type: T.A,
      ttl: 300,
      rdata: String.fromCharCode(198, 51, 100, last),
    });
    let i = 0;
    const live: string[] = [];
    while (writing) {
      // Each change adds three records and removes the three of two changes ago, and
      // replaces one TXT record: a half-applied change would show.
      const labels = [`w${i}a`, `w${i}b`, `w${i}c`];
      const add: RR[] = labels.map((l, j) => a(l, j + 1));
      const remove: RR[] = live.length >= 6 ? live.splice(0, 3).map((l, j) => a(l, j + 1)) : [];
      live.push(...labels);
      const txt = i % NAMES;
      const pad = "y".repeat(90);
      const old = i < NAMES ? `${pad}${txt}` : `${pad}${txt}-${i - NAMES}`;
      const txtRR = (s: string): RR => ({
        name: `n${txt}.${ORIGIN}`,
        type: T.TXT,
        ttl: 300,
        rdata: String.fromCharCode(s.length) + s,
      });
      const cs = primary.commit(ORIGIN, {
        remove: [...remove, txtRR(old)],
        add: [...add, txtRR(`${pad}${txt}-${i}`)],
      });
      const serial = soaSerialOf(cs.soaTo.rdata);
      changes.set(serial, { removed: cs.removed.map(key), added: cs.added.map(key) });
      order.push(serial);
      commits++;
      i++;
      // A change every millisecond or so, other work in between.
      await (i % 4 === 0 ? sleep(1) : yieldNow());
    }
  })();

  /** The version a serial names, rebuilt from the base and the changes up to it. */
  function version(serial: number): Set<string> | undefined {
    if (serial === baseSerial) return new Set(baseSet);
    const upto = order.indexOf(serial);
    if (upto < 0) return undefined;
    const set = new Set(baseSet);
    for (const s of order.slice(0, upto + 1)) {
      const c = changes.get(s)!;
      for (const r of c.removed) {
        if (!set.delete(r)) throw new Error(`serial ${s} removes ${r}, which was not there`);
      }
      for (const r of c.added) set.add(r);
    }
    return set;
  }

  const ROUNDS = 4;
  const PARALLEL = 3;
  const results: Array<{ serial: number; ok: boolean; commitsDuring: number; n: number }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all(
      Array.from({ length: PARALLEL }, async (_, k) => {
        await sleep(k * 40);
        const before = commits;
        const r = await axfr(host, port, ORIGIN, { timeoutMs: 60_000 });
        const during = commits - before;
        t.equal(r.rcode, 0);
        const want = version(r.serial!);
        const got = new Set(r.records.map(lower));
        const ok =
          want !== undefined && want.size === got.size && [...got].every((x) => want.has(x));
        results.push({ serial: r.serial!, ok, commitsDuring: during, n: got.size });
      }),
    );
  }
  writing = false;
  await writer;

  t.equal(results.length, ROUNDS * PARALLEL);
  for (const r of results) {
    t.ok(r.ok, `AXFR at serial ${r.serial}: ${r.n} records, exactly that version`);
  }
  const during = results.map((r) => r.commitsDuring);
  t.ok(
    during.every((n) => n > 0),
    `the zone changed during every transfer (${during.join(", ")} commits)`,
  );
  t.ok(new Set(results.map((r) => r.serial)).size > 1, "transfers saw different versions");
  t.ok(commits > 50, `${commits} changes committed`);
});
