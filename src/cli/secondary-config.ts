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
 * and `--notify-source` saying where the server listens). The interop tests run BIND, Knot,
 * NSD and PowerDNS from these configurations, so what is printed is what was proven to work.
 */

import { execFileSync } from "node:child_process";
import { accessSync, constants, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import { networkInterfaces } from "node:os";
import path from "node:path";
import { loadConfig } from "../config/load.js";
import type { TransferSettings } from "../transfer/settings.js";
import { DEFAULT_DNS_HOST, DEFAULT_DNS_PORT } from "../transport/listen.js";
import { canonicalName, withoutTrailingDot } from "../wire/name.js";
import { ApiCallError, apiGet } from "./api-client.js";
import { type HostPort, type SecondaryConfigCommand, STANDALONE_PORT } from "./args.js";
import type { CliIO } from "./io.js";

export const SECONDARY_KINDS = ["bind", "knot", "nsd", "powerdns"] as const;
export type SecondaryKind = (typeof SECONDARY_KINDS)[number];

export interface SecondaryFacts {
  /** The zone, absolute ("example.com."). */
  zone: string;
  /** Where the secondary asks for the SOA and transfers. */
  primary: HostPort;
  /** The address (or addresses) NOTIFY comes from. */
  notifyFrom: string | readonly string[];
  /** The TSIG the zone's peers share, when they use one. */
  key?: { name: string; algorithm: string; secret: string };
  /** The peer this snippet is for, for the comment line. */
  peerName?: string;
  /**
   * The peer's ip: the secondary sends its SOA queries and transfers from it. dns-primary
   * knows a secondary by the source address of its requests (a transfer is allowed from a
   * linked peer's ip, cloudflare.md §2), so a secondary that sends from the machine's default
   * address (127.0.0.1 for every secondary on one machine) is counted as another peer, or
   * refused. Same address family as `primary.host` (see `secondaryFacts`).
   */
  source?: string;
}

/** A peer as the facts need it: the API's and the settings' peer objects both fit. */
export interface PeerFacts {
  name: string;
  ip?: string;
  port: number;
}

/**
 * The facts for a zone and one of its peers, checked: a secondary can send only from an
 * address of the family it reaches the primary with, so a peer ip of the other family is
 * refused here with the reason rather than written into a configuration that cannot work.
 */
export function secondaryFacts(o: {
  zone: string;
  primary: HostPort;
  notifyFrom: string;
  peer?: PeerFacts;
  tsig?: { name: string; algo: string; secret: string };
}): SecondaryFacts {
  const ip = o.peer?.ip;
  if (ip !== undefined && isIPv6(ip) !== isIPv6(o.primary.host)) {
    const family = (a: string) => (isIPv6(a) ? "IPv6" : "IPv4");
    throw new CommandError(
      `peer "${o.peer?.name}" has ip ${ip} (${family(ip)}) but dns-primary answers DNS at ${o.primary.host} (${family(o.primary.host)}): a secondary cannot send its transfers from ${ip} to it; give the peer an ${family(o.primary.host)} ip or serve DNS on ${family(ip)}`,
    );
  }
  return {
    zone: o.zone,
    primary: o.primary,
    notifyFrom: o.notifyFrom,
    ...(o.tsig
      ? { key: { name: o.tsig.name, algorithm: o.tsig.algo, secret: o.tsig.secret } }
      : {}),
    ...(o.peer ? { peerName: o.peer.name } : {}),
    ...(ip !== undefined ? { source: ip } : {}),
  };
}

/** "hmac-sha256." or "hmac-md5.sig-alg.reg.int." → the short name every secondary takes. */
export function algorithmName(algo: string): string {
  const a = withoutTrailingDot(algo.toLowerCase());
  return a === "hmac-md5.sig-alg.reg.int" ? "hmac-md5" : a;
}

/** `127.0.0.1:5300`, `[::1]:5300`: how PowerDNS takes an address with a port. */
function hostPortText({ host, port }: HostPort): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** The facts as every kind writes them. */
function prepare(f: SecondaryFacts) {
  const key = f.key ? { ...f.key, algorithm: algorithmName(f.key.algorithm) } : undefined;
  const from = typeof f.notifyFrom === "string" ? [f.notifyFrom] : [...f.notifyFrom];
  const { host, port } = f.primary;
  const who = `dns-primary ${host} port ${port}${f.peerName ? `, peer "${f.peerName}"` : ""}${f.source ? ` (from ${f.source})` : ""}`;
  return { zone: withoutTrailingDot(f.zone), key, from, host, port, who, source: f.source };
}

/**
 * PowerDNS in parts: the pdns.conf settings and the pdnsutil commands (as argv). The snippet
 * prints them; `--standalone` writes the settings into its pdns.conf and runs the TSIG
 * commands against it (the bind backend it uses keeps keys and metadata in a SQLite file that
 * only pdnsutil creates).
 */
function powerdnsParts(f: SecondaryFacts) {
  const { zone, key, from, host, source } = prepare(f);
  // PowerDNS takes NOTIFY only from a zone's primaries, or from a trusted-notification-proxy
  // (pdns/packethandler.cc, processNotify); dns-primary may notify from another address, as
  // Cloudflare does.
  const proxies = from.filter((a) => a !== host);
  return {
    settings: [
      "secondary=yes",
      `allow-notify-from=${from.join(",")}`,
      ...(proxies.length > 0 ? [`trusted-notification-proxy=${proxies.join(",")}`] : []),
      // Server-wide: every zone's SOA queries and transfers leave from this address.
      ...(source !== undefined ? [`query-local-address=${source}`] : []),
    ],
    zone: ["pdnsutil", "create-secondary-zone", zone, hostPortText(f.primary)],
    tsig: key
      ? [
          ["pdnsutil", "import-tsig-key", key.name, key.algorithm, key.secret],
          ["pdnsutil", "set-meta", zone, "AXFR-MASTER-TSIG", key.name],
        ]
      : [],
    ixfr: ["pdnsutil", "set-meta", zone, "IXFR", "1"],
  };
}

/** An argv as a shell line: words quoted only when they need it. */
export function shellLine(argv: readonly string[]): string {
  return argv
    .map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`))
    .join(" ");
}

/** The snippet for one kind of secondary. */
export function secondaryConfig(kind: SecondaryKind, f: SecondaryFacts): string {
  const { zone, key, from, host, port, who, source } = prepare(f);
  switch (kind) {
    case "bind":
      return [
        `# BIND 9 (named.conf): ${zone} as a secondary of ${who}`,
        ...(key
          ? [
              `key "${key.name}" {`,
              `    algorithm ${key.algorithm};`,
              `    secret "${key.secret}";`,
              "};",
            ]
          : []),
        `zone "${zone}" {`,
        "    type secondary;",
        `    primaries { ${host} port ${port}${key ? ` key "${key.name}"` : ""}; };`,
        // The source of the transfers and of the SOA queries before them (BIND 9.18 ARM,
        // transfer-source: "also determines the source IPv4 address ... used for the
        // refresh queries").
        ...(source !== undefined
          ? [`    transfer-source${isIPv6(source) ? "-v6" : ""} ${source};`]
          : []),
        // BIND accepts NOTIFY from its primaries' addresses; the NOTIFY source may differ.
        `    allow-notify { ${from.map((a) => `${a};`).join(" ")} };`,
        `    file "${zone}.db";`,
        "};",
        "",
      ].join("\n");
    case "knot":
      return [
        `# Knot DNS (knot.conf): ${zone} as a secondary of ${who}`,
        ...(key
          ? [
              "key:",
              `  - id: ${key.name}`,
              `    algorithm: ${key.algorithm}`,
              `    secret: ${key.secret}`,
            ]
          : []),
        "remote:",
        "  - id: dns-primary",
        `    address: ${host}@${port}`,
        // `via`: the local address of everything Knot sends to this remote (SOA queries,
        // transfers).
        ...(source !== undefined ? [`    via: ${source}`] : []),
        ...(key ? [`    key: ${key.name}`] : []),
        "acl:",
        "  - id: dns-primary-notify",
        `    address: ${from.length === 1 ? from[0] : `[${from.join(", ")}]`}`,
        ...(key ? [`    key: ${key.name}`] : []),
        "    action: notify",
        "zone:",
        `  - domain: ${zone}`,
        // `master` is the spelling Knot 3.0–3.2 know (Debian bookworm ships 3.2); later
        // versions also take `primary`.
        "    master: dns-primary",
        "    acl: dns-primary-notify",
        "",
      ].join("\n");
    case "nsd":
      return [
        `# NSD (nsd.conf): ${zone} as a secondary of ${who}`,
        ...(key
          ? [
              "key:",
              `    name: "${key.name}"`,
              `    algorithm: ${key.algorithm}`,
              `    secret: "${key.secret}"`,
            ]
          : []),
        "zone:",
        `    name: "${zone}"`,
        // Relative to the server's zonesdir.
        `    zonefile: "${zone}.zone"`,
        `    request-xfr: ${host}@${port} ${key ? key.name : "NOKEY"}`,
        ...from.map((a) => `    allow-notify: ${a} ${key ? key.name : "NOKEY"}`),
        // The address NSD sends its SOA queries and transfer requests from.
        ...(source !== undefined ? [`    outgoing-interface: ${source}`] : []),
        "",
      ].join("\n");
    case "powerdns": {
      const p = powerdnsParts(f);
      return [
        `# PowerDNS Authoritative 4.5+: ${zone} as a secondary of ${who}`,
        "# pdns.conf:",
        ...p.settings.map((s) => `#   ${s}`),
        "# then (a database backend: gsqlite3, gmysql, gpgsql, lmdb):",
        shellLine(p.zone),
        ...p.tsig.map(shellLine),
        // IXFR is off unless asked for per zone. Not with the bind backend: PowerDNS 4.7's
        // bind backend logs the IXFR as committed but goes on serving the old zone.
        shellLine(p.ixfr),
        "",
      ].join("\n");
    }
  }
}

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
 * Write a complete configuration for one secondary into `dir` (created if missing; the
 * files named here are replaced): the snippet, verbatim, inside the settings that make the
 * server self-contained: every file it writes is inside `dir`, it listens on `listen` only
 * (no IPv6 port 53, no rndc or control port outside `dir`), and it needs no root (it keeps
 * the user that starts it).
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
  const at = (name: string) => path.join(dir, name);
  const { zone, host, port } = prepare(f);
  const v6 = isIPv6(listen.host);
  const files: string[] = [];
  const write = (name: string, text: string) => {
    try {
      writeFileSync(at(name), text);
    } catch (err) {
      throw new CommandError(`--standalone: cannot write ${at(name)}: ${(err as Error).message}`);
    }
    files.push(name);
  };
  const header = `# Written by dns-primary secondary-config --standalone: ${zone} as a secondary, every file in ${dir}.`;
  let start: string[];
  switch (kind) {
    case "bind":
      // named writes its pid, lock and session-key files under /run unless told otherwise,
      // listens on IPv6 port 53 by default (listen-on-v6 { any; }) and opens an rndc channel
      // on port 953: each is set inside DIR, or off. Not a resolver, and no NOTIFY of its own
      // to the zone's NS hosts.
      write(
        "named.conf",
        `${header}
options {
    directory "${dir}";
    pid-file "${at("named.pid")}";
    lock-file "${at("named.lock")}";
    session-keyfile "${at("session.key")}";
    managed-keys-directory "${dir}";
    listen-on${v6 ? " { none; };" : ` port ${listen.port} { ${listen.host}; };`}
    listen-on-v6${v6 ? ` port ${listen.port} { ${listen.host}; };` : " { none; };"}
    recursion no;
    notify no;
    dnssec-validation no;
};
controls { };
${secondaryConfig("bind", f)}`,
      );
      start = [toolPath("named"), "-g", "-c", at("named.conf")];
      break;
    case "knot":
      // Knot keeps its journal, timers and zone files under storage (/var/lib/knot by
      // default: "failed to store changes" for a user who cannot write there), and its pid
      // file and control socket under rundir.
      write(
        "knot.conf",
        `${header}
server:
    rundir: "${dir}"
    listen: ${listen.host}@${listen.port}
log:
  - target: stderr
    any: info
database:
    storage: "${dir}"
control:
    listen: "${at("knot.sock")}"
template:
  - id: default
    storage: "${dir}"
${secondaryConfig("knot", f)}`,
      );
      start = [toolPath("knotd"), "-c", at("knot.conf")];
      break;
    case "nsd":
      // Debian's NSD drops to the user nsd and chroots unless told not to; its database,
      // zone list, xfrd state and pid file default to /var/lib/nsd and /run.
      write(
        "nsd.conf",
        `${header}
server:
    ip-address: ${listen.host}@${listen.port}
    port: ${listen.port}
    username: ""
    chroot: ""
    zonesdir: "${dir}"
    database: ""
    zonelistfile: "${at("zone.list")}"
    xfrdfile: "${at("xfrd.state")}"
    xfrdir: "${dir}"
    pidfile: "${at("nsd.pid")}"
    server-count: 1
    verbosity: 2
remote-control:
    control-enable: no
${secondaryConfig("nsd", f)}`,
      );
      start = [toolPath("nsd"), "-d", "-c", at("nsd.conf")];
      break;
    case "powerdns": {
      // The bind backend (Debian's pdns-backend-bind): zones in a named.conf, the zone file
      // written after each transfer. AXFR only: it takes an IXFR without serving the change.
      const p = powerdnsParts(f);
      const db = at("bind-dnssec.sqlite3");
      write(
        "pdns.conf",
        `${header}
launch=bind
bind-config=${at("named.conf")}
${p.tsig.length > 0 ? `bind-dnssec-db=${db}\n` : ""}local-address=${hostPortText(listen)}
socket-dir=${dir}
setuid=
setgid=
daemon=no
guardian=no
disable-syslog=yes
loglevel=6
security-poll-suffix=
${p.settings.join("\n")}
`,
      );
      // `type slave` and `masters` are the spellings the 4.7 bind backend parses.
      write(
        "named.conf",
        `${header}
options { directory "${dir}"; };
zone "${zone}" {
    type slave;
    masters { ${hostPortText({ host, port })}; };
    file "${zone}.zone";
};
`,
      );
      if (p.tsig.length > 0) {
        rmSync(db, { force: true });
        pdnsutil(dir, ["create-bind-db", db]);
        files.push(path.basename(db));
        for (const argv of p.tsig) pdnsutil(dir, argv.slice(1));
      }
      start = [toolPath("pdns_server"), `--config-dir=${dir}`];
      break;
    }
  }
  const check = ["dig", `@${listen.host}`, "-p", String(listen.port), zone, "SOA", "+norec"];
  return { kind, dir, files, listen, start, check };
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
    if (err instanceof CommandError || err instanceof ApiCallError) {
      io.stderr(`dns-primary: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
