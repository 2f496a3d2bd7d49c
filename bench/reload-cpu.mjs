// Wall and CPU time of reloading a zone file with one record changed, without a server: the
// reader thread parses, this thread builds the new copy and compares it, in slices.
// Run `npm run build` first.   node bench/reload-cpu.mjs ZONEFILE   (the file is copied)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadZoneFile } from "../dist/zone/load.js";
import { reloadZoneFileAsync } from "../dist/zone/reload.js";

const source = process.argv[2];
if (!source) throw new Error("usage: node bench/reload-cpu.mjs ZONEFILE");
const dir = mkdtempSync(path.join(os.tmpdir(), "dns-bench-reload-"));
const file = path.join(dir, path.basename(source));
const text = readFileSync(source, "utf8");
writeFileSync(file, text);
try {
  const { zone } = loadZoneFile(file);
  // The first A record of the file gets another address each round.
  const first = /^(\S+\s+(?:\d+\s+)?(?:IN\s+)?A\s+)(\S+)$/m.exec(text);
  if (!first) throw new Error(`${source}: no A record to change`);
  for (let round = 1; round <= 3; round++) {
    writeFileSync(file, text.replace(first[0], `${first[1]}198.51.100.${round}`));
    const t0 = process.cpuUsage();
    const w0 = performance.now();
    const r = await reloadZoneFileAsync(zone);
    const cpu = process.cpuUsage(t0);
    console.log(
      `reload of ${zone.recordCount} records, ${r.change.add?.length ?? 0} added and ${r.change.remove?.length ?? 0} removed: ` +
        `${((performance.now() - w0) / 1000).toFixed(2)} s, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU (reader thread included)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
