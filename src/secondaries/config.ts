/**
 * What a secondary of one zone is told to do, as text: the facts (the zone, where dns-primary
 * answers, where NOTIFY comes from, the TSIG, the peer and the address the secondary sends
 * from) and the configuration each kind of secondary takes: a snippet for BIND, Knot, NSD and
 * PowerDNS, and the complete files of a standalone configuration around that snippet.
 *
 * Two faces show it: `dns-primary secondary-config` (cli/secondary-config.ts, which also
 * writes the standalone files and runs pdnsutil) and the dashboard's route
 * `GET /dns-primary/v1/zones/{zone_id}/secondary-config` (api/routes/secondary-config.ts).
 * Pure text: no files, no processes, no HTTP. The interop tests run BIND, Knot, NSD and
 * PowerDNS from this text, so what is shown is what was proven to work.
 */

import { isIPv6 } from "node:net";
import path from "node:path";
import { withoutTrailingDot } from "../wire/name.js";

export const SECONDARY_KINDS = ["bind", "knot", "nsd", "powerdns"] as const;
export type SecondaryKind = (typeof SECONDARY_KINDS)[number];

export interface SecondaryFacts {
  /** The zone, absolute ("example.com."). */
  zone: string;
  /** Where the secondary asks for the SOA and transfers. */
  primary: { host: string; port: number };
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
 * Facts that cannot make a configuration that works; the message says why and what to
 * change. Each face shows it its own way (the command's one-line error, the route's 89102).
 */
export class SecondaryFactsError extends Error {
  override name = "SecondaryFactsError";
}

/**
 * The facts for a zone and one of its peers, checked: a secondary can send only from an
 * address of the family it reaches the primary with, so a peer ip of the other family is
 * refused here with the reason rather than written into a configuration that cannot work.
 */
export function secondaryFacts(o: {
  zone: string;
  primary: { host: string; port: number };
  notifyFrom: string;
  peer?: PeerFacts;
  tsig?: { name: string; algo: string; secret: string };
}): SecondaryFacts {
  const ip = o.peer?.ip;
  if (ip !== undefined && isIPv6(ip) !== isIPv6(o.primary.host)) {
    const family = (a: string) => (isIPv6(a) ? "IPv6" : "IPv4");
    throw new SecondaryFactsError(
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
function hostPortText({ host, port }: { host: string; port: number }): string {
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
 * prints them; the standalone configuration writes the settings into its pdns.conf and runs
 * the TSIG commands against it (the bind backend it uses keeps keys and metadata in a SQLite
 * file that only pdnsutil creates).
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

/** A complete configuration for one secondary in one folder, as text (see `standaloneFiles`). */
export interface StandaloneFiles {
  /** The configuration files: a name inside the folder and the text, in the order written. */
  files: { name: string; text: string }[];
  /**
   * PowerDNS with a TSIG: the bind backend's key database (a file name inside the folder,
   * which only pdnsutil creates) and the pdnsutil commands, arguments after its
   * `--config-dir`, that create it and then fill it, in order.
   */
  keyDb?: { name: string; pdnsutil: string[][] };
  /** The server that starts in the foreground: its program name and arguments. */
  server: { program: string; args: string[] };
  /** A dig asking the secondary for the zone's SOA, as argv. */
  check: string[];
}

/**
 * The files of a complete configuration for one secondary in `dir` (absolute, without a
 * double quote, backslash, `#` or control character: every syntax here quotes paths in
 * double quotes, and pdns.conf takes `#` as a comment): the snippet, verbatim, inside the
 * settings that make the server self-contained: every file it writes is inside `dir`, it
 * listens on `listen` only (no IPv6 port 53, no rndc or control port outside `dir`), and it
 * needs no root (it keeps the user that starts it).
 */
export function standaloneFiles(
  kind: SecondaryKind,
  f: SecondaryFacts,
  dir: string,
  listen: { host: string; port: number },
): StandaloneFiles {
  const at = (name: string) => path.join(dir, name);
  const { zone, host, port } = prepare(f);
  const v6 = isIPv6(listen.host);
  const check = ["dig", `@${listen.host}`, "-p", String(listen.port), zone, "SOA", "+norec"];
  const header = `# Written by dns-primary secondary-config --standalone: ${zone} as a secondary, every file in ${dir}.`;
  switch (kind) {
    case "bind":
      // named writes its pid, lock and session-key files under /run unless told otherwise,
      // listens on IPv6 port 53 by default (listen-on-v6 { any; }) and opens an rndc channel
      // on port 953: each is set inside DIR, or off. Not a resolver, and no NOTIFY of its own
      // to the zone's NS hosts.
      return {
        files: [
          {
            name: "named.conf",
            text: `${header}
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
          },
        ],
        server: { program: "named", args: ["-g", "-c", at("named.conf")] },
        check,
      };
    case "knot":
      // Knot keeps its journal, timers and zone files under storage (/var/lib/knot by
      // default: "failed to store changes" for a user who cannot write there), and its pid
      // file and control socket under rundir.
      return {
        files: [
          {
            name: "knot.conf",
            text: `${header}
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
          },
        ],
        server: { program: "knotd", args: ["-c", at("knot.conf")] },
        check,
      };
    case "nsd":
      // Debian's NSD drops to the user nsd and chroots unless told not to; its database,
      // zone list, xfrd state and pid file default to /var/lib/nsd and /run.
      return {
        files: [
          {
            name: "nsd.conf",
            text: `${header}
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
          },
        ],
        server: { program: "nsd", args: ["-d", "-c", at("nsd.conf")] },
        check,
      };
    case "powerdns": {
      // The bind backend (Debian's pdns-backend-bind): zones in a named.conf, the zone file
      // written after each transfer. AXFR only: it takes an IXFR without serving the change.
      const p = powerdnsParts(f);
      const db = "bind-dnssec.sqlite3";
      return {
        files: [
          {
            name: "pdns.conf",
            text: `${header}
launch=bind
bind-config=${at("named.conf")}
${p.tsig.length > 0 ? `bind-dnssec-db=${at(db)}\n` : ""}local-address=${hostPortText(listen)}
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
          },
          // `type slave` and `masters` are the spellings the 4.7 bind backend parses.
          {
            name: "named.conf",
            text: `${header}
options { directory "${dir}"; };
zone "${zone}" {
    type slave;
    masters { ${hostPortText({ host, port })}; };
    file "${zone}.zone";
};
`,
          },
        ],
        ...(p.tsig.length > 0
          ? {
              keyDb: {
                name: db,
                pdnsutil: [["create-bind-db", at(db)], ...p.tsig.map((argv) => argv.slice(1))],
              },
            }
          : {}),
        server: { program: "pdns_server", args: [`--config-dir=${dir}`] },
        check,
      };
    }
  }
}
