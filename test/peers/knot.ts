/**
 * Run Knot DNS (`knotd`) as an authoritative peer on a loopback port. Zone files are loaded
 * whole, never written back, no journal and no DNSSEC signing; rundir and storage live in a
 * temp folder removed on stop().
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { findTool, type PeerServer, startPeer, type ZoneSpec } from "./tools.js";

export interface KnotOptions {
  zones: ZoneSpec[];
  port?: number;
  host?: string;
  /** Extra lines for the default template (YAML, 4-space indented). */
  extraTemplate?: string;
  startTimeoutMs?: number;
}

export function knotConfig(
  o: KnotOptions,
  dir: string,
  port: number,
  zoneFiles: { origin: string; path: string }[],
): string {
  const host = o.host ?? "127.0.0.1";
  const zones = zoneFiles.map((z) => `  - domain: "${z.origin}"\n    file: "${z.path}"`).join("\n");
  return `server:
    rundir: "${dir}"
    listen: ${host}@${port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
    identity: ""
    version: ""

database:
    storage: "${dir}"

log:
  - target: stderr
    any: info

template:
  - id: default
    storage: "${dir}"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
${o.extraTemplate ?? ""}

zone:
${zones}
`;
}

export async function startKnot(o: KnotOptions): Promise<PeerServer> {
  const knotd = findTool("knotd");
  if (!knotd) throw new Error("knotd not installed: apt-get install knot");
  return startPeer({
    ...o,
    name: "Knot",
    tool: knotd,
    tempPrefix: "dns-peer-knot-",
    configure: (dir, port, files) => {
      const conf = path.join(dir, "knot.conf");
      writeFileSync(conf, knotConfig(o, dir, port, files));
      return ["-c", conf];
    },
  });
}
