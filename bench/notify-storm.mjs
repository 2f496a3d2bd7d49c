/**
 * The zones phase's NOTIFY storm (dns-primary only): every zone of a folder has outgoing
 * transfers enabled to two peers, which are two UDP sockets of this process that answer each
 * NOTIFY as a secondary would and record which zone's serial reached them. After the start's
 * own NOTIFYs, one record of every zone file changes and the server re-reads the folder
 * (SIGHUP): every zone gets a new serial, and each of the two peers must receive a NOTIFY
 * with it for every zone. Meanwhile a steady SOA stream checks that queries are answered.
 */
import dgram from "node:dgram";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, memoryOf, soaSerial, startServer, waitForSoa } from "./peers.mjs";

/** A peer: answers every NOTIFY (RFC 1996 §4.7) and keeps the highest serial per zone. */
async function notifyReceiver() {
  const sock = dgram.createSocket("udp4");
  const port = await freePort();
  await new Promise((resolve) => sock.bind(port, "127.0.0.1", resolve));
  // Room for a burst (the kernel caps it at net.core.rmem_max): what is lost is then the
  // server's doing, not this socket's.
  try {
    sock.setRecvBufferSize(8 * 1024 * 1024);
  } catch {
    // the default buffer
  }
  const serials = new Map();
  let received = 0;
  sock.on("message", (m, rinfo) => {
    if (m.length < 12 || (m[2] & 0x78) >> 3 !== 4) return; // opcode NOTIFY
    received++;
    let off = 12;
    const labels = [];
    while (m[off] !== 0 && off < m.length) {
      labels.push(m.toString("latin1", off + 1, off + 1 + m[off]));
      off += m[off] + 1;
    }
    const zone = `${labels.join(".")}.`.toLowerCase();
    const qEnd = off + 5;
    // The SOA in the answer section: owner (a pointer to the question), 10 octets, MNAME,
    // RNAME, then the serial.
    if (m.readUInt16BE(6) === 1) {
      let p = qEnd + 2 + 10;
      for (let n = 0; n < 2; n++) {
        while (m[p] !== 0 && m[p] < 0xc0) p += m[p] + 1;
        p += m[p] >= 0xc0 ? 2 : 1;
      }
      const serial = m.readUInt32BE(p);
      if ((serials.get(zone) ?? -1) < serial) serials.set(zone, serial);
    }
    // The response: the header with QR set and the question, as BIND and Knot answer.
    const out = Buffer.from(m.subarray(0, qEnd));
    out[2] |= 0x80;
    out.writeUInt16BE(0, 6);
    out.writeUInt16BE(0, 8);
    out.writeUInt16BE(0, 10);
    sock.send(out, rinfo.port, rinfo.address);
  });
  return {
    port,
    serials,
    get received() {
      return received;
    },
    close: () => sock.close(),
  };
}

/** Every origin's serial at each receiver is at least `min[origin]`. */
function caughtUp(receivers, origins, min) {
  let count = 0;
  for (const r of receivers)
    for (const o of origins) if ((r.serials.get(o) ?? -1) >= min.get(o)) count++;
  return count;
}

async function until(cond, capMs) {
  const t0 = performance.now();
  while (!cond() && performance.now() - t0 < capMs) await new Promise((r) => setTimeout(r, 50));
  return performance.now() - t0;
}

/**
 * Run the storm with the zones of `many` ({ dir, origins, files }); returns its figures.
 * `soaStream(server, origin)` is the run's steady query stream; `capMs` bounds each wait.
 */
export async function notifyStorm({ many, root, soaStream, quantile, capMs }) {
  const receivers = [await notifyReceiver(), await notifyReceiver()];
  const dir = path.join(os.tmpdir(), `dns-bench-storm-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(many.dir, path.join(dir, "zones"), { recursive: true });
  const config = [
    "peers:",
    ...receivers.map((r, i) => `  - { name: p${i}, ip: 127.0.0.1, port: ${r.port} }`),
    "zones:",
    ...many.origins.map((o) => `  "${o}": { outgoing: { peers: [p0, p1], status: Enabled } }`),
    "",
  ].join("\n");
  writeFileSync(path.join(dir, "dns-primary.yaml"), config);
  const s = await startServer("dns-primary", {
    origin: many.origins[0],
    zonesDir: path.join(dir, "zones"),
    root,
    config: path.join(dir, "dns-primary.yaml"),
  });
  try {
    await waitForSoa(s, many.origins[many.origins.length - 1], s.t0, capMs);
    // The start's NOTIFYs: every zone's first serial at both peers.
    const first = new Map();
    for (const o of many.origins) first.set(o, await soaSerial(s.host, s.port, o, 1000));
    const total = receivers.length * many.origins.length;
    const startMs = await until(() => caughtUp(receivers, many.origins, first) === total, capMs);
    const startCaught = caughtUp(receivers, many.origins, first);
    const receivedAtStart = receivers.reduce((n, r) => n + r.received, 0);
    // One record of every zone changes; the server re-reads the folder.
    for (const f of many.files) {
      const copy = path.join(dir, "zones", path.basename(f));
      writeFileSync(
        copy,
        readFileSync(copy, "utf8").replace("h0\tA\t10.0.0.0", "h0\tA\t192.0.2.99"),
      );
    }
    const next = new Map([...first].map(([o, v]) => [o, (v + 1) >>> 0]));
    const stream = soaStream(s, many.origins[0]);
    const t0 = performance.now();
    s.proc.kill("SIGHUP");
    const storm = await until(() => caughtUp(receivers, many.origins, next) === total, capMs);
    const latencies = await stream.stop();
    const caught = caughtUp(receivers, many.origins, next);
    return {
      zones: many.origins.length,
      peers: receivers.length,
      startNotifiedPairs: startCaught,
      startSeconds: startMs / 1000,
      notifiesAtStart: receivedAtStart,
      changeNotifiedPairs: caught,
      changeSeconds: storm / 1000,
      notifiesForChange: receivers.reduce((n, r) => n + r.received, 0) - receivedAtStart,
      lostPairs: total - caught,
      soaQueries: latencies.length,
      soaP99Ms: quantile(latencies, 0.99),
      soaMaxMs: Math.max(...latencies),
      elapsedSeconds: (performance.now() - t0) / 1000,
      ...memoryOf(s.pid),
    };
  } finally {
    await s.stop();
    for (const r of receivers) r.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
