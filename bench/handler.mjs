// Cost of the query handler alone, without sockets: µs per query for answers served from
// the answer cache and for answers looked up and encoded afresh. Run `npm run build` first.
//   node bench/handler.mjs [iterations]
import { readFileSync } from "node:fs";
import packet from "dns-packet";
import { createQueryHandler } from "../dist/server/query.js";
import { zoneFromText } from "../dist/zone/load.js";
import { ZoneSet } from "../dist/zone/zoneset.js";

const N = Number(process.argv[2] ?? 300_000);
const zones = new ZoneSet();
const text = readFileSync(new URL("../zones/example.com.zone", import.meta.url), "utf8");
zones.add(zoneFromText(text, { file: "example.com.zone" }).zone);
const handler = createQueryHandler(zones);
const ctx = {
  transport: "udp",
  remoteAddress: "127.0.0.1",
  remotePort: 1,
  localAddress: "127.0.0.1",
  localPort: 2,
};
const names = ["www", "mail", "shop", "nope", "a.apps", "x.dev", "_imaps._tcp"];
const queries = names.map((n) =>
  packet.encode({
    id: 1,
    type: "query",
    flags: packet.RECURSION_DESIRED,
    questions: [{ name: `${n}.example.com`, type: n.startsWith("_") ? "SRV" : "A", class: "IN" }],
    additionals: [{ type: "OPT", name: ".", udpPayloadSize: 4096 }],
  }),
);
for (const mode of ["cached", "uncached"]) {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    // Moving the generation is what a zone change does: it empties the answer cache.
    if (mode === "uncached") zones.generation++;
    handler.handle(queries[i % queries.length], ctx);
  }
  const ms = performance.now() - t0;
  console.log(
    `${mode.padEnd(9)} ${((ms * 1000) / N).toFixed(2)} µs/query  ${Math.round((N / ms) * 1000)} queries/s`,
  );
}
