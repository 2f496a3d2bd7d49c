import dgram from "node:dgram";
import { once } from "node:events";
import net from "node:net";
import t from "tap";
import { silentLogger } from "../../src/log.js";
import type { DnsHandler } from "../../src/server/handler.js";
import { DnsListenError, formatHostPort } from "../../src/transport/errors.js";
import { DEFAULT_LIMITS, resolveLimits } from "../../src/transport/limits.js";
import { listenDns } from "../../src/transport/listen.js";

const handler: DnsHandler = { handle: () => null };
const logger = silentLogger();

t.test("port 0 gives udp and tcp the same free port", async (t) => {
  const dns = await listenDns({ host: "127.0.0.1", port: 0, handler, logger });
  t.ok(dns.udp.port > 0);
  t.equal(dns.udp.port, dns.tcp.port);
  t.equal(dns.udp.address, "127.0.0.1");
  await dns.close();
  // both sockets are released: the same fixed port can be bound again
  const again = await listenDns({ host: "127.0.0.1", port: dns.udp.port, handler, logger });
  t.equal(again.tcp.port, dns.udp.port);
  await again.close();
});

t.test("a fixed port in use is a clear error (UDP)", async (t) => {
  const taken = dgram.createSocket("udp4");
  taken.bind(0, "127.0.0.1");
  await once(taken, "listening");
  const port = taken.address().port;
  t.teardown(() => taken.close());
  const err = await listenDns({ host: "127.0.0.1", port, handler, logger }).catch((e) => e);
  t.type(err, DnsListenError);
  t.equal(err.message, `DNS port 127.0.0.1:${port} is already in use (UDP)`);
  t.equal(err.code, "EADDRINUSE");
});

t.test("a fixed port in use is a clear error (TCP), and UDP is released", async (t) => {
  const taken = net.createServer();
  taken.listen(0, "127.0.0.1");
  await once(taken, "listening");
  const port = (taken.address() as net.AddressInfo).port;
  const err = await listenDns({ host: "127.0.0.1", port, handler, logger }).catch((e) => e);
  t.equal(err.message, `DNS port 127.0.0.1:${port} is already in use (TCP)`);
  taken.close();
  await once(taken, "close");
  const dns = await listenDns({ host: "127.0.0.1", port, handler, logger });
  t.equal(dns.udp.port, port, "the UDP socket of the failed attempt was closed");
  await dns.close();
});

t.test("port 0 retries when TCP loses the race for the port UDP got", async (t) => {
  let calls = 0;
  const real = await import("../../src/transport/tcp.js");
  const { listenDns: listenMocked } = await t.mockImport<
    typeof import("../../src/transport/listen.js")
  >("../../src/transport/listen.js", {
    "../../src/transport/tcp.js": {
      ...real,
      bindTcp: (...args: Parameters<typeof real.bindTcp>) => {
        if (++calls < 3) {
          return Promise.reject(new DnsListenError("taken", "EADDRINUSE", "tcp"));
        }
        return real.bindTcp(...args);
      },
    },
  });
  const dns = await listenMocked({ host: "127.0.0.1", port: 0, handler, logger });
  t.equal(calls, 3);
  t.equal(dns.udp.port, dns.tcp.port);
  await dns.close();
});

t.test("other bind failures and bad arguments", async (t) => {
  // 192.0.2.1 (TEST-NET-1, RFC 5737) is not an address of this machine
  const err = await listenDns({ host: "192.0.2.1", port: 0, handler, logger }).catch((e) => e);
  t.type(err, DnsListenError);
  t.match(err.message, /DNS port 192\.0\.2\.1:0 is not on an address of this machine \(UDP\)/);
  await t.rejects(listenDns({ host: "127.0.0.1", port: 70000, handler, logger }), RangeError);
  t.equal(formatHostPort("::1", 53), "[::1]:53");
});

t.test("limits: defaults in one place, validated", async (t) => {
  t.same(resolveLimits(), DEFAULT_LIMITS);
  t.same(resolveLimits({ tcpIdleMs: 500 }), { ...DEFAULT_LIMITS, tcpIdleMs: 500 });
  t.ok(Object.isFrozen(resolveLimits()));
  t.throws(() => resolveLimits({ tcpMaxConnections: 0 }), /tcpMaxConnections must be a positive/);
  t.throws(() => resolveLimits({ tcpIdleMs: 1.5 }), RangeError);
});
