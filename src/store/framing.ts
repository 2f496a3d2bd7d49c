/**
 * The framing shared by the write-ahead log and the snapshot: one record per line,
 *
 *     <length> <crc32> <json>\n
 *
 * `length` is the byte length of the JSON text in decimal, `crc32` its CRC-32 (the zlib
 * polynomial) in 8 lowercase hex digits. JSON escapes every control character, so a record
 * never holds a newline of its own: a line is a record.
 *
 * Reading tells three cases apart. A record that frames and checks is good. A bad record on
 * the last line of the file (no newline after it, or the newline that ends the file) is a
 * torn write: the process stopped in the middle of the one write that was not yet
 * acknowledged (writes are fsynced one at a time), so it is dropped. A bad record with more
 * lines after it cannot be a torn write: that is damage, and the caller refuses to start,
 * naming the file and the byte offset.
 */

import * as zlib from "node:zlib";

export class StoreError extends Error {
  override name = "StoreError";
}

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function tableCrc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-32 as zlib computes it (node:zlib's own since Node 20.15, else a table). */
export const crc32: (buf: Uint8Array) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === "function"
    ? (buf) => (zlib as unknown as { crc32(b: Uint8Array): number }).crc32(buf) >>> 0
    : tableCrc32;

/** One record as the bytes of one line. */
export function frame(value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value), "utf8");
  const head = Buffer.from(`${json.length} ${crc32(json).toString(16).padStart(8, "0")} `);
  return Buffer.concat([head, json, Buffer.from("\n")]);
}

export interface ReadResult {
  records: unknown[];
  /** Byte offset where each record starts (same order as `records`). */
  offsets: number[];
  /** Offset just past the last good record. */
  end: number;
  /** Set when a torn last record was found at this offset (and left out). */
  torn?: { offset: number; reason: string };
}

/**
 * A record whose frame and checksum were checked and whose JSON is parsed when it is needed
 * (`readFramed`'s `defer`): the snapshot's record chunks of a zone that the start then takes
 * from its unchanged zone file are never parsed at all.
 */
export class DeferredRecord {
  constructor(
    private readonly json: Buffer,
    private readonly file: string,
    private readonly offset: number,
  ) {}

  /** The record; a StoreError naming the file and offset when its text is not JSON. */
  value(): unknown {
    try {
      return JSON.parse(this.json.toString("utf8"));
    } catch {
      throw new StoreError(`${this.file}:${this.offset}: damaged record (not JSON)`);
    }
  }
}

/**
 * Every record of `buf`. A bad last line is reported as `torn` when `allowTorn`; any other
 * bad record throws a StoreError naming `file` and the offset. A record whose JSON text
 * `defer` accepts is checked (frame, checksum) but given as a DeferredRecord, not parsed.
 */
export function readFramed(
  buf: Buffer,
  file: string,
  allowTorn: boolean,
  defer?: (json: Buffer) => boolean,
): ReadResult {
  const records: unknown[] = [];
  const offsets: number[] = [];
  let at = 0;
  while (at < buf.length) {
    const from = at;
    const bad = checkRecord(
      buf,
      at,
      defer && ((json) => (defer(json) ? new DeferredRecord(json, file, from) : undefined)),
    );
    if (typeof bad === "string") {
      const nl = buf.indexOf(0x0a, at);
      const lastLine = nl < 0 || nl === buf.length - 1;
      if (allowTorn && lastLine)
        return { records, offsets, end: at, torn: { offset: at, reason: bad } };
      throw new StoreError(
        `${file}:${at}: damaged record (${bad}); the data dir cannot be loaded as it is. ` +
          "Restore the file from a backup, or move the data dir away to start empty",
      );
    }
    records.push(bad.value);
    offsets.push(at);
    at = bad.next;
  }
  return { records, offsets, end: at };
}

/** The record at `at` (parsed, or as `deferred` made it when it makes one), or why it is bad. */
function checkRecord(
  buf: Buffer,
  at: number,
  deferred?: (json: Buffer) => DeferredRecord | undefined,
): { value: unknown; next: number } | string {
  const sp1 = buf.indexOf(0x20, at);
  if (sp1 < 0 || sp1 - at > 12) return "no length";
  const lenText = buf.toString("latin1", at, sp1);
  if (!/^(0|[1-9][0-9]*)$/.test(lenText)) return "bad length";
  const len = Number(lenText);
  const crcText = buf.toString("latin1", sp1 + 1, sp1 + 9);
  if (!/^[0-9a-f]{8}$/.test(crcText) || buf[sp1 + 9] !== 0x20) return "bad checksum field";
  const start = sp1 + 10;
  const end = start + len;
  if (end + 1 > buf.length) return "record cut short";
  if (buf[end] !== 0x0a) return "no newline after the record";
  const json = buf.subarray(start, end);
  if (crc32(json) !== Number.parseInt(crcText, 16)) return "checksum mismatch";
  const later = deferred?.(json);
  if (later !== undefined) return { value: later, next: end + 1 };
  try {
    return { value: JSON.parse(json.toString("utf8")), next: end + 1 };
  } catch {
    return "not JSON";
  }
}
