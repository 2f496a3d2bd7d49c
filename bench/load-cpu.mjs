// CPU and wall time of loading a zone file into a zone, without a server: the parse and build
// share of a start. Run `npm run build` first.   node bench/load-cpu.mjs ZONEFILE
import { loadZoneFile } from "../dist/zone/load.js";

const file = process.argv[2];
if (!file) throw new Error("usage: node bench/load-cpu.mjs ZONEFILE");
for (let round = 0; round < 3; round++) {
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  const { zone } = loadZoneFile(file);
  const cpu = process.cpuUsage(t0);
  console.log(
    `load of ${zone.recordCount} records: ${((performance.now() - w0) / 1000).toFixed(2)} s, ` +
      `${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU`,
  );
}
