/**
 * Worker thread of an asynchronous reload (reload.ts): parses a zone file off the main
 * thread and posts its records in batches, so the main thread keeps answering queries while
 * a large zone file is read.
 */

import { readFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { ZoneFileError } from "./errors.js";
import { parseMasterFile } from "./masterfile.js";

export interface ReloadJob {
  file: string;
  origin?: string;
  includeRoot?: string;
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
    }
  | { type: "error"; file: string; line: number; reason: string }
  | { type: "failed"; message: string };

const BATCH = 5000;

function run(job: ReloadJob, post: (m: ReloadMessage) => void): void {
  let batch: RecordTuple[] = [];
  let origin: string | undefined;
  try {
    const parsed = parseMasterFile(readText(job.file), {
      file: job.file,
      origin: job.origin,
      includeRoot: job.includeRoot,
      onRecord: (r, startOrigin) => {
        origin = startOrigin;
        batch.push([
          r.name,
          r.type,
          r.ttl,
          r.rdata.toString("latin1"),
          `${r.file}:${r.line}`,
          r.cfTags,
          r.comment,
        ]);
        if (batch.length >= BATCH) {
          post({ type: "batch", origin, records: batch });
          batch = [];
        }
      },
    });
    if (batch.length > 0) post({ type: "batch", origin, records: batch });
    post({ type: "done", origin: parsed.origin, warnings: parsed.warnings });
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
