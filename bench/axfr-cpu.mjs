// CPU cost of building the AXFR messages of a zone, without sockets: the server's share of
// a transfer. Run `npm run build` first.   node bench/axfr-cpu.mjs ZONEFILE
import { axfrParts } from "../dist/server/xfr.js";
import { loadZoneFile } from "../dist/zone/load.js";

const file = process.argv[2];
if (!file) throw new Error("usage: node bench/axfr-cpu.mjs ZONEFILE");
const { zone } = loadZoneFile(file);
const req = { id: 1, flags: 0, qname: zone.origin, qtype: 252, qclass: 1, edns: false };
for (let round = 0; round < 3; round++) {
  const stats = { records: 0, messages: 0, bytes: 0 };
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  for (const _m of axfrParts(req, zone.apex, zone.snapshot(), stats)) {
    // consume
  }
  const cpu = process.cpuUsage(t0);
  console.log(
    `AXFR of ${stats.records} records: ${stats.messages} messages, ${stats.bytes} bytes, ` +
      `${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU, ${((performance.now() - w0) / 1000).toFixed(2)} s`,
  );
}
