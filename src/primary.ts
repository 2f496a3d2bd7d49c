/**
 * Start the server of a primary: load the zone files, build the query handler, listen on UDP
 * and TCP, serve the API, send NOTIFY. This is the one place that wires the layers together;
 * the command line and the library (whose `startPrimary` and `Primary` are what users see)
 * both come through here.
 */

import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from "./api/defaults.js";
import { createApi, listenApi } from "./api/server.js";
import { type Account, defaultAccount } from "./cloudflare/account.js";
import { ApiError, SettingsError } from "./cloudflare/errors.js";
import {
  type DomainInput,
  type DomainJson,
  Registrar,
  type RegistrarJson,
  type StoredRegistrar,
} from "./cloudflare/registrar.js";
import {
  type AccountDnsSettings,
  defaultAccountSettings,
  patchAccountSettings,
} from "./cloudflare/rules/account-settings.js";
import { CloudflareZones } from "./cloudflare/rules/zones.js";
import { TransferActivity } from "./cloudflare/transfer/activity.js";
import { TransferSettings } from "./cloudflare/transfer/settings.js";
import { ZoneTimes } from "./cloudflare/zone-times.js";
import { type LoadedConfig, registrarDomainError } from "./config/build.js";
import { zonesToCreate } from "./config/zones.js";
import { type FaultSpec, Faults, peersOf } from "./faults/faults.js";
import { type Logger, type LogLevel, silentLogger } from "./log.js";
import { Notifier } from "./notify/notifier.js";
import { followSettings, notifyDropReason, notifyTargets } from "./notify/peers.js";
import { AxfrCache } from "./server/axfr-cache.js";
import type { DnsHandler } from "./server/handler.js";
import { createQueryHandler } from "./server/query.js";
import { createKeyring } from "./server/signed.js";
import { createTransferHandler } from "./server/transfer.js";
import { readRegistrarFile, writeRegistrarFile } from "./store/files.js";
import { openStore, type Store, storedAccount } from "./store/store.js";
import { type Limits, parseRateLimit, type RateLimit, resolveLimits } from "./transport/limits.js";
import {
  DEFAULT_DNS_HOST,
  DEFAULT_DNS_PORT,
  type DnsListener,
  listenDns,
} from "./transport/listen.js";
import { bindTcp } from "./transport/tcp.js";
import { canonicalName, nameKey } from "./wire/name.js";
import { T } from "./wire/types.js";
import { countReport, faultsCommand, followFaults } from "./workers/faults.js";
import {
  startUdpWorkers,
  type UdpWorkerPool,
  type WorkerCommand,
  type WorkerRecord,
} from "./workers/pool.js";
import { ZoneFileError } from "./zone/errors.js";
import { type Changeset, type JournalLimits, soaSerialOf } from "./zone/journal.js";
import { loadZonesDir } from "./zone/load.js";
import type { ParseWarning } from "./zone/masterfile.js";
import { reloadZoneFileAsync } from "./zone/reload.js";
import { type Change, recordKey, toLatin1, type Zone, ZoneError } from "./zone/zone.js";
import { ZoneSet } from "./zone/zoneset.js";
import { loadZoneSpecs, type ZoneSpec } from "./zone-specs.js";

export interface ServerOptions {
  /** Folder of `*.zone` files. Unset: start with no zones. */
  zonesDir?: string;
  /**
   * More zones, after those of `zonesDir`: master-file text, a zone file, or Cloudflare record
   * objects validated as the API validates them (zone-specs.ts). Rejects with ZoneFileError
   * or ApiError (nothing is left listening).
   */
  zones?: ZoneSpec[];
  /** Where to serve DNS; default 127.0.0.1:5300, port 0 for a free port. */
  dns?: { host?: string; port?: number };
  /** Serve the Cloudflare-shaped REST API here (port 0: a free port). Unset: no API. */
  api?: { host?: string; port?: number };
  /** The account the API shows (default: a derived id named "dns-primary"). */
  account?: Account;
  /** When set, the API accepts only this token (Bearer, or X-Auth-Email + X-Auth-Key); else any credential. */
  apiToken?: string;
  /**
   * Emulate Cloudflare's API rate limit: `"1200/300"` (N requests per SECONDS per credential)
   * or `{ requests, seconds }`; past it 429 with code 971 and `Retry-After` (api/rate-limit.ts).
   * Over the config file's `api.rate_limit`. Unset: no limit. RangeError when invalid.
   */
  apiRateLimit?: string | RateLimit;
  /** Default: silent. */
  logger?: Logger;
  /**
   * Answer UDP in this many worker processes sharing the socket (node:cluster), to use more
   * than one core; the main process keeps TCP. 0 (the default): the main process answers UDP.
   * Workers load the zones from `zonesDir`.
   */
  udpWorkers?: number;
  /**
   * TCP connections and timeouts, transfers in progress, API body size, records per zone,
   * shutdown grace (transport/limits.ts; docs/limits.md). RangeError when one is invalid.
   */
  limits?: Partial<Limits>;
  /**
   * TSIGs, peers, ACLs and per-zone outgoing configurations (see transfer/settings.ts, or
   * `config` for a config file). Default: an empty store, so every transfer is refused.
   */
  transfers?: TransferSettings;
  /**
   * A configuration file as `loadConfig` or `configFromObject` read it: its TSIGs, peers,
   * ACLs and outgoing configurations (instead of `transfers`), its account, its zones'
   * DNS settings (under `account` and `dnsSettings` when those are given too) and faults
   * (before those of `faults`). Every zone it
   * names must be served once `zonesDir`, `zones` and `dataDir` are loaded, or say
   * `create: true` to be created then as `POST /zones` creates a zone; otherwise the start
   * fails with a ConfigError naming the file, line and zone (config/zones.ts).
   */
  config?: LoadedConfig;
  /** Bounds of each zone's IXFR journal (default 1000 versions, 16 MiB). */
  journal?: Partial<JournalLimits>;
  /**
   * NOTIFY to linked peers (RFC 1996, cloudflare.md §1). `source`: the address (and port)
   * NOTIFY leaves from; default the DNS listener's address, a port of the system's choosing.
   * Cloudflare notifies from addresses other than its transfer address: a different
   * `source` reproduces that. `false`: send none.
   */
  notify?:
    | false
    | {
        source?: { host: string; port?: number };
        /** Changes within this many ms go out as one NOTIFY (default 250). */
        coalesceMs?: number;
        /** Wait after each try, ms (default 2, 4, 8, 16, 16 s: five tries). */
        retrySchedule?: number[];
      };
  /**
   * DNS settings zones from `zonesDir` start with, by zone name (PATCH dns_settings bodies
   * without `soa`, e.g. `{ "example.com": { multi_provider: true } }`; the config file's
   * `dns_settings`).
   */
  dnsSettings?: Record<string, unknown>;
  /**
   * The account's DNS settings to start with, as `PATCH /accounts/{id}/dns_settings` takes
   * them (`zone_defaults`, `enforce_dns_only`), over the config file's `account.dns_settings`.
   * Zone defaults apply to the zones loaded and created from then on; with `dataDir`, settings
   * stored by an earlier run win (docs/persistence.md). Throws SettingsError when invalid.
   */
  accountDnsSettings?: unknown;
  /**
   * Keep the whole state in this folder (created if needed): zones, records, settings,
   * transfer objects, serials and journals survive a restart, and every change is on disk
   * before it is acknowledged (store/store.ts; docs/persistence.md). Unset: memory only.
   * Rejects with StoreError when the folder cannot be used.
   */
  dataDir?: string;
  /**
   * Faults to start with (faults/kinds.ts; docs/faults.md), by zone name: `--fault`'s (the
   * config file's `faults:` come with `config`, and are added first). Added again at every
   * start; those added at run time are not kept across a restart. Rejects with ApiError when
   * one is invalid or its zone unknown.
   */
  faults?: { zone: string; spec: FaultSpec }[];
  /**
   * Serve the registrar's parent zone above the zones (cloudflare/registrar.ts,
   * docs/registrar.md) on its own listener: `host` (default the DNS host) and `port` (0: a
   * free one), the parent's `origin` (default the root) and nameserver name, and domains to
   * start with (PUT bodies by name). With `dataDir`, its key and domains are kept there. Unset:
   * no registrar. Throws SettingsError when a domain is invalid.
   */
  registrar?: {
    host?: string;
    port?: number;
    origin?: string;
    nameserver?: string;
    domains?: Record<string, unknown>;
    /** The parent zone's own secondaries: they may transfer it and are notified (port 53). */
    secondaries?: { host: string; port?: number }[];
  };
}

export interface ZoneSummary {
  origin: string;
  serial: number;
  records: number;
  file?: string;
  countsByType: Record<string, number>;
}

export interface ReloadSummary {
  origin: string;
  file: string;
  /** The serial served after the reload. */
  serial: number;
  /** False when the file matched what was served. */
  changed: boolean;
  /** The reason the file was not applied (the served zone is then untouched). */
  error?: string;
}

export interface RegistrarHandle {
  dns: { udp: AddressInfo; tcp: AddressInfo };
  /** The parent, the lab's trust anchor and every domain delegated. */
  get(): RegistrarJson;
  /** One domain, or undefined when it is not delegated. */
  domain(name: string): DomainJson | undefined;
  /** Set a domain's nameservers, glue and added DS (the whole domain, as PUT does). */
  put(name: string, body: DomainInput): DomainJson;
  /** Forget what was set for a domain; false when nothing was. */
  remove(name: string): boolean;
}

export interface PrimaryServer {
  dns: { udp: AddressInfo; tcp: AddressInfo };
  /** Where the API listens, when it was asked for. */
  api?: AddressInfo;
  /**
   * The registrar, when it was asked for (docs/registrar.md): where its parent zone is served,
   * and what the `/dns-primary/v1/registrar` routes do, with the same checks (SettingsError).
   */
  registrar?: RegistrarHandle;
  /** The zones as they were at start. */
  zones: ZoneSummary[];
  /** The zone set served (live). */
  zoneSet: ZoneSet;
  /** The zones as Cloudflare zones: settings, creation, removal, and the one change path. */
  cloudflare: CloudflareZones;
  /** The transfer settings in force (live: changes apply to the next request). */
  transfers: TransferSettings;
  /** Per zone and secondary: SOA checks, transfers, refusals and NOTIFY outcomes. */
  activity: TransferActivity;
  /** The account the API shows. */
  account: Account;
  /** When each zone was created and last changed, as the API shows it (shared with it). */
  times: ZoneTimes;
  /** The NOTIFY sender (absent with `notify: false`): its per-peer status. */
  notifier?: Notifier;
  /** The faults attached to zones, which the transfer, query and NOTIFY paths apply. */
  faults: Faults;
  /**
   * Change a zone through the one versioned path: atomically, next serial, journaled for
   * IXFR, and passed on to UDP workers. Throws ZoneError (nothing changed) on a bad change.
   */
  commit(origin: string, change: Change): Changeset;
  /**
   * Re-read zone files and apply each difference as one changeset (SIGHUP, --watch). A file
   * that fails leaves its zone untouched; the others are still reloaded.
   */
  reload(origins?: string[]): Promise<ReloadSummary[]>;
  /**
   * Stop: the listeners stop accepting at once, so no new work starts; transfers in progress
   * get `limits.shutdownMs` (default 5 s) to finish, then their connections are cut.
   */
  close(): Promise<void>;
}

export function summarizeZone(zone: Zone): ZoneSummary {
  const summary: ZoneSummary = {
    origin: zone.origin,
    serial: zone.serial,
    records: zone.recordCount,
    countsByType: zone.countsByType(),
  };
  if (zone.file !== undefined) summary.file = zone.file;
  return summary;
}

/**
 * Load zones and listen. Rejects with ZonesDirError or ZoneFileError (zone/), ConfigError
 * (config/) or DnsListenError (transport/) on a user error; nothing is left listening when
 * it rejects.
 *
 * The start is a list of steps, each returning what it opened with its own cleanup: when a
 * step fails, what the earlier steps opened is closed again, newest first (the data dir's
 * lock included), and the error is passed on.
 */
export async function startServer(options: ServerOptions = {}): Promise<PrimaryServer> {
  const { config } = options;
  if (config !== undefined && options.transfers !== undefined)
    throw new TypeError("startPrimary: give config or transfers, not both (each is a store)");
  const logger = options.logger ?? silentLogger();
  apiRateLimit(options); // a RangeError before anything listens
  const opened = new Opened();
  try {
    const loaded = loadZones(options, logger);
    const settings = options.transfers ?? config?.settings ?? new TransferSettings();
    const store = opened.add(openDataDir(options, loaded, settings, logger));
    createConfigZones(options, loaded);
    // Once, when every step that adds zones is done (counting a million records takes 0.15 s).
    loaded.summaries.push(...loaded.zones.all().map(summarizeZone));
    const answering = buildHandler(loaded, settings, logger, resolveLimits(options.limits));
    addDeclaredFaults(options, loaded, answering.faults);
    const dns = opened.add(
      await listen(options, loaded, settings, answering.handler, answering.faults, logger),
    );
    const registrar = opened.add(await startRegistrar(options, loaded, dns, logger));
    const api = opened.add(
      await startApi(options, loaded, settings, answering, dns, registrar, logger),
    );
    const notifier = opened.add(startNotify(options, loaded, settings, answering, dns, logger));
    followChanges(loaded, settings, dns, notifier, answering.faults, logger);
    return primaryHandle(
      options,
      loaded,
      settings,
      answering,
      { dns, api, notifier, store, registrar },
      logger,
    );
  } catch (err) {
    await opened.closeAll();
    throw err;
  }
}

/** What a step opened and how to close it: closed in reverse order when a later step fails. */
class Opened {
  private readonly closers: Array<() => unknown> = [];

  add<T extends { close(): unknown } | undefined>(thing: T): T {
    if (thing !== undefined) this.closers.push(() => thing.close());
    return thing;
  }

  async closeAll(): Promise<void> {
    for (const close of this.closers.reverse()) {
      try {
        await close();
      } catch {
        // The start's own error is the one to report.
      }
    }
  }
}

/** The zones and what the later steps read from them. */
interface Loaded {
  zones: ZoneSet;
  cloudflare: CloudflareZones;
  /** The zones as they are once started (filled when every step that adds zones is done). */
  summaries: ZoneSummary[];
  /** Zones the UDP workers load themselves (from zonesDir); the others are sent to them. */
  fromDir: WeakSet<Zone>;
  /** DNS settings zones start with, by zone key (options, then the config file's). */
  initial: Map<string, unknown>;
  /** The same as given (by name), for the UDP workers. */
  dnsSettings: Record<string, unknown>;
  account: Account;
  times: ZoneTimes;
}

/** Step 1: the zones of `zonesDir`, then the inline `zones`, through Cloudflare's rules. */
function loadZones(options: ServerOptions, logger: Logger): Loaded {
  const dnsSettings = { ...options.config?.dnsSettings, ...options.dnsSettings };
  const initial = settingsByKey(dnsSettings);
  const zones = new ZoneSet();
  const rulesLogger = logger.child({ component: "rules" });
  const cloudflare = new CloudflareZones(zones, {
    journal: options.journal,
    warn: (m) => rulesLogger.warn(m),
    settingsFor: (origin) => initial.get(nameKey(origin)),
    maxRecords: resolveLimits(options.limits).zoneRecords,
    account: startAccount(options),
  });
  const summaries: ZoneSummary[] = [];
  const fromDir = new WeakSet<Zone>();
  const warn = (w: ParseWarning) =>
    logger.warn({ file: w.file, line: w.line }, `${w.file}:${w.line}: ${w.message}`);
  if (options.zonesDir !== undefined) {
    const loaded = loadZonesDir(options.zonesDir, {
      journal: options.journal,
      renderer: cloudflare.renderer,
    });
    loaded.warnings.forEach(warn);
    for (const zone of loaded.zones) {
      cloudflare.add(zone);
      fromDir.add(zone);
    }
  }
  if (options.zones !== undefined) {
    const loaded = loadZoneSpecs(cloudflare, options.zones, { journal: options.journal });
    loaded.warnings.forEach(warn);
  }
  return {
    zones,
    cloudflare,
    summaries,
    fromDir,
    initial,
    dnsSettings,
    account: options.account ?? options.config?.account ?? defaultAccount(),
    times: new ZoneTimes(() => new Date()),
  };
}

/**
 * The account's DNS settings at start: stored ones (an earlier run's API changes) win, then
 * the library's option over the config file's, over Cloudflare's defaults.
 */
function startAccount(options: ServerOptions): AccountDnsSettings {
  // Checked whether or not the data dir's win: an invalid option is an error either way.
  let account = defaultAccountSettings();
  for (const patch of [options.config?.accountDnsSettings, options.accountDnsSettings])
    if (patch !== undefined) account = patchAccountSettings(account, patch);
  const stored = options.dataDir !== undefined ? storedAccount(options.dataDir) : undefined;
  return stored ?? account;
}

/** Step 2: the stored state over what was just loaded, then every change stored (store/). */
function openDataDir(
  options: ServerOptions,
  loaded: Loaded,
  settings: TransferSettings,
  logger: Logger,
): Store | undefined {
  if (options.dataDir === undefined) return undefined;
  const asLoaded = new Map(loaded.zones.all().map((z) => [z, z.version]));
  const store = openStore(options.dataDir, {
    cloudflare: loaded.cloudflare,
    transfers: settings,
    logger: logger.child({ component: "store" }),
  });
  // Zones stored before the account's enforce_dns_only last changed (a crash between the
  // writes, a config that changed) follow it now.
  loaded.cloudflare.followAccount();
  // A zone from zonesDir that the store gave its stored serial or settings (store.ts adopt)
  // is not what the file says any more: UDP workers get it whole instead of loading the file.
  for (const [zone, version] of asLoaded) if (zone.version !== version) loaded.fromDir.delete(zone);
  return store;
}

/**
 * Step 3: once every source of zones is loaded, the config's zones are served, or created
 * now through the zone-create path POST /zones takes, so the store keeps them as it keeps
 * zones created through the API (config/zones.ts).
 */
function createConfigZones(options: ServerOptions, loaded: Loaded): void {
  if (options.config === undefined) return;
  const served = loaded.zones.all().map((zone) => zone.origin);
  for (const z of zonesToCreate(options.config, served)) {
    loaded.cloudflare.create(z.name, loaded.initial.get(nameKey(z.name)));
  }
}

/** The DNS side that answers: TSIG keys, transfer policy and activity, the query handler. */
interface Answering {
  handler: DnsHandler;
  activity: TransferActivity;
  limits: Limits;
  faults: Faults;
}

/** Step 4: the handler every transport calls (server/), and the activity it records. */
function buildHandler(
  loaded: Loaded,
  settings: TransferSettings,
  logger: Logger,
  limits: Limits,
): Answering {
  const { zones } = loaded;
  const keyring = createKeyring(settings, () => Date.now() / 1000);
  const faults = new Faults(peersOf(settings));
  const faultLog = logger.child({ component: "fault" });
  faults.onApplied((e) =>
    faultLog.warn(
      {
        zone: e.zone,
        fault: e.fault.kind,
        id: e.fault.id,
        point: e.point,
        ...(e.address ? { peer: e.address } : {}),
      },
      `fault applied: ${e.action}`,
    ),
  );
  // Per zone and secondary: checks, transfers, refusals, NOTIFY outcomes (the API shows it).
  const activity = new TransferActivity({
    isZone: (name) => zones.get(name)?.key === nameKey(name),
  });
  const transfer = createTransferHandler({
    zones,
    settings,
    keyring,
    activity,
    logger: logger.child({ component: "xfr" }),
    maxTransfers: limits.transfersMax,
    maxTransfersPerZone: limits.transfersPerZone,
    faults,
    axfrCache: new AxfrCache(limits.axfrCacheBytes),
  });
  const handler = createQueryHandler(zones, {
    logger: logger.child({ component: "query" }),
    transfer,
    keyring,
    faults,
    onNotify(qname, ctx) {
      activity.incomingNotify(qname, { address: ctx.remoteAddress, port: ctx.remotePort });
    },
    // A secondary polls the SOA to decide whether to transfer: that is Cloudflare's
    // checked_time, when the source is one allowed to transfer the zone.
    onSoaQuery(qname, ctx) {
      const zone = zones.get(qname);
      if (!zone || !settings.outgoing(zone.origin) || !settings.entitled(zone.origin)) return;
      const source = settings.isAllowedSource(zone.origin, ctx.remoteAddress);
      if (source.allowed) {
        settings.markChecked(zone.origin);
        activity.checked(zone.origin, { address: ctx.remoteAddress, port: ctx.remotePort }, source);
      }
    },
  });
  return { handler, activity, limits, faults };
}

/** Step 4b: the faults `--fault` and the config file declare (not kept otherwise). */
function addDeclaredFaults(options: ServerOptions, loaded: Loaded, faults: Faults): void {
  // The config file's first (checked when it was read, their zones by createConfigZones).
  const declared = [...(options.config?.faults ?? []), ...(options.faults ?? [])];
  for (const { zone: name, spec } of declared) {
    const zone = loaded.zones.get(canonicalName(name.endsWith(".") ? name : `${name}.`));
    if (zone === undefined)
      throw new ApiError("NOT_FOUND", `fault for ${name}: no such zone is served`);
    faults.add(zone.key, spec, "config");
  }
}

type Dns = DnsListener & { broadcast?: (m: WorkerCommand) => void };

/** Step 5: UDP and TCP, in this process or with UDP in worker processes. */
async function listen(
  options: ServerOptions,
  loaded: Loaded,
  settings: TransferSettings,
  handler: DnsHandler,
  faults: Faults,
  logger: Logger,
): Promise<Dns> {
  const host = options.dns?.host ?? DEFAULT_DNS_HOST;
  const port = options.dns?.port ?? DEFAULT_DNS_PORT;
  const dnsLogger = logger.child({ component: "dns" });
  const workers = options.udpWorkers ?? 0;
  const dns =
    workers > 0
      ? await listenWithWorkers(
          host,
          port,
          handler,
          dnsLogger,
          { ...options, dnsSettings: loaded.dnsSettings },
          workers,
          loaded.cloudflare,
          loaded.fromDir,
          settings,
          faults,
        )
      : await listenDns({
          host,
          port,
          handler,
          logger: dnsLogger,
          limits: resolveLimits(options.limits),
        });
  // The command line reports the start itself (a summary, then a log line); at debug level
  // here so an embedder's logs are not doubled.
  logger.debug({ udp: dns.udp, tcp: dns.tcp, zones: loaded.summaries.length }, "dns listening");
  return dns;
}

/** Where NOTIFY leaves from: the option, else the DNS listener's address (any port). */
function notifySource(options: ServerOptions, dns: Dns): { host: string; port: number } | null {
  if (options.notify === false) return null;
  return {
    host: options.notify?.source?.host ?? dns.udp.address,
    port: options.notify?.source?.port ?? 0,
  };
}

/** Step 6: the REST API (api/), when asked for. */
async function startApi(
  options: ServerOptions,
  loaded: Loaded,
  settings: TransferSettings,
  answering: Answering,
  dns: Dns,
  registrar: RegistrarListener | undefined,
  logger: Logger,
): Promise<{ app: FastifyInstance; address: AddressInfo; close(): Promise<void> } | undefined> {
  if (options.api === undefined) return undefined;
  const registrarAt = registrar && { host: registrar.tcp.address, port: registrar.tcp.port };
  const app = createApi({
    ...(registrar ? { registrar: registrar.registrar } : {}),
    transfers: settings,
    zones: loaded.cloudflare,
    account: loaded.account,
    apiToken: options.apiToken,
    bodyLimit: answering.limits.apiBodyBytes,
    rateLimit: apiRateLimit(options),
    activity: answering.activity,
    faults: answering.faults,
    times: loaded.times,
    server: () => ({
      dns: { host: dns.tcp.address, port: dns.tcp.port },
      notify_source: notifySource(options, dns),
      registrar: registrarAt ?? null,
    }),
    logger: logger.child({ component: "api" }),
  });
  const address = await listenApi(app, {
    host: options.api.host ?? DEFAULT_API_HOST,
    port: options.api.port ?? DEFAULT_API_PORT,
  });
  return { app, address, close: () => app.close() };
}

type RegistrarListener = {
  registrar: Registrar;
  udp: AddressInfo;
  tcp: AddressInfo;
  close(): Promise<void>;
};

/**
 * Step 5b: the registrar's parent zone on its own listener, with the query logic of the main
 * one (answers, referrals with glue, live signing), and transfers and NOTIFY for the parent's
 * own secondaries when it has some (parentSecondaries). Cloudflare's assigned nameservers get
 * the DNS listener's address as their glue.
 */
async function startRegistrar(
  options: ServerOptions,
  loaded: Loaded,
  dns: Dns,
  logger: Logger,
): Promise<RegistrarListener | undefined> {
  const fromFile = options.config?.registrar;
  if (options.registrar === undefined && fromFile === undefined) return undefined;
  // The option (the command line's --registrar) over the config file's `registrar:`.
  const o = { ...fromFile, ...options.registrar };
  const host = o.host ?? options.dns?.host ?? DEFAULT_DNS_HOST;
  const stored = options.dataDir
    ? (readRegistrarFile(options.dataDir) as StoredRegistrar)
    : undefined;
  let registrar: Registrar;
  try {
    registrar = new Registrar(loaded.cloudflare, {
      origin: o.origin,
      nameserver: o.nameserver,
      addresses: [host],
      cloudflareAddresses: [dns.udp.address],
      key: stored?.key,
      // The data dir's domains win over those the start gives, as its zones do.
      domains: o.domains,
      restored: stored?.domains,
      warn: (message) => logger.warn(message),
    });
  } catch (e) {
    // A domain of the config file that only the zones can judge: named with its line.
    const inFile =
      e instanceof SettingsError && options.config && registrarDomainError(options.config, e);
    throw inFile || e;
  }
  const { dataDir } = options;
  if (dataDir !== undefined) {
    const save = () => writeRegistrarFile(dataDir, registrar.saved());
    save();
    registrar.onChange(save);
  }
  const log = logger.child({ component: "registrar" });
  const limits = resolveLimits(options.limits);
  const secondaries = parentSecondaries(registrar, o.secondaries ?? [], limits, logger);
  const listener = await listenDns({
    host,
    port: o.port ?? 0,
    handler: createQueryHandler(registrar.zones, { logger: log, ...secondaries?.answering }),
    logger: log,
    limits,
  });
  const notifier = secondaries && options.notify !== false ? secondaries.notifier(host) : undefined;
  log.debug({ udp: listener.udp, origin: registrar.origin }, "registrar listening");
  return {
    registrar,
    udp: listener.udp,
    tcp: listener.tcp,
    close: async () => {
      await Promise.all([listener.close(), notifier?.close()]);
    },
  };
}

/**
 * The parent zone is a zone like the others: its own secondaries (addresses, no TSIG) may
 * transfer it, by AXFR or IXFR from its journal, and are notified of each change, through the
 * same transfer chain and NOTIFY sender as Cloudflare's zones, over settings of its own.
 */
function parentSecondaries(
  registrar: Registrar,
  list: readonly { host: string; port?: number }[],
  limits: Limits,
  logger: Logger,
) {
  if (list.length === 0) return undefined;
  const settings = new TransferSettings();
  const origin = registrar.origin;
  const peers = list.map((s, i) =>
    settings.createPeer({ name: `parent-secondary-${i + 1}`, ip: s.host, port: s.port ?? 53 }),
  );
  settings.createOutgoing(origin, { peers: peers.map((p) => p.id) });
  settings.enable(origin);
  const keyring = createKeyring(settings, () => Date.now() / 1000);
  const activity = new TransferActivity({ isZone: (name) => nameKey(name) === nameKey(origin) });
  const transfer = createTransferHandler({
    zones: registrar.zones,
    settings,
    keyring,
    activity,
    logger: logger.child({ component: "registrar-xfr" }),
    maxTransfers: limits.transfersMax,
    maxTransfersPerZone: limits.transfersPerZone,
    axfrCache: new AxfrCache(limits.axfrCacheBytes),
  });
  return {
    answering: { transfer, keyring },
    notifier(host: string): Notifier {
      const notifier = new Notifier({
        source: { host, port: 0 },
        targets: notifyTargets(settings),
        whyNot: notifyDropReason(settings),
        soa: () => notifySoa(registrar.zone),
        logger: logger.child({ component: "registrar-notify" }),
      });
      registrar.zone.onChange(() => notifier.trigger(origin, "change"));
      return notifier;
    },
  };
}

function registrarHandle(l: RegistrarListener): RegistrarHandle {
  const r = l.registrar;
  return {
    dns: { udp: l.udp, tcp: l.tcp },
    get: () => r.json(),
    domain: (name) => r.domain(name),
    put: (name, body) => r.put(name, body),
    remove: (name) => r.remove(name),
  };
}

/** The API's rate limit: the option's, else the config file's, else none. */
function apiRateLimit(options: ServerOptions): RateLimit | undefined {
  const given = options.apiRateLimit ?? options.config?.apiRateLimit;
  return given === undefined ? undefined : parseRateLimit(given);
}

/** The SOA a NOTIFY for `zone` carries (RFC 1996 §3.7): its serial, TTL and RDATA. */
function notifySoa(zone: Zone) {
  const soa = zone.apex.get(T.SOA)!;
  return { serial: zone.serial, ttl: soa.ttl, rdata: soa.at(0) };
}

/** Step 7: NOTIFY to linked peers (notify/), unless `notify: false`. */
function startNotify(
  options: ServerOptions,
  loaded: Loaded,
  settings: TransferSettings,
  answering: Answering,
  dns: Dns,
  logger: Logger,
): Notifier | undefined {
  const source = notifySource(options, dns);
  if (options.notify === false || source === null) return undefined;
  const { zones } = loaded;
  return new Notifier({
    source: options.notify?.source ?? { host: source.host, port: 0 },
    targets: notifyTargets(settings),
    whyNot: notifyDropReason(settings),
    soa(origin) {
      const zone = zones.get(origin);
      return zone?.key === nameKey(origin) ? notifySoa(zone) : undefined;
    },
    ...(options.notify?.coalesceMs !== undefined ? { coalesceMs: options.notify.coalesceMs } : {}),
    ...(options.notify?.retrySchedule !== undefined
      ? { retrySchedule: options.notify.retrySchedule }
      : {}),
    onEvent: (e) => answering.activity.notified(e),
    logger: logger.child({ component: "notify" }),
    // notify-drop, notify-from, notify-unsigned and serial-regression act on each try.
    faults: answering.faults,
  });
}

/**
 * Step 8: what follows every change. Settings changes reach the UDP workers' keyring, the
 * IXFR backlog and NOTIFY; zone changes (API, library, reload) reach the workers and NOTIFY,
 * and are logged once.
 */
function followChanges(
  loaded: Loaded,
  settings: TransferSettings,
  dns: Dns,
  notifier: Notifier | undefined,
  faults: Faults,
  logger: Logger,
): void {
  const { zones, cloudflare, fromDir } = loaded;
  // The UDP workers verify and sign with the same TSIGs (RFC 8945 §5.3).
  settings.onChange((c) => {
    if (c.kind === "tsig") dns.broadcast?.(tsigCommand(settings));
  });
  settings.onChange((c) => {
    if (c.kind !== "outgoing") return;
    // Cloudflare: disabling outgoing transfers and force_notify clear the IXFR backlog, so
    // the next IXFR from an older serial gets the whole zone (cloudflare.md §1).
    if (c.action === "disable" || c.action === "force_notify") zones.get(c.zone)?.journal.clear();
  });
  // Enable and force_notify notify; any change may change whom a zone notifies (links, a
  // peer's ip, port or TSIG, a TSIG's secret, the status): what is in flight to a target no
  // longer wanted stops at once, a new or changed target is notified (notify/peers.ts).
  if (notifier) followSettings(notifier, settings);
  // A start is like an enable: secondaries of enabled zones learn the serial at once.
  for (const o of settings.listOutgoing())
    if (o.status === "Enabled" && zones.get(o.name)) notifier?.trigger(o.name, "enable");

  const enabled = (origin: string) => settings.activeOutgoing(origin) !== undefined;
  // Before the commits it causes (rules/zones.ts followAccount), as the workers need it.
  cloudflare.onAccount((s) => {
    dns.broadcast?.({ type: "account", settings: s });
    logger.info({ enforce_dns_only: s.enforce_dns_only }, "account DNS settings changed");
  });
  cloudflare.on((e) => {
    if (e.kind === "added") {
      // Zones from zonesDir are loaded by the workers themselves; any other is sent whole.
      if (!fromDir.has(e.zone)) dns.broadcast?.(zoneCommand(cloudflare, e.zone));
      logger.info({ zone: e.zone.origin, serial: e.zone.serial }, "zone added");
      return;
    }
    if (e.kind === "removed") {
      // A zone created again starts without the faults of the one deleted.
      faults.clear(e.zone.key);
      dns.broadcast?.({ type: "remove", origin: e.zone.origin });
      notifier?.forget(e.zone.origin);
      logger.info({ zone: e.zone.origin }, "zone removed");
      return;
    }
    const { zone, change, changeset: cs } = e;
    // Every committed change of an enabled zone is announced (coalesced: notifier.ts).
    if (enabled(zone.origin)) notifier?.trigger(zone.origin, "change");
    // RDATA as latin1 strings: the form that crosses the IPC channel (JSON) unchanged.
    dns.broadcast?.({
      type: "commit",
      origin: zone.origin,
      change: {
        remove: change.remove?.map((r) => ({ ...r, rdata: toLatin1(r.rdata) })),
        add: change.add?.map((r) => ({ ...r, rdata: toLatin1(r.rdata) })),
      },
      ...(e.settings ? { settings: e.settings } : {}),
      ...(e.scope ? { scope: e.scope } : {}),
    });
    logger.info(
      {
        zone: zone.origin,
        serial: soaSerialOf(cs.soaTo.rdata),
        removed: cs.removed.length,
        added: cs.added.length,
      },
      "zone changed",
    );
  });
}

/** Step 9: the handle the caller gets: state, commit, reload and close. */
function primaryHandle(
  options: ServerOptions,
  loaded: Loaded,
  settings: TransferSettings,
  answering: Answering,
  running: {
    dns: Dns;
    api?: { address: AddressInfo; close(): Promise<void> };
    notifier?: Notifier;
    store?: Store;
    registrar?: RegistrarListener;
  },
  logger: Logger,
): PrimaryServer {
  const { zones, cloudflare, summaries, account, times } = loaded;
  const { dns, api, notifier, store, registrar } = running;
  let closed: Promise<void> | undefined;
  return {
    dns: { udp: dns.udp, tcp: dns.tcp },
    ...(api ? { api: api.address } : {}),
    ...(registrar ? { registrar: registrarHandle(registrar) } : {}),
    zones: summaries,
    zoneSet: zones,
    cloudflare,
    transfers: settings,
    activity: answering.activity,
    faults: answering.faults,
    account,
    times,
    ...(notifier ? { notifier } : {}),
    commit(origin, change) {
      const zone = zones.get(origin);
      if (!zone) throw new ZoneError(`no zone ${origin} is served`);
      return cloudflare.commit(zone, change);
    },
    reload: (origins) => reloadFiles(options, loaded, store, logger, origins),
    close() {
      closed ??= Promise.all([
        dns.close(),
        api?.close(),
        notifier?.close(),
        registrar?.close(),
      ]).then(() => {
        // Nothing changes any more: the last snapshot, and the data dir is released.
        store?.close();
        logger.debug("closed");
      });
      return closed;
    },
  };
}

/** Re-read zone files, each difference one changeset (PrimaryServer.reload). */
async function reloadFiles(
  options: ServerOptions,
  loaded: Loaded,
  store: Store | undefined,
  logger: Logger,
  origins: string[] | undefined,
): Promise<ReloadSummary[]> {
  const { zones, cloudflare } = loaded;
  const out: ReloadSummary[] = [];
  const wanted = origins?.map((o) => zones.get(o)?.key);
  for (const zone of zones.all()) {
    if (zone.file === undefined || (wanted && !wanted.includes(zone.key))) continue;
    const file = zone.file;
    try {
      // Parsed off the main thread and compared in slices: queries go on meanwhile.
      const r = await reloadZoneFileAsync(zone, {
        includeRoot: options.zonesDir && resolve(options.zonesDir),
        commit: (z, change) => cloudflare.commit(z, change),
      });
      store?.fileApplied(zone);
      for (const w of r.warnings)
        logger.warn({ file: w.file, line: w.line }, `${w.file}:${w.line}: ${w.message}`);
      out.push({
        origin: zone.origin,
        file,
        serial: zone.serial,
        changed: r.changeset !== undefined,
      });
    } catch (err) {
      // A broken file (ZoneFileError) or a failed reader: the served zone is untouched.
      if (!(err instanceof ZoneFileError))
        logger.error({ err, zone: zone.origin, file }, "reload failed");
      else
        logger.error({ zone: zone.origin, file }, `reload failed, zone unchanged: ${err.message}`);
      out.push({
        origin: zone.origin,
        file,
        serial: zone.serial,
        changed: false,
        error: (err as Error).message,
      });
    }
  }
  return out;
}

/** Every zone as it is served now, for a UDP worker that replaces a dead one. */
/** Every TSIG, for the UDP workers' keyring. */
function tsigCommand(settings: TransferSettings): WorkerCommand {
  return {
    type: "tsigs",
    tsigs: settings.listTsigs().map(({ id, name, algo, secret }) => ({ id, name, algo, secret })),
  };
}

function zoneCommands(cloudflare: CloudflareZones): WorkerCommand[] {
  return cloudflare.set.all().map((zone) => zoneCommand(cloudflare, zone));
}

/** One zone as it is served now, whole (records and settings), for a UDP worker. */
function zoneCommand(cloudflare: CloudflareZones, zone: Zone): WorkerCommand {
  const records: WorkerRecord[] = [];
  for (const { name, sets } of zone.stored()) {
    for (const set of sets) {
      for (let i = 0; i < set.size; i++) {
        const rdata = set.at(i);
        const meta = zone.meta.get(recordKey(name, set.type, rdata));
        records.push(
          meta ? [name, set.type, set.ttl, rdata, meta] : [name, set.type, set.ttl, rdata],
        );
      }
    }
  }
  return {
    type: "zone",
    origin: zone.origin,
    records,
    settings: { dns: cloudflare.dnsSettings(zone), profile: cloudflare.profile(zone) },
  };
}

/** Initial DNS settings by zone key (names as given: any case, trailing dot optional). */
function settingsByKey(byName: Record<string, unknown> = {}): Map<string, unknown> {
  return new Map(Object.entries(byName).map(([name, s]) => [nameKey(canonicalName(name)), s]));
}

/** TCP in this process, UDP in worker processes on the same port. */
async function listenWithWorkers(
  host: string,
  port: number,
  handler: DnsHandler,
  logger: Logger,
  options: ServerOptions,
  count: number,
  cloudflare: CloudflareZones,
  fromDir: WeakSet<Zone>,
  settings: TransferSettings,
  faults: Faults,
): Promise<DnsListener & { broadcast?: (m: WorkerCommand) => void }> {
  const tcp = await bindTcp(host, port, handler, logger, resolveLimits(options.limits));
  const tcpAddress = tcp.server.address() as AddressInfo;
  let pool: UdpWorkerPool;
  try {
    pool = await startUdpWorkers(
      count,
      {
        zonesDir: options.zonesDir,
        dnsSettings: Object.fromEntries(settingsByKey(options.dnsSettings)),
        account: cloudflare.accountSettings(),
        host,
        port: tcpAddress.port,
        logLevel: logger.level as LogLevel,
      },
      logger,
      () => zoneCommands(cloudflare),
      () => [
        tsigCommand(settings),
        faultsCommand(faults, peersOf(settings)),
        { type: "account", settings: cloudflare.accountSettings() },
      ],
      (report) => countReport(faults, report),
    );
  } catch (err) {
    await tcp.close();
    throw err;
  }
  // Zones not from zonesDir (inline, other files) are sent to the workers whole.
  for (const zone of cloudflare.set.all())
    if (!fromDir.has(zone)) pool.broadcast(zoneCommand(cloudflare, zone));
  // The workers' copies of the faults follow the store (workers/faults.ts).
  const unfollow = followFaults(faults, peersOf(settings), settings, (c) => pool.broadcast(c));
  let closed: Promise<void> | undefined;
  return {
    udp: { ...tcpAddress },
    tcp: tcpAddress,
    broadcast: (m) => pool.broadcast(m),
    close() {
      unfollow();
      closed ??= Promise.all([pool.close(), tcp.close()]).then(() => undefined);
      return closed;
    },
  };
}
