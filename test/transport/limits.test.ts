/**
 * The TCP time limits and the graceful close (transport/limits.ts, tcp.ts): a peer trickling
 * a message one octet at a time is cut at the message deadline, an answer stream not written
 * in full is cut at the transfer deadline, and close() lets streams finish within the grace
 * period or cuts them at its end, refusing new connections from the start.
 */
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import t, { type Test } from "tap";
import type { DnsHandler, HandlerResult } from "../../src/server/handler.js";
import { DEFAULT_LIMITS, type Limits, resolveLimits } from "../../src/transport/limits.js";
import { type DnsListener, listenDns } from "../../src/transport/listen.js";

// A query: a 12-octet header, then a command octet and a u16 argument.
const ECHO = 0;
/** A stream of `arg` messages of 1 KiB, one every 10 ms. */
const SLOW_STREAM = 1;
/** A stream of 16 KiB messages that never ends (the transport's back-pressure paces it). */
const ENDLESS = 2;

function query(id: number, cmd = ECHO, arg = 0): Buffer {
  const b = Buffer.alloc(15);
  b.writeUInt16BE(id, 0);
  b[12] = cmd;
  b.writeUInt16BE(arg, 13);
  return b;
}

function framed(msg: Buffer): Buffer {
  const p = Buffer.alloc(2);
  p.writeUInt16BE(msg.length, 0);
  return Buffer.concat([p, msg]);
}

class Handler implements DnsHandler {
  produced = 0;
  handle(msg: Buffer): HandlerResult {
    const cmd = msg[12];
    if (cmd === SLOW_STREAM) return this.slow(msg, msg.readUInt16BE(13));
    if (cmd === ENDLESS) return this.endless(msg);
    const res = Buffer.from(msg);
    res[2] |= 0x80;
    return res;
  }
  async *slow(q: Buffer, count: number): AsyncIterable<Buffer> {
    for (let i = 0; i < count; i++) {
      await sleep(10);
      const m = Buffer.alloc(1024);
      q.copy(m, 0, 0, 2);
      this.produced++;
      yield m;
    }
  }
  async *endless(q: Buffer): AsyncIterable<Buffer> {
    for (;;) {
      const m = Buffer.alloc(16 * 1024);
      q.copy(m, 0, 0, 2);
      this.produced++;
      yield m;
      await sleep(0);
    }
  }
}

/** Collects whole frames; `closed` resolves when the server closes the connection. */
class Client {
  readonly socket: net.Socket;
  frames = 0;
  readonly closed: Promise<number>;
  private buf = Buffer.alloc(0);
  constructor(port: number, read = true) {
    const opened = Date.now();
    this.socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
    this.socket.on("error", () => {});
    this.closed = new Promise((r) => this.socket.once("close", () => r(Date.now() - opened)));
    if (!read) {
      this.socket.pause();
      return;
    }
    this.socket.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 2 && this.buf.length >= 2 + this.buf.readUInt16BE(0)) {
        this.buf = this.buf.subarray(2 + this.buf.readUInt16BE(0));
        this.frames++;
      }
    });
  }
  connected(): Promise<void> {
    return new Promise((r) => this.socket.once("connect", () => r()));
  }
}

async function start(t: Test, limits: Partial<Limits>) {
  const handler = new Handler();
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: "debug" },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  const dns: DnsListener = await listenDns({ host: "127.0.0.1", port: 0, handler, logger, limits });
  t.teardown(() => dns.close());
  return { dns, handler, lines, port: dns.tcp.port };
}

const logged = (lines: Array<Record<string, unknown>>, text: string) =>
  lines.some((l) => String(l.msg).includes(text));

/** Milliseconds until a log line containing `text` appears (-1 after `withinMs`). */
async function whenLogged(
  lines: Array<Record<string, unknown>>,
  text: string,
  withinMs: number,
): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < withinMs) {
    if (logged(lines, text)) return Date.now() - t0;
    await sleep(20);
  }
  return -1;
}

/**
 * A client that never read sees the server's FIN only after the data before it: read it all
 * now and wait for the close.
 */
async function drainAndClose(c: Client): Promise<void> {
  c.socket.on("data", () => {});
  c.socket.resume();
  await c.closed;
}

t.test("defaults and validation", async (t) => {
  const l = resolveLimits();
  t.equal(l.tcpIdleMs, 10_000);
  t.equal(l.tcpMessageMs, 10_000);
  t.equal(l.transferMs, 300_000);
  t.equal(l.transfersMax, 32);
  t.equal(l.transfersPerZone, 16);
  t.equal(l.apiBodyBytes, 1024 * 1024);
  t.equal(l.zoneRecords, 1_000_000);
  t.equal(l.shutdownMs, 5_000);
  t.same(resolveLimits({ transfersMax: 3 }), { ...DEFAULT_LIMITS, transfersMax: 3 });
  t.throws(() => resolveLimits({ transferMs: 0 }), RangeError);
  t.throws(() => resolveLimits({ zoneRecords: 1.5 }), RangeError);
  t.throws(() => resolveLimits({ nope: 1 } as Partial<Limits>), /not a limit/);
});

t.test("a peer trickling one octet at a time is cut at the message deadline", async (t) => {
  const { port, lines } = await start(t, { tcpIdleMs: 2000, tcpMessageMs: 500 });
  const c = new Client(port);
  await c.connected();
  const bytes = framed(query(1));
  let sent = 0;
  const trickle = setInterval(() => {
    if (sent < bytes.length && !c.socket.destroyed) c.socket.write(bytes.subarray(sent, ++sent));
  }, 100);
  const ms = await c.closed;
  clearInterval(trickle);
  t.ok(sent < bytes.length, `closed before the message was complete (${sent} octets sent)`);
  t.ok(ms >= 400 && ms < 1500, `closed after ${ms} ms (deadline 500 ms, idle 2000 ms)`);
  t.equal(c.frames, 0, "nothing answered");
  t.ok(logged(lines, "not received in full in time"), "logged");
});

t.test("whole messages sent slowly are all answered: the deadline is per message", async (t) => {
  const { port } = await start(t, { tcpIdleMs: 2000, tcpMessageMs: 400 });
  const c = new Client(port);
  await c.connected();
  for (let i = 0; i < 4; i++) {
    c.socket.write(framed(query(i)));
    await sleep(250); // 1 s in total, beyond the message deadline
  }
  t.equal(c.frames, 4);
  t.notOk(c.socket.destroyed, "still open");
  c.socket.destroy();
});

t.test("a stream the peer never reads is cut at the transfer deadline", async (t) => {
  const { port, lines, handler } = await start(t, { tcpIdleMs: 60_000, transferMs: 700 });
  const stalled = new Client(port, false);
  await stalled.connected();
  const t0 = Date.now();
  stalled.socket.write(framed(query(1, ENDLESS)));
  await sleep(300);
  // Others are still answered meanwhile.
  const other = new Client(port);
  await other.connected();
  other.socket.write(framed(query(2)));
  await sleep(100);
  t.equal(other.frames, 1, "another client is answered while the stream is stalled");
  const cutAt = await whenLogged(lines, "multi-message answer not finished in time", 5000);
  const ms = Date.now() - t0;
  t.ok(cutAt >= 0 && ms >= 600 && ms < 2500, `cut after about ${ms} ms (deadline 700 ms)`);
  await drainAndClose(stalled);
  t.ok(handler.produced < 1000, `back-pressure held the stream (${handler.produced} messages)`);
  t.ok(logged(lines, "multi-message answer not finished in time"), "logged");
  other.socket.destroy();
});

t.test("close() lets a stream in progress finish, refusing new connections", async (t) => {
  const { dns, port } = await start(t, { shutdownMs: 5000 });
  const idle = new Client(port);
  const c = new Client(port);
  await Promise.all([idle.connected(), c.connected()]);
  c.socket.write(framed(query(1, SLOW_STREAM, 60))); // ~600 ms of messages
  await sleep(100);
  const t0 = Date.now();
  const closing = dns.close();
  const idleMs = await Promise.race([idle.closed.then(() => Date.now() - t0), sleep(1000, -1)]);
  t.ok(idleMs >= 0 && idleMs < 300, `an idle connection is closed at once (${idleMs} ms)`);
  const late = new Client(port);
  const lateConnected = await Promise.race([
    late.connected().then(() => true),
    late.closed.then(() => false),
  ]);
  t.notOk(lateConnected, "a new connection is refused once closing");
  await closing;
  const ms = Date.now() - t0;
  t.ok(ms < 2000, `close() resolved after the stream ended (${ms} ms)`);
  await c.closed;
  t.equal(c.frames, 60, "the stream was written in full, then the connection closed");
});

t.test("close() cuts a stream still running at the end of the grace period", async (t) => {
  const { dns, port, lines } = await start(t, { shutdownMs: 400, transferMs: 60_000 });
  const c = new Client(port, false);
  await c.connected();
  c.socket.write(framed(query(1, ENDLESS)));
  await sleep(100);
  const t0 = Date.now();
  await dns.close();
  const ms = Date.now() - t0;
  t.ok(ms >= 350 && ms < 1500, `close() resolved at the grace period's end (${ms} ms)`);
  await drainAndClose(c);
  t.ok(logged(lines, "still in progress after the grace period"), "logged");
});
