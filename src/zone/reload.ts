/**
 * Reloading a zone file into a served zone as one changeset (new serial, journaled), so
 * secondaries follow by IXFR. A file that does not parse, or that now names another origin,
 * leaves the served zone untouched.
 */

import { diffZones, isEmptyChange } from "./diff.js";
import { ZoneFileError } from "./errors.js";
import type { Changeset } from "./journal.js";
import { loadZoneFile } from "./load.js";
import type { ParseWarning } from "./masterfile.js";
import type { Change, Zone } from "./zone.js";

export interface ReloadResult {
  zone: Zone;
  /** The change applied (empty when nothing differed). */
  change: Change;
  /** Absent when the file matches what is served (no new serial). */
  changeset?: Changeset;
  warnings: ParseWarning[];
}

export function reloadZoneFile(zone: Zone, opts: { includeRoot?: string } = {}): ReloadResult {
  // The fresh copy is only compared, never served: its journal is not used.
  const file = zone.file;
  if (file === undefined) throw new Error(`zone ${zone.origin} was not loaded from a file`);
  const fresh = loadZoneFile(file, opts);
  if (fresh.zone.key !== zone.key) {
    throw new ZoneFileError(
      file,
      0,
      `the file now holds zone ${fresh.zone.origin}, not ${zone.origin}; restart to serve it`,
    );
  }
  const change = diffZones(zone, fresh.zone);
  if (isEmptyChange(change)) return { zone, change, warnings: fresh.warnings };
  return { zone, change, changeset: zone.commit(change), warnings: fresh.warnings };
}
