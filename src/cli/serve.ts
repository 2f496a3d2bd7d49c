/** `dns-primary serve`: start a primary, print one summary, run until SIGINT/SIGTERM. */

import { accessSync, constants, statSync } from "node:fs";
import { resolve } from "node:path";
import { createLogger } from "../log.js";
import { startPrimary } from "../primary.js";
import { formatHostPort } from "../transport/errors.js";
import type { ServeCommand } from "./args.js";
import { formatServeSummary } from "./format.js";
import type { CliIO } from "./io.js";
import { watchZoneFiles } from "./watch.js";

/** An error the user can fix, reported as one line and exit code 1. */
export class CliError extends Error {
  override name = "CliError";
}

export async function serve(cmd: ServeCommand, io: CliIO): Promise<number> {
  if (cmd.config !== undefined) checkReadableFile(cmd.config);
  const logger = createLogger({ level: cmd.logLevel });
  if (cmd.config !== undefined) {
    logger.warn({ config: cmd.config }, "config file not applied: this version does not read it");
  }
  const primary = await startPrimary({
    zonesDir: cmd.zonesDir,
    dns: cmd.dns,
    api: cmd.api,
    logger,
    udpWorkers: cmd.udpWorkers,
  });
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
  const reload = (origins?: string[]) => {
    for (const r of primary.reload(origins)) {
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
  logger.info({ signal }, "stopping");
  await primary.close();
  logger.info("dns-primary stopped");
  return 0;
}

function checkReadableFile(file: string): void {
  try {
    if (!statSync(file).isFile()) throw new CliError(`--config ${file}: not a file`);
    accessSync(file, constants.R_OK);
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`--config ${file}: cannot read (${code ?? (err as Error).message})`);
  }
}
