import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import t from "tap";
import type { DnsHandler, HandlerResult, RequestContext } from "../../src/server/handler.js";
import type { Limits } from "../../src/transport/limits.js";
import { type DnsListener, listenDns } from "../../src/transport/listen.js";

// Queries are a 12-octet header (the id in the first two octets) followed by one command
// octet that tells the fake handler what to do, and arguments.
const ECHO = 0;
const GARBAGE = 1;
const THROW = 2;
const STREAM = 3; // args: u16 count, u16 size of each message
const HUGE = 4;

function query(id: number, cmd = ECHO, ...args: number[]): Buffer {
  const b = Buffer.alloc(13 + args.length * 2);
  b.writeUInt16BE(id, 0);
  b[12] = cmd;
  for (const [i, a] of args.entries()) b.writeUInt16BE(a, 13 + i * 2);
  return b;
}

function framed(...msgs: Buffer[]): Buffer {
  return Buffer.concat(
    msgs.flatMap((m) => {
      const p = Buffer.alloc(2);
      p.writeUInt16BE(m.length, 0);
      return [p, m];
    }),
  );
}

class FakeHandler implements DnsHandler {
  produced = 0;
  contexts: RequestContext[] = [];
  handle(msg: Buffer, ctx: RequestContext): HandlerResult {
    this.contexts.push(ctx);
    const cmd = msg[12];
    if (cmd === GARBAGE) return null;
    if (cmd === THROW) throw new Error("handler bug");
    if (cmd === HUGE) return Buffer.alloc(70_000);
    if (cmd === STREAM) return this.stream(msg, msg.readUInt16BE(13), msg.readUInt16BE(15));
    const res = Buffer.from(msg);
    res[2] |= 0x80; // QR
    return res;
  }
  async *stream(q: Buffer, count: number, size: number): AsyncIterable<Buffer> {
    for (let i = 0; i < count; i++) {
      const m = Buffer.alloc(size);
      q.copy(m, 0, 0, 2);
      m.writeUInt32BE(i, 12);
      this.produced++;
      yield m;
    }
  }
}

/** A test client that collects the frames it receives. */
class Client {
  readonly socket: net.Socket;
  readonly frames: Buffer[] = [];
  readonly closed: Promise<void>;
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  constructor(port: number, host = "127.0.0.1", paused = false) {
    this.socket = net.connect({ port, host, noDelay: true });
    this.socket.on("error", () => {});
    this.closed = new Promise((r) => this.socket.once("close", () => r()));
    this.socket.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 2 && this.buf.length >= 2 + this.buf.readUInt16BE(0)) {
        const len = this.buf.readUInt16BE(0);
        this.frames.push(this.buf.subarray(2, 2 + len));
        this.buf = this.buf.subarray(2 + len);
      }
      for (const w of this.waiters.splice(0)) w();
    });
    this.socket.on("close", () => {
      for (const w of this.waiters.splice(0)) w();
    });
    if (paused) this.socket.pause();
  }
  connected(): Promise<void> {
    return new Promise((r) => this.socket.once("connect", () => r()));
  }
  async waitFrames(n: number): Promise<Buffer[]> {
    while (this.frames.length < n && !this.socket.destroyed) {
      await new Promise<void>((r) => this.waiters.push(r));
    }
    return this.frames.slice(0, n);
  }
  write(b: Buffer): void {
    this.socket.write(b);
  }
}

type Teardown = { teardown(fn: () => unknown): void };

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: "debug" },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { logger, lines };
}

async function start(t: Teardown, limits?: Partial<Limits>, host = "127.0.0.1") {
  const handler = new FakeHandler();
  const { logger, lines } = capture();
  const dns: DnsListener = await listenDns({ host, port: 0, handler, logger, limits });
  t.teardown(() => dns.close());
  return { dns, handler, lines, port: dns.tcp.port };
}

const ids = (frames: Buffer[]) => frames.map((f) => f.readUInt16BE(0));

t.test("pipelined queries in one write are answered in order", async (t) => {
  const { port, handler } = await start(t);
  const c = new Client(port);
  c.write(framed(query(1), query(2), query(3)));
  const frames = await c.waitFrames(3);
  t.same(ids(frames), [1, 2, 3]);
  t.ok(
    frames.every((f) => (f[2] & 0x80) !== 0),
    "QR set by the handler",
  );
  t.equal(handler.contexts[0].transport, "tcp");
  t.equal(handler.contexts[0].remoteAddress, "127.0.0.1");
  t.equal(handler.contexts[0].localPort, port);
  c.socket.destroy();
});

t.test("queries split byte by byte across writes", async (t) => {
  const { port } = await start(t);
  const c = new Client(port);
  await c.connected();
  const bytes = framed(query(7), query(8, ECHO, 1, 2, 3));
  for (const b of bytes) {
    c.write(Buffer.from([b]));
    await sleep(1);
  }
  t.same(ids(await c.waitFrames(2)), [7, 8]);
  t.equal(c.frames[1].length, 19, "message reassembled whole");
  c.socket.destroy();
});

t.test("a frame whose length prefix ends one chunk", async (t) => {
  const { port } = await start(t);
  const c = new Client(port);
  await c.connected();
  const bytes = framed(query(1), query(2));
  // first message plus the first octet of the second prefix, then the rest
  c.write(bytes.subarray(0, 16));
  await sleep(20);
  c.write(bytes.subarray(16));
  t.same(ids(await c.waitFrames(2)), [1, 2]);
  c.socket.destroy();
});

t.test("a multi-message answer is streamed with back-pressure to a slow reader", async (t) => {
  const { port, handler } = await start(t, { tcpIdleMs: 30_000 });
  const count = 600;
  const size = 60_000; // 36 MB in all, more than loopback socket buffers hold
  const c = new Client(port, "127.0.0.1", true);
  // the stream, then an ordinary query pipelined behind it in the same write
  c.write(framed(query(1, STREAM, count, size), query(2)));
  await sleep(300);
  const stalledAt = handler.produced;
  t.ok(stalledAt > 0, `stream started (${stalledAt} messages produced)`);
  t.ok(stalledAt < count, "producer waits for the reader instead of buffering everything");
  await sleep(200);
  t.equal(handler.produced, stalledAt, "no progress while the reader is stalled");
  c.socket.resume();
  const frames = await c.waitFrames(count + 1);
  t.equal(frames.length, count + 1);
  let inOrder = true;
  for (let i = 0; i < count; i++) {
    if (frames[i].readUInt16BE(0) !== 1 || frames[i].readUInt32BE(12) !== i) inOrder = false;
    if (frames[i].length !== size) inOrder = false;
  }
  t.ok(inOrder, "stream messages arrive whole and in order");
  t.equal(frames[count].readUInt16BE(0), 2, "pipelined query answered after the stream");
  c.socket.destroy();
});

t.test("the answer is still written when the client half-closes after its query", async (t) => {
  const { port } = await start(t);
  const c = new Client(port);
  c.socket.end(framed(query(5, STREAM, 50, 20_000)));
  await c.closed;
  t.equal(c.frames.length, 50, "whole multi-message answer received");
});

t.test("idle connections and stalled frames are closed by the idle timeout", async (t) => {
  const { port } = await start(t, { tcpIdleMs: 150 });
  const idle = new Client(port);
  const stalled = new Client(port);
  await Promise.all([idle.connected(), stalled.connected()]);
  const t0 = Date.now();
  stalled.write(Buffer.from([0, 40, 1, 2, 3])); // a length prefix and part of a message
  await Promise.all([idle.closed, stalled.closed]);
  const took = Date.now() - t0;
  t.ok(took >= 100 && took < 3000, `closed after ${took} ms`);

  // activity keeps a connection open past the timeout
  const busy = new Client(port);
  for (let i = 0; i < 5; i++) {
    busy.write(framed(query(i)));
    await sleep(80);
  }
  t.equal(busy.frames.length, 5);
  t.notOk(busy.socket.destroyed, "still open after 400 ms of queries every 80 ms");
  busy.socket.destroy();
});

t.test("connections over the per-address limit are closed at once", async (t) => {
  const { port, dns } = await start(t, { tcpMaxConnectionsPerIp: 2 });
  const a = new Client(port);
  const b = new Client(port);
  a.write(framed(query(1)));
  b.write(framed(query(2)));
  await Promise.all([a.waitFrames(1), b.waitFrames(1)]);
  const c = new Client(port);
  c.write(framed(query(3)));
  await c.closed;
  t.equal(c.frames.length, 0, "third connection closed without an answer");
  a.write(framed(query(4)));
  t.same(ids(await a.waitFrames(2)), [1, 4], "established connections keep working");
  a.socket.destroy();
  await a.closed;
  await sleep(50); // let the server see the close
  const d = new Client(port);
  d.write(framed(query(5)));
  t.same(ids(await d.waitFrames(1)), [5], "a slot frees up when a connection closes");
  b.socket.destroy();
  d.socket.destroy();
  t.ok(dns);
});

t.test("connections over the total limit are closed at once", async (t) => {
  const { port } = await start(t, { tcpMaxConnections: 1, tcpMaxConnectionsPerIp: 10 });
  const a = new Client(port);
  a.write(framed(query(1)));
  await a.waitFrames(1);
  const b = new Client(port);
  await b.closed;
  t.equal(b.frames.length, 0);
  a.socket.destroy();
});

t.test("garbage closes the connection; the server keeps serving", async (t) => {
  const { port, lines } = await start(t);
  const a = new Client(port);
  // an answer already due is still delivered before the close
  a.write(framed(query(1), query(2, GARBAGE), query(3)));
  await a.closed;
  t.same(ids(a.frames), [1], "answer before the garbage delivered, nothing after it");

  const z = new Client(port);
  z.write(Buffer.from([0, 0])); // zero-length frame
  await z.closed;
  t.equal(z.frames.length, 0);

  const s = new Client(port);
  s.write(Buffer.from([0, 3, 1, 2, 3])); // shorter than a DNS header
  await s.closed;

  const ok = new Client(port);
  ok.write(framed(query(9)));
  t.same(ids(await ok.waitFrames(1)), [9]);
  ok.socket.destroy();
  t.ok(lines.some((l) => String(l.msg).includes("zero-length frame")));
});

t.test("a handler exception closes only that connection and is logged", async (t) => {
  const { port, lines } = await start(t);
  const a = new Client(port);
  a.write(framed(query(1, THROW)));
  await a.closed;
  t.equal(a.frames.length, 0);
  t.ok(lines.some((l) => l.level === 50 && String(l.msg).includes("handler threw")));
  const b = new Client(port);
  b.write(framed(query(2)));
  t.same(ids(await b.waitFrames(1)), [2]);
  b.socket.destroy();
});

t.test("an answer over 65535 octets is never written", async (t) => {
  const { port, lines } = await start(t);
  const a = new Client(port);
  a.write(framed(query(1, HUGE)));
  await a.closed;
  t.equal(a.frames.length, 0);
  t.ok(lines.some((l) => l.level === 50 && String(l.msg).includes("65535")));

  const b = new Client(port);
  b.write(framed(query(2, STREAM, 3, 65_535), query(3)));
  t.same(ids(await b.waitFrames(4)), [2, 2, 2, 3], "65535 itself is fine");
  b.socket.destroy();
});

t.test("a failing multi-message answer closes the connection", async (t) => {
  const handler: DnsHandler = {
    handle() {
      return (async function* () {
        yield Buffer.alloc(20);
        throw new Error("transfer broke");
      })();
    },
  };
  const { logger, lines } = capture();
  const dns = await listenDns({ host: "127.0.0.1", port: 0, handler, logger });
  t.teardown(() => dns.close());
  const c = new Client(dns.tcp.port);
  c.write(framed(query(1)));
  await c.closed;
  t.equal(c.frames.length, 1);
  t.ok(lines.some((l) => String(l.msg).includes("multi-message answer failed")));
});

t.test("a stream stops when the client goes away", async (t) => {
  let returned = false;
  let produced = 0;
  const handler: DnsHandler = {
    handle() {
      return (async function* () {
        try {
          for (;;) {
            produced++;
            yield Buffer.alloc(60_000);
          }
        } finally {
          returned = true;
        }
      })();
    },
  };
  const { logger } = capture();
  const dns = await listenDns({ host: "127.0.0.1", port: 0, handler, logger });
  t.teardown(() => dns.close());
  const c = new Client(dns.tcp.port, "127.0.0.1", true);
  c.write(framed(query(1)));
  await sleep(200);
  c.socket.destroy();
  await sleep(200);
  t.ok(returned, `producer finished after ${produced} messages`);
});

t.test("close() ends open connections", async (t) => {
  const handler = new FakeHandler();
  const { logger } = capture();
  const dns = await listenDns({ host: "127.0.0.1", port: 0, handler, logger });
  const c = new Client(dns.tcp.port);
  c.write(framed(query(1)));
  await c.waitFrames(1);
  await dns.close();
  await c.closed;
  t.pass("client saw the close");
  await dns.close(); // idempotent
});
