/**
 * Start a primary: load the zone files, build the query handler, listen on UDP and TCP.
 * This is the one place that wires the layers together; the command line and embedders both
 * come through here.
 */

import type { AddressInfo } from "node:net";
import { type Logger, type LogLevel, silentLogger } from "./log.js";
import type { DnsHandler } from "./server/handler.js";
import { createQueryHandler } from "./server/query.js";
import type { Limits } from "./transport/limits.js";
import { resolveLimits } from "./transport/limits.js";
import {
  DEFAULT_DNS_HOST,
  DEFAULT_DNS_PORT,
  type DnsListener,
  listenDns,
} from "./transport/listen.js";
import { bindTcp } from "./transport/tcp.js";
import { startUdpWorkers, type UdpWorkerPool } from "./workers/pool.js";
import { loadZonesDir } from "./zone/load.js";
import type { Zone } from "./zone/zone.js";
import { ZoneSet } from "./zone/zoneset.js";

export interface PrimaryOptions {
  /** Folder of `*.zone` files. Unset: start with no zones. */
  zonesDir?: string;
  /** Where to serve DNS; default 127.0.0.1:5300, port 0 for a free port. */
  dns?: { host?: string; port?: number };
  /** Where the Cloudflare API will listen. Accepted, not used yet. */
  api?: { host?: string; port?: number };
  /** Default: silent. */
  logger?: Logger;
  /**
   * Answer UDP in this many worker processes sharing the socket (node:cluster), to use more
   * than one core; the main process keeps TCP. 0 (the default): the main process answers UDP.
   * Workers load the zones from `zonesDir`.
   */
  udpWorkers?: number;
  limits?: Partial<Limits>;
}

export interface ZoneSummary {
  origin: string;
  serial: number;
  records: number;
  file?: string;
  countsByType: Record<string, number>;
}

export interface Primary {
  dns: { udp: AddressInfo; tcp: AddressInfo };
  zones: ZoneSummary[];
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
 * Load zones and listen. Rejects with ZonesDirError or ZoneFileError (zone/) or
 * DnsListenError (transport/) on a user error; nothing is left listening when it rejects.
 */
export async function startPrimary(options: PrimaryOptions = {}): Promise<Primary> {
  const logger = options.logger ?? silentLogger();
  const zones = new ZoneSet();
  const summaries: ZoneSummary[] = [];
  if (options.zonesDir !== undefined) {
    const loaded = loadZonesDir(options.zonesDir);
    for (const w of loaded.warnings) {
      logger.warn({ file: w.file, line: w.line }, `${w.file}:${w.line}: ${w.message}`);
    }
    for (const zone of loaded.zones) {
      zones.add(zone);
      summaries.push(summarizeZone(zone));
    }
  }

  const handler = createQueryHandler(zones, { logger: logger.child({ component: "query" }) });
  const host = options.dns?.host ?? DEFAULT_DNS_HOST;
  const port = options.dns?.port ?? DEFAULT_DNS_PORT;
  const dnsLogger = logger.child({ component: "dns" });
  const workers = options.udpWorkers ?? 0;
  const dns =
    workers > 0
      ? await listenWithWorkers(host, port, handler, dnsLogger, options, workers)
      : await listenDns({ host, port, handler, logger: dnsLogger, limits: options.limits });
  // The command line reports the start itself (a summary, then a log line); at debug level
  // here so an embedder's logs are not doubled.
  logger.debug({ udp: dns.udp, tcp: dns.tcp, zones: summaries.length }, "dns listening");

  let closed: Promise<void> | undefined;
  return {
    dns: { udp: dns.udp, tcp: dns.tcp },
    zones: summaries,
    close() {
      closed ??= dns.close().then(() => logger.debug("dns closed"));
      return closed;
    },
  };
}

/** TCP in this process, UDP in worker processes on the same port. */
async function listenWithWorkers(
  host: string,
  port: number,
  handler: DnsHandler,
  logger: Logger,
  options: PrimaryOptions,
  count: number,
): Promise<DnsListener> {
  const tcp = await bindTcp(host, port, handler, logger, resolveLimits(options.limits));
  const tcpAddress = tcp.server.address() as AddressInfo;
  let pool: UdpWorkerPool;
  try {
    pool = await startUdpWorkers(
      count,
      {
        zonesDir: options.zonesDir,
        host,
        port: tcpAddress.port,
        logLevel: logger.level as LogLevel,
      },
      logger,
    );
  } catch (err) {
    await tcp.close();
    throw err;
  }
  let closed: Promise<void> | undefined;
  return {
    udp: { ...tcpAddress },
    tcp: tcpAddress,
    close() {
      closed ??= Promise.all([pool.close(), tcp.close()]).then(() => undefined);
      return closed;
    },
  };
}
