/**
 * The files of a data dir: the append-only log (fsynced per record), the snapshot (written
 * whole to a temporary file, fsynced, renamed over the old one, the folder fsynced), the
 * account's settings (written whole the same way) and the lock that keeps a second process
 * out.
 */

import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { frame, readFramed, StoreError } from "./framing.js";

/** The disk format version this code writes and reads. */
export const FORMAT_VERSION = 1;
export const LOG_FILE = "changes.log";
export const SNAPSHOT_FILE = "snapshot";
export const LOCK_FILE = "lock";
export const ACCOUNT_FILE = "account";
export const REGISTRAR_FILE = "registrar";

function writeAll(fd: number, buf: Buffer): void {
  let at = 0;
  while (at < buf.length) at += writeSync(fd, buf, at, buf.length - at);
}

/** fsync a folder, so a rename or a new file in it survives a crash. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some platforms cannot open or fsync a folder; the rename is then as durable as it gets.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function checkHeader(value: unknown, format: string, file: string): Record<string, unknown> {
  const h = value as Record<string, unknown> | undefined;
  if (typeof h !== "object" || h === null || h.format !== format) {
    throw new StoreError(`${file}:0: not a dns-primary ${format} file`);
  }
  if (h.version !== FORMAT_VERSION) {
    throw new StoreError(
      `${file}:0: format version ${String(h.version)}; this dns-primary reads version ${FORMAT_VERSION}`,
    );
  }
  return h;
}

/** The write-ahead log: one record per committed change, durable before `append` returns. */
export class AppendLog {
  private fd: number;
  private readonly headerBytes: number;
  /** Bytes in the file, header included. */
  bytes: number;
  /** Records after the header. */
  count: number;
  closed = false;

  private constructor(
    readonly path: string,
    fd: number,
    headerBytes: number,
    bytes: number,
    count: number,
  ) {
    this.fd = fd;
    this.headerBytes = headerBytes;
    this.bytes = bytes;
    this.count = count;
  }

  /**
   * Open (or create) the log in `dir`: its records, and the torn last record that was cut
   * off, if there was one. Damage elsewhere throws a StoreError naming file and offset.
   */
  static open(dir: string): {
    log: AppendLog;
    records: unknown[];
    torn?: { offset: number; reason: string };
  } {
    const path = join(dir, LOG_FILE);
    const header = frame({ format: "log", version: FORMAT_VERSION });
    const buf = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    const read = readFramed(buf, path, true);
    let records = read.records;
    let end = read.end;
    if (records.length === 0) {
      // New, empty, or only a torn header (a crash while it was created): start it again.
      const fd = openSync(path, "w");
      writeAll(fd, header);
      fsyncSync(fd);
      closeSync(fd);
      fsyncDir(dir);
      end = header.length;
    } else {
      checkHeader(records[0], "log", path);
      records = records.slice(1);
    }
    const fd = openSync(path, "a");
    if (end < fstatSync(fd).size) {
      // The torn last record (never acknowledged) is cut off before anything is appended.
      ftruncateSync(fd, end);
      fsyncSync(fd);
    }
    const headerBytes = read.records.length > 0 ? (read.offsets[1] ?? end) : header.length;
    const log = new AppendLog(path, fd, headerBytes, end, records.length);
    return read.torn ? { log, records, torn: read.torn } : { log, records };
  }

  /** Write one record and wait until it is on disk (fdatasync). */
  append(value: unknown): void {
    if (this.closed) throw new StoreError(`${this.path}: the store is closed`);
    const line = frame(value);
    writeAll(this.fd, line);
    fdatasyncSync(this.fd);
    this.bytes += line.length;
    this.count++;
  }

  /** Empty the log (its records are in the snapshot now). */
  reset(): void {
    ftruncateSync(this.fd, this.headerBytes);
    fsyncSync(this.fd);
    this.bytes = this.headerBytes;
    this.count = 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Write `buf` to `dir/name` whole: a temporary file, fsynced, renamed over, the folder fsynced. */
function replaceFile(dir: string, name: string, buf: Buffer): void {
  const path = join(dir, name);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeAll(fd, buf);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dir);
}

/** A file holding one value after its format record, written whole (replaceFile). */
function writeValueFile(dir: string, name: string, value: unknown): void {
  replaceFile(
    dir,
    name,
    Buffer.concat([frame({ format: name, version: FORMAT_VERSION }), frame(value)]),
  );
}

/** The value of a writeValueFile() file, or undefined when there is none. */
function readValueFile(dir: string, name: string): unknown {
  const path = join(dir, name);
  if (!existsSync(path)) return undefined;
  const { records } = readFramed(readFileSync(path), path, false);
  if (records.length !== 2) throw new StoreError(`${path}:0: not one ${name} record`);
  checkHeader(records[0], name, path);
  return records[1];
}

/**
 * The account's DNS settings, one framed record after the format record. Its own file, not a
 * log record: the zone defaults shape how zone files load, so a start reads them before the
 * zones, long before the snapshot and the log (store.ts storedAccount).
 */
export function writeAccountFile(dir: string, value: unknown): void {
  writeValueFile(dir, ACCOUNT_FILE, value);
}

/** The stored account settings as written, or undefined when none were stored. */
export function readAccountFile(dir: string): unknown {
  return readValueFile(dir, ACCOUNT_FILE);
}

/**
 * The registrar's key and domains (cloudflare/registrar.ts), written whole after each change:
 * the key keeps the lab's trust anchor across restarts.
 */
export function writeRegistrarFile(dir: string, value: unknown): void {
  writeValueFile(dir, REGISTRAR_FILE, value);
}

export function readRegistrarFile(dir: string): unknown {
  return readValueFile(dir, REGISTRAR_FILE);
}

/**
 * Write the snapshot: the records go to a temporary file in pieces (never one big string),
 * which is fsynced and renamed over the old snapshot; then the folder is fsynced. A crash at
 * any point leaves either the old snapshot or the new one, whole.
 */
export function writeSnapshot(dir: string, records: Iterable<unknown>): number {
  const path = join(dir, SNAPSHOT_FILE);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  let count = 0;
  let bytes = 0;
  try {
    const pending: Buffer[] = [];
    let size = 0;
    const flush = () => {
      if (pending.length === 0) return;
      writeAll(fd, Buffer.concat(pending, size));
      bytes += size;
      pending.length = 0;
      size = 0;
    };
    const put = (v: unknown) => {
      const line = frame(v);
      pending.push(line);
      size += line.length;
      if (size >= 1 << 20) flush();
    };
    put({ format: "snapshot", version: FORMAT_VERSION });
    for (const r of records) {
      put(r);
      count++;
    }
    put({ t: "end", count });
    flush();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dir);
  return bytes;
}

/**
 * The snapshot's records (header and end marker checked and left out), or undefined. Those
 * whose JSON text starts with one of `deferPrefixes` come as DeferredRecords (framing.ts).
 */
export function readSnapshot(dir: string, deferPrefixes: string[] = []): unknown[] | undefined {
  const path = join(dir, SNAPSHOT_FILE);
  if (!existsSync(path)) return undefined;
  const prefixes = deferPrefixes.map((p) => Buffer.from(p, "utf8"));
  const defer =
    prefixes.length > 0
      ? (json: Buffer) => prefixes.some((p) => json.subarray(0, p.length).equals(p))
      : undefined;
  const { records } = readFramed(readFileSync(path), path, false, defer);
  if (records.length < 2) throw new StoreError(`${path}:0: an empty snapshot`);
  checkHeader(records[0], "snapshot", path);
  const last = records[records.length - 1] as { t?: string; count?: number };
  if (last.t !== "end" || last.count !== records.length - 2) {
    throw new StoreError(`${path}: the snapshot is incomplete (no end record)`);
  }
  return records.slice(1, -1);
}

/** Data dirs this process holds (resolved paths). */
const held = new Set<string>();

/**
 * Keep other processes out of the data dir: a lock file with our pid. A lock left by a
 * process that is gone (kill -9, a crash) is taken over.
 */
export function lockDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  const key = resolve(dir);
  // Our own pid in the lock file: open in this process (a second startPrimary) or left by a
  // process that had our pid before; the set tells them apart.
  if (held.has(key)) throw new StoreError(`${dir} is in use by this process (${path})`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: "wx" });
      held.add(key);
      return () => {
        held.delete(key);
        rmSync(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number.parseInt(readFileSync(path, "utf8"), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new StoreError(`${dir} is in use by process ${pid} (${path})`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new StoreError(`${dir}: cannot take the lock ${path}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
