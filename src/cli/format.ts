/** Human-readable output of the command line. */

import { isAbsolute, relative } from "node:path";
import type { PrimaryServer, ZoneSummary } from "../primary.js";
import { formatHostPort } from "../transport/errors.js";
import { withoutTrailingDot } from "../wire/name.js";
import type { HostPort } from "./args.js";

/** A path as the user would type it: relative to the working folder when inside it. */
export function displayPath(path: string, cwd = process.cwd()): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(cwd, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** `A 5, AAAA 2, MX 2, SOA 1`: types in alphabetical order. */
export function formatCounts(counts: Record<string, number>): string {
  return Object.keys(counts)
    .sort()
    .map((type) => `${type} ${counts[type]}`)
    .join(", ");
}

/** The one summary `serve` prints when it has started. */
export function formatServeSummary(
  primary: Pick<PrimaryServer, "dns" | "zones"> &
    Partial<Pick<PrimaryServer, "transfers" | "api" | "faults" | "registrar">>,
  opts: { api: HostPort; zonesDir: string; config?: string },
): string {
  const { udp, tcp } = primary.dns;
  const where =
    udp.address === tcp.address && udp.port === tcp.port
      ? `${formatHostPort(udp.address, udp.port)} (udp, tcp)`
      : `${formatHostPort(udp.address, udp.port)} (udp), ${formatHostPort(tcp.address, tcp.port)} (tcp)`;
  const api = primary.api
    ? `http://${formatHostPort(primary.api.address, primary.api.port)}/client/v4`
    : "none";
  const lines = [`dns-primary listening on ${where}; api ${api}`];
  if (primary.api) {
    lines.push(`  dashboard: http://${formatHostPort(primary.api.address, primary.api.port)}/`);
  }
  if (primary.zones.length === 0) {
    lines.push(`  no zones: no *.zone files in ${displayPath(opts.zonesDir)}`);
  }
  lines.push(...formatZoneLines(primary.zones));
  if (opts.config !== undefined) {
    const outgoing = primary.transfers?.listOutgoing() ?? [];
    const enabled = outgoing.filter((o) => o.status === "Enabled").length;
    lines.push(
      `  transfers: ${opts.config}: ${plural(outgoing.length, "zone")} configured, ${enabled} enabled`,
    );
  }
  // The registrar: where the lab's resolvers start, and the key they trust (docs/registrar.md).
  if (primary.registrar) {
    const r = primary.registrar.get();
    const at = primary.registrar.dns.udp;
    lines.push(
      `  registrar: ${r.origin} at ${formatHostPort(at.address, at.port)} (udp, tcp), ${plural(r.domains.length, "domain")} delegated`,
      `  trust anchor: ${r.trust_anchor.ds}`,
    );
  }
  // A server that misbehaves on purpose says so (--fault, the config file's faults).
  const faults = primary.faults;
  for (const key of faults?.zones() ?? []) {
    for (const f of faults!.list(key)) {
      const words = Object.entries(f.params).map(([k, v]) => `${k}=${v}`);
      if (f.peer_id !== null) words.push(`peer_id=${f.peer_id}`);
      if (f.source !== null) words.push(`source=${f.source}`);
      if (f.times !== null) words.push(`times=${f.times}`);
      // In --fault's own form, defaults filled in.
      const text = [withoutTrailingDot(key), f.kind, ...(words.length ? [words.join(",")] : [])];
      lines.push(`  fault: ${text.join(":")}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function formatZoneLines(zones: ZoneSummary[]): string[] {
  const width = Math.max(0, ...zones.map((z) => z.origin.length));
  const serialWidth = Math.max(0, ...zones.map((z) => String(z.serial).length));
  const recordsWidth = Math.max(0, ...zones.map((z) => plural(z.records, "record").length));
  return zones.map((z) => {
    const file = z.file === undefined ? "" : `  (${displayPath(z.file)})`;
    return `  ${z.origin.padEnd(width)}  serial ${String(z.serial).padEnd(serialWidth)}  ${plural(
      z.records,
      "record",
    ).padEnd(recordsWidth)}${file}`.trimEnd();
  });
}

/** `check`'s line for a file that parsed. */
export function formatCheckLine(file: string, z: ZoneSummary): string {
  return `${file}: ${z.origin} serial ${z.serial}, ${plural(z.records, "record")} (${formatCounts(
    z.countsByType,
  )})`;
}
