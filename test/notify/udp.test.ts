import type { Socket } from "node:dgram";
import t from "tap";
import { Notifier, type NotifyOutcomeEvent } from "../../src/notify/notifier.js";
import { normalizeAddress, UdpTransport } from "../../src/notify/udp.js";
import { answer, udpPeer as peer, soa } from "./helpers.js";

t.test("a real NOTIFY over loopback, from the configured source, answered", async (t) => {
  const secondary = await peer("127.0.0.1");
  t.teardown(() => secondary.close());
  const port = secondary.address().port;
  const seen: { address: string; port: number; opcode: number }[] = [];
  secondary.on("message", (msg, rinfo) => {
    seen.push({
      address: rinfo.address,
      port: rinfo.port,
      opcode: (msg.readUInt16BE(2) >> 11) & 15,
    });
    secondary.send(answer(msg), rinfo.port, rinfo.address);
  });
  let done!: (e: NotifyOutcomeEvent) => void;
  const outcome = new Promise<NotifyOutcomeEvent>((resolve) => {
    done = resolve;
  });
  const n = new Notifier({
    targets: () => [{ peerId: "p".repeat(32), peerName: "lab", host: "127.0.0.1", port }],
    soa: () => soa(7),
    source: { host: "127.0.0.1", port: 0 },
    onEvent: (e) => done(e),
  });
  t.teardown(() => n.close());
  n.trigger("example.com.", "enable");
  const e = await outcome;
  t.match(e, { outcome: "answered", rcode: "NOERROR", tries: 1, serial: 7, port });
  t.equal(seen.length, 1);
  t.equal(seen[0].address, "127.0.0.1", "sent from the configured address");
  t.equal(seen[0].opcode, 4);
  t.not(seen[0].port, 0);
});

t.test("the source port is the configured one; a port in use is a clear error", async (t) => {
  const busy = await peer("127.0.0.1");
  const taken = busy.address().port;
  const tr = new UdpTransport({ host: "127.0.0.1", port: taken });
  await t.rejects(
    tr.send(Buffer.from("x"), "127.0.0.1", 9),
    new RegExp(`cannot bind the NOTIFY source 127\\.0\\.0\\.1:${taken}: .*EADDRINUSE`),
  );
  await new Promise<void>((resolve) => busy.close(() => resolve()));
  // Once the port is free, the next send binds it.
  const secondary = await peer("127.0.0.1");
  t.teardown(() => secondary.close());
  const from = new Promise<number>((resolve) =>
    secondary.once("message", (_m, r) => resolve(r.port)),
  );
  await tr.send(Buffer.from("x"), "127.0.0.1", secondary.address().port);
  t.equal(await from, taken);
  t.same(await tr.address(), { address: "127.0.0.1", port: taken });
  await tr.close();
  await t.rejects(tr.send(Buffer.from("x"), "127.0.0.1", 9), /closed/);
  await tr.close();
});

t.test("an IPv6 peer gets a socket of its own", async (t) => {
  let secondary: Socket;
  try {
    secondary = await peer("::1");
  } catch {
    t.comment("no IPv6 loopback here");
    return;
  }
  t.teardown(() => secondary.close());
  const tr = new UdpTransport({ host: "127.0.0.1" });
  t.teardown(() => tr.close());
  const got = new Promise<string>((resolve) =>
    secondary.once("message", (_m, r) => resolve(r.address)),
  );
  await tr.send(Buffer.from("x"), "::1", secondary.address().port);
  t.equal(await got, "::1");
  await t.rejects(tr.send(Buffer.from("x"), "peer.example", 53), /not an IPv4 or IPv6/);
});

t.test("addresses", async (t) => {
  t.equal(normalizeAddress("::ffff:192.0.2.1"), "192.0.2.1");
  t.equal(normalizeAddress("2001:DB8::1"), "2001:db8::1");
  t.equal(normalizeAddress("192.0.2.1"), "192.0.2.1");
  t.throws(() => new UdpTransport({ host: "127.0.0.1", port: 70000 }), /not a port number/);
});
