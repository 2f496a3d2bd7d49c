/** A fake clock, a fake transport and a peer's answers, for the NOTIFY sender's tests. */

import { createSocket, type Socket } from "node:dgram";
import type { NotifyClock, NotifySoa } from "../../src/notify/notifier.js";
import type { NotifyTransport, Rinfo } from "../../src/notify/udp.js";
import { FLAG } from "../../src/wire/message.js";
import { readNameWire } from "../../src/wire/name.js";
import { soaRdata } from "../../src/wire/rdata.js";
import { ResponseSigner, readTsig, type TsigKey, tsigKey } from "../../src/wire/tsig.js";

/** Time moves only when the test says so; timers fire in due order. */
export class FakeClock implements NotifyClock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  /** Move time forward by `ms`, firing every timer that falls due, at its own time. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

export interface Sent {
  message: Buffer;
  host: string;
  port: number;
  at: number;
}

/** Records what is sent; the test delivers the answers. */
export class FakeTransport implements NotifyTransport {
  readonly sent: Sent[] = [];
  handler: (message: Buffer, rinfo: Rinfo) => void = () => {};
  closed = false;
  /** When set, send() rejects with it. */
  failWith: Error | null = null;

  constructor(private readonly clock: FakeClock) {}

  send(message: Buffer, host: string, port: number): Promise<void> {
    this.sent.push({ message, host, port, at: this.clock.now() });
    return this.failWith ? Promise.reject(this.failWith) : Promise.resolve();
  }

  onMessage(handler: (message: Buffer, rinfo: Rinfo) => void): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  deliver(message: Buffer, address: string, port: number): void {
    this.handler(message, { address, port });
  }
}

export function soa(serial: number, ttl = 3600): NotifySoa {
  const rdata = soaRdata({
    mname: "ns1.example.com.",
    rname: "dns.example.com.",
    serial,
    refresh: 10000,
    retry: 2400,
    expire: 604800,
    minimum: 1800,
  });
  return { serial, ttl, rdata: rdata.toString("latin1") };
}

export const KEY: TsigKey = tsigKey(
  "notify-key.",
  "hmac-sha256",
  Buffer.from("a NOTIFY secret").toString("base64"),
);

/** The peer's answer to `request`: header and question echoed, QR set, AA, `rcode`. */
export function answer(
  request: Buffer,
  opts: { rcode?: number; flags?: number; id?: number } = {},
): Buffer {
  const { next } = readNameWire(request, 12);
  const out = Buffer.from(request.subarray(0, next + 4));
  const reqFlags = request.readUInt16BE(2);
  const flags = opts.flags ?? FLAG.QR | (reqFlags & 0x7800) | FLAG.AA | (opts.rcode ?? 0);
  out.writeUInt16BE(opts.id ?? request.readUInt16BE(0), 0);
  out.writeUInt16BE(flags, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  return out;
}

/** `answer()` signed as a peer holding `key` would sign it (seconds from `now`). */
export function signedAnswer(
  request: Buffer,
  key: TsigKey,
  now: number,
  opts: { rcode?: number } = {},
): Buffer {
  const tsig = readTsig(request);
  if (!tsig) throw new Error("the request is not signed");
  return new ResponseSigner(key, tsig, () => now).sign(answer(request, opts));
}

/** A UDP socket posing as a secondary, bound to `host` on an ephemeral port. */
export async function udpPeer(host: string): Promise<Socket> {
  const s = createSocket(host.includes(":") ? "udp6" : "udp4");
  await new Promise<void>((resolve, reject) => {
    s.once("error", reject);
    s.bind(0, host, () => resolve());
  });
  return s;
}
