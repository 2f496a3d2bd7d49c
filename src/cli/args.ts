/**
 * Command-line parsing: argv → a validated command, or a UsageError (exit code 2).
 * Uses node:util parseArgs; every value is checked here, once.
 */

import { isIPv4, isIPv6 } from "node:net";
import { parseArgs } from "node:util";
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from "../api/defaults.js";
import { ApiError } from "../cloudflare/errors.js";
import { type FaultSpec, Faults } from "../faults/faults.js";
import { isLogLevel, LOG_LEVELS, type LogLevel } from "../log.js";
import {
  DEFAULT_LIMITS,
  type Limits,
  limitMinimum,
  parseRateLimit,
  type RateLimit,
} from "../transport/limits.js";
import { DEFAULT_DNS_HOST, DEFAULT_DNS_PORT } from "../transport/listen.js";
import { canonicalName } from "../wire/name.js";

export class UsageError extends Error {
  override name = "UsageError";
}

export interface HostPort {
  host: string;
  port: number;
}

export interface ServeCommand {
  kind: "serve";
  zonesDir: string;
  dns: HostPort;
  api: HostPort;
  config?: string;
  logLevel: LogLevel;
  /** Worker processes answering UDP (0: the main process does). */
  udpWorkers: number;
  /** Reload a zone file when it changes on disk. */
  watch: boolean;
  /** Bounds of each zone's IXFR journal, when given. */
  journal: { maxVersions?: number; maxBytes?: number };
  /** The one credential the API accepts, when given. */
  apiToken?: string;
  /** Cloudflare's API rate limit to emulate, when given. */
  apiRateLimit?: RateLimit;
  /** Where NOTIFY leaves from, when given (default: the DNS address, any port). */
  notifySource?: HostPort;
  /** Send no NOTIFY at all. */
  noNotify?: boolean;
  /** The limits given, when any (the others keep their defaults). */
  limits?: Partial<Limits>;
  /** Keep the state in this folder across restarts, when given. */
  dataDir?: string;
  /** `--fault ZONE:KIND[:k=v,...]`, in the order given, when any (docs/faults.md). */
  faults?: DeclaredFault[];
  /**
   * `--registrar HOST:PORT`, `--registrar-origin NAME`, `--registrar-secondary HOST:PORT`...:
   * serve the parent zone (docs/registrar.md).
   */
  registrar?: HostPort & { origin?: string; secondaries?: HostPort[] };
}

/** One `--fault`: what ServerOptions.faults takes, and the text given (for messages). */
export interface DeclaredFault {
  zone: string;
  spec: FaultSpec;
  text: string;
}

/** The limit flags of serve: flag, limit, unit on the command line (seconds → ms). */
const LIMIT_FLAGS: ReadonlyArray<[flag: string, key: keyof Limits, unit: "n" | "s"]> = [
  ["tcp-connections", "tcpMaxConnections", "n"],
  ["tcp-connections-per-ip", "tcpMaxConnectionsPerIp", "n"],
  ["tcp-idle-timeout", "tcpIdleMs", "s"],
  ["tcp-message-timeout", "tcpMessageMs", "s"],
  ["transfer-timeout", "transferMs", "s"],
  ["transfers", "transfersMax", "n"],
  ["transfers-per-zone", "transfersPerZone", "n"],
  ["api-body-limit", "apiBodyBytes", "n"],
  ["zone-records", "zoneRecords", "n"],
  ["shutdown-timeout", "shutdownMs", "s"],
  ["axfr-cache-bytes", "axfrCacheBytes", "n"],
];
const secs = (ms: number) => ms / 1000;

/** `rendering ZONE`: ask a running primary what each record became (cli/rendering.ts). */
export interface RenderingCommand {
  kind: "rendering";
  /** A zone name or zone id. */
  zone: string;
  /** Where the primary's API listens. */
  api: HostPort;
  apiToken?: string;
  /** Only this owner name ("@" and relative names are in the zone). */
  name?: string;
  /** Print the JSON result instead of the table. */
  json: boolean;
}

/** `secondary-config`: a configuration snippet for a secondary (cli/secondary-config.ts). */
export interface SecondaryConfigCommand {
  kind: "secondary-config";
  for: "bind" | "knot" | "nsd" | "powerdns";
  zone: string;
  /** The linked peer the snippet is for (needed when several are linked). */
  peer?: string;
  /** Ask this running primary (default), ... */
  api: HostPort;
  apiToken?: string;
  /** ... or read this config file, with the addresses below. */
  config?: string;
  dns?: HostPort;
  notifySource?: HostPort;
  /** Write a complete configuration into this folder instead of printing the snippet. */
  standalone?: string;
  /** Where that configuration listens (default: the peer's ip and port, see defaultListen). */
  listen?: HostPort;
}

/** `lab check ZONE`: the multi-provider consistency check (cli/lab.ts, lab/check.ts). */
export interface LabCheckCommand {
  kind: "lab-check";
  zone: string;
  api: HostPort;
  apiToken?: string;
  /** The registrar's address, when not the one the API gives. */
  parent?: HostPort;
  /** The port every nameserver address is asked on (default 53). */
  port?: number;
  /** Nameserver addresses asked elsewhere (`--server ADDRESS=HOST:PORT`). */
  servers?: Record<string, HostPort>;
  /** `--question NAME/TYPE`: only these. */
  questions?: { name: string; type: string }[];
  json: boolean;
}

export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | ServeCommand
  | { kind: "check"; files: string[] }
  | RenderingCommand
  | SecondaryConfigCommand
  | LabCheckCommand;

export const DEFAULT_ZONES_DIR = "./zones";
/** `secondary-config --standalone`'s port when the peer's port needs root (below 1024). */
export const STANDALONE_PORT = 5301;

export const HELP = `Usage:
  dns-primary serve [--zones DIR] [--dns HOST:PORT] [--api HOST:PORT] [--config FILE]
                    [--log-level LEVEL] [--udp-workers N] [--watch]
                    [--journal-versions N] [--journal-bytes N] [--api-token TOKEN]
                    [--notify-source HOST:PORT | --no-notify] [--data-dir DIR]
                    [--fault ZONE:KIND[:KEY=VALUE,...]]... [limits: see below]
                    [--registrar HOST:PORT [--registrar-origin NAME]
                     [--registrar-secondary HOST:PORT]...]
  dns-primary check FILE...
  dns-primary rendering ZONE [--api HOST:PORT] [--api-token TOKEN] [--name NAME] [--json]
  dns-primary secondary-config --for bind|knot|nsd|powerdns --zone NAME [--peer NAME]
                    [--api HOST:PORT | --config FILE [--dns HOST:PORT] [--notify-source HOST:PORT]]
                    [--standalone DIR [--listen HOST:PORT]]
  dns-primary lab check ZONE [--api HOST:PORT] [--api-token TOKEN] [--parent HOST:PORT]
                    [--port N] [--server ADDRESS=HOST:PORT]... [--question NAME/TYPE]... [--json]
  dns-primary --help | --version

An authoritative DNS primary that serves zone files the way Cloudflare does when it is the
primary for a zone.

Commands:
  serve            load every *.zone file of the zones folder and answer DNS over UDP and TCP
  check FILE...    parse zone files and print each one's origin, serial and records per type;
                   exit code 1 if any file has an error
  rendering ZONE   ask a running dns-primary what each configured record of ZONE (a zone
                   name or id) became, and why: transferred, proxied, flattened, withheld,
                   apex-ns-ignored, assigned-ns or unresolved-cname; then the RRsets a
                   secondary receives by AXFR, in master-file form. Reads the emulator's own
                   route /dns-primary/v1/zones/{zone_id}/rendering; exit code 1 when the
                   server cannot be reached, the zone is unknown or the token is refused
  secondary-config print a ready configuration for a secondary of a zone: the TSIG key in
                   its syntax, the zone as a secondary of dns-primary's address and port,
                   its SOA queries and transfers sent from the peer's ip, and NOTIFY
                   accepted from the address dns-primary notifies from; or, with
                   --standalone, write a complete configuration that starts with one command

Options of serve:
  --zones DIR          folder of zone files, one zone per file (default ${DEFAULT_ZONES_DIR})
  --dns HOST:PORT      address for DNS, UDP and TCP (default ${DEFAULT_DNS_HOST}:${DEFAULT_DNS_PORT});
                       IPv6 in brackets, e.g. [::1]:5300; port 0 picks a free port
  --api HOST:PORT      address of the Cloudflare-shaped REST API under /client/v4
                       (default ${DEFAULT_API_HOST}:${DEFAULT_API_PORT})
  --api-token TOKEN    accept only this API token, as Authorization: Bearer TOKEN or as
                       X-Auth-Key: TOKEN with any X-Auth-Email (Cloudflare's global-key
                       pair needs both); default: the DNS_PRIMARY_API_TOKEN environment
                       variable, else any credential
  --api-rate-limit N/SECONDS
                       emulate Cloudflare's API rate limit: N requests per SECONDS per
                       credential (Cloudflare's is 1200/300), then 429 with code 971 and
                       Retry-After until SECONDS have passed (default: no limit)
  --config FILE        zone-transfer configuration (YAML or JSON): TSIGs, peers, ACLs and
                       each zone's outgoing transfers, as in dns-primary.yaml
  --data-dir DIR       keep the whole state in DIR (zones, records, settings, TSIGs, peers,
                       ACLs, outgoing, serials, IXFR journals): it survives a restart, and
                       every API write is on disk before it is acknowledged (default: memory)
  --watch              reload a zone file when it changes on disk (SIGHUP reloads all):
                       the difference is applied as one change with the next serial
  --journal-versions N, --journal-bytes N
                       bounds of each zone's IXFR history (default 1000 versions, 16 MiB);
                       a secondary older than the history gets the whole zone
  --notify-source HOST:PORT
                       where NOTIFY to linked peers leaves from (default: the --dns
                       address, a port of the system's choosing; port 0 for the same).
                       Cloudflare notifies from addresses other than its transfer address:
                       e.g. 127.0.0.2:0 reproduces a secondary refusing such NOTIFY
  --no-notify          send no NOTIFY (secondaries then rely on their refresh timers)
  --fault ZONE:KIND[:KEY=VALUE,...]
                       misbehave on purpose for ZONE, to test its secondaries: KIND is a
                       fault kind (docs/faults.md; GET /dns-primary/v1/fault-kinds lists
                       them), the KEY=VALUEs its parameters (the others take their
                       defaults), times=N to apply it N times, peer_id=ID or source=ADDRESS
                       to narrow it to one peer or address. Repeatable. Added again at every
                       start; faults added through the API or the dashboard are not kept.
                       e.g. --fault example.com:xfr-truncate:after_messages=2,times=1
  --registrar HOST:PORT
                       also serve the registrar's parent zone there: it delegates each zone
                       to its nameservers with glue and DS, signed with its own key, the
                       trust anchor a lab's resolver uses (docs/registrar.md); managed
                       under /dns-primary/v1/registrar
  --registrar-origin NAME
                       the parent zone's name (default ".": the lab's root)
  --registrar-secondary HOST:PORT
                       a secondary of the parent zone: it may transfer it and is notified
                       of each change (repeatable)
  --udp-workers N      answer UDP in N worker processes sharing the socket, to use more
                       than one core (default 0: the main process answers UDP)
  --log-level LEVEL    ${LOG_LEVELS.join(", ")}
                       (default info); logs are JSON lines on stdout, or readable lines
                       on stderr when stdout is a terminal

Limits of serve (whole numbers; times in seconds):
  --tcp-connections N          open TCP connections (default ${DEFAULT_LIMITS.tcpMaxConnections})
  --tcp-connections-per-ip N   open TCP connections from one address (default ${DEFAULT_LIMITS.tcpMaxConnectionsPerIp})
  --tcp-idle-timeout S         close a TCP connection idle this long (default ${secs(DEFAULT_LIMITS.tcpIdleMs)})
  --tcp-message-timeout S      a query must arrive in full within S of its first octet
                               (default ${secs(DEFAULT_LIMITS.tcpMessageMs)})
  --transfer-timeout S         cut an AXFR/IXFR not sent in full after S (default ${secs(DEFAULT_LIMITS.transferMs)})
  --transfers N                transfers in progress at once; more are REFUSED (default ${DEFAULT_LIMITS.transfersMax})
  --transfers-per-zone N       transfers of one zone at once (default ${DEFAULT_LIMITS.transfersPerZone})
  --api-body-limit BYTES       largest API request body (default ${DEFAULT_LIMITS.apiBodyBytes})
  --zone-records N             records per zone; a write past it is refused (default ${DEFAULT_LIMITS.zoneRecords})
  --shutdown-timeout S         on SIGTERM/SIGINT, transfers in progress get S to finish
                               (default ${secs(DEFAULT_LIMITS.shutdownMs)})
  --axfr-cache-bytes BYTES     AXFR messages kept for secondaries asking again for the
                               same version; 0 keeps none (default ${DEFAULT_LIMITS.axfrCacheBytes})

Options of rendering:
  --api HOST:PORT      where the running dns-primary's API listens
                       (default ${DEFAULT_API_HOST}:${DEFAULT_API_PORT})
  --api-token TOKEN    the API token it accepts; default: DNS_PRIMARY_API_TOKEN
  --name NAME          only this owner name (@ for the apex; relative names are in the zone)
  --json               print the route's JSON result instead of the table

  Example: dns-primary rendering example.com --api 127.0.0.1:8787 --name www

Options of secondary-config:
  --for KIND           bind, knot, nsd or powerdns
  --zone NAME          the zone the secondary copies
  --peer NAME          the linked peer the snippet is for (when the zone links several)
  --api HOST:PORT      ask this running dns-primary (default ${DEFAULT_API_HOST}:${DEFAULT_API_PORT}),
  --api-token TOKEN    with the API token it was started with (default: DNS_PRIMARY_API_TOKEN); or
  --config FILE        read this config file instead, with
  --dns HOST:PORT      where that server answers DNS (default ${DEFAULT_DNS_HOST}:${DEFAULT_DNS_PORT}) and
  --notify-source HOST:PORT  where it notifies from (default: the --dns address)
  --standalone DIR     write into DIR (created if missing) a complete configuration around
                       the snippet: every file the server writes (zone file, journal, pid
                       file, control socket, databases) stays in DIR, it listens on --listen
                       only, and it needs no root. Prints the command that starts the server
                       in the foreground (named -g, knotd, nsd -d, pdns_server with the bind
                       backend) and a dig that checks it
  --listen HOST:PORT   where that server listens (default: the peer's ip and port, or port
                       ${STANDALONE_PORT} when the peer's port is below 1024; 127.0.0.1 for a peer
                       without an ip, and for BIND when the peer's ip is not an interface's:
                       BIND listens on those only). dns-primary sends NOTIFY to the peer's
                       ip and port

  Examples: dns-primary secondary-config --for bind --zone example.com
            dns-primary secondary-config --for knot --zone example.com \\
              --config dns-primary.yaml --dns 127.0.0.1:5300
            dns-primary secondary-config --for nsd --zone example.com --standalone ./nsd

  -h, --help           show this help
  --version            print the version
`;

/** The options each command takes (besides --help and --version). */
const OPTIONS_OF: Record<string, readonly string[]> = {
  serve: [
    "zones",
    "dns",
    "api",
    "config",
    "log-level",
    "udp-workers",
    "watch",
    "journal-versions",
    "journal-bytes",
    "api-token",
    "api-rate-limit",
    "notify-source",
    "no-notify",
    "data-dir",
    "fault",
    "registrar",
    "registrar-origin",
    "registrar-secondary",
    ...LIMIT_FLAGS.map(([flag]) => flag),
  ],
  check: [],
  rendering: ["api", "api-token", "name", "json"],
  lab: ["api", "api-token", "parent", "port", "server", "question", "json"],
  "secondary-config": [
    "for",
    "zone",
    "peer",
    "api",
    "api-token",
    "config",
    "dns",
    "notify-source",
    "standalone",
    "listen",
  ],
};

/** Refuse an option the command does not take, naming a command that does. */
function checkOptions(command: string, values: Record<string, unknown>): void {
  const own = OPTIONS_OF[command] ?? [];
  for (const [opt, v] of Object.entries(values)) {
    if (v === undefined || opt === "help" || opt === "version" || own.includes(opt)) continue;
    const other = Object.keys(OPTIONS_OF).find((c) => OPTIONS_OF[c].includes(opt));
    throw new UsageError(
      other ? `--${opt} is an option of ${other}` : `--${opt} is not an option of ${command}`,
    );
  }
}

/** Parse `argv` (without node and the script). Throws UsageError. */
export function parseCommandLine(argv: string[]): Command {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new UsageError(parseArgsMessage(err as Error & { code?: string }));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  const [command, ...rest] = positionals;
  if (command === undefined)
    throw new UsageError("missing command: serve, check, rendering, secondary-config or lab");
  // Own keys only: "constructor" or "__proto__" is no command.
  if (!Object.hasOwn(COMMANDS, command)) {
    throw new UsageError(
      `unknown command "${command}"; the commands are serve, check, rendering, secondary-config and lab`,
    );
  }
  checkOptions(command, values);
  return COMMANDS[command](values, rest);
}

type Values = ReturnType<typeof parse>["values"];

/** Each command's own reading of the options and arguments (checkOptions ran before). */
const COMMANDS: Record<string, (values: Values, rest: string[]) => Command> = {
  serve: serveCommand,
  check: checkCommand,
  rendering: renderingCommand,
  "secondary-config": secondaryConfigCommand,
  lab: labCommand,
};

/** `--api-token`, else DNS_PRIMARY_API_TOKEN; an empty one is a usage error. */
function apiToken(values: Values): string | undefined {
  const token = values["api-token"] ?? process.env.DNS_PRIMARY_API_TOKEN;
  if (token === "") throw new UsageError("--api-token: empty token");
  return token;
}

function labCommand(values: Values, rest: string[]): LabCheckCommand {
  if (rest[0] !== "check") throw new UsageError("lab: the subcommand is check (lab check ZONE)");
  if (rest.length !== 2) throw new UsageError("lab check: name one zone");
  const cmd: LabCheckCommand = {
    kind: "lab-check",
    zone: rest[1],
    api: parseHostPort(values.api ?? `${DEFAULT_API_HOST}:${DEFAULT_API_PORT}`, "--api"),
    json: values.json === true,
  };
  const token = apiToken(values);
  if (token !== undefined) cmd.apiToken = token;
  if (values.parent !== undefined) cmd.parent = parseHostPort(values.parent, "--parent");
  if (values.port !== undefined) cmd.port = parseCount(values.port, "--port", 65535);
  for (const text of values.server ?? []) {
    const eq = text.indexOf("=");
    if (eq <= 0) throw new UsageError(`--server: "${text}" is not ADDRESS=HOST:PORT`);
    cmd.servers ??= {};
    cmd.servers[text.slice(0, eq)] = parseHostPort(text.slice(eq + 1), "--server");
  }
  for (const text of values.question ?? []) {
    const [name, type, extra] = text.split("/");
    if (!name || !type || extra !== undefined)
      throw new UsageError(`--question: "${text}" is not NAME/TYPE`);
    cmd.questions ??= [];
    cmd.questions.push({ name, type: type.toUpperCase() });
  }
  return cmd;
}

function secondaryConfigCommand(values: Values, rest: string[]): SecondaryConfigCommand {
  if (rest.length > 0) throw new UsageError(`secondary-config: unexpected argument "${rest[0]}"`);
  const kinds = ["bind", "knot", "nsd", "powerdns"] as const;
  const kind = values.for;
  if (kind === undefined) throw new UsageError("secondary-config: --for bind|knot|nsd|powerdns");
  if (!kinds.includes(kind as (typeof kinds)[number]))
    throw new UsageError(`--for: "${kind}" is not one of ${kinds.join(", ")}`);
  if (values.zone === undefined || values.zone === "")
    throw new UsageError("secondary-config: --zone NAME");
  const cmd: SecondaryConfigCommand = {
    kind: "secondary-config",
    for: kind as (typeof kinds)[number],
    zone: values.zone,
    api: parseHostPort(values.api ?? `${DEFAULT_API_HOST}:${DEFAULT_API_PORT}`, "--api"),
  };
  if (values.peer !== undefined) cmd.peer = values.peer;
  const token = values["api-token"] ?? process.env.DNS_PRIMARY_API_TOKEN;
  if (token) cmd.apiToken = token;
  if (values.config !== undefined) {
    if (values.api !== undefined) throw new UsageError("--config and --api: choose one");
    cmd.config = values.config;
  } else if (values.dns !== undefined || values["notify-source"] !== undefined) {
    throw new UsageError(
      "--dns and --notify-source go with --config (a running server says its own)",
    );
  }
  if (values.dns !== undefined) cmd.dns = parseHostPort(values.dns, "--dns");
  if (values["notify-source"] !== undefined)
    cmd.notifySource = parseHostPort(values["notify-source"], "--notify-source");
  if (values.standalone !== undefined) {
    if (values.standalone === "") throw new UsageError("--standalone: empty folder name");
    cmd.standalone = values.standalone;
  }
  if (values.listen !== undefined) {
    if (cmd.standalone === undefined)
      throw new UsageError(
        "--listen goes with --standalone (a snippet listens where its server does)",
      );
    cmd.listen = parseHostPort(values.listen, "--listen");
    // A configuration file names a port; 0 would leave the secondary unreachable for NOTIFY.
    if (cmd.listen.port === 0) throw new UsageError("--listen: give a port (0 picks none here)");
  }
  return cmd;
}

function renderingCommand(values: Values, rest: string[]): RenderingCommand {
  if (rest.length === 0) throw new UsageError("rendering: name the zone (a zone name or id)");
  if (rest.length > 1) throw new UsageError(`rendering: unexpected argument "${rest[1]}"`);
  const cmd: RenderingCommand = {
    kind: "rendering",
    zone: rest[0],
    api: parseHostPort(values.api ?? `${DEFAULT_API_HOST}:${DEFAULT_API_PORT}`, "--api"),
    json: values.json === true,
  };
  const token = apiToken(values);
  if (token !== undefined) cmd.apiToken = token;
  if (values.name !== undefined) {
    if (values.name === "") throw new UsageError("--name: empty name");
    cmd.name = values.name;
  }
  return cmd;
}

function checkCommand(_values: Values, rest: string[]): Command {
  if (rest.length === 0) throw new UsageError("check: name at least one zone file");
  return { kind: "check", files: rest };
}

function serveCommand(values: Values, rest: string[]): ServeCommand {
  if (rest.length > 0) throw new UsageError(`serve: unexpected argument "${rest[0]}"`);
  const zonesDir = values.zones ?? DEFAULT_ZONES_DIR;
  if (zonesDir === "") throw new UsageError("--zones: empty folder name");
  const level = values["log-level"] ?? "info";
  if (!isLogLevel(level)) {
    throw new UsageError(`--log-level: "${level}" is not one of ${LOG_LEVELS.join(", ")}`);
  }
  const cmd: ServeCommand = {
    kind: "serve",
    zonesDir,
    dns: parseHostPort(values.dns ?? `${DEFAULT_DNS_HOST}:${DEFAULT_DNS_PORT}`, "--dns"),
    api: parseHostPort(values.api ?? `${DEFAULT_API_HOST}:${DEFAULT_API_PORT}`, "--api"),
    logLevel: level,
    udpWorkers: parseCount(values["udp-workers"] ?? "0", "--udp-workers", 64),
    watch: values.watch === true,
    journal: {},
  };
  for (const [flag, key, unit] of LIMIT_FLAGS) {
    const text = values[flag as keyof typeof values];
    if (typeof text !== "string") continue;
    const max = unit === "s" ? 86_400 : 2 ** 40;
    const n = parseCount(text, `--${flag}`, max);
    const min = limitMinimum(key);
    if (n < min) throw new UsageError(`--${flag}: must be at least ${min}`);
    cmd.limits ??= {};
    cmd.limits[key] = unit === "s" ? n * 1000 : n;
  }
  if (values["notify-source"] !== undefined)
    cmd.notifySource = parseHostPort(values["notify-source"], "--notify-source");
  if (values["no-notify"] === true) {
    if (cmd.notifySource !== undefined)
      throw new UsageError("--no-notify and --notify-source: choose one");
    cmd.noNotify = true;
  }
  const token = apiToken(values);
  if (token !== undefined) cmd.apiToken = token;
  if (values["api-rate-limit"] !== undefined) {
    try {
      cmd.apiRateLimit = parseRateLimit(values["api-rate-limit"]);
    } catch (err) {
      throw new UsageError(`--api-rate-limit: ${(err as Error).message}`);
    }
  }
  if (values["journal-versions"] !== undefined) {
    cmd.journal.maxVersions = parseCount(
      values["journal-versions"],
      "--journal-versions",
      1_000_000,
    );
  }
  if (values["journal-bytes"] !== undefined) {
    cmd.journal.maxBytes = parseCount(values["journal-bytes"], "--journal-bytes", 2 ** 40);
  }
  if (values.config !== undefined) {
    if (values.config === "") throw new UsageError("--config: empty file name");
    cmd.config = values.config;
  }
  if (values["data-dir"] !== undefined) {
    if (values["data-dir"] === "") throw new UsageError("--data-dir: empty folder name");
    cmd.dataDir = values["data-dir"];
  }
  if (values.fault !== undefined) cmd.faults = values.fault.map(parseFault);
  if (values.registrar !== undefined)
    cmd.registrar = parseHostPort(values.registrar, "--registrar");
  for (const text of values["registrar-secondary"] ?? []) {
    if (cmd.registrar === undefined)
      throw new UsageError("--registrar-secondary goes with --registrar HOST:PORT");
    cmd.registrar.secondaries ??= [];
    cmd.registrar.secondaries.push(parseHostPort(text, "--registrar-secondary"));
  }
  const origin = values["registrar-origin"];
  if (origin !== undefined) {
    if (cmd.registrar === undefined)
      throw new UsageError("--registrar-origin goes with --registrar HOST:PORT");
    try {
      cmd.registrar.origin = canonicalName(origin.endsWith(".") ? origin : `${origin}.`);
    } catch (err) {
      throw new UsageError(`--registrar-origin: ${(err as Error).message}`);
    }
  }
  return cmd;
}

function parseCount(text: string, option: string, max: number): number {
  if (!/^[0-9]+$/.test(text) || Number(text) > max) {
    throw new UsageError(`${option}: "${text}" is not a whole number from 0 to ${max}`);
  }
  return Number(text);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      zones: { type: "string" },
      dns: { type: "string" },
      "notify-source": { type: "string" },
      "no-notify": { type: "boolean" },
      api: { type: "string" },
      config: { type: "string" },
      "log-level": { type: "string" },
      "udp-workers": { type: "string" },
      watch: { type: "boolean" },
      "journal-versions": { type: "string" },
      "journal-bytes": { type: "string" },
      "api-token": { type: "string" },
      "api-rate-limit": { type: "string" },
      "data-dir": { type: "string" },
      fault: { type: "string", multiple: true },
      registrar: { type: "string" },
      parent: { type: "string" },
      port: { type: "string" },
      server: { type: "string", multiple: true },
      question: { type: "string", multiple: true },
      "registrar-origin": { type: "string" },
      "registrar-secondary": { type: "string", multiple: true },
      "tcp-connections": { type: "string" },
      "tcp-connections-per-ip": { type: "string" },
      "tcp-idle-timeout": { type: "string" },
      "tcp-message-timeout": { type: "string" },
      "transfer-timeout": { type: "string" },
      transfers: { type: "string" },
      "transfers-per-zone": { type: "string" },
      "api-body-limit": { type: "string" },
      "zone-records": { type: "string" },
      "shutdown-timeout": { type: "string" },
      name: { type: "string" },
      json: { type: "boolean" },
      for: { type: "string" },
      zone: { type: "string" },
      peer: { type: "string" },
      standalone: { type: "string" },
      listen: { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
    },
  });
}

/**
 * Values are checked by the fault store itself, as the API checks a POST body, so the flag,
 * the config file and the API can never disagree. Peers are known only once the server has
 * its transfer settings (the config file, the data dir): this store takes any peer id, and
 * the server checks that it names a peer when it adds the fault at start.
 */
const FAULT_CHECK = new Faults({ peer: () => ({}) });
const FAULT_FORM =
  "ZONE:KIND[:KEY=VALUE,...], e.g. --fault example.com:xfr-truncate:after_messages=2";

/**
 * `--fault ZONE:KIND[:KEY=VALUE,...]`: the zone, the kind, then its parameters, `times`,
 * `peer_id` and `source` (values as text: the store reads numbers from text). Only the first
 * two colons separate: an IPv6 `source=::1` keeps its own.
 */
export function parseFault(text: string): DeclaredFault {
  const bad = (why: string) => new UsageError(`--fault ${text}: ${why}`);
  const first = text.indexOf(":");
  if (first < 0) throw bad(`expected ${FAULT_FORM}`);
  const zone = text.slice(0, first);
  const second = text.indexOf(":", first + 1);
  const kind = second < 0 ? text.slice(first + 1) : text.slice(first + 1, second);
  const rest = second < 0 ? "" : text.slice(second + 1);
  if (zone === "") throw bad(`no zone before the kind (${FAULT_FORM})`);
  if (kind === "") throw bad(`no kind after the zone (${FAULT_FORM})`);
  try {
    canonicalName(zone.endsWith(".") ? zone : `${zone}.`);
  } catch (err) {
    throw bad(`"${zone}" is not a zone name: ${(err as Error).message}`);
  }
  const spec: FaultSpec = { kind };
  for (const pair of rest === "" ? [] : rest.split(",")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw bad(`"${pair}" is not KEY=VALUE`);
    const key = pair.slice(0, eq);
    if (Object.hasOwn(spec, key)) throw bad(`${key} is given twice`);
    spec[key] = pair.slice(eq + 1);
  }
  try {
    FAULT_CHECK.add(zone, spec);
  } catch (err) {
    if (err instanceof ApiError) throw bad(err.message);
    throw err;
  }
  FAULT_CHECK.clear(zone);
  return { zone, spec, text };
}

/** parseArgs messages are long and suggest `--`; say the essential in one line. */
function parseArgsMessage(err: Error & { code?: string }): string {
  if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const m = /'([^']+)'/.exec(err.message);
    return `unknown option ${m ? m[1] : ""}`.trim();
  }
  if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const m = /'(--?[\w-]+)/.exec(err.message);
    return m ? `${m[1]} needs a value` : err.message;
  }
  return err.message;
}

/**
 * `HOST:PORT` with an IPv4 address, or `[HOST]:PORT` with an IPv6 address. Names are not
 * accepted: a server binds addresses, and "localhost" may mean 127.0.0.1 or ::1.
 */
export function parseHostPort(value: string, flag: string): HostPort {
  const example = `e.g. ${flag} 127.0.0.1:5300 or ${flag} [::1]:5300`;
  let host: string;
  let portText: string;
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(value);
  if (bracketed) {
    host = bracketed[1];
    portText = bracketed[2];
    if (!isIPv6(host)) throw new UsageError(`${flag}: "${host}" is not an IPv6 address`);
  } else {
    const i = value.lastIndexOf(":");
    if (i < 0) throw new UsageError(`${flag}: expected HOST:PORT, got "${value}" (${example})`);
    host = value.slice(0, i);
    portText = value.slice(i + 1);
    if (host.includes(":")) {
      throw new UsageError(`${flag}: put an IPv6 address in brackets, e.g. [${host}]:${portText}`);
    }
    if (!isIPv4(host)) {
      throw new UsageError(`${flag}: "${host}" is not an IP address (${example})`);
    }
  }
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new UsageError(`${flag}: "${portText}" is not a port from 0 to 65535`);
  }
  return { host, port: Number(portText) };
}
