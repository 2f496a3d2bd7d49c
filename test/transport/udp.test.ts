import dgram from "node:dgram";
import { once } from "node:events";
import pino from "pino";
import t from "tap";
import type { DnsHandler, HandlerResult, RequestContext } from "../../src/server/handler.js";
import { listenDns } from "../../src/transport/listen.js";

// Query: 12-octet header (id first) + a command octet for the fake handler.
const ECHO = 0;
const DROP = 1;
const THROW = 2;
const STREAM = 3;
/** A stream of a 150 ms delay and the answer, as a latency fault answers. */
const DELAYED = 4;
/** A stream that stalls: no answer over UDP. */
const STALL = 5;

function query(id: number, cmd = ECHO): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt16BE(id, 0);
  b[12] = cmd;
  return b;
}

const handler: DnsHandler & { contexts: RequestContext[] } = {
  contexts: [],
  handle(msg: Buffer, ctx: RequestContext): HandlerResult {
    this.contexts.push(ctx);
    if (msg[12] === DROP) return null;
    if (msg[12] === THROW) throw new Error("handler bug");
    if (msg[12] === STREAM) return (async function* () {})();
    const res = Buffer.from(msg);
    res[2] |= 0x80;
    if (msg[12] === DELAYED)
      return (async function* () {
        yield { control: "delay" as const, ms: 150 };
        yield res;
      })();
    if (msg[12] === STALL)
      return (async function* () {
        yield { control: "stall" as const };
        yield res;
      })();
    return res;
  },
};

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: "debug" },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { logger, lines };
}

/** Send datagrams, then collect the ids of what comes back within `ms`. */
async function exchange(
  port: number,
  host: string,
  datagrams: Buffer[],
  expect: number,
  ms = 300,
): Promise<number[]> {
  const sock = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
  const got: number[] = [];
  sock.on("message", (m) => got.push(m.readUInt16BE(0)));
  sock.bind(0, host);
  await once(sock, "listening");
  for (const d of datagrams) sock.send(d, port, host);
  const t0 = Date.now();
  while (got.length < expect && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 5));
  if (got.length === expect) await new Promise((r) => setTimeout(r, 30)); // catch extras
  sock.close();
  return got;
}

t.test("udp: each datagram answered by the handler", async (t) => {
  const { logger } = capture();
  const dns = await listenDns({ host: "127.0.0.1", port: 0, handler, logger });
  t.teardown(() => dns.close());
  t.equal(dns.udp.port, dns.tcp.port, "udp and tcp share the port");
  const got = await exchange(dns.udp.port, "127.0.0.1", [query(1), query(2), query(3)], 3);
  t.same(got.sort(), [1, 2, 3]);
  const ctx = handler.contexts.at(-1)!;
  t.equal(ctx.transport, "udp");
  t.equal(ctx.remoteAddress, "127.0.0.1");
  t.equal(ctx.localPort, dns.udp.port);
});

t.test("udp: short datagrams, dropped answers, exceptions and streams", async (t) => {
  const { logger, lines } = capture();
  const dns = await listenDns({ host: "127.0.0.1", port: 0, handler, logger });
  t.teardown(() => dns.close());
  const before = handler.contexts.length;
  const got = await exchange(
    dns.udp.port,
    "127.0.0.1",
    [Buffer.alloc(11), query(1, DROP), query(2, THROW), query(3, STREAM), query(4)],
    1,
  );
  t.same(got, [4], "only the ordinary query is answered");
  t.equal(handler.contexts.length - before, 4, "the 11-octet datagram never reached the handler");
  t.ok(lines.some((l) => l.level === 50 && String(l.msg).includes("handler threw")));
  t.ok(lines.some((l) => String(l.msg).includes("stream")));
  t.same(await exchange(dns.udp.port, "127.0.0.1", [query(5)], 1), [5], "still serving");
  // a burst of exceptions is logged once, not once per datagram
  const errorsBefore = lines.filter((l) => l.level === 50).length;
  const burst = Array.from({ length: 50 }, (_, i) => query(100 + i, THROW));
  t.same(await exchange(dns.udp.port, "127.0.0.1", [...burst, query(6)], 1), [6]);
  // 0 if the burst came within a second of the last logged error, else 1; never 50
  t.ok(lines.filter((l) => l.level === 50).length - errorsBefore <= 1, "at most one line");
});

t.test(
  "udp: a stream's delay is waited out before its message; other instructions send nothing",
  async (t) => {
    const { logger } = capture();
    const dns = await listenDns({ host: "127.0.0.1", port: 0, handler, logger });
    t.teardown(() => dns.close());
    const sock = dgram.createSocket("udp4");
    t.teardown(() => sock.close());
    const arrived = new Map<number, number>();
    sock.on("message", (m) => arrived.set(m.readUInt16BE(0), performance.now()));
    sock.bind(0, "127.0.0.1");
    await once(sock, "listening");
    const sent = performance.now();
    for (const d of [query(7, DELAYED), query(8, STALL), query(9)])
      sock.send(d, dns.udp.port, "127.0.0.1");
    const deadline = Date.now() + 3000;
    while (!arrived.has(7) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    t.ok(arrived.has(9), "the plain answer came");
    t.ok(arrived.has(7), "the delayed answer came");
    // Never an upper bound: a loaded machine may be late, never early.
    t.ok(arrived.get(7)! - sent >= 149, `at least 150 ms later (${arrived.get(7)! - sent} ms)`);
    t.ok(arrived.get(9)! < arrived.get(7)!, "the delay held back no other answer");
    t.notOk(arrived.has(8), "a stall sends nothing over UDP");
  },
);

t.test("ipv6 ::1", async (t) => {
  const probe = dgram.createSocket("udp6");
  const v6 = await new Promise<boolean>((resolve) => {
    probe.once("error", () => resolve(false));
    probe.bind(0, "::1", () => resolve(true));
  });
  probe.close();
  if (!v6) {
    t.plan(0, "no IPv6 loopback on this machine");
    return;
  }
  const { logger } = capture();
  const dns = await listenDns({ host: "::1", port: 0, handler, logger });
  t.teardown(() => dns.close());
  t.equal(dns.udp.address, "::1");
  t.equal(dns.tcp.address, "::1");
  t.equal(dns.udp.port, dns.tcp.port);
  t.same(await exchange(dns.udp.port, "::1", [query(6)], 1), [6]);
  const net = await import("node:net");
  const c = net.connect({ host: "::1", port: dns.tcp.port });
  const q = query(7);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(q.length, 0);
  c.write(Buffer.concat([len, q]));
  const [data] = (await once(c, "data")) as [Buffer];
  t.equal(data.readUInt16BE(2), 7, "tcp over ::1 answered");
  c.destroy();
});
