/**
 * A zone's records as a BIND zone file (cloudflare.md §3–4):
 * `POST /zones/{zone_id}/dns_records/import` and `GET /zones/{zone_id}/dns_records/export`.
 *
 * Import: `multipart/form-data` with the field `file` (a file part, or a plain field as the
 * official SDK sends it) and the optional field `proxied` ("true"/"false"). Only this route
 * reads multipart (the plugin is registered in its own encapsulated context); its other media
 * types get 9207. Every record of the file goes through the checks of `POST .../dns_records`
 * (RecordPlan.create) and the whole file is ONE change: one new serial, all or nothing.
 * The answer is Cloudflare's `{ recs_added, total_records_parsed }`.
 *
 * Import decisions (where Cloudflare's public material is silent):
 * - the file is at most 256 KiB (cloudflare.md §4): larger → 413 (89101); no `file` → 400;
 *   at most MAX_IMPORT_RECORDS records, `$GENERATE` included;
 * - origin = the zone; `$ORIGIN`, `$TTL` and `$GENERATE` work as in a zone file; `$INCLUDE`
 *   is refused. A file that does not parse → 400 (1004) "line N: reason". A record the API
 *   would refuse (a name outside the zone, bad content, a CNAME beside other data...) → 400
 *   with the API's code and "line N: " before its message; nothing is imported;
 * - the apex SOA is Cloudflare's: it is left out, and not counted in total_records_parsed;
 * - a record whose name, type and content are already in the zone (or earlier in the file)
 *   is skipped: counted in total_records_parsed, not in recs_added (Cloudflare's behaviour);
 * - TTL: 1 means automatic (what Cloudflare's export writes); other TTLs below 30 become 30
 *   and TTLs above 86400 become 86400 (real zone files carry 0, 10 or 172800: refusing them
 *   would refuse ordinary files). Records without a TTL and without `$TTL` are automatic;
 * - proxied: a `cf-proxied:true|false` tag decides; without one, proxiable records (A, AAAA,
 *   CNAME) take the form's `proxied` (default false). The tag and the comment are read as
 *   when zones are loaded from files (load.ts metaOf); a comment longer than Cloudflare's
 *   100 characters is cut to 100;
 * - other cf_tags: `cf-flatten-cname`, `cf-ipv4-only`, `cf-ipv6-only` (value true) set those
 *   record settings (dns-primary's spelling); every other tag becomes the record tag
 *   "name:value" (a bare name is "name:"), as Cloudflare's export writes record tags.
 *
 * Cost: the file streams from the parser into the plan record by record; each record costs
 * the work of one POST (its name's records only), never a walk over the zone, and the commit
 * touches only the names imported.
 *
 * Export: `text/plain; charset=utf-8` (not the JSON envelope), in the shape of Cloudflare's
 * export: a `;;` header, `$ORIGIN`, the SOA as served, then the records the API shows
 * (records/plan.ts apiRecords) grouped by type (NS, A, AAAA, CNAME, then by type name), each
 * `name TTL IN TYPE rdata` with absolute names; automatic and proxied records have TTL 1 as
 * Cloudflare writes them. A trailing `; [comment ]cf_tags=...` carries `cf-proxied:true` or
 * `cf-proxied:false` on proxiable records, the settings and the record tags, so that the file
 * imports back to the same records.
 */

import multipart from "@fastify/multipart";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApiError, invalidField } from "../../cloudflare/errors.js";
import {
  AUTO_TTL,
  MAX_CLOUDFLARE_TTL,
  MAX_COMMENT,
  MIN_TTL,
  type RecordBody,
  recordJson,
} from "../../cloudflare/records/content.js";
import { commitPlan } from "../../cloudflare/records/operations.js";
import {
  type ApiRecord,
  apiRecords,
  fieldsOf,
  type RecordPlan,
} from "../../cloudflare/records/plan.js";
import { nameKey } from "../../wire/name.js";
import { rdataToText } from "../../wire/rdata.js";
import { T, typeToText } from "../../wire/types.js";
import { ZoneFileError } from "../../zone/errors.js";
import { metaOf } from "../../zone/load.js";
import { type ParsedRecord, parseMasterFile } from "../../zone/masterfile.js";
import type { Zone } from "../../zone/zone.js";
import type { ApiContext } from "../context.js";
import { ok } from "../envelope.js";
import { zoneFor } from "./zones.js";

/** Cloudflare's limit on an imported zone file (cloudflare.md §4). */
export const MAX_IMPORT_BYTES = 256 * 1024;
/** Records one import may hold, `$GENERATE` expansions included. */
export const MAX_IMPORT_RECORDS = 50_000;
/** At most this many form parts; parts other than `file` and `proxied` are read and ignored. */
const MAX_PARTS = 16;

const PROXIABLE = new Set<number>([T.A, T.AAAA, T.CNAME]);

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

const tooLarge = (): ApiError =>
  new ApiError(
    "BODY_TOO_LARGE",
    `The zone file is larger than ${MAX_IMPORT_BYTES} bytes (256 KiB), the most one import takes.`,
  );

const notMultipart = (): ApiError =>
  new ApiError("CONTENT_TYPE", "Content-type must be multipart/form-data.");

/** The form of an import request: the file's text and the default for `proxied`. */
async function readForm(req: FastifyRequest): Promise<{ text: string; proxied: boolean }> {
  if (!req.isMultipart()) throw notMultipart();
  let file: Buffer | undefined;
  let proxied: string | undefined;
  try {
    const parts = req.parts({
      limits: { fileSize: MAX_IMPORT_BYTES, fieldSize: MAX_IMPORT_BYTES, parts: MAX_PARTS },
    });
    for await (const part of parts) {
      if (part.type === "file") {
        // Read whole even when unused: the next part only comes after this one.
        const buf = await part.toBuffer();
        if (part.fieldname === "file") file ??= buf;
      } else if (part.fieldname === "file") {
        if (part.valueTruncated) throw tooLarge();
        file ??= Buffer.from(String(part.value), "utf8");
      } else if (part.fieldname === "proxied") {
        proxied = String(part.value);
      }
    }
  } catch (e) {
    throw formError(e);
  }
  if (file === undefined)
    throw invalidField("the form must have a field named file: the zone file");
  if (proxied !== undefined && proxied !== "true" && proxied !== "false")
    throw invalidField('proxied must be "true" or "false"');
  let text = file.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { text, proxied: proxied === "true" };
}

/** What a failure while reading the form becomes. */
function formError(e: unknown): unknown {
  if (e instanceof ApiError) return e;
  const code = (e as { code?: unknown })?.code;
  if (code === "FST_REQ_FILE_TOO_LARGE") return tooLarge();
  if (code === "FST_PARTS_LIMIT")
    return new ApiError("BAD_REQUEST", `The form has more than ${MAX_PARTS} parts.`);
  if (e instanceof Error) {
    // Busboy's and the plugin's findings on a malformed body (boundary, headers, framing).
    return new ApiError("BAD_REQUEST", `Malformed multipart/form-data body: ${e.message}`);
  }
  return e;
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

/** The zone as a BIND file in the shape of Cloudflare's export. */
export function exportZone(zone: Zone, now: Date): string {
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

  const byType = new Map<number, ApiRecord[]>();
  for (const r of apiRecords(zone)) {
    const list = byType.get(r.type);
    if (list === undefined) byType.set(r.type, [r]);
    else list.push(r);
  }
  const types = [...byType.keys()].sort((a, b) => {
    const [ra, ta] = typeRank(a);
    const [rb, tb] = typeRank(b);
    return ra - rb || (ta < tb ? -1 : ta > tb ? 1 : 0);
  });
  for (const type of types) {
    const label = typeToText(type);
    lines.push("", `;; ${label} Records`);
    const rows: Array<[string, string]> = [];
    for (const r of byType.get(type) ?? []) {
      const auto = r.meta?.proxied === true || r.meta?.auto === true;
      const name = nameKey(r.name);
      const rdata = rdataToText(type, Buffer.from(r.rdata, "latin1"));
      rows.push([
        `${name}\t${rdata}`,
        `${name}\t${auto ? AUTO_TTL : r.ttl}\tIN\t${label}\t${rdata}${trailer(zone, r)}`,
      ]);
    }
    rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [, line] of rows) lines.push(line);
  }
  lines.push("");
  return lines.join("\n");
}

/* ------------------------------------------------------------------------------------------ */
/* Routes                                                                                      */

export function dnsRecordFileRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const base = "/zones/:zone_id/dns_records";

  app.get(`${base}/export`, async (req, reply) => {
    const zone = zoneFor(ctx, req);
    return reply.type("text/plain; charset=utf-8").send(exportZone(zone, ctx.now()));
  });

  // Multipart in a context of its own: every other route keeps reading JSON only.
  app.register(async (form) => {
    form.removeAllContentTypeParsers();
    await form.register(multipart, { throwFileSizeLimit: true });
    form.addContentTypeParser("*", (_req, _payload, done) => done(notMultipart(), undefined));

    form.post(`${base}/import`, async (req) => {
      const zone = zoneFor(ctx, req);
      const { text, proxied } = await readForm(req);
      return ok(commitPlan(ctx, zone, (plan) => planImport(plan, text, proxied)));
    });
  });
}
