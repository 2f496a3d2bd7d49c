// openStore when it fails: what it opened is closed again (the log's file descriptor, the
// data dir's lock) and the zone set holds what it held before, so that a corrected start in
// the same process goes on from the same state.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { CloudflareZones } from "../../src/cloudflare/rules/zones.js";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { AppendLog, LOCK_FILE, LOG_FILE, SNAPSHOT_FILE } from "../../src/store/files.js";
import { openStore, type StoreOptions } from "../../src/store/store.js";
import { zoneFromText } from "../../src/zone/load.js";
import { ZoneSet } from "../../src/zone/zoneset.js";

const ZONE = `$ORIGIN open.test.
$TTL 300
@ SOA ns hostmaster 100 3600 600 86400 60
@ NS ns
ns A 192.0.2.53
`;

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-open-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What a start loaded before opening its data dir: one zone from its file. */
function loaded(text = ZONE): StoreOptions {
  const cloudflare = new CloudflareZones(new ZoneSet());
  cloudflare.add(
    zoneFromText(text, { file: "open.test.zone", renderer: cloudflare.renderer }).zone,
  );
  return { cloudflare, transfers: new TransferSettings() };
}

/** Open file descriptors of this process. */
const fds = () => readdirSync("/proc/self/fd").length;

/**
 * A log record that does not replay: a change to a zone the data dir does not hold (its
 * sequence number past any snapshot's, so that it is not skipped as already included).
 */
function appendUnreplayable(dir: string): void {
  const { log } = AppendLog.open(dir);
  log.append({ s: 1000, t: "dns", origin: "gone.test.", dns: {} });
  log.close();
}

t.test("a log that does not replay: the log's file descriptor is closed", async (t) => {
  const dir = tempDir(t);
  appendUnreplayable(dir);
  const before = fds();
  t.throws(() => openStore(dir, loaded()), {
    name: "StoreError",
    message: /a change to zone gone\.test\., which is not stored/,
  });
  t.equal(fds(), before, "no file descriptor left open");
});

t.test(
  "a restore that fails puts back the zones this start loaded, and nothing else",
  async (t) => {
    const dir = tempDir(t);
    // A first start stores the zone from its file and one created through the API.
    const first = loaded();
    const a = openStore(dir, first);
    first.cloudflare.create("api.test.");
    a.close();
    appendUnreplayable(dir);
    const start = loaded();
    const zone = start.cloudflare.set.get("open.test.");
    t.throws(() => openStore(dir, start), { name: "StoreError" });
    const left = start.cloudflare.set.all();
    t.equal(left.length, 1, "only the loaded zone, none of the stored ones");
    t.equal(left[0], zone, "the loaded zone itself, as it was loaded");
    // The bad log moved aside (as an operator would): the same start now succeeds and takes
    // the file's zone for the file's, the API's zone for the API's.
    rmSync(join(dir, LOG_FILE));
    openStore(dir, start).close();
    t.same(
      start.cloudflare.set
        .all()
        .map((z) => z.origin)
        .sort(),
      ["api.test.", "open.test."],
    );
    const fileGone = {
      cloudflare: new CloudflareZones(new ZoneSet()),
      transfers: new TransferSettings(),
    };
    openStore(dir, fileGone).close();
    t.same(
      fileGone.cloudflare.set.all().map((z) => z.origin),
      ["api.test."],
      "without its file the file's zone is not served; the API's zone has no file and stays",
    );
  },
);

t.test("a first snapshot that cannot be written: lock, log and zones are given back", async (t) => {
  const dir = tempDir(t);
  const first = loaded();
  const a = openStore(dir, first);
  first.cloudflare.create("api.test.");
  a.close();
  // The snapshot is written to snapshot.tmp first; a folder there makes that write fail
  // (EISDIR) after the restore succeeded, whoever runs the test (root ignores file modes).
  const tmp = join(dir, `${SNAPSHOT_FILE}.tmp`);
  mkdirSync(tmp);
  // The file was edited meanwhile: the start commits the difference and must write it.
  const start = loaded(`${ZONE}www A 192.0.2.80\n`);
  const zone = start.cloudflare.set.get("open.test.");
  const before = fds();
  t.throws(() => openStore(dir, start), {
    name: "StoreError",
    message: /writing to .* failed: EISDIR/,
  });
  t.notOk(existsSync(join(dir, LOCK_FILE)), "the lock file is removed");
  t.equal(fds(), before, "the log's file descriptor is closed");
  const left = start.cloudflare.set.all();
  t.equal(left.length, 1, "the stored zone restored for the snapshot is taken out again");
  t.equal(left[0], zone, "the loaded zone itself");
  // Corrected, the same start in the same process takes the data dir.
  rmSync(tmp, { recursive: true });
  const store = openStore(dir, start);
  store.close();
  t.equal(store.stats().snapshots, 1, "the first snapshot; none at close, nothing changed since");
  t.same(
    start.cloudflare.set
      .all()
      .map((z) => z.origin)
      .sort(),
    ["api.test.", "open.test."],
  );
});

t.test("a stop writes a snapshot only when something changed since the last one", async (t) => {
  const dir = tempDir(t);
  const idle = openStore(dir, loaded());
  idle.close();
  t.equal(idle.stats().snapshots, 1, "the first start's snapshot; none at close, no change since");

  const edited = loaded();
  const second = openStore(dir, edited);
  edited.cloudflare.create("api.test.");
  second.close();
  t.equal(
    second.stats().snapshots,
    1,
    "none at a start where nothing changed (the snapshot on disk is the state); one at close",
  );

  // Outgoing times are kept by snapshots only (not logged): a check since the start counts.
  const checked = loaded();
  const third = openStore(dir, checked);
  checked.transfers.createOutgoing("open.test.", { peers: [], status: "Disabled" });
  const fourth = () => {
    const again = loaded();
    const s = openStore(dir, again);
    const times = again.transfers.outgoing("open.test.")?.checked_time;
    s.close();
    return times;
  };
  third.compact();
  checked.transfers.markChecked("open.test.");
  const seen = checked.transfers.outgoing("open.test.")?.checked_time;
  t.ok(seen, "the check set checked_time");
  third.close();
  t.equal(third.stats().snapshots, 2, "the compaction's and the one at close");
  t.equal(fourth(), seen, "the next start has the time of the check");
});
