#!/usr/bin/env node
/**
 * The ceiling of Node's UDP path on this machine: a responder that answers every query with
 * the question and one fixed SOA record, doing no DNS work at all. The bench runs it beside
 * dns-primary (server "node-udp") so that dns-primary's query rate can be read as a share of
 * what Node itself can receive and send here.
 *
 *   node bench/udp-responder.mjs PORT ORIGIN [WORKERS]
 *
 * With WORKERS > 0 it forks that many processes through node:cluster that share one socket,
 * the same way `dns-primary serve --udp-workers N` does (src/workers/pool.ts).
 */
import cluster from "node:cluster";
import dgram from "node:dgram";

const [portArg, originArg = "bench.test.", workersArg = "0"] = process.argv.slice(2);
const port = Number(portArg);
const workers = Number(workersArg);
if (!Number.isInteger(port) || !Number.isInteger(workers)) {
  throw new Error("usage: node bench/udp-responder.mjs PORT ORIGIN [WORKERS]");
}

/** The wire form of a name without escapes. */
function wireName(name) {
  const labels = name.split(".").filter(Boolean);
  return Buffer.concat([
    ...labels.map((l) => Buffer.from([l.length, ...Buffer.from(l)])),
    Buffer.from([0]),
  ]);
}

// One SOA record whose owner points at the question (offset 12): the same for every answer.
const origin = originArg.endsWith(".") ? originArg : `${originArg}.`;
const soaRdata = Buffer.concat([
  wireName(`ns1.${origin}`),
  wireName(`hostmaster.${origin}`),
  Buffer.from([
    0, 0, 0, 1, 0, 0, 0x0e, 0x10, 0, 0, 0x03, 0x84, 0, 0x09, 0x3a, 0x80, 0, 0, 0x0e, 0x10,
  ]),
]);
const answer = Buffer.alloc(12 + soaRdata.length);
answer.writeUInt16BE(0xc00c, 0);
answer.writeUInt16BE(6, 2); // SOA
answer.writeUInt16BE(1, 4); // IN
answer.writeUInt32BE(3600, 6);
answer.writeUInt16BE(soaRdata.length, 10);
soaRdata.copy(answer, 12);

/** The end of the question of a query (offset 12 on), or -1 when there is none. */
function questionEnd(m) {
  let off = 12;
  while (off < m.length) {
    const len = m[off];
    if (len === 0) return off + 5 <= m.length ? off + 5 : -1;
    if (len >= 0x40) return -1;
    off += len + 1;
  }
  return -1;
}

/** The peer's address is an IP literal: no dns.lookup before each send (as src/transport/udp.ts). */
const ipLookup = (address, _family, callback) => callback(null, address, 4);

function serve() {
  const sock = dgram.createSocket({ type: "udp4", lookup: ipLookup });
  sock.on("message", (m, rinfo) => {
    const end = m.length >= 12 ? questionEnd(m) : -1;
    if (end < 0) return;
    const out = Buffer.allocUnsafe(end + answer.length);
    m.copy(out, 0, 0, end);
    out[2] = 0x84 | (m[2] & 0x01); // QR, AA, RD echoed; opcode QUERY
    out[3] = 0;
    out.writeUInt16BE(1, 4);
    out.writeUInt16BE(1, 6);
    out.writeUInt32BE(0, 8);
    answer.copy(out, end);
    sock.send(out, rinfo.port, rinfo.address);
  });
  sock.bind(port, "127.0.0.1");
}

if (workers > 0 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  const stop = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
} else {
  serve();
}
