/** `dns-primary check FILE...`: parse zone files, print what they hold or where they break. */

import { dirname } from "node:path";
import { CloudflareZones } from "../cloudflare/rules/zones.js";
import { summarizeZone } from "../primary.js";
import { ZoneFileError } from "../zone/errors.js";
import { loadZoneFile } from "../zone/load.js";
import { ZoneSet } from "../zone/zoneset.js";
import { formatCheckLine } from "./format.js";
import type { CliIO } from "./io.js";

/** Exit code 0 when every file parsed, 1 otherwise. */
export function check(files: string[], io: CliIO): number {
  let failed = 0;
  for (const file of files) {
    try {
      // Through Cloudflare's rules, as `serve` loads it: the same file passes or fails both
      // (a file without apex NS is served with assigned nameservers, for example).
      const rules = new CloudflareZones(new ZoneSet(), {
        warn: (m) => io.stderr(`${file}: warning: ${m}\n`),
      });
      // $INCLUDE paths resolve against the file's own folder, and may not leave it.
      const { zone, warnings } = loadZoneFile(file, {
        includeRoot: dirname(file),
        renderer: rules.renderer,
      });
      for (const w of warnings) io.stderr(`${w.file}:${w.line}: warning: ${w.message}\n`);
      io.stdout(`${formatCheckLine(file, summarizeZone(zone))}\n`);
    } catch (err) {
      failed++;
      // A ZoneFileError's message is already `file:line: reason`.
      if (err instanceof ZoneFileError) io.stderr(`${err.message}\n`);
      else io.stderr(`${file}: ${(err as Error).message}\n`);
    }
  }
  return failed === 0 ? 0 : 1;
}
