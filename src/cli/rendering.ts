/**
 * `dns-primary rendering ZONE`: ask a running dns-primary (its extension route
 * `/dns-primary/v1/zones/{id}/rendering`) what each configured record became and what a
 * secondary receives by AXFR, and print it as a table, then the transferred RRsets in
 * master-file form. `--json` prints the route's result instead (all pages merged).
 *
 * ZONE is a zone name (with or without the trailing dot) or a zone id. Every failure (server
 * not reachable, zone unknown, token refused) is one line on stderr and exit code 1.
 */

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

interface Envelope<T> {
  success: boolean;
  errors: Array<{ code: number; message: string }>;
  result: T | null;
  result_info?: { page: number; total_pages: number };
}

/** A failure to report in one line (exit code 1). */
export class RenderingError extends Error {
  override name = "RenderingError";
}

const EXT_PREFIX = "/dns-primary/v1";
const PER_PAGE = 1000;
const TIMEOUT_MS = 15_000;

function baseUrl(cmd: RenderingCommand): string {
  const host = cmd.api.host.includes(":") ? `[${cmd.api.host}]` : cmd.api.host;
  return `http://${host}:${cmd.api.port}${EXT_PREFIX}`;
}

/** GET a path of the extension and return its envelope; RenderingError on any failure. */
async function get<T>(cmd: RenderingCommand, path: string): Promise<Envelope<T>> {
  const base = baseUrl(cmd);
  const headers: Record<string, string> = { accept: "application/json" };
  if (cmd.apiToken !== undefined) headers.authorization = `Bearer ${cmd.apiToken}`;
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why =
      (err as Error).name === "TimeoutError"
        ? `no answer within ${TIMEOUT_MS / 1000} s`
        : (cause?.code ?? cause?.message ?? (err as Error).message);
    throw new RenderingError(`cannot reach dns-primary at ${base} (${why}); is it serving --api?`);
  }
  let body: Envelope<T>;
  try {
    body = (await res.json()) as Envelope<T>;
  } catch {
    throw new RenderingError(`${base}${path}: HTTP ${res.status}, not a dns-primary JSON answer`);
  }
  if (res.status === 403) {
    throw new RenderingError(
      `${base}: the API token was refused (HTTP 403${codeOf(body)}); give --api-token or DNS_PRIMARY_API_TOKEN`,
    );
  }
  if (!res.ok || body.success !== true || body.result === null) {
    const e = body.errors?.[0];
    if (e?.code === 7000) {
      throw new RenderingError(
        `${base}: this server has no rendering route (HTTP ${res.status}); is it dns-primary?`,
      );
    }
    throw new RenderingError(
      `${base}${path}: HTTP ${res.status}${e ? `: ${e.message} (code ${e.code})` : ""}`,
    );
  }
  return body;
}

function codeOf(body: Envelope<unknown>): string {
  const e = body.errors?.[0];
  return e ? `, code ${e.code}` : "";
}

const ID_RE = /^[0-9a-f]{32}$/;

/** The zone id of ZONE: a name looked up in the zone list, or an id given as is. */
async function zoneId(cmd: RenderingCommand): Promise<string> {
  const wanted = cmd.zone.replace(/\.$/, "").toLowerCase();
  const list = await get<Array<{ id: string; name: string }>>(
    cmd,
    `/zones?name=${encodeURIComponent(wanted)}`,
  );
  const found = list.result?.find((z) => z.name.toLowerCase() === wanted);
  if (found !== undefined) return found.id;
  if (ID_RE.test(cmd.zone)) return cmd.zone;
  throw new RenderingError(`zone ${cmd.zone} is not served by dns-primary at ${baseUrl(cmd)}`);
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
      if (err instanceof RenderingError && / \(code 7003\)$/.test(err.message)) {
        throw new RenderingError(
          `zone ${cmd.zone} is not served by dns-primary at ${baseUrl(cmd)}`,
        );
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
    if (!(err instanceof RenderingError)) throw err;
    io.stderr(`dns-primary: ${err.message}\n`);
    return 1;
  }
}
