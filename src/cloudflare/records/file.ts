/**
 * A zone's records as a BIND zone file, Cloudflare's import and export (cloudflare.md §3–4),
 * for every face: the REST routes `POST .../dns_records/import` and `GET .../dns_records/export`
 * read the form and write the answer; the rules are here.
 *
 * Import: every record of the file goes through the checks of `POST .../dns_records`
 * (RecordPlan.create) and the whole file is ONE change: one new serial, all or nothing. The
 * result is Cloudflare's `{ recs_added, total_records_parsed }`. Decisions where Cloudflare's
 * public material is silent:
 * - at most MAX_IMPORT_RECORDS records, `$GENERATE` included (the byte limit, 256 KiB, is the
 *   face's: it refuses a larger file before reading it whole);
 * - origin = the zone; `$ORIGIN`, `$TTL` and `$GENERATE` work as in a zone file; `$INCLUDE`
 *   is refused. A file that does not parse → 1004 "line N: reason". A record the API would
 *   refuse (a name outside the zone, bad content, a CNAME beside other data...) → the API's
 *   code with "line N: " before its message; nothing is imported;
 * - the apex SOA is Cloudflare's: it is left out, and not counted in total_records_parsed;
 * - a record whose name, type and content are already in the zone (or earlier in the file)
 *   is skipped: counted in total_records_parsed, not in recs_added (Cloudflare's behaviour);
 * - TTL: 1 means automatic (what Cloudflare's export writes); other TTLs below 30 become 30
 *   and TTLs above 86400 become 86400 (real zone files carry 0, 10 or 172800: refusing them
 *   would refuse ordinary files). Records without a TTL and without `$TTL` are automatic;
 * - proxied: a `cf-proxied:true|false` tag decides; without one, proxiable records (A, AAAA,
 *   CNAME) take the caller's default (the form's `proxied`, false unless given). The tag and
 *   the comment are read as when zones are loaded from files (zone/load.ts metaOf); a comment
 *   longer than Cloudflare's 100 characters is cut to 100;
 * - other cf_tags: `cf-flatten-cname`, `cf-ipv4-only`, `cf-ipv6-only` (value true) set those
 *   record settings (dns-primary's spelling); every other tag becomes the record tag
 *   "name:value" (a bare name is "name:"), as Cloudflare's export writes record tags.
 *
 * Cost: the file streams from the parser into the plan record by record; each record costs
 * the work of one POST (its name's records only), never a walk over the zone, and the commit
 * touches only the names imported.
 *
 * Export: the text of a BIND file in the shape of Cloudflare's export: a `;;` header,
 * `$ORIGIN`, the SOA as served, then the records the API shows (plan.ts apiRecords) grouped by
 * type (NS, A, AAAA, CNAME, then by type name), each `name TTL IN TYPE rdata` with absolute
 * names; automatic and proxied records have TTL 1 as Cloudflare writes them. A trailing
 * `; [comment ]cf_tags=...` carries `cf-proxied:true` or `cf-proxied:false` on proxiable
 * records, the settings and the record tags, so that the file imports back to the same records.
 */

import { nameKey } from "../../wire/name.js";
import { rdataToText } from "../../wire/rdata.js";
import { T, typeToText } from "../../wire/types.js";
import { ZoneFileError } from "../../zone/errors.js";
import { metaOf } from "../../zone/load.js";
import { type ParsedRecord, parseMasterFile } from "../../zone/masterfile.js";
import type { Zone } from "../../zone/zone.js";
import { ApiError } from "../errors.js";
import {
  AUTO_TTL,
  MAX_CLOUDFLARE_TTL,
  MAX_COMMENT,
  MIN_TTL,
  PROXIABLE,
  type RecordBody,
  recordJson,
} from "./content.js";
import { commitPlan, type RecordsContext } from "./operations.js";
import { type ApiRecord, apiRecords, fieldsOf, type RecordPlan } from "./plan.js";

/** Records one import may hold, `$GENERATE` expansions included. */
export const MAX_IMPORT_RECORDS = 50_000;

/** Record settings as cf_tags (dns-primary's spelling; Cloudflare documents none). */
const SETTING_TAGS: ReadonlyArray<[tag: string, setting: string]> = [
  ["cf-flatten-cname", "flatten_cname"],
  ["cf-ipv4-only", "ipv4_only"],
  ["cf-ipv6-only", "ipv6_only"],
];

export interface ImportResult {
  recs_added: number;
  total_records_parsed: number;
}

/* ------------------------------------------------------------------------------------------ */
/* Import                                                                                      */

/**
 * Import a zone file's text into the zone as one change. `proxied` is the default for
 * proxiable records without a `cf-proxied` tag. Throws the model's ApiError; nothing is
 * changed then.
 */
export function importRecords(
  ctx: RecordsContext,
  zone: Zone,
  text: string,
  opts: { proxied?: boolean } = {},
): ImportResult {
  return commitPlan(ctx, zone, (plan) => planImport(plan, text, opts.proxied === true));
}

/** A file TTL within Cloudflare's range (1 stays automatic). */
function importTtl(ttl: number): number {
  if (ttl === AUTO_TTL) return AUTO_TTL;
  return Math.min(MAX_CLOUDFLARE_TTL, Math.max(MIN_TTL, ttl));
}

/** The API body for one record of the file. */
export function importBody(zone: Zone, r: ParsedRecord, defaultProxied: boolean): RecordBody {
  // Content, priority and data exactly as the API would show the record: validRecord reads
  // them back to the same RDATA (as PATCH does with a stored record).
  const json = recordJson(zone.origin, { name: r.name, type: r.type, rdata: r.rdata, ttl: 0 });
  const meta = metaOf(r.cfTags, r.comment);
  const proxied = meta?.proxied ?? (PROXIABLE.has(r.type) && defaultProxied);
  const body: RecordBody = {
    name: r.name,
    type: json.type,
    content: json.content,
    ttl: proxied ? AUTO_TTL : importTtl(r.ttl),
    proxied,
  };
  if (json.priority !== undefined) body.priority = json.priority;
  if (json.data !== undefined) body.data = json.data;
  if (meta?.comment !== undefined) body.comment = meta.comment.slice(0, MAX_COMMENT);
  const tags: string[] = [];
  const settings: Record<string, boolean> = {};
  for (const [name, value] of Object.entries(r.cfTags ?? {})) {
    if (name === "cf-proxied") continue;
    const setting = SETTING_TAGS.find(([tag]) => tag === name)?.[1];
    if (setting !== undefined) settings[setting] = value === "true";
    else tags.push(`${name}:${value}`);
  }
  if (tags.length > 0) body.tags = tags;
  if (Object.keys(settings).length > 0) body.settings = settings;
  return body;
}

/** Plan every record of the file; the apex SOA is left out, duplicates are skipped. */
export function planImport(plan: RecordPlan, text: string, defaultProxied: boolean): ImportResult {
  const zone = plan.zone;
  let parsed = 0;
  let added = 0;
  try {
    parseMasterFile(text, {
      file: "import",
      origin: zone.origin,
      // No $TTL and no TTL on the record: automatic.
      defaultTtl: AUTO_TTL,
      maxRecords: MAX_IMPORT_RECORDS,
      onRecord: (r) => {
        if (r.type === T.SOA && nameKey(r.name) === zone.key) return;
        parsed++;
        try {
          plan.create(importBody(zone, r, defaultProxied));
          added++;
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          if (e.kind === "RECORD_EXISTS") return;
          throw new ApiError(e.kind, `line ${r.line}: ${e.message}`);
        }
      },
    });
  } catch (e) {
    if (e instanceof ZoneFileError)
      throw new ApiError("INVALID_CONTENT", `line ${e.line}: ${e.reason}`);
    throw e;
  }
  return { recs_added: added, total_records_parsed: parsed };
}

/* ------------------------------------------------------------------------------------------ */
/* Export                                                                                      */

/** A cf_tags value as Cloudflare writes it: quoted (a JSON string) when it must be. */
function tagValue(v: string): string {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    // `"`, `,`, `=`, `\`, spaces, controls and non-ASCII: quoted.
    if (c <= 0x20 || c >= 0x7f || c === 0x22 || c === 0x2c || c === 0x3d || c === 0x5c)
      return JSON.stringify(v);
  }
  return v;
}

/** A comment as one line: control characters (line breaks above all) become spaces. */
function oneLine(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c < 0x20 || c === 0x7f ? " " : s[i];
  }
  return out.trim();
}

/** The trailing comment of an exported record ("" when it has none). */
function trailer(zone: Zone, r: ApiRecord): string {
  const json = fieldsOf(zone, r);
  const tags: string[] = [];
  if (json.proxiable) tags.push(`cf-proxied:${json.proxied}`);
  for (const [tag, setting] of SETTING_TAGS)
    if (json.settings[setting] === true) tags.push(`${tag}:true`);
  for (const t of json.tags) {
    const colon = t.indexOf(":");
    const value = t.slice(colon + 1);
    tags.push(value === "" ? t.slice(0, colon) : `${t.slice(0, colon)}:${tagValue(value)}`);
  }
  // A comment is one line; "cf_tags=" in it would be read as the tags unless tags follow.
  const comment = oneLine(json.comment ?? "");
  if (tags.length === 0 && comment === "") return "";
  const cf = tags.length > 0 || comment.includes("cf_tags=") ? `cf_tags=${tags.join(",")}` : "";
  return ` ; ${[comment, cf].filter((s) => s !== "").join(" ")}`;
}

const TYPE_ORDER: readonly number[] = [T.NS, T.A, T.AAAA, T.CNAME];

function typeRank(type: number): [number, string] {
  const i = TYPE_ORDER.indexOf(type);
  return [i < 0 ? TYPE_ORDER.length : i, typeToText(type)];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The file's opening: the `;;` header, `$ORIGIN` and the SOA as served. */
function exportHead(zone: Zone, now: Date): string[] {
  const origin = zone.origin;
  const lines: string[] = [
    ";;",
    `;; Domain:     ${origin}`,
    `;; Exported:   ${now.toISOString().slice(0, 19).replace("T", " ")}`,
    ";;",
    ";; Records as the API shows them: proxied records with their origin content,",
    ";; TTL 1 = automatic. Import this file through .../dns_records/import.",
    ";;",
    `$ORIGIN ${origin}`,
    "",
    ";; SOA Record",
  ];
  const soa = zone.apex.get(T.SOA);
  if (soa !== undefined)
    lines.push(
      `${origin}\t${soa.ttl}\tIN\tSOA\t${rdataToText(T.SOA, Buffer.from(soa.at(0), "latin1"))}`,
    );
  return lines;
}

/** The records of one type, sorted by name then RDATA text, each line with its trailer. */
function typeSection(zone: Zone, type: number, records: readonly ApiRecord[]): string[] {
  const label = typeToText(type);
  const rows: Array<[string, string]> = [];
  for (const r of records) {
    const auto = r.meta?.proxied === true || r.meta?.auto === true;
    const name = nameKey(r.name);
    const rdata = rdataToText(type, Buffer.from(r.rdata, "latin1"));
    rows.push([
      `${name}\t${rdata}`,
      `${name}\t${auto ? AUTO_TTL : r.ttl}\tIN\t${label}\t${rdata}${trailer(zone, r)}`,
    ]);
  }
  rows.sort((a, b) => cmp(a[0], b[0]));
  return ["", `;; ${label} Records`, ...rows.map(([, line]) => line)];
}

/** The zone's records as a BIND file in the shape of Cloudflare's export. */
export function exportRecords(zone: Zone, now: Date): string {
  const byType = new Map<number, ApiRecord[]>();
  for (const r of apiRecords(zone)) {
    const list = byType.get(r.type);
    if (list === undefined) byType.set(r.type, [r]);
    else list.push(r);
  }
  const types = [...byType.keys()].sort((a, b) => {
    const [ra, ta] = typeRank(a);
    const [rb, tb] = typeRank(b);
    return ra - rb || cmp(ta, tb);
  });
  const lines = exportHead(zone, now);
  // One push per line: a section may hold more lines than a call takes arguments.
  for (const type of types)
    for (const line of typeSection(zone, type, byType.get(type) ?? [])) lines.push(line);
  lines.push("");
  return lines.join("\n");
}
