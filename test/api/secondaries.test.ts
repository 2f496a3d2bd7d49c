// The emulator's extension: what each secondary of a zone did (checks, transfers, refusals).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import packet from "dns-packet";
import type { FastifyInstance } from "fastify";
import t, { type Test } from "tap";
import { TransferActivity } from "../../src/cloudflare/transfer/activity.js";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { startServer } from "../../src/primary.js";
import type { RequestContext } from "../../src/server/handler.js";
import { createQueryHandler } from "../../src/server/query.js";
import { createKeyring } from "../../src/server/signed.js";
import { createTransferHandler } from "../../src/server/transfer.js";
import { collect } from "../../src/server/xfr.js";
import { nameKey } from "../../src/wire/name.js";
import { signRequest, tsigKey } from "../../src/wire/tsig.js";
import { query } from "../peers/client.js";
import { encodeQuery } from "../peers/wire.js";
import { lab, SECRET, T0, zoneSet } from "./fixture.js";

const EXT = "/dns-primary/v1";
const NOW = Math.floor(T0.getTime() / 1000);

// biome-ignore lint/suspicious/noExplicitAny: envelopes are checked field by field
async function ext(app: FastifyInstance, path: string, headers = {}): Promise<any> {
  const res = await app.inject({ method: "GET", url: `${EXT}${path}`, headers });
  return { status: res.statusCode, body: res.json() };
}

/** A zone with an outgoing config and a linked peer, the DNS handlers and the API over them. */
function setup(t: Test, opts: { tsig?: boolean; enabled?: boolean; apiToken?: string } = {}) {
  const transfers = new TransferSettings({ now: () => T0 });
  const zones = zoneSet(["example.com.", "example.org."]);
  const set = zones.set;
  // The store decides what is a zone the way the primary does.
  const activity = new TransferActivity({
    now: () => T0,
    isZone: (n) => set.get(n)?.key === nameKey(n),
  });
  const { app } = lab(t, { transfers, zones, activity, apiToken: opts.apiToken });
  const tsig = opts.tsig
    ? transfers.createTsig({ name: "xfr-key.", algo: "hmac-sha256", secret: SECRET })
    : undefined;
  const peer = transfers.createPeer({
    name: "bind-lab",
    ip: "127.0.0.1",
    port: 5301,
    tsig_id: tsig?.id ?? null,
  });
  transfers.createOutgoing("example.com.", {
    peers: [peer.id],
    status: opts.enabled === false ? "Disabled" : "Enabled",
  });
  const keyring = createKeyring(transfers, () => NOW);
  const transfer = createTransferHandler({
    zones: set,
    settings: transfers,
    keyring,
    activity,
    now: () => NOW,
  });
  const notified: string[] = [];
  const h = createQueryHandler(set, {
    transfer,
    keyring,
    onNotify: (qname, ctx) => {
      notified.push(qname);
      activity.incomingNotify(qname, { address: ctx.remoteAddress, port: ctx.remotePort });
    },
  });
  return { app, transfers, activity, zones, set, peer, h, notified };
}

const ctx = (ip = "127.0.0.1", port = 40000): RequestContext => ({
  transport: "tcp",
  remoteAddress: ip,
  remotePort: port,
  localAddress: "127.0.0.1",
  localPort: 53,
});

function axfr(name = "example.com"): Buffer {
  return packet.encode({
    id: 42,
    type: "query",
    flags: 0,
    questions: [{ name, type: "AXFR", class: "IN" }],
  } as packet.Packet);
}

async function run(h: ReturnType<typeof setup>["h"], msg: Buffer, c = ctx()): Promise<Buffer[]> {
  const r = h.handle(msg, c);
  if (r === null) return [];
  if (Buffer.isBuffer(r)) return [r];
  return collect(r);
}

const rcode = (m: Buffer) => m[3] & 0xf;
const answerCount = (ms: Buffer[]) =>
  ms.reduce((n, m) => n + (packet.decode(m).answers?.length ?? 0), 0);

async function zoneId(app: ReturnType<typeof setup>["app"], headers = {}): Promise<string> {
  const r = await ext(app, "/zones?name=example.com", headers);
  return r.body.result[0].id;
}

t.test("a finished AXFR and a refusal, as the route shows them", async (t) => {
  const { app, h, peer, set } = setup(t);
  const id = await zoneId(app);

  const before = await ext(app, `/zones/${id}/secondaries`);
  t.equal(before.status, 200);
  t.equal(before.body.success, true);
  t.same(before.body.result.zone, {
    id,
    name: "example.com",
    serial: set.get("example.com.")!.serial,
    outgoing_status: "Enabled",
    outgoing_entitled: true,
  });
  t.match(before.body.result.secondaries, [
    {
      peer_id: peer.id,
      peer_name: "bind-lab",
      via: "peer",
      address: "127.0.0.1",
      port: 5301,
      last_notify: null,
      last_check: null,
      last_transfer: null,
      last_refusal: null,
    },
  ]);
  t.same(before.body.result.recent_refusals, []);

  const msgs = await run(h, axfr(), ctx("127.0.0.1", 40001));
  t.equal(rcode(msgs[0]), 0);
  const refused = await run(h, axfr(), ctx("192.0.2.66", 40002));
  t.equal(rcode(refused[0]), 5);

  const r = await ext(app, `/zones/${id}/secondaries`);
  const [s, stranger] = r.body.result.secondaries;
  t.match(s.last_transfer, {
    at: T0.toISOString(),
    address: "127.0.0.1",
    port: 40001,
    key: null,
    type: "AXFR",
    from_serial: null,
    serial: set.get("example.com.")!.serial,
    records: answerCount(msgs),
    messages: msgs.length,
    outcome: "finished",
  });
  t.equal(s.counts.transfers, 1);
  t.match(stranger, { peer_id: null, via: null, address: "192.0.2.66", port: 40002 });
  t.match(stranger.last_refusal, {
    reason: "source address is neither a linked peer nor in an ACL",
    rcode: 5,
    rcode_name: "REFUSED",
    qtype: "AXFR",
  });
  t.match(r.body.result.recent_refusals, [{ address: "192.0.2.66", zone: "example.com." }]);
});

t.test("transfers disabled: the refusal is on the peer's entry with its reason", async (t) => {
  const { app, h, peer } = setup(t, { enabled: false });
  const id = await zoneId(app);
  t.equal(rcode((await run(h, axfr()))[0]), 5);
  const r = await ext(app, `/zones/${id}/secondaries`);
  t.equal(r.body.result.zone.outgoing_status, "Disabled");
  t.match(r.body.result.secondaries, [
    {
      peer_id: peer.id,
      last_refusal: { reason: /not enabled/, peer_id: peer.id, rcode: 5 },
      last_transfer: null,
    },
  ]);
  t.equal(r.body.result.secondaries.length, 1, "no separate entry for the peer's address");
  t.match(r.body.result.recent_refusals, [{ reason: /not enabled/ }]);
});

t.test("a TSIG failure is kept with the key name; other names stay out of zones", async (t) => {
  const { app, h, activity } = setup(t, { tsig: true });
  const id = await zoneId(app);
  const wrong = tsigKey("xfr-key.", "hmac-sha256", Buffer.alloc(32, 7).toString("base64"));
  t.equal(rcode((await run(h, signRequest(axfr(), wrong, NOW).message))[0]), 9);
  const good = tsigKey("xfr-key.", "hmac-sha256", SECRET);
  t.equal(rcode((await run(h, signRequest(axfr("other.test"), good, NOW).message))[0]), 9);
  const r = await ext(app, `/zones/${id}/secondaries`);
  t.match(r.body.result.recent_refusals, [
    { reason: "TSIG BADSIG", key: "xfr-key.", rcode: 9, rcode_name: "NOTAUTH" },
  ]);
  t.equal(r.body.result.recent_refusals.length, 1);
  t.match(activity.secondaries("other.test.", []).recent_refusals, [
    { reason: "not a zone served here", zone: "other.test." },
  ]);
  // A signed, allowed AXFR: the key shows on the transfer.
  const ok = await run(h, signRequest(axfr(), good, NOW).message);
  t.equal(rcode(ok[0]), 0);
  const after = await ext(app, `/zones/${id}/secondaries`);
  t.match(after.body.result.secondaries[0].last_transfer, { key: "xfr-key.", type: "AXFR" });
});

t.test("an incoming NOTIFY: still NOTIMP, handed to the hook and counted", async (t) => {
  const { app, h, notified } = setup(t);
  const id = await zoneId(app);
  const msg = encodeQuery("example.com", 6 /* SOA */, { opcode: 4, edns: null });
  const [m] = await run(h, msg);
  t.equal(rcode(m), 4, "NOTIMP");
  t.equal((m[2] >> 3) & 0xf, 4, "opcode echoed");
  t.same(notified, ["example.com."]);
  const r = await ext(app, `/zones/${id}/secondaries`);
  t.match(r.body.result.incoming_notify, { count: 1, last: { address: "127.0.0.1" } });
  t.equal(r.body.result.secondaries[0].last_check, null, "a NOTIFY is not an SOA check");
});

t.test("unknown zone: 7003; the API token is enforced", async (t) => {
  const { app } = setup(t, { apiToken: "s3cret" });
  const h = { authorization: "Bearer s3cret" };
  const id = await zoneId(app, h);
  const unknown = await ext(app, `/zones/${"f".repeat(32)}/secondaries`, h);
  t.equal(unknown.status, 404);
  t.equal(unknown.body.success, false);
  t.equal(unknown.body.errors[0].code, 7003);
  const noAuth = await ext(app, `/zones/${id}/secondaries`);
  t.equal(noAuth.status, 400);
  t.equal(noAuth.body.success, false);
  t.equal(noAuth.body.errors[0].code, 9106);
  const wrong = await ext(app, `/zones/${id}/secondaries`, { authorization: "Bearer nope" });
  t.equal(wrong.status, 403);
  t.equal((await ext(app, `/zones/${id}/secondaries`, h)).status, 200);
});

t.test("the primary wires it: an allowed SOA check shows as last_check", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-secondaries-"));
  writeFileSync(
    join(dir, "wired.test.zone"),
    `$ORIGIN wired.test.
$TTL 300
@ SOA ns hostmaster 1 3600 600 86400 60
@ NS ns
ns A 192.0.2.53
`,
  );
  const transfers = new TransferSettings();
  const peer = transfers.createPeer({ name: "p", ip: "127.0.0.1" });
  transfers.createOutgoing("wired.test.", { peers: [peer.id], status: "Enabled" });
  const primary = await startServer({
    zonesDir: dir,
    dns: { host: "127.0.0.1", port: 0 },
    api: { host: "127.0.0.1", port: 0 },
    transfers,
  });
  t.teardown(() => primary.close());
  await query({ host: "127.0.0.1", port: primary.dns.udp.port }, "wired.test", "SOA");
  await query({ host: "127.0.0.1", port: primary.dns.tcp.port }, "wired.test", "AXFR", {
    tcp: true,
  });
  const base = `http://127.0.0.1:${primary.api!.port}${EXT}`;
  const zones = (await (await fetch(`${base}/zones?name=wired.test`)).json()) as {
    result: { id: string }[];
  };
  const url = `${base}/zones/${zones.result[0].id}/secondaries`;
  // The transfer's outcome is kept when its stream ends, just after the last message leaves.
  // biome-ignore lint/suspicious/noExplicitAny: checked field by field
  let r: any;
  for (let i = 0; i < 50; i++) {
    r = await (await fetch(url)).json();
    if (r.result.secondaries[0]?.last_transfer) break;
    await new Promise((ok) => setTimeout(ok, 20));
  }
  t.match(r.result.secondaries, [
    {
      peer_id: peer.id,
      last_check: { address: "127.0.0.1" },
      last_transfer: { type: "AXFR", serial: 1, outcome: "finished" },
    },
  ]);
});
