/**
 * A stub DNS client for the lab check (check.ts): one question to one server, without RD and
 * with DO (RFC 3225), over UDP and again over TCP when the answer is truncated (RFC 7766
 * §5). The records come back with their RDATA in uncompressed wire form (wire/rdata.ts
 * rdataFromWire), the form DNSSEC validation and comparison need.
 */

import { createSocket } from "node:dgram";
import { isIP, Socket } from "node:net";
import { readRecord } from "../wire/message.js";
import { nameToWire, readNameWire } from "../wire/name.js";
import { rdataFromWire } from "../wire/rdata.js";
import { T, typeToText } from "../wire/types.js";

/** A server that does not answer, or answers with something that is not an answer. */
export class LabError extends Error {
  override name = "LabError";
}

export interface Server {
  host: string;
  port: number;
}

export interface Rr {
  name: string;
  type: number;
  ttl: number;
  /** Uncompressed wire RDATA. */
  rdata: Buffer;
}

export interface Reply {
  rcode: number;
  aa: boolean;
  tc: boolean;
  answer: Rr[];
  authority: Rr[];
  additional: Rr[];
}

/** A query: no RD (the lab asks authoritative servers), EDNS(0) with DO and a 1232-byte buffer. */
export function queryMessage(name: string, type: number, id: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(1, 4); // QDCOUNT
  header.writeUInt16BE(1, 10); // ARCOUNT: the OPT
  const q = Buffer.alloc(4);
  q.writeUInt16BE(type, 0);
  q.writeUInt16BE(1, 2);
  const opt = Buffer.alloc(11);
  opt.writeUInt16BE(T.OPT, 1);
  opt.writeUInt16BE(1232, 3);
  opt.writeUInt32BE(0x8000, 5); // DO
  return Buffer.concat([header, nameToWire(name), q, opt]);
}

/** Read an answer; throws on a message that is not one. */
export function readReply(msg: Buffer, id: number): Reply {
  if (msg.length < 12 || msg.readUInt16BE(0) !== id || (msg[2] & 0x80) === 0)
    throw new Error("not an answer to the question asked");
  const counts = [
    msg.readUInt16BE(4),
    msg.readUInt16BE(6),
    msg.readUInt16BE(8),
    msg.readUInt16BE(10),
  ];
  let p = 12;
  for (let i = 0; i < counts[0]; i++) p = readNameWire(msg, p).next + 4;
  const sections: Rr[][] = [[], [], []];
  let rcode = msg[3] & 0x0f;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]; i++) {
      const r = readRecord(msg, p);
      p = r.end;
      if (r.type === T.OPT) {
        rcode |= (r.ttl >>> 24) << 4; // RFC 6891 §6.1.3: the extended RCODE
        continue;
      }
      const rdata = rdataFromWire(r.type, msg, r.rdataOffset, r.rdlength);
      sections[s].push({ name: r.name, type: r.type, ttl: r.ttl, rdata });
    }
  }
  return {
    rcode,
    aa: (msg[2] & 0x04) !== 0,
    tc: (msg[2] & 0x02) !== 0,
    answer: sections[0],
    authority: sections[1],
    additional: sections[2],
  };
}

function overUdp(server: Server, msg: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(server.host) === 6 ? "udp6" : "udp4");
    const done = (err: Error | null, reply?: Buffer) => {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => done(new Error("no answer (timed out)")), timeoutMs);
    socket.on("error", (e) => done(e));
    socket.on("message", (reply) => {
      if (reply.length >= 2 && reply.readUInt16BE(0) === msg.readUInt16BE(0)) done(null, reply);
    });
    socket.send(msg, server.port, server.host);
  });
}

function overTcp(server: Server, msg: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(new Error("no answer (timed out)")), timeoutMs);
    socket.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on("data", (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(got.subarray(2, 2 + got.readUInt16BE(0)));
      }
    });
    socket.connect(server.port, server.host, () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length, 0);
      socket.write(Buffer.concat([len, msg]));
    });
  });
}

/** Ask one question; UDP first, TCP when truncated. Rejects when the server does not answer. */
export async function ask(
  server: Server,
  name: string,
  type: number,
  timeoutMs = 3000,
): Promise<Reply> {
  const id = Math.floor(Math.random() * 0x10000);
  const msg = queryMessage(name, type, id);
  const where = `${server.host}:${server.port}`;
  try {
    let reply = readReply(await overUdp(server, msg, timeoutMs), id);
    if (reply.tc) reply = readReply(await overTcp(server, msg, timeoutMs), id);
    return reply;
  } catch (e) {
    throw new LabError(`${where}, ${name} ${typeToText(type)}: ${(e as Error).message}`);
  }
}
