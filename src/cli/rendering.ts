/**
 * `dns-primary rendering ZONE`: ask a running dns-primary (its extension route
 * `/dns-primary/v1/zones/{id}/rendering`) what each configured record became and what a
 * secondary receives by AXFR, and print it as a table, then the transferred RRsets in
 * master-file form. `--json` prints the route's result instead (all pages merged).
 *
 * ZONE is a zone name (with or without the trailing dot) or a zone id. Every failure (server
 * not reachable, zone unknown, token refused) is one line on stderr and exit code 1.
 */

import { withoutTrailingDot } from "../wire/name.js";
import { ApiCallError, apiBase, apiGet, type Envelope } from "./api-client.js";
import type { RenderingCommand } from "./args.js";
import type { CliIO } from "./io.js";

/** What the route answers (routes/rendering.ts), as far as the table needs it. */
interface RenderingRecord {
  name: string;
  type: string;
  content: string;
  ttl: number;
  proxied: boolean;
  disposition: string;
  reason?: string;
  addresses?: string[];
  address_ttl?: number;
  withheld?: string;
  target?: string;
}

interface TransferredSet {
  name: string;
  type: string;
  ttl: number;
  rdata: string[];
}

interface Rendering {
  zone: {
    id: string;
    name: string;
    serial: number;
    multi_provider: boolean;
    flatten_all_cnames: boolean;
    ns_ttl: number;
    nameservers: string[];
    anycast: { ipv4: string[]; ipv6: string[] };
  };
  records: RenderingRecord[];
  transferred: TransferredSet[];
}

const EXT_PREFIX = "/dns-primary/v1";
const PER_PAGE = 1000;

function baseUrl(cmd: RenderingCommand): string {
  return `${apiBase(cmd.api)}${EXT_PREFIX}`;
}

/** GET a path of the extension and return its envelope; ApiCallError on any failure. */
async function get<T>(cmd: RenderingCommand, path: string): Promise<Envelope<T>> {
  try {
    return await apiGet<T>(cmd.api, `${EXT_PREFIX}${path}`, cmd.apiToken);
  } catch (err) {
    if (err instanceof ApiCallError && err.code === 7000) {
      throw new ApiCallError(
        `${baseUrl(cmd)}: this server has no rendering route; is it dns-primary?`,
      );
    }
    throw err;
  }
}

const ID_RE = /^[0-9a-f]{32}$/;

/** The zone id of ZONE: a name looked up in the zone list, or an id given as is. */
async function zoneId(cmd: RenderingCommand): Promise<string> {
  const wanted = withoutTrailingDot(cmd.zone).toLowerCase();
  const list = await get<Array<{ id: string; name: string }>>(
    cmd,
    `/zones?name=${encodeURIComponent(wanted)}`,
  );
  const found = list.result?.find((z) => z.name.toLowerCase() === wanted);
  if (found !== undefined) return found.id;
  if (ID_RE.test(cmd.zone)) return cmd.zone;
  throw new ApiCallError(`zone ${cmd.zone} is not served by dns-primary at ${baseUrl(cmd)}`);
}

/** The whole rendering (every page), restricted to --name when given. */
export async function fetchRendering(cmd: RenderingCommand): Promise<Rendering> {
  const id = await zoneId(cmd);
  const name = cmd.name === undefined ? "" : `&name=${encodeURIComponent(cmd.name)}`;
  let out: Rendering | undefined;
  for (let page = 1; ; page++) {
    let body: Envelope<Rendering>;
    try {
      body = await get<Rendering>(
        cmd,
        `/zones/${id}/rendering?per_page=${PER_PAGE}&page=${page}${name}`,
      );
    } catch (err) {
      if (err instanceof ApiCallError && err.code === 7003) {
        throw new ApiCallError(`zone ${cmd.zone} is not served by dns-primary at ${baseUrl(cmd)}`);
      }
      throw err;
    }
    const r = body.result as Rendering;
    if (out === undefined) out = r;
    else {
      out.records.push(...r.records);
      out.transferred.push(...r.transferred);
    }
    if (page >= (body.result_info?.total_pages ?? 1)) return out;
  }
}

/** The disposition column: what happened and why, with the addresses served instead. */
function fate(r: RenderingRecord): string {
  let s = r.disposition;
  if (r.withheld !== undefined) s += ` (${r.withheld})`;
  if (r.addresses !== undefined && r.addresses.length > 0) {
    s += ` -> ${r.addresses.join(" ")}`;
    if (r.address_ttl !== undefined) s += ` ttl ${r.address_ttl}`;
  }
  if (r.reason !== undefined) s += `: ${r.reason}`;
  return s;
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (i < row.length - 1) widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]) : cell))
      .join("  ")
      .trimEnd(),
  );
}

function absolute(name: string): string {
  return name.endsWith(".") ? name : `${name}.`;
}

/** The readable report: the zone's settings, one line per record, then the AXFR content. */
export function formatRendering(r: Rendering): string {
  const z = r.zone;
  const onOff = (b: boolean) => (b ? "on" : "off");
  const lines = [
    `zone ${z.name} (id ${z.id}), serial ${z.serial}`,
    `  multi_provider ${onOff(z.multi_provider)}, flatten_all_cnames ${onOff(
      z.flatten_all_cnames,
    )}, ns_ttl ${z.ns_ttl}`,
    `  nameservers ${z.nameservers.join(" ")}`,
    `  anycast ${[...z.anycast.ipv4, ...z.anycast.ipv6].join(" ")}`,
    "",
    `configured records (${r.records.length}):`,
  ];
  if (r.records.length === 0) lines.push("  (none)");
  else {
    const rows = [["NAME", "TYPE", "CONTENT", "TTL", "PROXIED", "DISPOSITION"]];
    for (const rec of r.records) {
      rows.push([
        rec.name,
        rec.type,
        rec.content,
        rec.ttl === 1 ? "auto" : String(rec.ttl),
        rec.proxied ? "yes" : "no",
        fate(rec),
      ]);
    }
    lines.push(...table(rows).map((l) => `  ${l}`));
  }
  lines.push("", `transferred by AXFR (${r.transferred.length} RRsets):`);
  if (r.transferred.length === 0) lines.push("  (none)");
  else {
    const rows: string[][] = [];
    for (const s of r.transferred) {
      for (const rd of s.rdata) rows.push([absolute(s.name), String(s.ttl), "IN", s.type, rd]);
    }
    lines.push(...table(rows));
  }
  return `${lines.join("\n")}\n`;
}

/** Exit code 0, or 1 with one line on stderr. */
export async function rendering(cmd: RenderingCommand, io: CliIO): Promise<number> {
  try {
    const r = await fetchRendering(cmd);
    io.stdout(cmd.json ? `${JSON.stringify(r, null, 2)}\n` : formatRendering(r));
    return 0;
  } catch (err) {
    if (!(err instanceof ApiCallError)) throw err;
    io.stderr(`dns-primary: ${err.message}\n`);
    return 1;
  }
}
