/**
 * A raw AXFR client for the limit, shutdown and consistency tests: one request over TCP,
 * every message of the answer parsed, the records in presentation form. Also a socket that
 * asks for an AXFR and then never reads, to hold a transfer open.
 */
import net from "node:net";
import { encodeQuery, parseMessage, TYPE } from "../peers/wire.js";

export interface AxfrResult {
  rcode: number;
  /** The serial of the first SOA (undefined when refused). */
  serial?: number;
  /** Every record between the two SOAs, as "name type ttl rdata", sorted. */
  records: string[];
  messages: number;
  /** The connection closed before the closing SOA arrived. */
  cut: boolean;
}

function framed(msg: Buffer): Buffer {
  const p = Buffer.alloc(2);
  p.writeUInt16BE(msg.length, 0);
  return Buffer.concat([p, msg]);
}

/** The SOA serial from its presentation form ("mname rname serial refresh ..."). */
function serialOf(rdataText: string): number {
  return Number(rdataText.split(" ")[2]);
}

export function axfr(
  host: string,
  port: number,
  zone: string,
  opts: { timeoutMs?: number; qtype?: number; onRecords?: (n: number) => void } = {},
): Promise<AxfrResult> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const out: AxfrResult = { rcode: 0, records: [], messages: 0, cut: false };
    let soas = 0;
    let buf: Buffer = Buffer.alloc(0);
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      out.records.sort();
      if (err) reject(err);
      else resolve(out);
    };
    const timer = setTimeout(
      () => finish(new Error(`AXFR of ${zone} timed out`)),
      opts.timeoutMs ?? 10_000,
    );
    socket.on("connect", () =>
      socket.write(framed(encodeQuery(zone, opts.qtype ?? TYPE.AXFR, { edns: null }))),
    );
    socket.on("error", (err) => finish(err));
    socket.on("close", () => {
      out.cut = soas < 2 && out.rcode === 0;
      finish();
    });
    socket.on("data", (d: Buffer) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const m = parseMessage(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        out.messages++;
        if (m.rcode !== 0) {
          out.rcode = m.rcode;
          finish();
          return;
        }
        for (const rr of m.answer) {
          if (rr.type === TYPE.SOA) {
            soas++;
            if (soas === 1) out.serial = serialOf(rr.rdataText);
            if (soas === 2) {
              finish();
              return;
            }
            continue;
          }
          out.records.push(`${rr.name} ${rr.type} ${rr.ttl} ${rr.rdataText}`);
        }
        opts.onRecords?.(out.records.length);
      }
    });
  });
}

/**
 * Ask for an AXFR and never read the answer: the server's socket buffer fills and the
 * transfer stays in progress until the connection is closed.
 */
export function stalledAxfr(host: string, port: number, zone: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.on("error", () => {});
    socket.once("error", reject);
    socket.on("connect", () => {
      socket.pause();
      socket.write(framed(encodeQuery(zone, TYPE.AXFR, { edns: null })), () => resolve(socket));
    });
  });
}
