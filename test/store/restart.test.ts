// Restarts through startServer with a data dir: what the API wrote comes back (records with
// their ids and Cloudflare fields, DNS settings, TSIGs, peers, ACLs, outgoing with its times,
// serials, the IXFR journal); a zone file edited while stopped is applied as one changeset.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dnsPacket from "dns-packet";
import t from "tap";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { type ServerOptions, startServer } from "../../src/primary.js";
import { soaSerialOf } from "../../src/zone/journal.js";

const ZONE = `$ORIGIN store.test.
$TTL 300
@ SOA ns hostmaster 100 3600 600 86400 60
@ NS ns
ns A 192.0.2.53
www A 192.0.2.80
`;

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-restart-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A zones folder with store.test.'s file, a data dir, and the options of a start with both. */
function fileZone(t: { teardown(fn: () => unknown): void }, text = ZONE) {
  const zonesDir = tempDir(t);
  const dataDir = tempDir(t);
  const file = join(zonesDir, "store.test.zone");
  writeFileSync(file, text);
  const options: ServerOptions = {
    zonesDir,
    dataDir,
    dns: { host: "127.0.0.1", port: 0 },
    notify: false,
  };
  return { zonesDir, dataDir, file, options };
}

type Json = Record<string, unknown>;

function client(port: number, accountId: string) {
  const base = `http://127.0.0.1:${port}/client/v4`;
  const call = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Json & { result: never }> => {
    const res = await fetch(`${base}${path.replace(":account", accountId)}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as Json & { result: never };
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json.errors)}`);
    return json;
  };
  return call;
}

/** Everything the API shows that must survive a restart. */
async function state(call: ReturnType<typeof client>, zoneIds: string[]) {
  const out: Json = {};
  for (const id of zoneIds) {
    const records = ((await call("GET", `/zones/${id}/dns_records?per_page=5000`)).result as Json[])
      .map((r) => {
        // Records from the file get the zone's times, which are not stored (README).
        const { created_on, modified_on, ...rest } = r;
        return r.comment ? r : rest;
      })
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
    out[id] = {
      records,
      settings: (await call("GET", `/zones/${id}/dns_settings`)).result,
    };
  }
  out.tsigs = (await call("GET", "/accounts/:account/secondary_dns/tsigs")).result;
  out.peers = (await call("GET", "/accounts/:account/secondary_dns/peers")).result;
  out.acls = (await call("GET", "/accounts/:account/secondary_dns/acls")).result;
  out.outgoing = (await call("GET", `/zones/${zoneIds[0]}/secondary_dns/outgoing`)).result;
  return out;
}

/** IXFR over TCP from `serial`: the answer's records (one message is enough for this zone). */
async function ixfr(port: number, zone: string, serial: number): Promise<dnsPacket.Answer[]> {
  const q = dnsPacket.streamEncode({
    type: "query",
    id: 7,
    questions: [{ type: "IXFR" as dnsPacket.RecordType, name: zone }],
    authorities: [
      {
        type: "SOA",
        name: zone,
        data: {
          mname: "ns",
          rname: "h",
          serial,
          refresh: 0,
          retry: 0,
          expire: 0,
          minimum: 0,
        },
      },
    ],
  });
  const sock = net.connect(port, "127.0.0.1");
  sock.write(q);
  let buf = Buffer.alloc(0);
  for await (const chunk of sock) {
    buf = Buffer.concat([buf, chunk as Buffer]);
    if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) break;
  }
  sock.destroy();
  return dnsPacket.streamDecode(buf).answers ?? [];
}

t.test("API writes survive a restart; IXFR from before the restart is incremental", async (t) => {
  const zonesDir = tempDir(t);
  const dataDir = join(tempDir(t), "data");
  writeFileSync(join(zonesDir, "store.test.zone"), ZONE);
  const options = (): ServerOptions => ({
    zonesDir,
    dataDir,
    dns: { host: "127.0.0.1", port: 0 },
    api: { host: "127.0.0.1", port: 0 },
    notify: false,
    transfers: new TransferSettings(),
  });

  const a = await startServer(options());
  const callA = client(a.api!.port, a.account.id);
  const zones = (await callA("GET", "/zones")).result as Json[];
  const zoneId = zones[0].id as string;
  const startSerial = a.zoneSet.get("store.test.")!.serial;
  t.equal(startSerial, 100);

  const acl = (
    await callA("POST", "/accounts/:account/secondary_dns/acls", {
      name: "lab",
      ip_range: "127.0.0.0/24",
    })
  ).result as Json;
  const tsig = (
    await callA("POST", "/accounts/:account/secondary_dns/tsigs", {
      name: "k1.",
      algo: "hmac-sha256.",
    })
  ).result as Json;
  const peer = (
    await callA("POST", "/accounts/:account/secondary_dns/peers", {
      name: "bind",
      ip: "192.0.2.9",
      port: 5399,
      ixfr_enable: true,
    })
  ).result as Json;
  await callA("PUT", `/accounts/:account/secondary_dns/peers/${peer.id}`, {
    name: "bind renamed",
    ip: "192.0.2.9",
    port: 5399,
    tsig_id: tsig.id,
  });
  await callA("POST", `/zones/${zoneId}/secondary_dns/outgoing`, {
    name: "store.test.",
    peers: [],
  });
  await callA("POST", `/zones/${zoneId}/secondary_dns/outgoing/enable`);

  const posted = (
    await callA("POST", `/zones/${zoneId}/dns_records`, {
      type: "A",
      name: "api.store.test",
      content: "192.0.2.1",
      ttl: 120,
      proxied: false,
      comment: "made by the API",
      tags: ["team:dns"],
    })
  ).result as Json;
  const afterFirst = a.zoneSet.get("store.test.")!.serial;
  await callA("PATCH", `/zones/${zoneId}/dns_records/${posted.id}`, { content: "192.0.2.2" });
  const batch = Array.from({ length: 50 }, (_, i) => ({
    type: "TXT",
    name: `b${i}.store.test`,
    content: `"batch ${i}"`,
    ttl: 1,
  }));
  await callA("POST", `/zones/${zoneId}/dns_records/batch`, { posts: batch });
  const www = (
    (await callA("GET", `/zones/${zoneId}/dns_records?name=www.store.test`)).result as Json[]
  )[0];
  await callA("DELETE", `/zones/${zoneId}/dns_records/${www.id}`);
  // A field that changes nothing served (no commit) and one that changes the SOA.
  await callA("PATCH", `/zones/${zoneId}/dns_settings`, { foundation_dns: true });
  await callA("PATCH", `/zones/${zoneId}/dns_settings`, { soa: { refresh: 7200 } });
  // A zone of the API's own, with a record.
  const made = (await callA("POST", "/zones", { name: "made.test" })).result as Json;
  await callA("POST", `/zones/${made.id}/dns_records`, {
    type: "AAAA",
    name: "v6.made.test",
    content: "2001:db8::1",
    ttl: 300,
  });
  // A secondary transfers: the outgoing times move (kept at close).
  const before = await ixfr(a.dns.tcp.port, "store.test.", afterFirst);
  t.equal(before[1]?.type, "SOA", "incremental before the restart");
  const outA = a.transfers.getOutgoing("store.test.");
  t.ok(outA.checked_time, "checked");

  const serials = {
    store: a.zoneSet.get("store.test.")!.serial,
    made: a.zoneSet.get("made.test.")!.serial,
  };
  const journalSize = a.zoneSet.get("store.test.")!.journal.size;
  const stateA = await state(callA, [zoneId, made.id as string]);
  await a.close();

  const b = await startServer(options());
  t.teardown(() => b.close());
  const callB = client(b.api!.port, b.account.id);
  t.same(await state(callB, [zoneId, made.id as string]), stateA, "the same state through the API");
  t.same(
    { store: b.zoneSet.get("store.test.")!.serial, made: b.zoneSet.get("made.test.")!.serial },
    serials,
    "the same serials",
  );
  t.equal(b.zoneSet.get("store.test.")!.journal.size, journalSize, "the same journal");
  const outB = b.transfers.getOutgoing("store.test.");
  t.same(outB, outA, "outgoing with its times (created, checked, last transferred)");
  t.equal(b.transfers.getAcl(acl.id as string).ip_range, "127.0.0.0/24");
  t.equal(b.transfers.getPeer(peer.id as string).name, "bind renamed");
  t.equal(b.transfers.getTsig(tsig.id as string).secret, (tsig as { secret: string }).secret);

  const answers = await ixfr(b.dns.tcp.port, "store.test.", afterFirst);
  t.equal(answers[0]?.type, "SOA");
  t.equal((answers[0] as { data?: { serial: number } } | undefined)?.data?.serial, serials.store);
  t.equal(answers[1]?.type, "SOA", "IXFR from a serial before the restart is incremental");
  t.equal((answers[1] as { data?: { serial: number } } | undefined)?.data?.serial, afterFirst);

  // Writes after the restart go on from there.
  await callB("POST", `/zones/${zoneId}/dns_records`, {
    type: "A",
    name: "later.store.test",
    content: "192.0.2.3",
    ttl: 300,
  });
  t.equal(b.zoneSet.get("store.test.")!.serial, serials.store + 1);
});

t.test("a zone file edited while stopped: one changeset, next serial, journaled", async (t) => {
  const { file, options } = fileZone(t);
  const a = await startServer(options);
  a.commit("store.test.", {
    add: [{ name: "lib.store.test.", type: 1, ttl: 300, rdata: Buffer.from([192, 0, 2, 7]) }],
  });
  const serial = a.zoneSet.get("store.test.")!.serial;
  await a.close();

  // Unchanged file: the stored zone, the library's record included.
  const b = await startServer(options);
  t.equal(b.zoneSet.get("store.test.")!.serial, serial, "unchanged file: the stored serial");
  t.ok(b.zoneSet.get("store.test.")!.node("lib.store.test."), "and the stored record");
  await b.close();

  // Edited: a record more, www gone, the serial in the file lower than the one served.
  writeFileSync(
    file,
    `${ZONE.replace("www A 192.0.2.80\n", "").replace(" 100 ", " 5 ")}new A 192.0.2.99\n`,
  );
  const c = await startServer(options);
  t.teardown(() => c.close());
  const zone = c.zoneSet.get("store.test.")!;
  t.equal(zone.serial, serial + 1, "the next serial, never back");
  t.ok(zone.node("new.store.test."), "the file's new record is served");
  t.notOk(zone.node("www.store.test."), "the file's removed record is gone");
  const cs = zone.journal.since(serial);
  t.equal(cs?.length, 1, "one changeset from the stored serial");
  t.same(
    cs![0].added.map((r) => r.name),
    ["new.store.test."],
  );
  t.same(cs![0].removed.map((r) => r.name).sort(), ["lib.store.test.", "www.store.test."]);
  t.equal(zone.file, file, "still reloadable from its file");
  await c.close();

  // The zone file deleted while stopped: the zone is not served; back later, never back in serial.
  rmSync(file);
  const d = await startServer(options);
  t.notOk(d.zoneSet.get("store.test."), "no file, no zone");
  await d.close();
  writeFileSync(file, ZONE);
  const e = await startServer(options);
  t.equal(e.zoneSet.get("store.test.")!.serial, serial + 2, "above the last serial it had");
  await e.close();
});

t.test(
  "a zone that holds what its unchanged file says: stored serial, settings and journal; no snapshot written",
  async (t) => {
    const { dataDir, file, options } = fileZone(t);
    const a = await startServer(options);
    let zone = a.zoneSet.get("store.test.")!;
    // A setting that changes what is served (a commit), then the file edited and reloaded:
    // the zone holds what its file says again, with the serial and settings it got since.
    a.cloudflare.editDnsSettings(zone, { ns_ttl: 1234 });
    writeFileSync(file, `${ZONE}new A 192.0.2.99\n`);
    await a.reload();
    a.cloudflare.editDnsSettings(zone, { foundation_dns: true }); // stored only, no commit
    const serial = zone.serial;
    t.equal(serial, 102, "the settings' commit and the reload's");
    const nsTtl = () => zone.apex.get(2 /* NS */)?.ttl;
    t.equal(nsTtl(), 1234, "the apex NS served with the setting's TTL");
    await a.close();
    const snapshot = join(dataDir, "snapshot");
    const written = statSync(snapshot);

    const b = await startServer(options);
    zone = b.zoneSet.get("store.test.")!;
    t.equal(zone.serial, serial, "the stored serial, not the file's 100");
    t.ok(zone.node("new.store.test."), "the file's records");
    t.match(b.cloudflare.dnsSettings(zone), { ns_ttl: 1234, foundation_dns: true });
    t.equal(nsTtl(), 1234, "the apex NS rendered with the stored settings");
    t.same(
      zone.journal.since(100)?.map((cs) => soaSerialOf(cs.soaTo.rdata)),
      [101, 102],
      "the stored journal",
    );
    t.equal(zone.file, file, "reloadable from its file");
    await b.close();
    const after = statSync(snapshot);
    t.same([after.ino, after.mtimeMs], [written.ino, written.mtimeMs], "no snapshot written");

    // Edited through the library after that: the stored zone, not the file's, at the next start.
    const c = await startServer(options);
    c.commit("store.test.", {
      add: [{ name: "lib.store.test.", type: 1, ttl: 300, rdata: Buffer.from([192, 0, 2, 7]) }],
    });
    await c.close();
    const d = await startServer(options);
    t.teardown(() => d.close());
    zone = d.zoneSet.get("store.test.")!;
    t.ok(zone.node("lib.store.test."), "the library's record is kept");
    t.equal(zone.serial, serial + 1);
  },
);

t.test("a restart sees a change in an $INCLUDEd file, and none in a comment", async (t) => {
  const { zonesDir, file, options } = fileZone(t, `${ZONE}$INCLUDE hosts.inc\n`);
  const included = join(zonesDir, "hosts.inc");
  writeFileSync(included, "a A 192.0.2.1\n");
  await (await startServer(options)).close();

  // The zone file itself is the same; the file it includes is not.
  writeFileSync(included, "b A 192.0.2.2\n");
  const b = await startServer(options);
  let zone = b.zoneSet.get("store.test.")!;
  t.ok(zone.node("b.store.test."), "the included file's new record");
  t.notOk(zone.node("a.store.test."), "its old one gone");
  t.equal(zone.serial, 101, "one change");
  await b.close();

  // Only a comment more: another text, the same records, no change.
  writeFileSync(file, `; reviewed\n${ZONE}$INCLUDE hosts.inc\n`);
  const c = await startServer(options);
  t.teardown(() => c.close());
  zone = c.zoneSet.get("store.test.")!;
  t.equal(zone.serial, 101, "no change for a comment");
  t.ok(zone.node("b.store.test."));
});

t.test(
  "the config file and the stored objects: stored wins for what the API touched",
  async (t) => {
    const dataDir = tempDir(t);
    const config = () => {
      const s = new TransferSettings();
      s.createAcl({ name: "from config", ip_range: "198.51.100.0/24" }, { id: "a".repeat(32) });
      s.createAcl(
        { name: "deleted by the API", ip_range: "203.0.113.0/24" },
        { id: "b".repeat(32) },
      );
      s.createAcl({ name: "edited by the API", ip_range: "192.0.2.0/24" }, { id: "c".repeat(32) });
      return s;
    };
    const options = (): ServerOptions => ({
      dataDir,
      dns: { host: "127.0.0.1", port: 0 },
      notify: false,
      transfers: config(),
    });
    const a = await startServer(options());
    a.transfers.deleteAcl("b".repeat(32));
    a.transfers.updateAcl("c".repeat(32), { name: "edited", ip_range: "192.0.2.128/25" });
    a.transfers.createAcl({ name: "API only", ip_range: "192.0.2.0/24" }, { id: "d".repeat(32) });
    await a.close();
    const b = await startServer(options());
    t.teardown(() => b.close());
    t.same(
      b.transfers
        .listAcls()
        .map((x) => [x.id[0], x.name, x.ip_range])
        .sort(),
      [
        ["a", "from config", "198.51.100.0/24"],
        ["c", "edited", "192.0.2.128/25"],
        ["d", "API only", "192.0.2.0/24"],
      ],
    );
  },
);

t.test("a data dir in use or damaged is refused with a clear message", async (t) => {
  const dataDir = tempDir(t);
  const a = await startServer({ dataDir, dns: { host: "127.0.0.1", port: 0 } });
  a.cloudflare.create("x.test.");
  await t.rejects(startServer({ dataDir, dns: { host: "127.0.0.1", port: 0 } }), {
    name: "StoreError",
    message: /is in use by this process/,
  });
  await a.close();
  const log = join(dataDir, "snapshot");
  const buf = readFileSync(log);
  buf[buf.indexOf("x.test") + 1] ^= 1;
  writeFileSync(log, buf);
  await t.rejects(startServer({ dataDir, dns: { host: "127.0.0.1", port: 0 } }), {
    name: "StoreError",
    message: /snapshot:\d+: damaged record \(checksum mismatch\)/,
  });
});

t.test("a 3500-record change is one log record, and comes back whole", async (t) => {
  const dataDir = tempDir(t);
  const a = await startServer({ dataDir, dns: { host: "127.0.0.1", port: 0 } });
  a.cloudflare.create("big.test.");
  const add = Array.from({ length: 3500 }, (_, i) => ({
    name: `r${i}.big.test.`,
    type: 1,
    ttl: 300,
    rdata: Buffer.from([10, 0, i >> 8, i & 0xff]),
    meta: { comment: `record ${i}`, id: i.toString(16).padStart(32, "0") },
  }));
  const t0 = performance.now();
  a.commit("big.test.", { add });
  t.comment(`3500 records committed and fsynced in ${(performance.now() - t0).toFixed(1)} ms`);
  const lines = readFileSync(join(dataDir, "changes.log"), "utf8").trimEnd().split("\n");
  t.equal(lines.length, 3, "the header, the zone's creation, the change");
  const serial = a.zoneSet.get("big.test.")!.serial;
  await a.close();
  const b = await startServer({ dataDir, dns: { host: "127.0.0.1", port: 0 } });
  t.teardown(() => b.close());
  const zone = b.zoneSet.get("big.test.")!;
  t.equal(zone.serial, serial);
  t.equal(zone.recordCount, 3501);
  t.equal(zone.findRecord("00000000000000000000000000000dab")?.meta?.comment, "record 3499");
});
