/**
 * Reloading a zone file into a served zone as one changeset (new serial, journaled), so
 * secondaries follow by IXFR. A file that does not parse, or that now names another origin,
 * leaves the served zone untouched.
 */

import { readFileSync, statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { canonicalName } from "../wire/name.js";
import { diffZones, diffZonesPaced, isEmptyChange } from "./diff.js";
import { ZoneFileError } from "./errors.js";
import type { Changeset } from "./journal.js";
import { loadZoneFile, metaOf, warningAt, zoneFileErrorAt } from "./load.js";
import type { ParseWarning } from "./masterfile.js";
import { nextTurn, runPaced } from "./paced.js";
import type { ReloadJob, ReloadMessage } from "./reload-worker.js";
import { type Change, type Zone, ZoneBuilder, ZoneError, type ZoneWarning } from "./zone.js";

export interface ReloadResult {
  zone: Zone;
  /** The change applied (empty when nothing differed). */
  change: Change;
  /** Absent when the file matches what is served (no new serial). */
  changeset?: Changeset;
  warnings: ParseWarning[];
}

export interface ReloadOptions {
  includeRoot?: string;
  /** How the difference is committed (default: `zone.commit`); the server's one change path. */
  commit?: (zone: Zone, change: Change) => Changeset;
}

export function reloadZoneFile(
  zone: Zone,
  opts: ReloadOptions = {},
  /** The file's text, when it has been read already. */
  text?: string,
): ReloadResult {
  // The fresh copy is only compared, never served: its journal is not used.
  const file = zone.file;
  if (file === undefined) throw new Error(`zone ${zone.origin} was not loaded from a file`);
  // The file is read as stored records, under the same apex rules as the zone it replaces.
  const fresh = loadZoneFile(file, {
    includeRoot: opts.includeRoot,
    ownsApexNs: zone.renderer.ownsApexNs === true,
    text,
  });
  checkSameZone(zone, fresh.zone, file);
  const result = commitDifference(zone, diffZones(zone, fresh.zone), fresh.warnings, opts);
  // What the file says is the zone now (store/store.ts compares it at the next start).
  zone.sourceDigest = fresh.zone.sourceDigest;
  return result;
}

/** A file that now names another origin is not a reload of this zone. */
function checkSameZone(zone: Zone, fresh: Zone, file: string): void {
  if (fresh.key !== zone.key) {
    throw new ZoneFileError(
      file,
      0,
      `the file now holds zone ${fresh.origin}, not ${zone.origin}; restart to serve it`,
    );
  }
}

/** Commit the difference as one changeset, or nothing when the file matched. */
function commitDifference(
  zone: Zone,
  change: Change,
  warnings: ParseWarning[],
  opts: ReloadOptions,
): ReloadResult {
  if (isEmptyChange(change)) return { zone, change, warnings };
  const changeset = opts.commit ? opts.commit(zone, change) : zone.commit(change);
  return { zone, change, changeset, warnings };
}

/**
 * A zone file up to this size, without $INCLUDE or $GENERATE (which make a small file read
 * or hold many more records), is reloaded on the main thread: it parses in a few
 * milliseconds, less than a worker thread takes to start, and a SIGHUP re-reads every zone
 * one after another (10,000 small zones took minutes with a worker each).
 */
const INLINE_RELOAD_BYTES = 64 * 1024;

/** The file's text when it is reloaded on the main thread (see above), else undefined. */
function inlineText(file: string): string | undefined {
  try {
    if (statSync(file).size > INLINE_RELOAD_BYTES) return undefined;
    const text = readFileSync(file, "utf8");
    return /\$(INCLUDE|GENERATE)/i.test(text) ? undefined : text;
  } catch {
    return undefined; // the worker reports what is wrong with the file
  }
}

/** The worker entry next to this file, as .js when built and .ts when run from source. */
function workerEntry(): URL {
  const ext = import.meta.url.endsWith(".ts") ? "ts" : "js";
  return new URL(`./reload-worker.${ext}`, import.meta.url);
}

/**
 * The same as reloadZoneFile, without stopping the server for the length of a big file: a
 * worker thread parses the file and hands the records over in batches; the main thread
 * builds the fresh copy between other work and compares it name by name, yielding as it
 * goes. Only the final commit, proportional to the change, runs in one piece.
 */
export async function reloadZoneFileAsync(
  zone: Zone,
  opts: ReloadOptions = {},
): Promise<ReloadResult> {
  const file = zone.file;
  if (file === undefined) throw new Error(`zone ${zone.origin} was not loaded from a file`);
  const text = inlineText(file);
  if (text !== undefined) {
    // One small zone per turn of the event loop: a SIGHUP reloads them one after another.
    await nextTurn();
    return reloadZoneFile(zone, opts, text);
  }
  const warnings: ParseWarning[] = [];
  let digest: string | undefined;
  const warn = (w: ZoneWarning) => warnings.push(warningAt(w, file));
  const defaultOrigin = canonicalName(basename(file).replace(/\.zone$/, ""));
  const takenBuffer = new SharedArrayBuffer(4);
  const taken = new Int32Array(takenBuffer);
  const job: ReloadJob = {
    file,
    origin: defaultOrigin,
    includeRoot: opts.includeRoot ?? dirname(resolve(file)),
    taken: takenBuffer,
  };
  let builder: ZoneBuilder | undefined;
  // The file is read as stored records, under the same apex rules as the zone it replaces.
  const build = { warn, ownsApexNs: zone.renderer.ownsApexNs === true };
  const read = await new Promise<ZoneBuilder>((resolvePromise, reject) => {
    const worker = new Worker(workerEntry(), { workerData: job });
    let settled = false;
    const finish = (err: Error | null, b?: ZoneBuilder) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (err) reject(err);
      else resolvePromise(b!);
    };
    // A MessagePort delivers every queued message in one go; a fast reader would then hold
    // the main thread for the whole file. Take one batch per turn of the event loop instead.
    const queue: ReloadMessage[] = [];
    let pumping = false;
    const pump = () => {
      const m = queue.shift();
      if (m === undefined || settled) {
        pumping = false;
        return;
      }
      handle(m);
      setImmediate(pump);
    };
    const handle = (m: ReloadMessage) => {
      try {
        if (m.type === "batch") {
          builder ??= new ZoneBuilder(m.origin ?? defaultOrigin, build);
          for (const [name, type, ttl, rdata, source, tags, comment] of m.records) {
            builder.add({ name, type, ttl, rdata, source, meta: metaOf(tags, comment) });
          }
          // The reader waits while it is too far ahead (reload-worker.ts).
          Atomics.add(taken, 0, 1);
          Atomics.notify(taken, 0);
        } else if (m.type === "done") {
          warnings.unshift(...m.warnings);
          digest = m.digest;
          finish(null, builder ?? new ZoneBuilder(m.origin ?? defaultOrigin, build));
        } else if (m.type === "error") {
          finish(new ZoneFileError(m.file, m.line, m.reason));
        } else {
          finish(new Error(`zone file reload failed: ${m.message}`));
        }
      } catch (e) {
        finish(e instanceof ZoneError ? zoneFileErrorAt(e, file) : (e as Error));
      }
    };
    worker.on("message", (m: ReloadMessage) => {
      queue.push(m);
      if (!pumping) {
        pumping = true;
        setImmediate(pump);
      }
    });
    worker.on("error", (e) => finish(e));
    // A reader that ends normally has posted "done", which may still wait in the queue.
    worker.on("exit", (code) => {
      if (code !== 0) finish(new Error(`zone file reader stopped (exit code ${code})`));
    });
  });
  // The zone's rules are checked name by name too; a file that breaks one is an error in it.
  const fresh = await runPaced(read.finishing()).catch((e) => {
    throw e instanceof ZoneError ? zoneFileErrorAt(e, file) : e;
  });
  checkSameZone(zone, fresh, file);
  const version = zone.version;
  let change = await diffZonesPaced(zone, fresh);
  // A change committed while we compared (the library, another reload): compare again, now
  // in one piece, so the change applies to the version it was computed against.
  if (zone.version !== version) change = diffZones(zone, fresh);
  const result = commitDifference(zone, change, warnings, opts);
  zone.sourceDigest = digest;
  return result;
}
