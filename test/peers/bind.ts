/**
 * Run BIND 9 (`named`) as an authoritative-only peer on a loopback port with zones from
 * files or inline text. Everything lives in a temp folder that is removed on stop().
 *
 * Settings, and why:
 * - `recursion no`, `dnssec-validation no`, `notify no`, `controls { }` (no rndc listener),
 *   `listen-on-v6 { none; }`: a plain authoritative server that touches nothing but its port.
 * - `minimal-responses no-auth`: no NS RRset in the authority section of positive answers
 *   (RFC 2181 §6.1 leaves it optional; Knot and Cloudflare omit it), while additional-section
 *   processing (glue, addresses of NS/MX/SRV targets) is kept. BIND 9.18's own default,
 *   `no-auth-recursive`, only omits it when RD is set, and these tests send RD=0.
 * - `minimal-any no` (BIND's default): ANY gets every RRset at the name over UDP and TCP.
 *   dns-primary may answer ANY minimally (RFC 8482); the differential test lists that.
 * - `check-names primary ignore`: load owner names that are not hostnames (`dot\.label A`),
 *   as any zone server that is not policing hostname syntax does.
 * - `version none; hostname none; server-id none;`: no CHAOS identity answers that a plain
 *   zone server would not give.
 * - named runs in the foreground (`-g`, logging to stderr) with one worker (`-n 1`); as root
 *   it needs no `-u` (it keeps the invoking user), it only warns.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { findTool, type PeerServer, startPeer, type ZoneSpec } from "./tools.js";

export interface BindOptions {
  zones: ZoneSpec[];
  /** 0 or absent: pick a free port. */
  port?: number;
  host?: string;
  /** Value of `minimal-responses` (default `no-auth`). */
  minimalResponses?: "yes" | "no" | "no-auth" | "no-auth-recursive";
  minimalAny?: boolean;
  /** Extra statements for the options block. */
  extraOptions?: string;
  /** Extra statements inside every zone block (e.g. `allow-transfer { any; };`). */
  extraZone?: string;
  startTimeoutMs?: number;
}

export function bindConfig(
  o: BindOptions,
  dir: string,
  port: number,
  zoneFiles: { origin: string; path: string }[],
): string {
  const host = o.host ?? "127.0.0.1";
  const listen = host.includes(":")
    ? `listen-on { none; };\n  listen-on-v6 port ${port} { ${host}; };`
    : `listen-on port ${port} { ${host}; };\n  listen-on-v6 { none; };`;
  const zones = zoneFiles
    .map(
      (z) =>
        `zone "${z.origin}" {\n  type primary;\n  file "${z.path}";\n  ${o.extraZone ?? "allow-transfer { none; };"}\n};`,
    )
    .join("\n");
  return `options {
  directory "${dir}";
  pid-file "${path.join(dir, "named.pid")}";
  session-keyfile "${path.join(dir, "session.key")}";
  managed-keys-directory "${dir}";
  ${listen}
  recursion no;
  notify no;
  dnssec-validation no;
  minimal-responses ${o.minimalResponses ?? "no-auth"};
  minimal-any ${o.minimalAny ? "yes" : "no"};
  check-names primary ignore;
  version none;
  hostname none;
  server-id none;
  ${o.extraOptions ?? ""}
};
controls { };
${zones}
`;
}

export async function startBind(o: BindOptions): Promise<PeerServer> {
  const named = findTool("named");
  if (!named) throw new Error("named not installed: apt-get install bind9");
  return startPeer({
    ...o,
    name: "BIND",
    tool: named,
    tempPrefix: "dns-peer-bind-",
    configure: (dir, port, files) => {
      const conf = path.join(dir, "named.conf");
      writeFileSync(conf, bindConfig(o, dir, port, files));
      return ["-g", "-n", "1", "-c", conf];
    },
  });
}
