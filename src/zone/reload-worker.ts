/**
 * Worker thread of an asynchronous reload (reload.ts): parses a zone file off the main
 * thread and posts its records in batches, so the main thread keeps answering queries while
 * a large zone file is read.
 */

import { readFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { ZoneFileError } from "./errors.js";
import { parseMasterFile } from "./masterfile.js";
import { SourceDigest } from "./source-digest.js";

export interface ReloadJob {
  file: string;
  origin?: string;
  includeRoot?: string;
  /** Slot 0 counts the batches the main thread has taken in (an Int32Array over it). */
  taken?: SharedArrayBuffer;
}

/** One record: owner, type, TTL, RDATA (latin1), source, Cloudflare tags, comment. */
export type RecordTuple = [
  string,
  number,
  number,
  string,
  string,
  Record<string, string>?,
  string?,
];

export type ReloadMessage =
  | { type: "batch"; origin: string | undefined; records: RecordTuple[] }
  | {
      type: "done";
      origin: string | undefined;
      warnings: Array<{ file: string; line: number; message: string }>;
      /** Of the text read (source-digest.ts). */
      digest: string;
    }
  | { type: "error"; file: string; line: number; reason: string }
  | { type: "failed"; message: string };

const BATCH = 1000;

/**
 * Batches posted and not yet taken in beyond which the reader waits. A MessagePort delivers
 * every queued message in one go: a reader far ahead would have the main thread decode a
 * large part of the file in one piece (and hold it all in memory twice).
 */
const AHEAD = 4;

function run(job: ReloadJob, post: (m: ReloadMessage) => void): void {
  let batch: RecordTuple[] = [];
  let origin: string | undefined;
  const taken = job.taken && new Int32Array(job.taken);
  let posted = 0;
  const postBatch = () => {
    post({ type: "batch", origin, records: batch });
    batch = [];
    posted++;
    if (taken === undefined) return;
    let t = Atomics.load(taken, 0);
    while (posted - t > AHEAD) {
      // Woken by the main thread's notify; the timeout only bounds a missed wake-up.
      Atomics.wait(taken, 0, t, 1000);
      t = Atomics.load(taken, 0);
    }
  };
  try {
    const text = readText(job.file);
    const digest = new SourceDigest(job.origin, text);
    const parsed = parseMasterFile(text, {
      file: job.file,
      origin: job.origin,
      includeRoot: job.includeRoot,
      onInclude: digest.include,
      onRecord: (r, startOrigin) => {
        origin = startOrigin;
        batch.push([r.name, r.type, r.ttl, r.wire, `${r.file}:${r.line}`, r.cfTags, r.comment]);
        if (batch.length >= BATCH) postBatch();
      },
    });
    if (batch.length > 0) postBatch();
    post({
      type: "done",
      origin: parsed.origin,
      warnings: parsed.warnings,
      digest: digest.value(),
    });
  } catch (e) {
    if (e instanceof ZoneFileError)
      post({ type: "error", file: e.file, line: e.line, reason: e.reason });
    else post({ type: "failed", message: (e as Error).message });
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new ZoneFileError(
      file,
      0,
      `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

if (parentPort) run(workerData as ReloadJob, (m) => parentPort!.postMessage(m));
