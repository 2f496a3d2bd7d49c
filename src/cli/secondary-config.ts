/**
 * `dns-primary secondary-config --for bind|knot|nsd|powerdns --zone NAME [--peer NAME]`:
 * a ready configuration snippet for a secondary of one zone: the TSIG key in the
 * secondary's syntax, the zone as a secondary of dns-primary's address and port, its SOA
 * queries and transfers sent from the peer's ip, and NOTIFY accepted from the address
 * dns-primary notifies from. With `--standalone DIR`, a complete configuration in DIR around
 * that same snippet, which starts with one command as any user on a loopback port.
 *
 * The facts come from a running dns-primary (`--api`: its zone-transfer objects and its own
 * addresses, from `/dns-primary/v1/server`) or from a config file (`--config`, with `--dns`
 * and `--notify-source` saying where the server listens). The text itself, snippet and
 * standalone files, is secondaries/config.ts's, shared with the dashboard's route; here: the
 * options, the facts, writing the files, pdnsutil and what is printed.
 */

import { execFileSync } from "node:child_process";
import { accessSync, constants, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import { networkInterfaces } from "node:os";
import path from "node:path";
import type { TransferSettings } from "../cloudflare/transfer/settings.js";
import { loadConfig } from "../config/load.js";
import {
  type PeerFacts,
  type SecondaryFacts,
  SecondaryFactsError,
  type SecondaryKind,
  secondaryConfig,
  secondaryFacts,
  shellLine,
  standaloneFiles,
} from "../secondaries/config.js";
import { DEFAULT_DNS_HOST, DEFAULT_DNS_PORT } from "../transport/listen.js";
import { canonicalName, withoutTrailingDot } from "../wire/name.js";
import { ApiCallError, apiGet } from "./api-client.js";
import { type HostPort, type SecondaryConfigCommand, STANDALONE_PORT } from "./args.js";
import type { CliIO } from "./io.js";

/** The facts, and the peer they are for (its ip and port: where NOTIFY goes). */
interface Resolved {
  facts: SecondaryFacts;
  peer?: PeerFacts;
}

/** The facts from a config file: its peers and TSIGs; the addresses from the flags. */
function factsFromSettings(
  settings: TransferSettings,
  zone: string,
  peerName: string | undefined,
  primary: HostPort,
  notifyFrom: string,
): Resolved {
  const cfg = settings.outgoing(zone);
  if (cfg === undefined)
    throw new CommandError(`zone ${withoutTrailingDot(zone)} has no outgoing transfers configured`);
  const peers = cfg.peers.map((id) => settings.getPeer(id));
  const peer = pickPeer(peers, peerName, zone);
  const tsig = peer?.tsig_id === undefined ? undefined : settings.getTsig(peer.tsig_id);
  return {
    facts: secondaryFacts({
      zone,
      primary,
      notifyFrom,
      ...(peer ? { peer } : {}),
      ...(tsig ? { tsig } : {}),
    }),
    ...(peer ? { peer } : {}),
  };
}

function pickPeer<P extends { name: string }>(
  peers: P[],
  name: string | undefined,
  zone: string,
): P | undefined {
  if (name !== undefined) {
    const p = peers.find((x) => x.name === name);
    if (p === undefined)
      throw new CommandError(
        `no peer named "${name}" is linked to ${withoutTrailingDot(zone)} (linked: ${peers.map((x) => x.name).join(", ") || "none"})`,
      );
    return p;
  }
  if (peers.length > 1)
    throw new CommandError(
      `${withoutTrailingDot(zone)} has ${peers.length} linked peers; say which with --peer (${peers.map((x) => x.name).join(", ")})`,
    );
  return peers[0];
}

/** A failure the user can act on: one line, exit code 1. */
export class CommandError extends Error {
  override name = "CommandError";
}

/** The facts from a running dns-primary's API. */
async function factsFromApi(cmd: SecondaryConfigCommand, zone: string): Promise<Resolved> {
  const get = async <T>(path: string): Promise<T> =>
    (await apiGet<T>(cmd.api, path, cmd.apiToken)).result as T;
  const server = await get<{ dns: HostPort; notify_source: { host: string } | null }>(
    "/dns-primary/v1/server",
  );
  const zones = await get<Array<{ id: string; name: string }>>(
    `/client/v4/zones?name=${encodeURIComponent(withoutTrailingDot(zone))}`,
  );
  if (zones.length === 0)
    throw new CommandError(`zone ${withoutTrailingDot(zone)} is not served there`);
  const out = await get<{ peers: string[] }>(
    `/client/v4/zones/${zones[0].id}/secondary_dns/outgoing`,
  ).catch((err: Error) => {
    throw new CommandError(
      `zone ${withoutTrailingDot(zone)} has no outgoing transfers configured (${err.message})`,
    );
  });
  const accounts = await get<Array<{ id: string }>>("/client/v4/accounts");
  const account = accounts[0].id;
  const peers = await Promise.all(
    out.peers.map((id) =>
      get<{ name: string; ip?: string | null; port: number; tsig_id?: string }>(
        `/client/v4/accounts/${account}/secondary_dns/peers/${id}`,
      ),
    ),
  );
  const found = pickPeer(peers, cmd.peer, zone);
  const peer: PeerFacts | undefined = found && {
    name: found.name,
    port: found.port,
    ...(typeof found.ip === "string" ? { ip: found.ip } : {}),
  };
  const tsig =
    found?.tsig_id === undefined
      ? undefined
      : await get<{ name: string; algo: string; secret: string }>(
          `/client/v4/accounts/${account}/secondary_dns/tsigs/${found.tsig_id}`,
        );
  return {
    facts: secondaryFacts({
      zone,
      primary: server.dns,
      notifyFrom: server.notify_source?.host ?? server.dns.host,
      ...(peer ? { peer } : {}),
      ...(tsig ? { tsig } : {}),
    }),
    ...(peer ? { peer } : {}),
  };
}

// ---- --standalone DIR: a complete configuration around the snippet ----

/**
 * The addresses of this machine's interfaces. BIND listens only on those (it scans the
 * interfaces and binds each address that listen-on matches), while Linux routes all of
 * 127.0.0.0/8 to lo with only 127.0.0.1 configured: `listen-on { 127.0.0.2; }` starts a BIND
 * that answers nowhere. Sending from 127.0.0.2 (transfer-source) works all the same.
 */
function interfaceAddresses(): Set<string> {
  return new Set(
    Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address)),
  );
}

/** Whether this kind of server can listen on `host` here (see interfaceAddresses). */
function canListen(kind: SecondaryKind, host: string): boolean {
  return kind !== "bind" || interfaceAddresses().has(host);
}

/**
 * `--listen`'s default: the peer's ip (where dns-primary sends NOTIFY, and the address the
 * secondary sends from) and its port, or 5301 when that port needs root. A peer without an
 * ip, or (BIND) an ip that is not an interface's: the loopback address of the primary's
 * family.
 */
export function defaultListen(kind: SecondaryKind, primary: HostPort, peer?: PeerFacts): HostPort {
  const loopback = isIPv6(primary.host) ? "::1" : "127.0.0.1";
  const host = peer?.ip !== undefined && canListen(kind, peer.ip) ? peer.ip : loopback;
  return { host, port: peer !== undefined && peer.port >= 1024 ? peer.port : STANDALONE_PORT };
}

/** What `writeStandalone` did and how to run it. */
export interface Standalone {
  kind: SecondaryKind;
  /** The folder, absolute. */
  dir: string;
  /** The configuration files written, inside `dir`. */
  files: string[];
  listen: HostPort;
  /** The command that starts the server in the foreground, as argv. */
  start: string[];
  /** A dig asking the secondary for the zone's SOA, as argv. */
  check: string[];
}

/**
 * The server's path, so that the printed command works for a user whose PATH lacks the
 * sbin folders (Debian's default for users other than root); else its bare name.
 */
function toolPath(name: string): string {
  const dirs = [
    ...(process.env.PATH ?? "").split(path.delimiter),
    "/usr/local/sbin",
    "/usr/sbin",
    "/sbin",
  ];
  for (const d of dirs) {
    if (!d) continue;
    try {
      accessSync(path.join(d, name), constants.X_OK);
      return path.join(d, name);
    } catch {
      // not there
    }
  }
  return name;
}

/** Run pdnsutil against DIR's configuration; its own message on failure. */
function pdnsutil(dir: string, args: readonly string[]): void {
  const bin = toolPath("pdnsutil");
  try {
    execFileSync(bin, [`--config-dir=${dir}`, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 30_000,
    });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer; stdout?: Buffer; message: string };
    if (e.code === "ENOENT")
      throw new CommandError(
        "a PowerDNS configuration with a TSIG needs pdnsutil (Debian: apt-get install pdns-server pdns-backend-bind): the bind backend keeps the key in a SQLite file that pdnsutil creates",
      );
    const said = `${e.stdout ?? ""}${e.stderr ?? ""}`.trim().split("\n").slice(-2).join(" | ");
    throw new CommandError(`pdnsutil ${args.join(" ")}: ${said || e.message}`);
  }
}

/**
 * Write the standalone configuration for one secondary (secondaries/config.ts writes its
 * text) into `dir`, created if missing; the files named there are replaced. PowerDNS with a
 * TSIG: its key database is created and filled by pdnsutil.
 */
export function writeStandalone(
  kind: SecondaryKind,
  f: SecondaryFacts,
  dirGiven: string,
  listen: HostPort,
): Standalone {
  const dir = path.resolve(dirGiven);
  // Every configuration syntax here quotes paths in double quotes; pdns.conf takes `#` as a
  // comment.
  if (/["\\#]/.test(dir) || [...dir].some((c) => c.charCodeAt(0) < 0x20))
    throw new CommandError(
      `--standalone: "${dir}" has a character (quote, backslash, #, control) the configuration files cannot hold`,
    );
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new CommandError(`--standalone: cannot create ${dir}: ${(err as Error).message}`);
  }
  const config = standaloneFiles(kind, f, dir, listen);
  const files: string[] = [];
  for (const { name, text } of config.files) {
    try {
      writeFileSync(path.join(dir, name), text);
    } catch (err) {
      throw new CommandError(
        `--standalone: cannot write ${path.join(dir, name)}: ${(err as Error).message}`,
      );
    }
    files.push(name);
  }
  if (config.keyDb !== undefined) {
    const [create, ...fill] = config.keyDb.pdnsutil;
    rmSync(path.join(dir, config.keyDb.name), { force: true });
    pdnsutil(dir, create);
    files.push(config.keyDb.name);
    for (const args of fill) pdnsutil(dir, args);
  }
  const start = [toolPath(config.server.program), ...config.server.args];
  return { kind, dir, files, listen, start, check: config.check };
}

/** What is in DIR besides the configuration, per kind. */
const INSIDE: Record<SecondaryKind, string> = {
  bind: "the zone file, its journal, the pid, lock and session-key files; no rndc channel",
  knot: "the zone file, journal and timer databases, the pid file and the control socket",
  nsd: "the zone file, zone list, xfrd state and pid file; no nsd-control; the invoking user kept",
  powerdns:
    "the bind backend's named.conf and key database, the zone file and the control socket; the invoking user kept",
};

/** The lines `--standalone` prints: what was written, the start command, the dig. */
export function standaloneText(s: Standalone, f: SecondaryFacts, peer?: PeerFacts): string {
  const lines = [
    `# ${s.files.map((n) => path.join(s.dir, n)).join(", ")}: ${withoutTrailingDot(f.zone)} as a secondary of dns-primary ${f.primary.host} port ${f.primary.port}${f.peerName ? `, peer "${f.peerName}"` : ""}.`,
    `# Also in ${s.dir}: ${INSIDE[s.kind]}.`,
    `# It listens on ${s.listen.host} port ${s.listen.port}${f.source ? `, and sends its SOA queries and transfers from ${f.source}` : ""}.`,
  ];
  if (!canListen(s.kind, s.listen.host))
    lines.push(
      `# BIND listens only on the addresses of this machine's interfaces, and ${s.listen.host} is not one: it will answer nowhere. Add it (as root: ip addr add ${s.listen.host}/${isIPv6(s.listen.host) ? 128 : 8} dev lo), or --listen on one.`,
    );
  if (peer === undefined || peer.ip === undefined)
    lines.push(
      "# The peer has no ip: dns-primary accepts its transfers only from inside an ACL's range, and sends it no NOTIFY.",
    );
  else if (peer.ip !== s.listen.host || peer.port !== s.listen.port) {
    const bindCannot =
      peer.ip !== s.listen.host && !canListen(s.kind, peer.ip)
        ? ` BIND cannot listen on ${peer.ip}, which is not an interface's address here (as root, ip addr add ${peer.ip}/${isIPv6(peer.ip) ? 128 : 8} dev lo makes it one; then write this again).`
        : "";
    lines.push(
      `# dns-primary sends NOTIFY to the peer's ip and port, ${peer.ip} port ${peer.port}, where this server does not listen: it follows the zone's refresh timer instead.${bindCannot} Or set the peer's ${peer.ip !== s.listen.host ? `ip to ${s.listen.host} and ` : ""}port to ${s.listen.port}.`,
    );
  }
  lines.push(
    "# Start it in the foreground (Ctrl-C stops it):",
    shellLine(s.start),
    "# Check that it serves the zone:",
    shellLine(s.check),
    "",
  );
  return lines.join("\n");
}

export async function secondaryConfigCommand(
  cmd: SecondaryConfigCommand,
  io: CliIO,
): Promise<number> {
  const zone = canonicalName(cmd.zone.endsWith(".") ? cmd.zone : `${cmd.zone}.`);
  try {
    let resolved: Resolved;
    if (cmd.config !== undefined) {
      const primary = cmd.dns ?? { host: DEFAULT_DNS_HOST, port: DEFAULT_DNS_PORT };
      resolved = factsFromSettings(
        loadConfig(cmd.config).settings,
        zone,
        cmd.peer,
        primary,
        cmd.notifySource?.host ?? primary.host,
      );
    } else {
      resolved = await factsFromApi(cmd, zone);
    }
    const { facts, peer } = resolved;
    if (cmd.standalone === undefined) {
      io.stdout(secondaryConfig(cmd.for, facts));
      return 0;
    }
    const listen = cmd.listen ?? defaultListen(cmd.for, facts.primary, peer);
    io.stdout(standaloneText(writeStandalone(cmd.for, facts, cmd.standalone, listen), facts, peer));
    return 0;
  } catch (err) {
    if (
      err instanceof CommandError ||
      err instanceof SecondaryFactsError ||
      err instanceof ApiCallError
    ) {
      io.stderr(`dns-primary: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
