import dgram from "node:dgram";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dnsPacket from "dns-packet";
import t from "tap";
import { startServer } from "../src/primary.js";
import { DnsListenError } from "../src/transport/errors.js";
import { ZoneFileError } from "../src/zone/errors.js";
import { ZonesDirError } from "../src/zone/load.js";

const ZONE = `$ORIGIN example.org.
$TTL 300
@    IN SOA ns.example.org. admin.example.org. 7 3600 600 86400 60
@    IN NS  ns.example.org.
ns   IN A   192.0.2.53
www  IN A   192.0.2.80
`;

function zonesDir(t: { teardown(fn: () => unknown): void }, files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-zones-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function query(name: string, type: dnsPacket.RecordType, id = 1): Buffer {
  return dnsPacket.encode({
    type: "query",
    id,
    flags: 0,
    questions: [{ type, name, class: "IN" }],
  });
}

async function udpAsk(port: number, msg: Buffer): Promise<dnsPacket.Packet> {
  const sock = dgram.createSocket("udp4");
  try {
    sock.send(msg, port, "127.0.0.1");
    const [res] = (await once(sock, "message")) as [Buffer];
    return dnsPacket.decode(res);
  } finally {
    sock.close();
  }
}

async function tcpAsk(port: number, msg: Buffer): Promise<dnsPacket.Packet> {
  const c = net.connect({ port, host: "127.0.0.1" });
  try {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(msg.length, 0);
    c.write(Buffer.concat([len, msg]));
    let buf = Buffer.alloc(0);
    while (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) {
      const [d] = (await once(c, "data")) as [Buffer];
      buf = Buffer.concat([buf, d]);
    }
    return dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0)));
  } finally {
    c.destroy();
  }
}

t.test("starts, summarises zones, answers over UDP and TCP, closes", async (t) => {
  const dir = zonesDir(t, { "example.org.zone": ZONE, "README.txt": "not a zone" });
  const primary = await startServer({ zonesDir: dir, dns: { host: "127.0.0.1", port: 0 } });
  t.equal(primary.dns.udp.port, primary.dns.tcp.port);
  t.same(primary.zones, [
    {
      origin: "example.org.",
      serial: 7,
      records: 4,
      file: join(dir, "example.org.zone"),
      countsByType: { A: 2, NS: 1, SOA: 1 },
    },
  ]);
  const port = primary.dns.udp.port;
  const u = await udpAsk(port, query("www.example.org", "A", 11));
  t.equal(u.id, 11);
  t.same(
    u.answers?.map((a) => (a as { data: unknown }).data),
    ["192.0.2.80"],
  );
  const tc = await tcpAsk(port, query("example.org", "SOA", 12));
  t.equal(tc.id, 12);
  t.equal(tc.answers?.[0]?.type, "SOA");
  await primary.close();
  await primary.close(); // idempotent
  // the port is free again
  const again = await startServer({ dns: { host: "127.0.0.1", port } });
  t.same(again.zones, [], "no zonesDir: no zones");
  await again.close();
});

t.test("loading errors reject before anything listens", async (t) => {
  await t.rejects(
    startServer({ zonesDir: join(tmpdir(), "dns-primary-no-such-dir"), dns: { port: 0 } }),
    ZonesDirError,
  );
  const dir = zonesDir(t, {
    "bad.test.zone": "$ORIGIN bad.test.\n@ 300 IN SOA a. b. 1 2 3 4 5\nx 300 IN A nope\n",
  });
  const err = await startServer({ zonesDir: dir, dns: { port: 0 } }).catch((e) => e);
  t.type(err, ZoneFileError);
  t.equal(err.line, 3);
});

t.test("a port in use rejects with DnsListenError", async (t) => {
  const a = await startServer({ dns: { host: "127.0.0.1", port: 0 } });
  t.teardown(() => a.close());
  await t.rejects(
    startServer({ dns: { host: "127.0.0.1", port: a.dns.udp.port } }),
    DnsListenError,
  );
});

t.test("a step that fails closes what the earlier steps opened, data dir included", async (t) => {
  const dir = zonesDir(t, { "example.org.zone": ZONE });
  const dataDir = mkdtempSync(join(tmpdir(), "dns-primary-data-"));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  // The API's port is taken: the start fails after the data dir and DNS were opened.
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
  t.teardown(() => taken.close());
  const apiPort = (taken.address() as net.AddressInfo).port;
  const failed = await startServer({
    zonesDir: dir,
    dataDir,
    dns: { host: "127.0.0.1", port: 0 },
    api: { host: "127.0.0.1", port: apiPort },
  }).catch((e: Error) => e);
  t.type(failed, Error, "the start rejects");
  t.match((failed as Error).message, /in use|EADDRINUSE/);
  // The data dir's lock was released and DNS closed: the same start succeeds at once.
  const again = await startServer({
    zonesDir: dir,
    dataDir,
    dns: { host: "127.0.0.1", port: 0 },
    api: { host: "127.0.0.1", port: 0 },
  });
  t.teardown(() => again.close());
  t.same(
    again.zones.map((z) => z.origin),
    ["example.org."],
  );
});

t.test(
  "dnsSettings: zones from files start with the settings given (the config file's)",
  async (t) => {
    const dir = zonesDir(t, {
      "example.org.zone": `${ZONE}alias IN CNAME www\n`,
    });
    const primary = await startServer({
      zonesDir: dir,
      dns: { host: "127.0.0.1", port: 0 },
      dnsSettings: { "EXAMPLE.org": { flatten_all_cnames: true, ns_ttl: 600 } },
    });
    t.teardown(() => primary.close());
    const zone = primary.zoneSet.get("example.org.")!;
    t.match(primary.cloudflare.dnsSettings(zone), { flatten_all_cnames: true, ns_ttl: 600 });
    t.equal(zone.serial, 7, "settings at load are not a change");
    const r = await udpAsk(primary.dns.udp.port, query("alias.example.org", "A"));
    t.same(
      r.answers?.map((a) => [a.name, a.type, (a as { data?: unknown }).data]),
      [["alias.example.org", "A", "192.0.2.80"]],
      "the CNAME is flattened",
    );
    const ns = await udpAsk(primary.dns.udp.port, query("example.org", "NS"));
    t.same(
      ns.answers?.map((a) => (a as { ttl?: number }).ttl),
      [600],
      "apex NS at ns_ttl",
    );
    await t.rejects(
      startServer({
        zonesDir: dir,
        dns: { host: "127.0.0.1", port: 0 },
        dnsSettings: { "example.org": { ns_ttl: 5 } },
      }),
      /ns_ttl must be a whole number from 30 to 86400/,
    );
  },
);
