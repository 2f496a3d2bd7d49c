/**
 * Zones given to `startPrimary({ zones })` rather than found in a zones folder: master-file
 * text, a zone file anywhere, or Cloudflare record objects.
 *
 * Record objects go through the model's rules (cloudflare/records/plan.ts): each is validated as
 * `POST .../dns_records` validates its body, and the conflict rules apply between them, with
 * the API's error codes. The zone is then built with those records in one go, not created
 * empty and committed to: its first serial is the one a new zone gets (the Unix time of its
 * creation) and its IXFR journal starts empty, like a zone loaded from a file.
 */

import { ApiError } from "./cloudflare/errors.js";
import type { RecordBody } from "./cloudflare/records/content.js";
import { RecordPlan } from "./cloudflare/records/plan.js";
import { CloudflareZones } from "./cloudflare/rules/zones.js";
import { canonicalName, nameKey } from "./wire/name.js";
import { T } from "./wire/types.js";
import { ZoneFileError } from "./zone/errors.js";
import type { JournalLimits } from "./zone/journal.js";
import { loadZoneFile, zoneFromText } from "./zone/load.js";
import type { ParseWarning } from "./zone/masterfile.js";
import type { Zone } from "./zone/zone.js";
import { ZoneSet } from "./zone/zoneset.js";

/** A DNS record as Cloudflare's API takes it (the body of `POST .../dns_records`). */
export interface RecordObject {
  /** "www", "www.example.com" or "@"; relative names are in the zone. */
  name: string;
  /** "A", "MX", "TXT", ... */
  type: string;
  content?: string;
  /** Seconds, or 1 for automatic (the default). */
  ttl?: number;
  proxied?: boolean;
  /** MX, SRV, URI. */
  priority?: number;
  /** Structured content (SRV, CAA, ...), the official SDK's field names. */
  data?: Record<string, unknown>;
  comment?: string;
  tags?: string[];
  settings?: Record<string, unknown>;
}

/** One zone to serve besides the zones folder's. */
export type ZoneSpec =
  /** Master-file text; `origin` applies when the text has no `$ORIGIN`. */
  | { text: string; origin?: string }
  /** A zone file; the origin defaults to its `$ORIGIN`, else the file name without `.zone`. */
  | { file: string; origin?: string }
  /** A Cloudflare zone with these records (its SOA and apex NS are Cloudflare's defaults). */
  | { origin: string; records: RecordObject[] };

export interface LoadedSpecs {
  zones: Zone[];
  warnings: ParseWarning[];
}

/**
 * Build and serve each zone of `specs` through `cloudflare`. Throws ZoneFileError (text and
 * files), ApiError (records, with the index of the failing record in the message) or
 * ZoneFileError naming a zone given twice; zones added before the failure stay added, so a
 * caller that is starting up discards the whole set.
 */
export function loadZoneSpecs(
  cloudflare: CloudflareZones,
  specs: readonly ZoneSpec[],
  opts: { journal?: Partial<JournalLimits> } = {},
): LoadedSpecs {
  const zones: Zone[] = [];
  const warnings: ParseWarning[] = [];
  specs.forEach((spec, i) => {
    const where = `zones[${i}]`;
    let zone: Zone;
    if ("records" in spec && spec.records !== undefined) {
      zone = recordsZone(cloudflare, spec.origin, spec.records, where, opts.journal);
    } else {
      const loaded =
        "file" in spec && spec.file !== undefined
          ? loadZoneFile(spec.file, { journal: opts.journal, renderer: cloudflare.renderer })
          : zoneFromText((spec as { text: string }).text, {
              file: where,
              ...(spec.origin !== undefined ? { origin: spec.origin } : {}),
              journal: opts.journal,
              renderer: cloudflare.renderer,
            });
      if (spec.origin !== undefined && "file" in spec && spec.file !== undefined) {
        if (loaded.zone.key !== nameKey(canonicalName(spec.origin)))
          throw new ZoneFileError(
            spec.file,
            0,
            `the file's zone is ${loaded.zone.origin}, not ${spec.origin}`,
          );
      }
      zone = loaded.zone;
      // Inline text has no file to reload from.
      if (!("file" in spec) || spec.file === undefined) zone.file = undefined;
      warnings.push(...loaded.warnings);
      taken(cloudflare, zone.origin, where);
      cloudflare.add(zone);
    }
    zones.push(zone);
  });
  return { zones, warnings };
}

function taken(cloudflare: CloudflareZones, origin: string, where: string): void {
  if (cloudflare.set.get(origin)?.key === nameKey(origin))
    throw new ZoneFileError(where, 0, `zone ${origin} is given twice`);
}

function recordsZone(
  cloudflare: CloudflareZones,
  name: string,
  records: readonly RecordObject[],
  where: string,
  journal: Partial<JournalLimits> | undefined,
): Zone {
  let origin: string;
  try {
    origin = canonicalName(name);
  } catch (e) {
    throw new ApiError("INVALID_ZONE_NAME", `${where}: ${name}: ${(e as Error).message}`);
  }
  taken(cloudflare, origin, where);
  // Planned on a scratch copy of a new zone, so the API's rules see each record beside the
  // ones before it; the served zone is then built from the result without a commit.
  const scratch = new CloudflareZones(new ZoneSet(), { journal });
  const draft = scratch.create(origin);
  const soa = draft.apex.get(T.SOA)!;
  const plan = new RecordPlan(draft, new Date());
  records.forEach((r, i) => {
    try {
      plan.create(r as RecordBody);
    } catch (e) {
      if (e instanceof ApiError) throw new ApiError(e.kind, `${where}.records[${i}]: ${e.message}`);
      throw e;
    }
  });
  return cloudflare.restore(
    origin,
    [{ name: origin, type: T.SOA, ttl: soa.ttl, rdata: soa.at(0) }, ...(plan.change().add ?? [])],
    { dns: scratch.dnsSettings(draft), profile: scratch.profile(draft) },
  );
}
