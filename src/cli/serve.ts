/** `dns-primary serve`: start a primary, print one summary, run until SIGINT/SIGTERM. */

import { resolve } from "node:path";
import { ApiError } from "../cloudflare/errors.js";
import { loadConfig } from "../config/load.js";
import { createLogger } from "../log.js";
import { startServer } from "../primary.js";
import { formatHostPort } from "../transport/errors.js";

/** 127.0.0.0/8 and ::1: the API is then reachable from this machine only. */
function isLoopback(host: string): boolean {
  return host === "::1" || host.startsWith("127.");
}

import { type ServeCommand, UsageError } from "./args.js";
import { formatServeSummary } from "./format.js";
import type { CliIO } from "./io.js";
import { watchZoneFiles } from "./watch.js";

export async function serve(cmd: ServeCommand, io: CliIO): Promise<number> {
  // The transfer configuration is read and checked before anything listens.
  const config = cmd.config === undefined ? undefined : loadConfig(cmd.config);
  const logger = createLogger({ level: cmd.logLevel });
  const primary = await startServer({
    zonesDir: cmd.zonesDir,
    dns: cmd.dns,
    api: cmd.api,
    logger,
    udpWorkers: cmd.udpWorkers,
    // Its zones must be served or say `create: true`, else a ConfigError (config/zones.ts).
    ...(config !== undefined ? { config } : {}),
    journal: cmd.journal,
    limits: cmd.limits,
    apiToken: cmd.apiToken,
    ...(cmd.apiRateLimit !== undefined ? { apiRateLimit: cmd.apiRateLimit } : {}),
    ...(cmd.dataDir !== undefined ? { dataDir: cmd.dataDir } : {}),
    notify: cmd.noNotify ? false : cmd.notifySource ? { source: cmd.notifySource } : {},
    ...(cmd.faults !== undefined ? { faults: cmd.faults } : {}),
    ...(cmd.registrar !== undefined ? { registrar: cmd.registrar } : {}),
  }).catch((err) => {
    // Whether a --fault's zone is served and its peer_id names a peer is known only once the
    // zones and the settings are loaded (args.ts checked the rest): still a usage error.
    if (cmd.faults !== undefined && isFaultError(err))
      throw new UsageError(`--fault: ${err.message}`);
    throw err;
  });
  if (cmd.apiToken === undefined && !isLoopback(cmd.api.host)) {
    logger.warn(
      { api: formatHostPort(cmd.api.host, cmd.api.port) },
      "the API listens beyond this machine and accepts any credential: set --api-token",
    );
  }
  io.stdout(formatServeSummary(primary, cmd));
  const { udp, tcp } = primary.dns;
  logger.info(
    {
      udp: formatHostPort(udp.address, udp.port),
      tcp: formatHostPort(tcp.address, tcp.port),
      zones: primary.zones.length,
    },
    "dns-primary started",
  );
  // SIGHUP re-reads every zone file, as named and knotd do; --watch re-reads a changed one.
  // One reload at a time; a request during one runs after it.
  let reloading: Promise<void> = Promise.resolve();
  const reload = (origins?: string[]) => {
    reloading = reloading
      .then(() => reloadNow(origins))
      .catch((err) => logger.error({ err }, "reload failed"));
  };
  const reloadNow = async (origins?: string[]) => {
    for (const r of await primary.reload(origins)) {
      if (r.changed) io.stdout(`reloaded ${r.origin} from ${r.file}: serial ${r.serial}\n`);
      else if (r.error)
        io.stderr(`dns-primary: reload of ${r.origin} failed, zone unchanged: ${r.error}\n`);
    }
  };
  const onHup = () => reload();
  process.on("SIGHUP", onHup);
  const files = new Map(
    primary.zoneSet
      .all()
      .flatMap((z) => (z.file ? [[resolve(z.file), z.origin] as [string, string]] : [])),
  );
  const watcher = cmd.watch ? watchZoneFiles(files, reload) : undefined;
  const signal = await io.waitForStop();
  process.off("SIGHUP", onHup);
  watcher?.close();
  await reloading;
  logger.info({ signal }, "stopping");
  await primary.close();
  logger.info("dns-primary stopped");
  return 0;
}

/** A declared fault the server refused at start (primary.ts addDeclaredFaults). */
function isFaultError(err: unknown): err is ApiError {
  if (!(err instanceof ApiError)) return false;
  return (
    err.kind === "INVALID_FAULT" ||
    err.kind === "UNKNOWN_FAULT_KIND" ||
    (err.kind === "NOT_FOUND" && err.message.startsWith("fault for "))
  );
}
