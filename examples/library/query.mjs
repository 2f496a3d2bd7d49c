/**
 * Ask a DNS server for a name's A records: with `dig` when it is installed, else with one
 * UDP datagram (no dependencies). Shared by the two examples.
 */
import { execFile } from "node:child_process";
import dgram from "node:dgram";
import { promisify } from "node:util";

const run = promisify(execFile);

export async function addresses(port, name) {
  try {
    const { stdout } = await run("dig", [
      "+short",
      "+time=2",
      "-p",
      String(port),
      "@127.0.0.1",
      name,
      "A",
    ]);
    return stdout.split("\n").filter(Boolean);
  } catch (err) {
    if (err.code !== "ENOENT") throw err;
    return udpAddresses(port, name);
  }
}

/** A records of `name` from 127.0.0.1:port, by hand: one query, the answers' addresses. */
function udpAddresses(port, name) {
  const qname = Buffer.concat([
    ...name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0]),
  ]);
  const query = Buffer.concat([
    Buffer.from([0x12, 0x34, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
    qname,
    Buffer.from([0, 1, 0, 1]),
  ]);
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket("udp4");
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no answer for ${name}`));
    }, 2000);
    sock.on("message", (m) => {
      clearTimeout(timer);
      sock.close();
      const out = [];
      let at = 12 + qname.length + 4;
      for (let i = 0; i < m.readUInt16BE(6); i++) {
        // Names in answers are compressed pointers here (2 octets) or labels: skip either.
        while (m[at] !== 0 && (m[at] & 0xc0) !== 0xc0) at += m[at] + 1;
        at += m[at] === 0 ? 1 : 2;
        const type = m.readUInt16BE(at);
        const len = m.readUInt16BE(at + 8);
        if (type === 1) out.push([...m.subarray(at + 10, at + 14)].join("."));
        at += 10 + len;
      }
      resolve(out);
    });
    sock.send(query, port, "127.0.0.1");
  });
}
