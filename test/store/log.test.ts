// The files of a data dir: framing, the append-only log (torn tail dropped, damage refused
// with file:offset), the snapshot (atomic, versioned), the lock.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import {
  AppendLog,
  FORMAT_VERSION,
  LOG_FILE,
  lockDir,
  readSnapshot,
  SNAPSHOT_FILE,
  writeSnapshot,
} from "../../src/store/files.js";
import { crc32, frame, readFramed, StoreError } from "../../src/store/framing.js";

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-store-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test("crc32 is zlib's", async (t) => {
  t.equal(crc32(Buffer.from("123456789")), 0xcbf43926);
  t.equal(crc32(Buffer.alloc(0)), 0);
});

t.test("a frame is one line: length, checksum, JSON", async (t) => {
  const line = frame({ a: "x\ny", b: [1, 2] }).toString();
  t.match(line, /^\d+ [0-9a-f]{8} \{.*\}\n$/);
  t.equal(line.split("\n").length, 2, "no newline inside the record");
  const r = readFramed(Buffer.from(line + line), "f", false);
  t.same(r.records, [
    { a: "x\ny", b: [1, 2] },
    { a: "x\ny", b: [1, 2] },
  ]);
  t.same(r.offsets, [0, line.length]);
});

t.test("the log: appended records come back after a reopen", async (t) => {
  const dir = tempDir(t);
  const a = AppendLog.open(dir);
  t.same(a.records, []);
  a.log.append({ s: 1, v: "one" });
  a.log.append({ s: 2, v: "two" });
  a.log.close();
  const b = AppendLog.open(dir);
  t.same(b.records, [
    { s: 1, v: "one" },
    { s: 2, v: "two" },
  ]);
  t.notOk(b.torn);
  b.log.reset();
  b.log.append({ s: 3 });
  b.log.close();
  t.same(AppendLog.open(dir).records, [{ s: 3 }], "reset empties the log, the header stays");
});

t.test(
  "a torn last record is dropped and cut off; the next append follows the good ones",
  async (t) => {
    for (const [what, tail] of [
      ["cut short", (l: Buffer) => l.subarray(0, l.length - 7)],
      ["no newline", (l: Buffer) => l.subarray(0, l.length - 1)],
      ["zeros", (l: Buffer) => Buffer.alloc(l.length)],
      [
        "bad checksum on the last line",
        (l: Buffer) => Buffer.from(l.toString().replace(/ [0-9a-f]{8} /, " 00000000 ")),
      ],
      ["half a length", () => Buffer.from("12")],
    ] as const) {
      const dir = tempDir(t);
      const a = AppendLog.open(dir);
      a.log.append({ s: 1 });
      a.log.close();
      const path = join(dir, LOG_FILE);
      const good = readFileSync(path).length;
      appendFileSync(path, tail(frame({ s: 2, big: "x".repeat(100) })));
      const b = AppendLog.open(dir);
      t.same(b.records, [{ s: 1 }], `${what}: the good record stays`);
      t.equal(b.torn?.offset, good, `${what}: the torn record's offset`);
      t.equal(readFileSync(path).length, good, `${what}: the file is cut back`);
      b.log.append({ s: 2 });
      b.log.close();
      t.same(AppendLog.open(dir).records, [{ s: 1 }, { s: 2 }]);
    }
  },
);

t.test("damage before the last record stops the start, naming file and offset", async (t) => {
  const dir = tempDir(t);
  const a = AppendLog.open(dir);
  a.log.append({ s: 1, v: "aaaa" });
  a.log.append({ s: 2 });
  a.log.close();
  const path = join(dir, LOG_FILE);
  const buf = readFileSync(path);
  const at = buf.indexOf("aaaa");
  buf[at] = "b".charCodeAt(0);
  writeFileSync(path, buf);
  const recordStart = buf.lastIndexOf(0x0a, at) + 1;
  t.throws(() => AppendLog.open(dir), {
    name: "StoreError",
    message: new RegExp(`${LOG_FILE}:${recordStart}: damaged record \\(checksum mismatch\\)`),
  });
});

t.test("another format version is refused", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, LOG_FILE), frame({ format: "log", version: FORMAT_VERSION + 1 }));
  t.throws(() => AppendLog.open(dir), {
    message: /format version 2; this dns-primary reads version 1/,
  });
  writeFileSync(join(dir, LOG_FILE), frame({ format: "something else", version: 1 }));
  t.throws(() => AppendLog.open(dir), StoreError);
});

t.test("the snapshot is written whole or not at all, and checked whole", async (t) => {
  const dir = tempDir(t);
  t.equal(readSnapshot(dir), undefined, "none yet");
  writeSnapshot(dir, [{ t: "a" }, { t: "b" }]);
  t.same(readSnapshot(dir), [{ t: "a" }, { t: "b" }]);
  // A crash while writing leaves snapshot.tmp; the snapshot itself is the old one.
  writeFileSync(join(dir, `${SNAPSHOT_FILE}.tmp`), "garbage");
  t.same(readSnapshot(dir), [{ t: "a" }, { t: "b" }]);
  const path = join(dir, SNAPSHOT_FILE);
  const buf = readFileSync(path);
  writeFileSync(path, buf.subarray(0, buf.length - 3));
  t.throws(() => readSnapshot(dir), {
    name: "StoreError",
    message: /snapshot:\d+: damaged record/,
  });
  // Records removed from the end: the end record says how many there were.
  const lines = buf.toString().split("\n");
  writeFileSync(path, `${lines[0]}\n${lines[1]}\n${frame({ t: "end", count: 2 }).toString()}`);
  t.throws(() => readSnapshot(dir), { message: /incomplete/ });
});

t.test("the lock keeps a second process out and is taken over from a dead one", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "lock"), "1\n");
  t.throws(() => lockDir(dir), { message: /in use by process 1/ }, "pid 1 is alive");
  // A pid that is not running (the highest pid + 1 is free on Linux in practice).
  writeFileSync(join(dir, "lock"), "4194303\n");
  const unlock = lockDir(dir);
  t.equal(readFileSync(join(dir, "lock"), "utf8"), `${process.pid}\n`);
  unlock();
});

t.test("one fsync per write: what it costs here", async (t) => {
  const dir = tempDir(t);
  const { log } = AppendLog.open(dir);
  const n = 200;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) log.append({ s: i + 1, change: "x".repeat(200) });
  const ms = (performance.now() - t0) / n;
  log.close();
  t.comment(`append + fdatasync: ${ms.toFixed(3)} ms per record`);
  t.ok(ms < 200, "a write is not slower than 200 ms");
});
