/**
 * A small DNS client for the interop tests: one query over UDP or TCP to host:port with a
 * timeout, returning the raw response and two decoded forms (our own section walker, which
 * keeps raw rdata, and dns-packet's, which is handier to read for common types).
 */
import dgram from "node:dgram";
import net from "node:net";
import packet from "dns-packet";
import {
  encodeQuery,
  type ParsedMessage,
  parseMessage,
  type QueryOptions,
  typeNumber,
} from "./wire.js";

export interface Server {
  host: string;
  /** UDP port, and TCP port unless `tcpPort` is given. */
  port: number;
  tcpPort?: number;
}

export interface QueryResult {
  raw: Buffer;
  parsed: ParsedMessage;
  /** dns-packet's decoding, or null when it throws (it cannot decode every type). */
  decoded: packet.Packet | null;
  ms: number;
}

export interface SendOptions extends QueryOptions {
  tcp?: boolean;
  timeoutMs?: number;
  /** UDP retransmissions after the first try (default 1). */
  retries?: number;
}

function udpExchange(server: Server, msg: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(server.host.includes(":") ? "udp6" : "udp4");
    const id = msg.readUInt16BE(0);
    const timer = setTimeout(() => {
      sock.close();
      reject(
        new Error(`UDP query to ${server.host}:${server.port} timed out after ${timeoutMs} ms`),
      );
    }, timeoutMs);
    sock.on("message", (data) => {
      if (data.length < 2 || data.readUInt16BE(0) !== id) return; // not ours
      clearTimeout(timer);
      sock.close();
      resolve(data);
    });
    sock.on("error", (err) => {
      clearTimeout(timer);
      sock.close();
      reject(err);
    });
    sock.send(msg, server.port, server.host);
  });
}

function tcpExchange(server: Server, msg: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const port = server.tcpPort ?? server.port;
    const sock = net.connect({ host: server.host, port });
    let buf = Buffer.alloc(0);
    const fail = (err: Error) => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new Error(`TCP query to ${server.host}:${port} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    sock.on("connect", () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length, 0);
      sock.write(Buffer.concat([len, msg]));
    });
    sock.on("data", (data) => {
      buf = Buffer.concat([buf, data]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(timer);
        sock.end();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    sock.on("error", fail);
    sock.on("end", () => {
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) {
        fail(new Error(`TCP connection to ${server.host}:${port} closed before a full answer`));
      }
    });
  });
}

/** Send a prepared message and return the raw answer. */
export async function exchange(
  server: Server,
  msg: Buffer,
  opts: SendOptions = {},
): Promise<Buffer> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  if (opts.tcp) return tcpExchange(server, msg, timeoutMs);
  const tries = 1 + (opts.retries ?? 1);
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      return await udpExchange(server, msg, timeoutMs);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

export async function query(
  server: Server,
  qname: string,
  qtype: string | number,
  opts: SendOptions = {},
): Promise<QueryResult> {
  const t0 = performance.now();
  const msg = encodeQuery(qname, typeof qtype === "number" ? qtype : typeNumber(qtype), opts);
  const raw = await exchange(server, msg, opts);
  let decoded: packet.Packet | null = null;
  try {
    decoded = packet.decode(raw);
  } catch {
    decoded = null;
  }
  return { raw, parsed: parseMessage(raw), decoded, ms: performance.now() - t0 };
}
